"""`e`: open the manifest that declares an object in the user's editor, at its line.

k9s's `e` runs `kubectl edit` on the live object; in k9py the watched folder is the desired state, so `e` edits
the file, and the save is applied like any other (an edit to the live object would be drift, reverted or written
back from the sources view). The editor is chosen as kubectl chooses it: $KUBE_EDITOR, then $EDITOR, then vi.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path

from textual.app import App

# Editors that take `+LINE` before the file to open it at that line.
LINE_EDITORS = frozenset({"vi", "vim", "nvim", "view", "nano", "emacs", "emacsclient", "micro", "kak", "joe", "ne",
                          "mg", "jed", "pico"})
# Editors documented to read every argument after `--` as a file name.
END_OF_OPTIONS_EDITORS = frozenset({"vi", "vim", "nvim", "view", "nano"})


def editor_command(path: Path, line: int, environ: Mapping[str, str] = os.environ) -> list[str]:
    """The editor's argv. The file is always passed as an absolute path, so that no file name (`+!cmd.yaml`,
    `-c.yaml`) can be read as an editor option or command, whatever the editor."""
    editor = environ.get("KUBE_EDITOR") or environ.get("EDITOR") or "vi"
    argv = shlex.split(editor) or ["vi"]
    name = Path(argv[0]).name
    if name in LINE_EDITORS and line > 0:
        argv.append(f"+{line}")
    if name in END_OF_OPTIONS_EDITORS:
        argv.append("--")
    return [*argv, os.path.abspath(path)]


def run_editor(app: App[None], argv: list[str]) -> int:
    """Hand the terminal to the editor until it exits; its exit code. Raises OSError if it cannot be started,
    textual's SuspendNotSupported where the terminal cannot be handed over."""
    if app.is_headless:  # tests: the editor is a script that needs no terminal
        return subprocess.run(argv, stdin=subprocess.DEVNULL, check=False).returncode
    with app.suspend():
        return subprocess.run(argv, check=False).returncode
