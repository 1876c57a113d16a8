"""shift-f in a real terminal (tmux, 80x24), as a person uses it: the dialog's defaults taken with enter, the
forwarded port answering an HTTP client outside k9py, `:pf` listing it, ctrl-d (confirmed) stopping it. The
dialog and its words are k9s's (internal/view/pf_dialog.go); tests/test_port_forward_tui.py covers the rest."""

from __future__ import annotations

import socket
import urllib.request

import pytest
from tui_support import HAS_TMUX, Terminal

pytestmark = pytest.mark.skipif(not HAS_TMUX, reason="tmux is not installed")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return True
    return False


def test_shift_f_forwards_a_port_that_a_browser_reaches_until_ctrl_d(tmp_path):
    port = free_port()  # the pod declares it, so the dialog's default local port is free
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "web.yaml").write_text(f"""\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
spec:
  containers:
    - name: app
      image: nginx:1.27
      ports:
        - containerPort: {port}
""")
    terminal = Terminal([str(lab), "--speed", "8"], size=(80, 24))
    try:
        terminal.wait_for(lambda s: any(" web " in line and "Running" in line for line in s.splitlines()))
        terminal.filter("web")
        terminal.burst("F")  # shift-f
        screen = terminal.wait_for(lambda s: "<PortForward>" in s)
        assert f"app::{port}" in screen and "localhost" in screen
        terminal.keys("Enter")
        screen = terminal.wait_for(lambda s: "port-forward activated" in s)
        assert f"default/web|app {port}:{port}" in screen

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
            assert answer.status == 200 and answer.read().decode().startswith("Hello from web")

        terminal.command("pf")
        screen = terminal.wait_for(lambda s: "portforwards" in s and f"{port}:{port}" in s)
        row = next(line for line in screen.splitlines() if f"{port}:{port}" in line).strip("│ ").split()
        assert row[:4] == ["default", "web", "app", f"{port}:{port}"]
        terminal.burst("C-d", "Left", "Enter")  # the confirm dialog takes the keys: OK, pressed
        terminal.wait_for(lambda s: f"port-forward default/web|app {port}:{port} deleted" in s)
        assert refused(port)
        assert terminal.exit_status() is None  # still running
    finally:
        terminal.close()
