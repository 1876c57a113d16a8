"""The README shows what `k9py check` prints for the two bundled folders: it must stay true.

Each README line must be the start of the line k9py prints (the README cuts long messages with `…`)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_output(folder: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(rf"```\n\$ k9py check {folder}\n(.*?)```", text, re.S)
    assert block, f"the README shows no run of k9py check {folder}"
    return block.group(1).rstrip("\n").split("\n")


@pytest.mark.parametrize("folder", ["sample-manifests", "sample-manifests-broken"])
def test_the_readme_shows_what_check_prints(folder: str) -> None:
    result = subprocess.run([sys.executable, "-m", "k9py.cli", "check", folder], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    printed = result.stdout.rstrip("\n").split("\n")
    shown = readme_output(folder)
    assert len(printed) == len(shown), "\n".join(printed)
    for want, got in zip(shown, printed, strict=True):
        assert got.startswith(want.split("…")[0].rstrip()), f"README: {want}\nprinted: {got}"
