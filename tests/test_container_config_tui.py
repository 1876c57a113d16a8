"""The dashboard's `s` (k9s's shell key): a container's environment and mounted files, what `kubectl exec -- env`
and `cat` would show, Secret values masked until `x` (k9s's decode key)."""

from __future__ import annotations

from functools import partial

import tui_support
from textual.app import App
from tui_support import dashboard, filter_by, screen_lines, table

from engine import Cluster

until = partial(tui_support.until, timeout=10.0)

OBJECTS = """
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: default}
data: {APP_COLOR: blue, app.properties: "mode=production\\n"}
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret, namespace: default}
stringData: {DB_PASSWORD: hunter2}
---
apiVersion: v1
kind: Pod
metadata: {name: solo, namespace: default}
spec:
  containers:
  - name: app
    image: my-app:1
    envFrom: [{configMapRef: {name: app-config}}]
    env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: app-secret, key: DB_PASSWORD}}}]
    volumeMounts: [{name: cfg, mountPath: /etc/config}, {name: sec, mountPath: /etc/secret, readOnly: true}]
  volumes:
  - {name: cfg, configMap: {name: app-config}}
  - {name: sec, secret: {secretName: app-secret}}
---
apiVersion: v1
kind: Pod
metadata: {name: duo, namespace: default}
spec:
  containers:
  - {name: web, image: nginx, env: [{name: ROLE, value: web}]}
  - {name: sidecar, image: busybox, env: [{name: ROLE, value: "sidecar of $(HOSTNAME)"}]}
"""


def on_screen(app: App[None], text: str) -> bool:
    return any(text in line for line in screen_lines(app))


def running(cluster: Cluster, name: str) -> bool:
    pod = cluster.get("pod", name)
    return pod is not None and (pod.get("status") or {}).get("phase") == "Running"


async def test_s_shows_a_containers_env_and_files_and_x_unmasks_secrets() -> None:
    async with dashboard([]) as (app, pilot, screen, cluster):
        await cluster.apply(OBJECTS)
        await until(pilot, lambda: running(cluster, "solo") and running(cluster, "duo"))
        await filter_by(pilot, "solo")
        await until(pilot, lambda: (table(screen).selected() or {}).get("metadata", {}).get("name") == "solo")
        await pilot.press("s")
        await until(pilot, lambda: screen.view_name == "shell")
        assert screen.view_title.strip() == "shell(default/solo:app)"
        assert screen.crumbs.labels[-1] == "shell:solo:app"
        await until(pilot, lambda: on_screen(app, "APP_COLOR=blue"))
        assert on_screen(app, "# kubectl exec solo -c app -- env")
        assert on_screen(app, "DB_PASSWORD=********") and not on_screen(app, "hunter2")
        assert on_screen(app, "/etc/config from cfg (rw)") and on_screen(app, "/etc/secret from sec (ro)")
        assert on_screen(app, "--- /etc/config/app.properties   -rw-r--r--") and on_screen(app, "mode=production")
        assert on_screen(app, "/var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-")
        await pilot.press("x")
        await until(pilot, lambda: on_screen(app, "DB_PASSWORD=hunter2"))
        assert screen.view_title.strip() == "shell(default/solo:app) [decoded]"
        await pilot.press("x")
        await until(pilot, lambda: not on_screen(app, "hunter2"))
        await pilot.press("escape")
        await until(pilot, lambda: screen.view_name == "pods")

        # A pod with two containers: `s` leads to its containers, where `s` picks one.
        await filter_by(pilot, "duo")
        await until(pilot, lambda: (table(screen).selected() or {}).get("metadata", {}).get("name") == "duo")
        await pilot.press("s")
        await until(pilot, lambda: screen.view_name == "containers")
        await pilot.press("j", "s")
        await until(pilot, lambda: screen.view_name == "shell")
        assert screen.view_title.strip() == "shell(default/duo:sidecar)"
        await until(pilot, lambda: on_screen(app, "ROLE=sidecar of $(HOSTNAME)"))  # declared later: kept literally
