"""The dashboard on two real API servers, through KubeBackend at 80x24 with keys typed in bursts: the control plane
kit (kube-apiserver v1.36) and k9py's own (`k9py serve`, another process). The same keys must mean the same on
both, as kubectl's commands do: scale, rollout restart, the rollout panel and a rollback to an older revision, a
CronJob triggered, a pod killed and replaced.

Each test works in a namespace of its own (`k9py-kb-*`), deleted at the end: the kit is shared with other tests
(thousands of pods at times), so nothing here counts what it did not create.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_apiserver_kit import KUBECTL, needs_kubectl
from tui_support import EXITED, HAS_TMUX, Terminal, burst, command, screen_lines, shows_a_tick, table, until

from k9py.app import K9App
from k9py.kube_backend import KubeBackend
from k9py.kube_client import KubeClient
from k9py.views.rollout import RolloutView
from k9py.views.table import TableView

ROOT = Path(__file__).resolve().parent.parent
CONFIRM = ("left", "enter")  # from Cancel to the action's button, and press it


@pytest.fixture(scope="module")
def served_kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`k9py serve` in a process of its own (an empty cluster on the real clock), for this module's tests."""
    state = tmp_path_factory.mktemp("serve")
    env = {**os.environ, "K9PY_STATE_DIR": str(state / "state"), "HOME": str(state)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "k9py.cli", "serve", "--port", "0"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("export KUBECONFIG="), line
        yield Path(line.split("=", 1)[1])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


@pytest.fixture(params=["kit", "serve"])
def kubeconfig(request: pytest.FixtureRequest) -> Path:
    if KUBECTL is None:
        pytest.skip("kubectl is not installed")
    name = "real_kubeconfig" if request.param == "kit" else "served_kubeconfig"
    return Path(request.getfixturevalue(name))


def kubectl(kubeconfig: Path, *args: str) -> str:
    assert KUBECTL is not None
    run = subprocess.run([KUBECTL, "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True, timeout=60)
    return run.stdout + run.stderr


def kubectl_json(kubeconfig: Path, *args: str) -> Any:
    return json.loads(kubectl(kubeconfig, *args, "-o", "json"))


@pytest.fixture
def namespace(kubeconfig: Path) -> Iterator[str]:
    name = f"k9py-kb-{uuid.uuid4().hex[:6]}"
    kubectl(kubeconfig, "create", "namespace", name)
    kubectl(kubeconfig, "-n", name, "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2")
    kubectl(kubeconfig, "-n", name, "create", "cronjob", "tick", "--image=busybox", "--schedule=0 0 1 1 *")
    try:
        yield name
    finally:
        kubectl(kubeconfig, "delete", "namespace", name, "--wait=false")


async def _settled(predicate: Any, timeout: float = 120.0) -> None:
    """Wait (off the dashboard) for a condition kubectl reads."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "the cluster did not get there in time"
        await asyncio.sleep(0.5)


@needs_kubectl
async def test_scale_restart_rollback_trigger_and_kill_mean_what_kubectl_means(
    kubeconfig: Path, namespace: str
) -> None:
    app = K9App(KubeBackend(KubeClient(str(kubeconfig))), [], command=f"dp {namespace}")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.main is not None and isinstance(app.main.view, TableView), timeout=15)
        screen = app.main
        assert screen is not None
        await until(pilot, lambda: table(screen).row_count == 1, timeout=30)
        assert " v1.36." in "\n".join(screen_lines(app))  # the header's Cluster line: context and server version

        burst(app, "s", "3", "enter")
        await until(pilot, lambda: screen.flash_line.message == "deployment/web scaled to 3", timeout=15)
        assert kubectl(kubeconfig, "-n", namespace, "get", "deploy", "web", "-o", "jsonpath={.spec.replicas}") == "3"

        # r: the restartedAt annotation, a second revision
        burst(app, "r", *CONFIRM)
        await until(pilot, lambda: screen.flash_line.message == "deployment.apps/web restarted", timeout=15)
        await _settled(lambda: len(kubectl_json(kubeconfig, "-n", namespace, "get", "rs")["items"]) == 2)

        # ctrl-l: the rollout panel lists both revisions, the current first; j and ctrl-l roll back to the first
        burst(app, "ctrl+l")
        await until(pilot, lambda: isinstance(screen.view, RolloutView), timeout=10)
        view = screen.view
        assert isinstance(view, RolloutView)
        await until(pilot, lambda: len(view.revisions) == 2, timeout=30)
        assert sorted((r.revision for r in view.revisions.values()), reverse=True) == [2, 1]
        burst(app, "j", "ctrl+l", *CONFIRM)
        await until(pilot, lambda: "rolled back to revision 1" in screen.flash_line.message, timeout=15)

        def template_annotations() -> dict[str, str]:
            deploy = kubectl_json(kubeconfig, "-n", namespace, "get", "deploy", "web")
            return dict(deploy["spec"]["template"]["metadata"].get("annotations") or {})

        await _settled(lambda: "kubectl.kubernetes.io/restartedAt" not in template_annotations())
        await _settled(
            lambda: (
                kubectl(
                    kubeconfig,
                    "-n",
                    namespace,
                    "get",
                    "deploy",
                    "web",
                    "-o",
                    "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}",
                )
                == "3"
            )
        )

        # t on a CronJob: a Job from its template, named as k9s names it
        await command(pilot, f"cj {namespace}")
        await until(pilot, lambda: isinstance(screen.view, TableView) and table(screen).row_count == 1, timeout=30)
        burst(app, "t", *CONFIRM)
        await until(pilot, lambda: screen.flash_line.message.startswith("job.batch/tick-manual-"), timeout=15)
        job = screen.flash_line.message.split("/", 1)[1].split()[0]
        assert job in kubectl(kubeconfig, "-n", namespace, "get", "jobs", "-o", "name")

        # ctrl-k on a pod: gone at once, and its ReplicaSet makes another
        def live_pods() -> set[str]:
            pods = kubectl_json(kubeconfig, "-n", namespace, "get", "pods")["items"]
            return {
                p["metadata"]["name"]
                for p in pods
                if p["metadata"]["name"].startswith("web-") and not p["metadata"].get("deletionTimestamp")
            }

        def rolled_out() -> bool:  # what `kubectl rollout status` waits for: no pod of an older revision left
            deploy = kubectl_json(kubeconfig, "-n", namespace, "get", "deploy", "web")
            status = deploy.get("status", {})
            return status.get("observedGeneration", 0) >= deploy["metadata"]["generation"] and (
                status.get("replicas") == status.get("updatedReplicas") == status.get("availableReplicas") == 3
            )

        # The rollback's rollout over first: a pod of the old revision picked now could be deleted by the rollout
        # before the filtered view lists it.
        await _settled(lambda: rolled_out() and len(live_pods()) == 3)
        victim = sorted(live_pods())[0]
        await command(pilot, f"po {namespace} /{victim}")
        await until(pilot, lambda: isinstance(screen.view, TableView) and table(screen).row_count == 1, timeout=30)
        burst(app, "ctrl+k", *CONFIRM)
        await until(pilot, lambda: screen.flash_line.message == f"pod/{victim} killed", timeout=15)
        await until(pilot, lambda: table(screen).row_count == 0, timeout=30)
        await _settled(lambda: len(live_pods()) == 3 and victim not in live_pods())


@pytest.mark.skipif(not HAS_TMUX, reason="tmux is not installed")
def test_k9py_kubeconfig_in_a_terminal(served_kubeconfig: Path) -> None:
    """`k9py --kubeconfig PATH -c ns` as typed in a shell: the served cluster's namespaces at 80x24, the header
    naming its version; `:ctx` lists its context; q quits with status 0 and leaves the terminal usable. A
    kubeconfig that is not there is refused before the screen is taken."""
    terminal = Terminal(["--kubeconfig", str(served_kubeconfig), "-c", "ns"], size=(80, 24))
    try:
        screen = terminal.wait_for(lambda s: "v1.36.2+k9py" in s and "kube-system" in s, timeout=30)
        assert "namespaces[" in screen
        terminal.command("ctx")
        terminal.wait_for(lambda s: "contexts" in s and "(*)" in s and "AUTHINFO" in s)
        terminal.command("q")
        assert terminal.wait_for(lambda s: EXITED in s, timeout=15)
        assert terminal.exited() == (0, "icanon echo")
    finally:
        terminal.close()
    missing = subprocess.run(
        [sys.executable, "-m", "k9py.cli", "--kubeconfig", "/nonexistent/kubeconfig"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "no kubeconfig at /nonexistent/kubeconfig" in missing.stderr


@needs_kubectl
async def test_the_policy_view_shows_what_the_server_lets_a_user_do(kubeconfig: Path, namespace: str) -> None:
    """`:policy USER` on a real cluster: the server's own SelfSubjectRulesReview, asked as the user."""
    kubectl(kubeconfig, "-n", namespace, "create", "role", "pod-reader", "--verb=get,list", "--resource=pods")
    kubectl(kubeconfig, "-n", namespace, "create", "rolebinding", "alice", "--role=pod-reader", "--user=k9py-alice")
    app = K9App(KubeBackend(KubeClient(str(kubeconfig))), [], command=f"po {namespace}")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.main is not None and isinstance(app.main.view, TableView), timeout=15)
        screen = app.main
        assert screen is not None
        await command(pilot, "policy k9py-alice")  # in the current namespace, as `kubectl auth can-i --list -n`

        def pods_row() -> list[str]:
            line = next((s for s in screen_lines(app) if s.strip("│ ").startswith("pods ")), "")
            return line.strip("│ ").split()

        await until(pilot, lambda: "/version" in "\n".join(screen_lines(app)), timeout=15)  # the review's answer
        await pilot.press("slash", *"pods", "enter")  # below the fold at 80x24: filter it in
        await until(pilot, lambda: bool(pods_row()), timeout=5)
        assert pods_row()[:5] == ["pods", "core", "\u2713", "\u2713", "\u00d7"]  # get, list: yes; watch: no


async def test_log_ranges_are_asked_of_the_server(served_kubeconfig: Path) -> None:
    """The log of a container still being pulled shows the server's reason, then its lines once it starts (asked
    again, where `kubectl logs -f` would have given up); 2-6 ask the API server for the last minutes
    (sinceSeconds), not filter a tail locally."""
    namespace = f"k9py-kb-{uuid.uuid4().hex[:6]}"
    kubectl(served_kubeconfig, "create", "namespace", namespace)
    kubectl(
        served_kubeconfig,
        "-n",
        namespace,
        "run",
        "ticker",
        "--image=busybox",
        "--annotations=sim.k9py.io/pull-seconds=4",
        "--",
        "sh",
        "-c",
        "while true; do echo tick; sleep 1; done",
    )
    backend = KubeBackend(KubeClient(str(served_kubeconfig)))
    app = K9App(backend, [], command=f"po {namespace}")
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.main is not None and isinstance(app.main.view, TableView), timeout=15)
            screen = app.main
            assert screen is not None
            await until(pilot, lambda: "ContainerCreating" in "\n".join(screen_lines(app)), timeout=30)
            await pilot.press("l")
            waiting = 'container "ticker" in pod "ticker" is waiting to start: ContainerCreating'
            await until(pilot, lambda: waiting in "\n".join(screen_lines(app)), timeout=15)
            await until(pilot, lambda: shows_a_tick(screen_lines(app)), timeout=20)
            assert waiting not in "\n".join(screen_lines(app))
            assert {key[4] for key in backend._logs} == {0}  # the tail first (tailLines)
            await pilot.press("2")
            await until(pilot, lambda: 60 in {key[4] for key in backend._logs}, timeout=5)
            await until(pilot, lambda: shows_a_tick(screen_lines(app)), timeout=15)
            assert "[1m]" in screen.view_title
    finally:
        kubectl(served_kubeconfig, "delete", "namespace", namespace, "--wait=false")


async def test_autoscale_posts_the_hpa_kubectl_autoscale_makes(kubeconfig: Path, namespace: str) -> None:
    backend = KubeBackend(KubeClient(str(kubeconfig)))
    await backend.start()
    try:
        deployments = backend.resolve("deploy")
        said = await backend.autoscale(deployments, "web", namespace, 5, 2, 60)
        assert said == "horizontalpodautoscaler.autoscaling/web autoscaled"
        hpa = kubectl_json(kubeconfig, "-n", namespace, "get", "hpa.v2.autoscaling", "web")
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 5)
        assert hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 60
        assert backend.hpa_history(hpa) is None
    finally:
        await backend.stop()
