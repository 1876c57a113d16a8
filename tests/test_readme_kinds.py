"""The README's list of served kinds is the registry's: a kind added or removed shows up there."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from engine.kinds import REGISTRY

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_lists_exactly_the_served_kinds() -> None:
    text = README.read_text()
    start = text.index("- Only these kinds are served")
    block = " ".join(text[start:text.index("\n- ", start + 1)].split())
    listed = block.split("as not simulated yet:", 1)[1]
    by_version: dict[str, set[str]] = defaultdict(set)
    for version, kinds in re.findall(r"((?:[a-z0-9.]+/)?v\d\w*) ([A-Z][^;]*?)(?:;|\.$)", listed):
        by_version[version] = {k.strip() for k in kinds.split(",")}
    served: dict[str, set[str]] = defaultdict(set)
    for info in REGISTRY.kinds():
        served[f"{info.group}/{info.version}" if info.group else info.version].add(info.kind)
    assert dict(by_version) == dict(served)
