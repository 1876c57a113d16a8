"""The seeds' ConfigMap and Secret example, walked through in the dashboard as a learner would: the files applied
as the seed writes them (indentation restored), `s` on each pod shows the environment and the mounted files, Secret
values masked until `x`; then the ConfigMap is changed by editing the watched file, and after the kubelet's sync
the mounted file shows the new value while the environment keeps the one the container started with ("Updating a
ConfigMap or Secret automatically updates the mounted files … Environment variables are not updated — the pod
must be restarted.")."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
import tui_support
from textual.app import App
from tui_support import Terminal, dashboard, filter_by, screen_lines, table

from engine import Cluster
from engine.kubelet.container_files import SYNC_SECONDS

until = partial(tui_support.until, timeout=15.0)

# The seed's two manifests and its two pods: the first pod as written; the second is the seed's "As mounted files"
# `spec:` under the first pod's header, named apart so both can run side by side.
CONFIG = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  APP_COLOR: blue
  APP_MODE: production
  log_level: info
  nginx.conf: |
    server {
    listen 80;
    server_name example.com;
    }
---
apiVersion: v1
kind: Secret
metadata:
  name: app-secret
type: Opaque
data:
  DB_PASSWORD: czNjcmV0IQ==
  API_KEY: c2stYWJjMTIzeHl6
  DB_USERNAME: YWRtaW4=
"""

PODS = """\
apiVersion: v1
kind: Pod
metadata:
  name: config-pod
spec:
  containers:
  - name: app
    image: my-app:latest
    envFrom:
    - configMapRef:
        name: app-config
    - secretRef:
        name: app-secret
---
apiVersion: v1
kind: Pod
metadata:
  name: files-pod
spec:
  containers:
  - name: app
    image: my-app:latest
    volumeMounts:
    - name: config-volume
      mountPath: /etc/config
    - name: secret-volume
      mountPath: /etc/secret
      readOnly: true
  volumes:
  - name: config-volume
    configMap:
      name: app-config
  - name: secret-volume
    secret:
      secretName: app-secret
"""


def write_seed(folder: Path) -> Path:
    folder.mkdir()
    (folder / "config.yaml").write_text(CONFIG)
    (folder / "pods.yaml").write_text(PODS)
    return folder


def on_screen(app: App[None], text: str) -> bool:
    return any(text in line for line in screen_lines(app))


def file_shown(lines: list[str], path: str) -> str | None:
    """The first line of `path` as the shell view's `cat` section prints it (under its `--- path   mode` line)."""
    for i, line in enumerate(lines[:-1]):
        if f"--- {path} " in line:
            return lines[i + 1].strip(" │▁▂▃▄▅▆▇█")  # inside the view's border, left of its scroll bar
    return None


def engine_file(cluster: Cluster, pod: str, path: str) -> str | None:
    return next((f.content for m in cluster.container_view(pod).mounts for f in m.files if f.path == path), None)


def running(cluster: Cluster, name: str) -> bool:
    pod = cluster.get("pod", name)
    return pod is not None and (pod.get("status") or {}).get("phase") == "Running"


def config_color(cluster: Cluster) -> str:
    return str(((cluster.get("configmap", "app-config") or {}).get("data") or {}).get("APP_COLOR"))


async def test_the_seed_configmap_and_secret_walkthrough(tmp_path: Path) -> None:
    folder = write_seed(tmp_path / "seed")
    async with dashboard([folder]) as (app, pilot, screen, cluster):
        await until(pilot, lambda: running(cluster, "config-pod") and running(cluster, "files-pod"))

        async def shell(pod: str) -> None:
            await filter_by(pilot, pod)
            await until(pilot, lambda: (table(screen).selected() or {}).get("metadata", {}).get("name") == pod)
            await pilot.press("s")
            await until(pilot, lambda: screen.view_name == "shell")
            assert screen.view_title.strip() == f"shell(default/{pod}:app)"

        # The environment: every key of the ConfigMap and of the Secret (decoded, masked until x).
        await shell("config-pod")
        await until(pilot, lambda: on_screen(app, "APP_COLOR=blue"))
        assert on_screen(app, "APP_MODE=production") and on_screen(app, "log_level=info")
        assert on_screen(app, "DB_PASSWORD=********") and on_screen(app, "API_KEY=********")
        assert not on_screen(app, "s3cret!")
        await pilot.press("x")
        await until(pilot, lambda: on_screen(app, "DB_PASSWORD=s3cret!") and on_screen(app, "DB_USERNAME=admin"))
        await pilot.press("x", "escape")
        await until(pilot, lambda: screen.view_name == "pods")

        # The files: one per key, a Secret's decoded and masked until x.
        await shell("files-pod")
        await until(pilot, lambda: file_shown(screen_lines(app), "/etc/config/APP_COLOR") == "blue")
        lines = screen_lines(app)
        assert any("/etc/config from config-volume (rw)   ConfigMap app-config" in line for line in lines)
        assert any("/etc/secret from secret-volume (ro)   Secret app-secret" in line for line in lines)
        assert file_shown(lines, "/etc/config/nginx.conf") == "server {"
        assert file_shown(lines, "/etc/secret/DB_PASSWORD") == "********"
        await pilot.press("x")
        await until(pilot, lambda: file_shown(screen_lines(app), "/etc/secret/DB_PASSWORD") == "s3cret!")
        assert file_shown(screen_lines(app), "/etc/secret/API_KEY") == "sk-abc123xyz"

        # Change the ConfigMap as a learner would: edit the file. The dashboard applies it; within the kubelet's
        # sync period the mounted file follows, while the first pod's environment keeps blue.
        (folder / "config.yaml").write_text(CONFIG.replace("APP_COLOR: blue", "APP_COLOR: green"))
        await until(pilot, lambda: config_color(cluster) == "green")
        changed_at = cluster.now()
        await until(pilot, lambda: engine_file(cluster, "files-pod", "/etc/config/APP_COLOR") == "green")
        # At the pod's next sync, within a minute of cluster time (the clock runs 50x: a few seconds of slack).
        assert cluster.now() - changed_at <= SYNC_SECONDS + 5
        await until(pilot, lambda: file_shown(screen_lines(app), "/etc/config/APP_COLOR") == "green")
        assert file_shown(screen_lines(app), "/etc/config/APP_MODE") == "production"
        await pilot.press("escape")
        await until(pilot, lambda: screen.view_name == "pods")
        await shell("config-pod")
        await until(pilot, lambda: on_screen(app, "APP_COLOR=blue"))
        await until(pilot, lambda: cluster.now() - changed_at > SYNC_SECONDS + 5)
        await pilot.pause(0.3)  # a refresh of the view after that sync
        assert on_screen(app, "APP_COLOR=blue") and not on_screen(app, "APP_COLOR=green")


def scroll_to(terminal: Terminal, predicate: Callable[[str], bool], presses: int = 40) -> str:
    """`j` until the screen shows what `predicate` looks for (24 lines show about a dozen of the view's)."""
    for _ in range(presses):
        screen = terminal.screen()
        if predicate(screen):
            return screen
        terminal.keys("j")
    return terminal.wait_for(predicate, timeout=1)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_seed_walkthrough_in_a_real_terminal(tmp_path: Path) -> None:
    """The same in a real 80x24 terminal: k9py on the seed's folder, `s` on the pod with the files, the file
    edited, the new value on screen within the sync period; the other pod's environment unchanged."""
    folder = write_seed(tmp_path / "seed")
    terminal = Terminal([str(folder), "--speed", "20"], size=(80, 24))
    try:
        terminal.wait_for(lambda s: "config-pod" in s and "files-pod" in s and s.count("Running") >= 2, timeout=60)
        terminal.filter("files-pod")
        terminal.keys("s")
        terminal.wait_for(lambda s: "shell(default/files-pod:app)" in s)
        scroll_to(terminal, lambda s: file_shown(s.splitlines(), "/etc/config/APP_COLOR") == "blue")
        (folder / "config.yaml").write_text(CONFIG.replace("APP_COLOR: blue", "APP_COLOR: green"))
        started = time.monotonic()
        # 60 s of sync at 20x is 3 s; the folder watcher and the view's refresh add about a second.
        terminal.wait_for(lambda s: file_shown(s.splitlines(), "/etc/config/APP_COLOR") == "green", timeout=20)
        assert time.monotonic() - started < 20
        terminal.keys("Escape")  # back to the pods,
        terminal.wait_for(lambda s: "</files-pod>" in s)
        terminal.keys("Escape")  # and the filter cleared
        terminal.wait_for(lambda s: "</files-pod>" not in s)
        terminal.filter("config-pod")
        terminal.keys("s")
        terminal.wait_for(lambda s: "shell(default/config-pod:app)" in s)
        screen = scroll_to(terminal, lambda s: "APP_COLOR=" in s)
        assert "APP_COLOR=blue" in screen
    finally:
        terminal.close()
