"""Every key of the README's keys table on a real cluster, in every view it applies to, as a user sees it: the view
that opens, the flash line, the object changed on the server as kubectl would change it. Through Pilot at 80x24,
keys in bursts, against the two real API servers the other kube tests use: `k9py serve` (another process; its pods
log, exec and port-forward) and the kit (a real kube-apiserver v1.36 with kwok nodes, which serve no logs, exec or
port-forward: the flash says so). One dashboard per server walks every view; the simulator's own keys (the clock,
failing a node, load, requests) flash why a real cluster has none.

Each walk works in a namespace of its own (`k9py-ek-*`), and on the kit on a kwok node of its own, tainted so
that nothing else lands on it (the kit is shared, thousands of pods at times): it is cordoned and drained without
disturbing anybody, and everything is deleted at the end. An RBAC-limited identity (a ServiceAccount allowed to
get, list and watch pods in one namespace) sees its pods, and is refused the rest in the server's words.
"""

from __future__ import annotations

import base64
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_apiserver_kit import KUBECTL, needs_kubectl
from test_kube_servers import kubectl, kubectl_json, served_kubeconfig  # noqa: F401  (a fixture)
from test_port_forward_tui import free_port, http_get, refused
from textual.pilot import Pilot
from tui_support import CONFIRM, burst, command, screen_lines, shows_a_tick, table, until

from k9py.app import K9App, MainScreen
from k9py.kube_backend import KubeBackend
from k9py.kube_client import KubeClient
from k9py.kube_folder import parent_name
from k9py.views.table import TableView
from k9py.widgets.help import HelpScreen

SIZE = (80, 24)
SIMULATED_ONLY = "a real cluster runs on its own: only k9py's simulated cluster has this"

# What every walk applies in its namespace: a deployment with a service and an HPA, a pod that logs, a ConfigMap,
# a Secret and a CronJob (on the kit, `pinned` puts their pods on the walk's own node).
WORKLOADS = """
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{{containerPort: {port}, name: http}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: ticker, namespace: {ns}, labels: {{app: ticker}}}}
spec:
  containers:
  - name: ticker
    image: busybox:1.36
    command: [sh, -c, "while true; do echo tick; sleep 1; done"]
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {ns}}}
spec:
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: {port}}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: {ns}}}
data: {{colour: blue}}
---
apiVersion: v1
kind: Secret
metadata: {{name: token, namespace: {ns}}}
data: {{password: {password}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {{name: tick, namespace: {ns}}}
spec:
  schedule: "0 0 1 1 *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{{name: tick, image: busybox:1.36, command: [date]}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: web, namespace: {ns}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}
  minReplicas: 2
  maxReplicas: 4
  metrics: [{{type: Resource, resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 80}}}}}}]
"""
PASSWORD = "s3cr3t-k9py"
DECLARED = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: declared
  namespace: {ns}
data:
  colour: green
"""
# The kit's node of the walk: kwok takes any Node with this annotation; the taint keeps the kit's other tests off.
KIT_NODE = """
apiVersion: v1
kind: Node
metadata:
  name: {name}
  annotations: {{kwok.x-k8s.io/node: fake}}
  labels: {{type: kwok, kubernetes.io/hostname: {name}}}
spec:
  taints: [{{key: k9py-every-key, value: "yes", effect: NoSchedule}}]
"""


def pinned(text: str, node: str) -> str:
    """The documents of `text`, every pod template in them on `node` only (and tolerating its taint)."""
    docs = list(yaml.safe_load_all(text))
    for doc in docs:
        spec = doc.get("spec") or {}
        for pod in (
            spec,
            spec.get("template", {}).get("spec"),
            spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec"),
        ):
            if pod and "containers" in pod:
                pod["nodeSelector"] = {"kubernetes.io/hostname": node}
                pod["tolerations"] = [{"key": "k9py-every-key", "operator": "Exists", "effect": "NoSchedule"}]
    return yaml.safe_dump_all(docs)


def apply(kubeconfig: Path, text: str) -> None:
    assert KUBECTL is not None
    run = subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), "apply", "-f", "-"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr


class Walk:
    """One dashboard on one server, and what a walk needs to read it: the namespace and node it works in."""

    def __init__(self, app: K9App, pilot: Pilot[None], kubeconfig: Path, namespace: str, node: str, kit: bool):
        self.app, self.pilot, self.kubeconfig = app, pilot, kubeconfig
        self.ns, self.node, self.kit = namespace, node, kit

    @property
    def screen(self) -> MainScreen:
        assert self.app.main is not None
        return self.app.main

    @property
    def view(self) -> str:
        return self.screen.view_name

    @property
    def flash(self) -> str:
        return self.screen.flash_line.message

    def text(self) -> str:
        return "\n".join(screen_lines(self.app))

    async def see(self, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
        """Wait for `predicate`; on failure the message shows the screen as painted."""
        try:
            await until(self.pilot, predicate, timeout=timeout)
        except AssertionError:
            raise AssertionError(f"not seen in {timeout}s; flash {self.flash!r}; the screen:\n{self.text()}") from None

    async def flashed(self, message: str, timeout: float = 20.0) -> None:
        await self.see(lambda: self.flash == message, timeout)

    async def flashed_with(self, start: str, timeout: float = 20.0) -> None:
        await self.see(lambda: self.flash.startswith(start), timeout)

    async def keys(self, *keys: str) -> None:
        burst(self.app, *keys)
        await self.pilot.pause()

    async def open(self, text: str, view: str, rows: int | None = None, timeout: float = 30.0) -> None:
        """`:text`, and wait for `view` (with `rows` rows)."""
        await command(self.pilot, text)
        await self.see(
            lambda: self.view == view and (rows is None or getattr(self.screen.view, "row_count", None) == rows),
            timeout,
        )

    def names(self) -> list[str]:
        return table(self.screen).visible_names()

    def selected(self) -> str:
        obj = table(self.screen).selected()
        return obj["metadata"]["name"] if obj is not None else ""

    async def select(self, name: str) -> None:
        """Put the cursor on the row of `name` (g, then j as many times as it is below the first)."""
        await self.see(lambda: name in self.names())
        await self.keys("g", *["j"] * self.names().index(name))
        await self.see(lambda: self.selected() == name)

    def kubectl(self, *args: str) -> str:
        return kubectl(self.kubeconfig, "-n", self.ns, *args)

    def get(self, *args: str) -> Any:
        return kubectl_json(self.kubeconfig, "-n", self.ns, "get", *args)

    async def settled(self, predicate: Callable[[], bool], timeout: float = 60.0) -> None:
        """Wait, the dashboard running meanwhile, for something kubectl reads."""
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "the cluster did not get there in time"
            await self.pilot.pause(0.5)


@pytest.fixture
def walked(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, str, str, Path]]:
    """(kubeconfig, namespace, node, folder): the walk's namespace with WORKLOADS applied, on the kit its own tainted
    node, and a watched folder declaring one ConfigMap there; $EDITOR records what `e` opens (in folder/edited)."""
    if KUBECTL is None:
        pytest.skip("kubectl is not installed")
    kit = request.param == "kit"
    kubeconfig = Path(request.getfixturevalue("real_kubeconfig" if kit else "served_kubeconfig"))
    suffix = uuid.uuid4().hex[:6]
    namespace, node = f"k9py-ek-{suffix}", (f"k9py-ek-{suffix}" if kit else "")
    kubectl(kubeconfig, "create", "namespace", namespace)
    if kit:
        apply(kubeconfig, KIT_NODE.format(name=node))
    password = base64.b64encode(PASSWORD.encode()).decode()
    workloads = WORKLOADS.format(ns=namespace, password=password, port=free_port())  # the forward's local port too
    apply(kubeconfig, pinned(workloads, node) if kit else workloads)
    folder = tmp_path / namespace
    folder.mkdir()
    (folder / "declared.yaml").write_text(DECLARED.format(ns=namespace))
    editor = tmp_path / "editor"
    editor.write_text(f'#!/bin/sh\necho "$@" > {folder.parent / "edited"}\n')
    editor.chmod(0o755)
    monkeypatch.delenv("KUBE_EDITOR", raising=False)
    monkeypatch.setenv("EDITOR", str(editor))
    try:
        yield kubeconfig, namespace, node, folder
    finally:
        kubectl(kubeconfig, "delete", "namespace", namespace, "--wait=false")
        kubectl(kubeconfig, "-n", "default", "delete", "configmap", parent_name(folder), "--wait=false")  # ApplySet
        if kit:
            kubectl(kubeconfig, "delete", "node", node, "--wait=false")


# --- the walk --------------------------------------------------------------------------------------------------


def statuses(w: Walk) -> list[str]:
    """The STATUS cell of every row shown."""
    view = table(w.screen)
    return [view.cell(view._rows[key], "STATUS") for key in view.table.row_keys() if key in view._rows]


def header(w: Walk) -> str:
    """The table's own header: a wide column may lie past the right edge."""
    return "  ".join(table(w.screen).columns)


async def back_to(w: Walk, view: str) -> None:
    await w.keys("escape")
    await w.see(lambda: w.view == view)


async def text_keys(w: Walk, key: str, view: str, words: str) -> None:
    """`key` opens `view` (yaml, describe) showing `words`; j k g G scroll it, w wraps, / is refused, esc returns."""
    came_from = w.view
    await w.keys(key)
    await w.see(lambda: w.view == view and words in w.text())
    if view == "yaml":  # as kubectl prints it: apiVersion and kind first (a list's items carry neither)
        first = [line.strip("│ ▁▂▃▄▅▆▇█") for line in w.text().splitlines() if line.startswith("│")][:2]
        assert first[0].startswith("apiVersion: ") and first[1].startswith("kind: "), first
    scrolled = w.screen.view
    await w.keys("G")
    await w.see(lambda: scrolled.scroll_y > 0 or scrolled.max_scroll_y == 0)  # type: ignore[union-attr]
    await w.keys("g")
    await w.see(lambda: scrolled.scroll_y == 0)  # type: ignore[union-attr]
    await w.keys("j", "j", "k")
    await w.keys("w")
    await w.flashed("wrap on")
    await w.keys("slash", "x", "enter")
    await w.flashed(f"{view} view cannot be filtered")
    await back_to(w, came_from)


async def sorts_and_wide(w: Walk, wide: str, status: str = "sorted by status, ") -> None:
    """shift-n, shift-a, shift-s (`status`: what it says here), ctrl-w and back."""
    for key, said in (("N", "sorted by name, "), ("A", "sorted by age, "), ("S", status)):
        await w.keys(key)
        await w.flashed_with(said)
    await w.keys("ctrl+w")
    await w.see(lambda: wide in header(w))
    await w.keys("ctrl+w")
    await w.see(lambda: wide not in header(w))


async def pods_keys(w: Walk) -> None:
    await w.open(f"po {w.ns}", "pods", rows=3)
    await w.see(lambda: statuses(w) == ["Running"] * 3, timeout=90)
    await w.keys("slash", *"web", "enter")
    await w.see(lambda: table(w.screen).row_count == 2)
    await w.keys("escape")
    await w.see(lambda: table(w.screen).row_count == 3)
    await sorts_and_wide(w, "NOMINATED NODE")
    await w.select("ticker")
    await text_keys(w, "y", "yaml", "kind: Pod")
    await text_keys(w, "d", "describe", w.ns)
    await logs_keys(w, "l", "pods")
    await w.keys("enter")  # its containers
    await w.see(lambda: w.view == "containers" and w.names() == ["ticker"])
    await logs_keys(w, "l", "containers")
    await w.keys("N")
    await w.flashed_with("sorted by name, ")
    await w.keys("2")
    await w.flashed_with("namespace: ")
    await shell(w, "ticker")
    await w.keys("F")  # the ticker declares no port: k9s's dialog asks for one
    await w.see(lambda: "<PortForward>" in w.text() and "Enter a container name::port" in w.text())
    await w.keys("escape")
    await w.see(lambda: "<PortForward>" not in w.text())
    await back_to(w, "pods")
    await shell(w, "ticker")
    await w.keys("e")
    await w.flashed_with("pod/ticker is not declared in a watched folder")
    await w.keys("o")  # its node, alone
    await w.see(lambda: w.view == "nodes" and table(w.screen).row_count == 1)
    await back_to(w, "pods")
    await w.keys("J")
    await w.flashed("pod/ticker has no owner: nothing controls it")
    await w.keys("j", "J")  # a web pod: its ReplicaSet
    await w.see(lambda: w.view == "replicasets" and table(w.screen).row_count >= 1)
    await back_to(w, "pods")
    await w.keys("g", "space")
    await w.see(lambda: len(table(w.screen).marked()) == 1)
    await w.keys("j", "ctrl+@")  # from the mark to the cursor
    await w.flashed("3 marked")
    await w.keys("ctrl+backslash")
    await w.flashed("3 marks cleared")
    await w.keys("ctrl+backslash")
    await w.flashed("nothing marked")
    await port_forward(w)
    # ctrl-k: gone at once (kubectl delete --grace-period=0 --force), its ReplicaSet makes another
    victim = w.names()[1]
    await w.keys("g", "j", "ctrl+k", *CONFIRM)
    await w.flashed(f"pod/{victim} killed")
    await w.see(lambda: victim not in w.names() and table(w.screen).row_count == 3, timeout=60)
    # 0 and the favourites
    await w.keys("0")
    await w.see(lambda: w.screen.view_title.strip().startswith("pods(all)"))
    slot = w.screen.favourites.index(w.ns) + 1
    await w.keys(str(slot))
    await w.see(lambda: w.screen.view_title.strip().startswith(f"pods({w.ns})"))
    await w.keys("9")
    await w.flashed("no favourite namespace <9>")


async def logs_keys(w: Walk, key: str, came_from: str) -> None:
    """The logs view's keys on the ticker: `kubectl logs -f` on `k9py serve`; kwok serves none: its words."""
    await w.keys(key)
    await w.see(lambda: w.view == "logs")
    if w.kit:
        await w.see(lambda: "no logs" in w.text() or "no logs" in w.flash, timeout=30)
    else:
        await w.see(lambda: shows_a_tick(w.text().splitlines()), timeout=30)
    for key, said in (
        ("s", "autoscroll off"),
        ("s", "autoscroll on"),
        ("w", "wrap on"),
        ("w", "wrap off"),
        ("t", "timestamps on"),
        ("t", "timestamps off"),
    ):
        await w.keys(key)
        await w.flashed(said)
    await w.keys("k", "g", "j", "G")
    await w.keys("slash", *"tick", "enter")
    await w.see(lambda: w.screen.view.filter_text == "tick")  # type: ignore[union-attr]
    await w.keys("escape")
    await w.see(lambda: w.screen.view.filter_text == "")  # type: ignore[union-attr]
    for key, said in (
        ("2", "the last 1m of the log"),
        ("3", "the last 5m of the log"),
        ("4", "the last 15m of the log"),
        ("5", "the last 30m of the log"),
        ("6", "the last 1h of the log"),
        ("1", "the whole log, from the start"),
        ("0", "the last 100 lines"),
    ):
        await w.keys(key)
        await w.flashed(said)
    await w.keys("p")  # the ticker never restarted: the server's words (kwok's: it has no logs at all)
    said = "no logs" if w.kit else 'previous terminated container "ticker" in pod "ticker" not found'
    await w.see(lambda: w.screen.view_title.rstrip().endswith("[previous]") and said in w.text(), timeout=30)
    await w.keys("p")
    await w.see(lambda: not w.screen.view_title.rstrip().endswith("[previous]"))
    await back_to(w, came_from)


async def shell(w: Walk, pod: str) -> None:
    """`s`: kubectl's shell in the container (stdin is empty under Pilot: it ends at once); kwok's says why not."""
    await w.keys("s")
    if w.kit:
        await w.flashed_with("shell: ", timeout=30)
        assert "no exec found" in w.flash
    else:
        await w.flashed(f"shell in {w.ns}/{pod}:{pod} ended", timeout=30)


async def port_forward(w: Walk) -> None:
    """shift-f on a web pod: k9s's dialog, then `:pf` lists the forward until ctrl-d stops it."""
    await w.keys("g", "j", "F", *CONFIRM)
    if w.kit:
        await w.see(lambda: w.screen.flash_line.level == "error", timeout=30)
        return
    port = w.get("deploy", "web")["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"]
    await w.flashed_with(f"port-forward activated {w.ns}/{w.selected()}|web {port}:{port}", timeout=30)
    status, body = await http_get(port)
    assert status == 200 and body.startswith("Hello from web"), body
    await w.open("pf", "portforwards", rows=1)
    await w.keys("j", "k", "G", "g", "ctrl+d", *CONFIRM)
    await w.see(lambda: w.screen.view.row_count == 0, timeout=30)  # type: ignore[union-attr]
    assert await refused(port)
    await w.open(f"po {w.ns}", "pods", rows=3)


async def deployments_keys(w: Walk) -> None:
    await w.open(f"dp {w.ns}", "deployments", rows=1)
    await sorts_and_wide(w, "SELECTOR", "deployments have no STATUS column")
    await text_keys(w, "y", "yaml", "kind: Deployment")
    await text_keys(w, "d", "describe", "Replicas:")
    await w.keys("enter")  # its pods
    await w.see(lambda: w.view == "pods" and table(w.screen).row_count == 2)
    await back_to(w, "deployments")
    await w.keys("J")
    await w.flashed("deployment/web has no owner: nothing controls it")
    await w.keys("e")
    await w.flashed_with("deployment/web is not declared in a watched folder")
    await w.keys("L")
    await w.flashed(f"<shift-l> load: {SIMULATED_ONLY}")
    await w.keys("space")
    await w.see(lambda: len(table(w.screen).marked()) == 1)
    await w.keys("ctrl+backslash")
    await w.flashed("1 mark cleared")
    # s: the scale subresource, as kubectl scale
    await w.keys("s", "ctrl+u", "3", "enter")
    await w.flashed("deployment/web scaled to 3")
    assert w.get("deploy", "web")["spec"]["replicas"] == 3
    # a: the HPA exists already (WORKLOADS): the server's 409, in its words
    await w.keys("a", *"4", "enter")
    await w.flashed_with('horizontalpodautoscalers.autoscaling "web" already exists', timeout=30)
    # r: kubectl rollout restart's annotation, a second ReplicaSet
    await w.keys("r", *CONFIRM)
    await w.flashed("deployment.apps/web restarted")
    await w.settled(lambda: len(w.get("rs")["items"]) == 2)
    # ctrl-l: the rollout panel; j and ctrl-l roll back to revision 1 (kubectl rollout undo --to-revision=1)
    await w.keys("ctrl+l")
    await w.see(lambda: w.view == "rollout" and "REVISION" in w.text())
    await w.see(lambda: len(w.screen.view.revisions) == 2, timeout=30)  # type: ignore[union-attr]
    await text_keys_of_rollout(w)
    await w.keys("g", "j", "ctrl+l", *CONFIRM)
    await w.flashed_with("deployment.apps/web rolled back to revision 1")
    await w.settled(
        lambda: (
            "kubectl.kubernetes.io/restartedAt"
            not in (w.get("deploy", "web")["spec"]["template"]["metadata"].get("annotations") or {})
        )
    )
    await back_to(w, "deployments")


async def text_keys_of_rollout(w: Walk) -> None:
    """y and d on the rollout panel show the deployment; j k g G move; esc comes back to the panel."""
    await w.keys("j", "k", "G", "g")
    await w.keys("y")
    await w.see(lambda: w.view == "yaml" and "kind: Deployment" in w.text())
    await back_to(w, "rollout")
    await w.keys("d")
    await w.see(lambda: w.view == "describe" and "Replicas:" in w.text())
    await back_to(w, "rollout")
    # the panel is built again: its revisions are listed again (the ReplicaSets' watch stopped meanwhile)
    await w.see(lambda: len(w.screen.view.revisions) == 2, timeout=30)  # type: ignore[union-attr]


async def replicasets_keys(w: Walk) -> None:
    await w.open(f"rs {w.ns}", "replicasets", rows=2)
    await sorts_and_wide(w, "SELECTOR", "replicasets have no STATUS column")
    await text_keys(w, "y", "yaml", "kind: ReplicaSet")
    await text_keys(w, "d", "describe", "Controlled By:")
    current = w.get("deploy", "web")["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
    old = next(
        rs["metadata"]["name"]
        for rs in w.get("rs")["items"]
        if rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] != current
    )
    await w.select(old)
    await w.keys("enter")  # its pods: none, it is scaled to 0
    await w.see(lambda: w.view == "pods" and table(w.screen).row_count == 0)
    await back_to(w, "replicasets")
    await w.select(old)
    await w.keys("ctrl+l", *CONFIRM)  # back to this one: kubectl rollout undo --to-revision
    await w.flashed_with("deployment.apps/web rolled back to revision ")
    await w.settled(lambda: w.get("rs", old)["spec"]["replicas"] > 0)
    await w.select(old)
    await w.keys("s", "ctrl+u", "1", "enter")
    await w.flashed(f"replicaset/{old} scaled to 1")
    await w.keys("J")
    await w.see(lambda: w.view == "deployments")
    await back_to(w, "replicasets")


async def services_keys(w: Walk) -> None:
    await w.open(f"svc {w.ns}", "services", rows=1)
    await sorts_and_wide(w, "SELECTOR", "sorted by type, ")
    await text_keys(w, "y", "yaml", "kind: Service")
    await text_keys(w, "d", "describe", "Selector:")
    await w.keys("b")
    await w.flashed(f"<b> request: {SIMULATED_ONLY}")
    await w.keys("L")
    await w.flashed(f"<shift-l> load: {SIMULATED_ONLY}")
    await w.keys("enter")  # the pods it selects
    await w.see(lambda: w.view == "pods" and table(w.screen).row_count >= 2)
    await back_to(w, "services")


async def nodes_keys(w: Walk) -> None:
    node = w.node or w.get("pod", "ticker")["spec"]["nodeName"]
    await w.open(f"no /{node}", "nodes", rows=1)
    await sorts_and_wide(w, "OS-IMAGE")
    await text_keys(w, "y", "yaml", "kind: Node")
    await text_keys(w, "d", "describe", "Taints:")
    await w.keys("f")
    await w.flashed(f"<f> fail/recover: {SIMULATED_ONLY}")
    await w.keys("enter")  # its pods
    await w.see(lambda: w.view == "pods" and "ticker" in w.names())
    await back_to(w, "nodes")
    await w.keys("space")
    await w.see(lambda: len(table(w.screen).marked()) == 1)
    await w.keys("ctrl+backslash")
    await w.keys("c", *CONFIRM)
    await w.flashed(f"node/{node} cordoned")
    assert kubectl_json(w.kubeconfig, "get", "node", node)["spec"].get("unschedulable") is True
    await w.keys("u", *CONFIRM)
    await w.flashed(f"node/{node} uncordoned")
    assert not kubectl_json(w.kubeconfig, "get", "node", node)["spec"].get("unschedulable")
    # r: kubectl drain: cordoned, its pods evicted (Force: the ticker has no controller to re-create it)
    await w.keys("r", "f", "left", "enter")
    await w.flashed_with(f"node/{node} drained", timeout=60)
    assert kubectl_json(w.kubeconfig, "get", "node", node)["spec"].get("unschedulable") is True
    await w.settled(lambda: all(p["spec"].get("nodeName") != node for p in w.get("pods")["items"]))
    await w.keys("u", *CONFIRM)
    await w.flashed(f"node/{node} uncordoned")


async def small_kinds_keys(w: Walk) -> None:
    """Namespaces, events, ConfigMaps, Secrets, CronJobs and HPAs."""
    await w.open(f"ns /{w.ns}", "namespaces", rows=1)
    await text_keys(w, "y", "yaml", "kind: Namespace")
    await w.keys("enter")
    await w.see(lambda: w.view == "pods" and w.screen.view_title.strip().startswith(f"pods({w.ns})"))
    await w.open(f"ev {w.ns}", "events")
    await w.see(lambda: table(w.screen).row_count > 0, timeout=30)
    await sorts_and_wide(w, "SOURCE", "sorted by type, ")
    await text_keys(w, "y", "yaml", "kind: Event")
    await w.open(f"cm {w.ns} /settings", "generic", rows=1)
    await text_keys(w, "y", "yaml", "colour: blue")
    await text_keys(w, "d", "describe", "colour")
    await w.keys("ctrl+d", *CONFIRM)
    await w.flashed("configmap/settings deleted")
    await w.see(lambda: table(w.screen).row_count == 0)
    assert "NotFound" in w.kubectl("get", "cm", "settings")
    await w.open(f"secret {w.ns} /token", "secrets", rows=1)
    await w.keys("x")
    await w.see(lambda: PASSWORD in w.text())
    await back_to(w, "secrets")
    await w.open(f"cj {w.ns}", "cronjobs", rows=1)
    await w.keys("t", *CONFIRM)
    await w.flashed_with("job.batch/tick-manual-")
    job = w.flash.split("/", 1)[1].split()[0]
    assert job in w.kubectl("get", "jobs", "-o", "name")
    await w.keys("enter")  # its jobs
    await w.see(lambda: w.view == "cronjob-jobs" and table(w.screen).row_count == 1, timeout=30)
    await w.open(f"hpa {w.ns}", "hpa", rows=1)
    await w.keys("enter")  # the chart: a real controller keeps no history to draw
    await w.see(lambda: w.view == "hpachart")
    await w.keys("j", "k", "G", "g")
    await w.keys("y")
    await w.see(lambda: w.view == "yaml" and "HorizontalPodAutoscaler" in w.text())
    await back_to(w, "hpachart")
    await back_to(w, "hpa")


async def other_views_keys(w: Walk) -> None:
    """:ctx, :xray, :policy."""
    await w.open("ctx", "contexts")
    await w.see(lambda: "(*)" in w.text())
    await w.keys("j", "k", "G", "g", "enter")  # the one in use: nothing changes
    await w.see(lambda: w.view != "contexts" or "context" in w.flash)
    await w.open(f"xray deploy {w.ns}", "xray")
    await w.see(lambda: "web" in w.text(), timeout=30)
    await w.keys("j", "k", "G", "g", "y")
    await w.see(lambda: w.view == "yaml" and "kind: Deployment" in w.text())
    await back_to(w, "xray")
    await w.keys("d")
    await w.see(lambda: w.view == "describe")
    await back_to(w, "xray")
    await w.keys("j", "enter")  # a ReplicaSet: its describe
    await w.see(lambda: w.view in ("describe", "logs"))
    await back_to(w, "xray")
    await w.open("policy system:anonymous", "policy")
    await w.see(lambda: "/version" in w.text() or "selfsubject" in w.text(), timeout=30)
    await w.keys("j", "k", "G", "g", "slash", "escape")


async def global_keys(w: Walk) -> None:
    """`?`, the simulator's clock keys, ctrl-e, ctrl-t, ctrl-a, `-`, `[`, `]`."""
    await w.open(f"po {w.ns}", "pods")
    await w.keys("question_mark")
    await w.see(lambda: isinstance(w.app.screen, HelpScreen))
    help_text = w.app.screen.text  # type: ignore[attr-defined]
    assert "<ctrl-k> Kill" in help_text and "Pause" not in help_text  # the clock's keys are hidden here
    await w.keys("escape")
    await w.see(lambda: not isinstance(w.app.screen, HelpScreen))
    for key, label, what in (
        ("p", "p", "pause/resume"),
        ("greater_than_sign", ">", "faster"),
        ("less_than_sign", "<", "slower"),
    ):
        await w.keys(key)
        await w.flashed(f"<{label}> {what}: {SIMULATED_ONLY}")
    assert w.screen.header.display
    await w.keys("ctrl+e")
    await w.see(lambda: not w.screen.header.display)
    await w.keys("ctrl+e")
    await w.see(lambda: w.screen.header.display)
    skin = w.screen.skin.name
    await w.keys("ctrl+t")
    await w.see(lambda: w.screen.skin.name != skin)
    await w.keys("ctrl+a")
    await w.see(lambda: w.view == "aliases")
    await w.keys("slash", *"cronj", "enter")
    await w.see(lambda: "cronjobs" in w.text())
    await w.keys("enter")
    await w.see(lambda: w.view == "cronjobs")
    await w.open(f"dp {w.ns}", "deployments")
    await w.keys("minus")  # the view the command before left (ctrl-a's enter is one, as `:cronjobs`)
    await w.see(lambda: w.view == "cronjobs")
    await w.keys("minus")
    await w.see(lambda: w.view == "deployments")
    await w.keys("left_square_bracket")  # the command history
    await w.see(lambda: w.view == "cronjobs")
    await w.keys("right_square_bracket")
    await w.see(lambda: w.view == "deployments")


async def sources_keys(w: Walk, folder: Path) -> None:
    """:src on the watched folder: d shows the drift, w writes the live value into the file, S sets the live
    object back to its file, ctrl-s re-syncs all, e opens the file at the object's line."""
    await w.open("src", "sources")
    await w.see(lambda: "declared" in w.text() and "Synced" in w.text(), timeout=30)
    w.kubectl("patch", "configmap", "declared", "-p", '{"data":{"colour":"red"}}')
    await w.see(lambda: "OutOfSync" in w.text(), timeout=30)
    await w.keys("d")
    await w.see(lambda: w.view == "drift" and "colour" in w.text())
    await back_to(w, "sources")
    await w.keys("w", *CONFIRM)  # the live value into the file
    await w.see(lambda: "colour: red" in (folder / "declared.yaml").read_text(), timeout=30)
    await w.see(lambda: "OutOfSync" not in w.text(), timeout=30)
    w.kubectl("patch", "configmap", "declared", "-p", '{"data":{"colour":"blue"}}')
    await w.see(lambda: "OutOfSync" in w.text(), timeout=30)
    await w.keys("S", *CONFIRM)  # the file's value back on the live object
    await w.flashed("configmap/declared re-synced from its manifest")
    assert w.get("configmap", "declared")["data"]["colour"] == "red"
    await w.keys("ctrl+s")
    await w.flashed("nothing to re-sync: every object matches its manifest")
    await w.keys("e")
    await w.flashed_with("edited declared.yaml:")
    assert (folder.parent / "edited").read_text().split()[-1] == str(folder / "declared.yaml")


async def walk(w: Walk, folder: Path) -> None:
    await sources_keys(w, folder)
    await pods_keys(w)
    await deployments_keys(w)
    await replicasets_keys(w)
    await services_keys(w)
    await nodes_keys(w)
    await small_kinds_keys(w)
    await other_views_keys(w)
    await global_keys(w)
    await w.open(f"dp {w.ns}", "deployments", rows=1)
    await w.keys("ctrl+d", *CONFIRM)
    await w.flashed("deployment/web deleted")
    await w.see(lambda: table(w.screen).row_count == 0, timeout=30)


@needs_kubectl
@pytest.mark.parametrize("walked", ["serve", "kit"], indirect=True)
async def test_every_key_on_a_real_cluster(walked: tuple[Path, str, str, Path]) -> None:
    kubeconfig, namespace, node, folder = walked
    app = K9App(KubeBackend(KubeClient(str(kubeconfig))), [folder], command=f"po {namespace}")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.main is not None and isinstance(app.main.view, TableView), timeout=30)
        await walk(Walk(app, pilot, kubeconfig, namespace, node, kit=bool(node)), folder)


# --- an identity RBAC limits -------------------------------------------------------------------------------------


@pytest.fixture
def limited_kubeconfig(real_kubeconfig: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """(kubeconfig, namespace): a ServiceAccount's token that may only get, list and watch pods in one namespace
    (made with kubectl, as an admin would), its namespace holding one pod."""
    if KUBECTL is None:
        pytest.skip("kubectl is not installed")
    namespace = f"k9py-ek-rbac-{uuid.uuid4().hex[:6]}"
    admin = real_kubeconfig
    kubectl(admin, "create", "namespace", namespace)
    try:
        kubectl(admin, "-n", namespace, "run", "p", "--image=busybox", "--port=8080")
        kubectl(admin, "-n", namespace, "create", "serviceaccount", "limited")
        kubectl(admin, "-n", namespace, "create", "role", "pod-reader", "--verb=get,list,watch", "--resource=pods")
        kubectl(
            admin,
            "-n",
            namespace,
            "create",
            "rolebinding",
            "limited",
            "--role=pod-reader",
            f"--serviceaccount={namespace}:limited",
        )
        token = kubectl(admin, "-n", namespace, "create", "token", "limited").strip()
        config = yaml.safe_load(admin.read_text())
        cluster = config["clusters"][0]
        limited = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [cluster],
            "users": [{"name": "limited", "user": {"token": token}}],
            "contexts": [
                {"name": "limited", "context": {"cluster": cluster["name"], "user": "limited", "namespace": namespace}}
            ],
            "current-context": "limited",
        }
        path = tmp_path / "limited.kubeconfig"
        path.write_text(yaml.safe_dump(limited))
        yield path, namespace
    finally:
        kubectl(admin, "delete", "namespace", namespace, "--wait=false")  # its ServiceAccount, Role and binding too


@needs_kubectl
async def test_an_identity_rbac_limits_sees_its_pods_and_is_refused_the_rest_in_the_servers_words(
    limited_kubeconfig: tuple[Path, str],
) -> None:
    kubeconfig, namespace = limited_kubeconfig
    user = f"system:serviceaccount:{namespace}:limited"
    app = K9App(KubeBackend(KubeClient(str(kubeconfig))), [], command=f"po {namespace}")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.main is not None and isinstance(app.main.view, TableView), timeout=30)
        w = Walk(app, pilot, kubeconfig, namespace, "", kit=True)
        await w.see(lambda: w.names() == ["p"] and statuses(w) == ["Running"], timeout=60)

        async def refused(*keys: str, verb: str, resource: str) -> None:
            await w.keys(*keys)
            await w.see(
                lambda: (
                    w.screen.flash_line.level == "error"
                    and f'User "{user}" cannot {verb} resource "{resource}"' in w.flash
                ),
                timeout=30,
            )
            assert app.is_running

        await refused("ctrl+d", *CONFIRM, verb="delete", resource="pods")
        await refused("s", verb="create", resource="pods/exec")
        await refused("F", *CONFIRM, verb="get", resource="pods/portforward")
        await command(pilot, f"deploy {namespace}")
        await w.see(lambda: f'User "{user}" cannot list resource "deployments"' in w.flash, timeout=30)
        await w.open(f"po {namespace}", "pods", rows=1)  # still there, still watched
        assert "p" in w.kubectl("get", "pods", "-o", "name")
