"""`e` must never let a file name act as an editor option or command (k9py runs `vi` on files it did not name)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from k9py.editor import editor_command

HOSTILE = "+!touch PWNED;.yaml"


def test_the_file_is_passed_absolute_after_end_of_options(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = editor_command(Path(HOSTILE), 7, {"EDITOR": "vim"})
    assert argv == ["vim", "+7", "--", str(tmp_path / HOSTILE)]


@pytest.mark.parametrize("editor", ["code --wait", "emacs", "subl -w", "micro"])
def test_every_editor_gets_an_absolute_path_that_cannot_be_an_option(tmp_path, monkeypatch, editor):
    monkeypatch.chdir(tmp_path)
    argv = editor_command(Path("-c.yaml"), 3, {"KUBE_EDITOR": editor})
    assert argv[-1] == str(tmp_path / "-c.yaml") and argv[-1].startswith("/")


@pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed")
def test_vim_opens_a_hostile_file_name_as_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / HOSTILE).write_text("kind: Namespace\n")
    argv = editor_command(Path(HOSTILE), 1, {"EDITOR": "vim"})
    # Ex mode with no terminal: write the buffer's file name out; vim ends at the end of its (empty) input.
    argv[2:2] = ["-es", "-u", "NONE", "-c", f"call writefile([expand('%:p')], '{tmp_path / 'opened'}')"]
    subprocess.run(argv, timeout=20, check=False, stdin=subprocess.DEVNULL, capture_output=True)
    assert not (tmp_path / "PWNED").exists()
    assert (tmp_path / "opened").read_text().strip() == str(tmp_path / HOSTILE)
