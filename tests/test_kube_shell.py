"""`s` on a real cluster: a shell in the container by `kubectl exec -it`, as k9s opens one, then back to the
dashboard. Against `k9py serve` (exec over WebSockets into its simulated shell): a real interactive session in tmux,
and through Pilot the shell's end said on the flash line; against the kit, whose kwok pods cannot exec: kubectl's
own words flashed.

Upstream: k9s internal/view/exec.go (runK: `--as`, `--as-group`, `--context`, `--kubeconfig`; shellCheck
`command -v bash >/dev/null && exec bash || exec sh`; bannerFmt), internal/view/pod.go (shellIn, computeShellArgs,
containerShellIn: one container, else a picker; `%s is not in a running state`); kubectl's exec
(staging/src/k8s.io/kubectl/pkg/cmd/exec/exec.go: `command terminated with exit code N` for the remote status).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_apiserver_kit import KUBECTL, needs_kubectl
from test_kube_servers import kubectl, served_kubeconfig  # noqa: F401  (a fixture)
from tui_support import HAS_TMUX, Terminal, burst, screen_lines, table, until

from k9py.app import K9App
from k9py.kube_backend import KubeBackend
from k9py.kube_client import KubeClient
from k9py.kube_shell import SHELL_CHECK, outcome, shell_argv

TWO_CONTAINERS = """
apiVersion: v1
kind: Pod
metadata: {name: duo, namespace: default}
spec:
  containers:
  - {name: web, image: nginx:1.27}
  - {name: side, image: busybox:1.36, command: [sh, -c, "sleep 100000"]}
"""


def _flash(app: K9App) -> str:
    return app.main.flash_line.message if app.main is not None else ""


async def _pods(app: K9App, pilot, rows: int) -> None:  # type: ignore[no-untyped-def]
    """The pods view with `rows` rows, the selected one Running (k9s opens no shell in a pod that is not, and
    neither does k9py: a served cluster's coredns takes a few seconds after `k9py serve` starts)."""
    await until(pilot, lambda: app.main is not None and app.main.view is not None, timeout=15)
    assert app.main is not None
    await until(pilot, lambda: table(app.main).row_count >= rows, timeout=30)  # type: ignore[arg-type]
    await until(pilot, lambda: table(app.main).cell(table(app.main).selected_state(), "STATUS") == "Running", 90)  # type: ignore[arg-type]


# --- the command -----------------------------------------------------------------------------------------------


def test_the_command_is_k9s_with_the_dashboards_context_kubeconfig_and_user() -> None:
    client = KubeClient("/home/me/.kube/config", "prod", as_user="jane", as_groups=("dev", "ops"))
    argv = shell_argv("/usr/bin/kubectl", KubeBackend(client), "shop", "web-1", "app")
    assert argv == [
        "/usr/bin/kubectl", "exec", "-it", "-n", "shop", "web-1", "-c", "app",
        "--as", "jane", "--as-group", "dev", "--as-group", "ops",
        "--context", "prod", "--kubeconfig", "/home/me/.kube/config",
        "--", "sh", "-c", SHELL_CHECK,
    ]  # fmt: skip


def test_the_flash_line_says_how_the_shell_ended_or_what_kubectl_said() -> None:
    target = "shop/web-1:app"
    assert outcome(target, 0, "Unable to use a TTY - input is not a terminal or the right kind of file\n") == (
        f"shell in {target} ended", "info")  # fmt: skip
    assert outcome(target, 3, "command terminated with exit code 3\n") == (
        f"shell in {target} ended (exit code 3)", "info")  # fmt: skip
    refused = 'pods "web-1" is forbidden: User "jane" cannot create resource "pods/exec"'
    assert outcome(target, 1, f"Unable to use a TTY\nerror: {refused}\n") == (f"shell: {refused}", "error")
    kwok = 'error executing command in container: no exec found for container "app" in pod "shop/web-1"'
    said = f"error: Internal error occurred: Internal error occurred: {kwok}\n"
    assert outcome(target, 1, said) == (f"shell: {kwok}", "error")
    assert outcome(target, 1, "") == ("shell: kubectl exited with status 1", "error")


# --- against k9py serve and the kit (Pilot) ------------------------------------------------------------------------


@needs_kubectl
async def test_s_runs_kubectls_shell_in_the_pod_and_comes_back(served_kubeconfig: Path) -> None:  # noqa: F811
    """One container: the shell opens in it at once; it ends (stdin is empty under Pilot) and the flash says so."""
    app = K9App(KubeBackend(KubeClient(str(served_kubeconfig))), [], command="po kube-system /coredns")
    async with app.run_test(size=(80, 24)) as pilot:
        await _pods(app, pilot, 2)
        assert app.main is not None
        pod = table(app.main).selected_state()
        assert pod is not None
        burst(app, "s")
        expected = f"shell in kube-system/{pod.obj['metadata']['name']}:coredns ended"
        await until(pilot, lambda: _flash(app) == expected, timeout=30)
        assert table(app.main).view_name == "pods"  # back where it was


@needs_kubectl
async def test_several_containers_are_picked_from_the_containers_view(served_kubeconfig: Path, tmp_path: Path) -> None:  # noqa: F811
    (tmp_path / "duo.yaml").write_text(TWO_CONTAINERS)
    kubectl(served_kubeconfig, "apply", "-f", str(tmp_path / "duo.yaml"))
    try:
        app = K9App(KubeBackend(KubeClient(str(served_kubeconfig))), [], command="po default /duo")
        async with app.run_test(size=(80, 24)) as pilot:
            await _pods(app, pilot, 1)
            assert app.main is not None
            await until(pilot, lambda: table(app.main).cell(table(app.main).selected_state(), "READY") == "2/2", 30)  # type: ignore[arg-type]
            burst(app, "s")
            await until(pilot, lambda: table(app.main).view_name == "containers", timeout=10)  # type: ignore[union-attr]
            assert _flash(app) == "pod duo has 2 containers: pick one, then s"
            burst(app, "j", "s")
            await until(pilot, lambda: _flash(app) == "shell in default/duo:side ended", timeout=30)
    finally:
        kubectl(served_kubeconfig, "delete", "pod", "duo", "--wait=false")


@needs_kubectl
async def test_no_shell_without_kubectl_or_under_readonly(
    served_kubeconfig: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no kubectl on it
    app = K9App(KubeBackend(KubeClient(str(served_kubeconfig))), [], command="po kube-system /coredns")
    async with app.run_test(size=(80, 24)) as pilot:
        await _pods(app, pilot, 2)
        burst(app, "s")
        await until(pilot, lambda: "kubectl is not on your PATH" in _flash(app), timeout=10)
    readonly = K9App(KubeBackend(KubeClient(str(served_kubeconfig))), [], command="po kube-system", readonly=True)
    async with readonly.run_test(size=(80, 24)) as pilot:
        await _pods(readonly, pilot, 2)
        burst(readonly, "s")
        await until(pilot, lambda: _flash(readonly).startswith("--readonly: no shell"), timeout=10)


@pytest.fixture
def kit_pod(real_kubeconfig: Path) -> Iterator[str]:
    namespace = "k9py-sh-" + os.urandom(3).hex()
    kubectl(real_kubeconfig, "create", "namespace", namespace)
    kubectl(real_kubeconfig, "-n", namespace, "run", "p", "--image=busybox")
    try:
        yield namespace
    finally:
        kubectl(real_kubeconfig, "delete", "namespace", namespace, "--wait=false")


@needs_kubectl
async def test_a_pod_that_cannot_exec_flashes_what_kubectl_says(real_kubeconfig: Path, kit_pod: str) -> None:
    """kwok's pods run nothing: the API server's error, in kubectl's words, on the flash line."""
    app = K9App(KubeBackend(KubeClient(str(real_kubeconfig))), [], command=f"po {kit_pod}")
    async with app.run_test(size=(80, 24)) as pilot:
        await _pods(app, pilot, 1)  # kwok marks it Running (slowly when the shared kit is busy with thousands of pods)
        assert app.main is not None
        burst(app, "s")
        await until(pilot, lambda: _flash(app).startswith("shell: "), timeout=30)
        screen = "\n".join(screen_lines(app))
    assert KUBECTL is not None
    direct = subprocess.run(
        [KUBECTL, "--kubeconfig", str(real_kubeconfig), "-n", kit_pod, "exec", "p", "--", "true"],
        capture_output=True,
        text=True,
    ).stderr.strip()
    # kwok's `error: Internal error occurred: Internal error occurred: error executing command in container: no exec
    # found for container "p" in pod ...` (or, while its nodes have no address, `Error from server: no preferred
    # addresses found`): the flash ends with kubectl's words and starts with the reason, not the generic wrapping
    assert "no exec found" in direct or "Error from server" in direct, direct
    flash = _flash(app)
    assert flash.endswith(direct.rpartition(": ")[2]) and "Internal error occurred" not in flash
    assert flash[:70] in screen  # on the 80-column flash line


# --- a real terminal ---------------------------------------------------------------------------------------------


@needs_kubectl
@pytest.mark.skipif(not HAS_TMUX, reason="tmux is not installed")
def test_an_interactive_shell_in_a_real_terminal(served_kubeconfig: Path) -> None:  # noqa: F811
    """`s` hands the terminal to the shell (the dashboard gone, k9s's banner, a prompt); what is typed runs in the
    container; `exit` brings the dashboard back, the flash line saying the shell ended."""
    term = Terminal(["--kubeconfig", str(served_kubeconfig), "-c", "po kube-system /coredns"], size=(80, 24))
    try:
        term.wait_for(lambda s: sum("coredns-" in line and "Running" in line for line in s.splitlines()) == 2, 60)
        pod = next(w for w in term.screen().split() if w.startswith("coredns-"))
        term.keys("s")
        term.wait_for(lambda s: "<<K9s-Shell>> Pod: kube-system/" in s and f"root@{pod}:/#" in s, timeout=30)
        assert "Running" not in term.screen()  # the dashboard has handed the terminal over
        term.type("echo $HOSTNAME")
        term.keys("Enter")
        term.wait_for(lambda s: any(line.strip() == pod for line in s.splitlines()))
        term.type("ls /")
        term.keys("Enter")
        term.wait_for(lambda s: "etc" in s and "proc" in s)
        term.type("exit")
        term.keys("Enter")
        screen = term.wait_for(lambda s: f"shell in kube-system/{pod}:coredns ended" in s, timeout=30)
        assert "<pods>" in screen and "Running" in screen  # the dashboard again, as it was
        term.command("q")  # answering keys again
        term.wait_for(lambda s: "K9PY-EXITED-WITH=" in s, timeout=30)
        assert term.exited() == (0, "icanon echo")  # the terminal left as it was found
    finally:
        term.close()


@needs_kubectl
@pytest.mark.skipif(not HAS_TMUX, reason="tmux is not installed")
def test_a_shell_into_the_cluster_this_dashboard_serves(tmp_path: Path) -> None:
    """`k9py --serve`, then `:ctx k9py` (its own API server, through its kubeconfig) and `s`: the API server runs in
    the dashboard's own loop, which must go on while the shell has the terminal (repaints held, not the loop), or
    this exec would wait forever for an answer."""
    state = tmp_path / "state"
    env = {"HOME": str(tmp_path), "K9PY_STATE_DIR": str(state), "KUBECONFIG": str(state / "kubeconfig")}
    term = Terminal(["--serve", "--port", "0", "-c", "po kube-system"], size=(80, 24), env=env)
    try:
        term.wait_for(lambda s: sum("coredns-" in line and "Running" in line for line in s.splitlines()) == 2, 60)
        term.command("ctx k9py")  # the pods of the context's namespace, all namespaces here
        term.wait_for(lambda s: "k9py v1.36" in s and "pods(all)" in s and "coredns-" in s, timeout=30)
        term.filter("coredns")
        term.keys("s")
        term.wait_for(lambda s: "<<K9s-Shell>> Pod: kube-system/coredns-" in s and ":/#" in s, timeout=30)
        term.type("exit 2")
        term.keys("Enter")
        term.wait_for(lambda s: ":coredns ended (exit code 2)" in s, timeout=30)
    finally:
        term.close()
