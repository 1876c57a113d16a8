"""A watched folder on a real API server (`k9py --kubeconfig PATH DIR`), on the kit and on `k9py serve`, at 80x24:
applied by server-side apply under an ApplySet (the parent ConfigMap, members labelled), its sync and health in
:src from the live objects, a broken file reported at file:line and pruning nothing, the first prune shown with
what a dry-run delete says and done only after the dialog's OK, and an object the folder did not make left alone.
`k9py check DIR --kubeconfig` validates by server-side dry run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_kube_servers import ROOT, kubeconfig, kubectl, kubectl_json, served_kubeconfig  # noqa: F401 - the fixtures
from tui_support import EXITED, HAS_TMUX, Terminal, burst, screen_lines, until

from engine import Cluster
from engine.manifests.diff import format_diff
from engine.manifests.source import SELF_HEAL_DELAY
from engine.manifests.writeback import WriteBackError
from k9py.app import K9App
from k9py.backend import EngineBackend
from k9py.kube_backend import KubeBackend
from k9py.kube_client import KubeClient, KubeError
from k9py.kube_folder import PART_OF, KubeFolder, applyset_id
from k9py.views.sources import SourcesView

CONFIRM = ("left", "enter")


def _manifests(namespace: str, *, replicas: str = "2", extra: bool = True) -> str:
    docs = [
        f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n",
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {namespace}\nspec:\n"
        f"  replicas: {replicas}\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n"
        "      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n",
    ]
    if extra:
        docs.append(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: {namespace}\ndata:\n  a: b\n"
        )
    return "---\n".join(docs)


@pytest.fixture
def folder(kubeconfig: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:  # noqa: F811 - the fixture above
    namespace = f"k9py-kb-{uuid.uuid4().hex[:6]}"
    root = tmp_path / namespace
    root.mkdir()
    (root / "app.yaml").write_text(_manifests(namespace))
    try:
        yield root, namespace
    finally:
        kubectl(kubeconfig, "delete", "namespace", namespace, "--wait=false")
        kubectl(kubeconfig, "-n", "default", "delete", "configmap", f"k9py-{namespace}", "--ignore-not-found")


def _text(app: K9App) -> str:
    return "\n".join(screen_lines(app))


async def test_a_folder_applied_under_an_applyset_synced_broken_and_pruned_after_confirmation(
    kubeconfig: Path,  # noqa: F811 - the fixture
    folder: tuple[Path, str],
) -> None:
    root, namespace = folder
    app = K9App(KubeBackend(KubeClient(str(kubeconfig))), [root], command="src")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.main is not None and isinstance(app.main.view, SourcesView), timeout=30)
        screen = app.main
        assert screen is not None
        view = screen.view
        assert isinstance(view, SourcesView)
        await until(pilot, lambda: len(view.rows) == 3, timeout=15)
        assert {r.name: r.sync for r in view.rows.values()} == {namespace: "Synced", "web": "Synced", "extra": "Synced"}
        await until(pilot, lambda: all(r.health in ("Healthy", "Progressing") for r in view.rows.values()))
        # the ApplySet: its parent, and each member labelled with its id
        parent = json.loads(kubectl(kubeconfig, "-n", "default", "get", "configmap", f"k9py-{namespace}", "-o", "json"))
        set_id = applyset_id(f"k9py-{namespace}", "default")
        assert parent["metadata"]["labels"]["applyset.kubernetes.io/id"] == set_id
        assert (
            parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"]
            == "ConfigMap,Deployment.apps,Namespace"
        )
        assert kubectl(
            kubeconfig, "-n", namespace, "get", "deploy,cm", "-l", f"{PART_OF}={set_id}", "-o", "name"
        ).split() == ["deployment.apps/web", "configmap/extra"]
        managers = json.loads(
            kubectl(kubeconfig, "-n", namespace, "get", "deploy", "web", "-o", "json", "--show-managed-fields")
        )
        assert any(m["manager"] == "k9py" and m["operation"] == "Apply" for m in managers["metadata"]["managedFields"])
        # drift: a kubectl scale shows as OutOfSync once the live objects are read again
        kubectl(kubeconfig, "-n", namespace, "scale", "deploy", "web", "--replicas=4")
        await until(pilot, lambda: {r.name: r.sync for r in view.rows.values()}["web"] == "OutOfSync", timeout=15)
        # a broken file: its error at file:line, in :src, and nothing pruned though it declares nothing now
        kubectl(kubeconfig, "-n", namespace, "create", "configmap", "theirs")
        (root / "app.yaml").write_text(_manifests(namespace, replicas="[4", extra=False))
        await until(pilot, lambda: screen.flash_line.message.startswith("manifest error: app.yaml:"), timeout=15)
        await until(pilot, lambda: any(r.is_error for r in view.rows.values()))
        assert "configmap/extra" in kubectl(kubeconfig, "-n", namespace, "get", "cm", "-o", "name")
        # fixed, without the ConfigMap: after the quiet period the first prune asks, naming it
        (root / "app.yaml").write_text(_manifests(namespace, extra=False))
        await until(pilot, lambda: app.screen is not screen, timeout=20)
        await until(pilot, lambda: "configmap/extra in " in _text(app) and "would be deleted" in _text(app))
        assert "configmap/extra" in kubectl(kubeconfig, "-n", namespace, "get", "cm", "-o", "name")
        burst(app, *CONFIRM)
        await until(pilot, lambda: screen.flash_line.message.endswith(": 1 pruned"), timeout=15)
        names = kubectl(kubeconfig, "-n", namespace, "get", "cm", "-o", "name").split()
        assert "configmap/extra" not in names and "configmap/theirs" in names  # only what the folder made
        await until(pilot, lambda: {r.name for r in view.rows.values()} == {namespace, "web"}, timeout=10)
        # the header: the folder, synced again (the re-applied file declares 2 replicas)
        await until(pilot, lambda: "Synced" in _text(app), timeout=15)


def test_check_kubeconfig_validates_by_server_dry_run(kubeconfig: Path, folder: tuple[Path, str]) -> None:  # noqa: F811
    root, namespace = folder
    (root / "bad.yaml").write_text(
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\n  namespace: {namespace}\nspec:\n"
        "  replicas: many\n  selector:\n    matchLabels: {app: bad}\n  template:\n    metadata:\n"
        "      labels: {app: bad}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "k9py.cli", "check", str(root), "--kubeconfig", str(kubeconfig)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"{root}/bad.yaml:7:" in run.stdout and "replicas" in run.stdout
    assert "(server-side dry run: nothing was changed)" in run.stdout
    assert "not found" in kubectl(kubeconfig, "get", "namespace", namespace)  # the dry run created nothing


def test_self_heal_on_a_real_cluster_must_name_its_context(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from k9py.cli import main

    config = tmp_path / "kubeconfig"
    config.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "prod",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": n, "context": {"cluster": "c", "user": "u"}} for n in ("prod", "dev")],
            }
        )
    )
    for argv, said in (
        (["--self-heal"], "on a real cluster --self-heal must name the context it may change: --self-heal=prod"),
        (["--self-heal=dev"], "--self-heal=dev names another context than the one in use (prod)"),
        (["--context", "dev", "--self-heal=prod"], "--self-heal=prod names another context than the one in use (dev)"),
    ):
        with pytest.raises(SystemExit) as exited:
            main(["--kubeconfig", str(config), *argv, str(tmp_path)])
        assert exited.value.code == 2 and said in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--self-heal=prod", str(tmp_path)])  # the simulated cluster takes a bare --self-heal
    assert "--self-heal=CONTEXT names a real cluster's context" in capsys.readouterr().err


# --- sync by server-side diff, and write-back (`w`) --------------------------------------------------------------

WEB = """\
# The shop's web tier: k9py applies this file.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {namespace}
  labels:
    tier: front   # who serves the pages
spec:
  replicas: 2  # two to start with
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: "nginx:1.25"   # pinned
        resources:
          requests: {{cpu: "0.5"}}
"""
SETTINGS = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {{name: first, namespace: {namespace}}}
  data: {{a: "1"}}
# the second one is edited by hand on the cluster
- apiVersion: v1
  kind: ConfigMap
  metadata: {{name: second, namespace: {namespace}}}
  data: {{a: "1"}}
"""


@pytest.fixture
def shop(kubeconfig: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:  # noqa: F811 - the fixture above
    """A folder of a Namespace, a commented Deployment and a `kind: List` of two ConfigMaps, in a namespace of its
    own (deleted at the end, with the ApplySet's parent)."""
    namespace = f"k9py-kb-{uuid.uuid4().hex[:6]}"
    root = tmp_path / namespace
    root.mkdir()
    (root / "ns.yaml").write_text(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n")
    (root / "web.yaml").write_text(WEB.format(namespace=namespace))
    (root / "settings.yaml").write_text(SETTINGS.format(namespace=namespace))
    try:
        yield root, namespace
    finally:
        kubectl(kubeconfig, "delete", "namespace", namespace, "--wait=false")
        kubectl(kubeconfig, "-n", "default", "delete", "configmap", f"k9py-{namespace}", "--ignore-not-found")


class _DryRuns:
    """Counts the dry-run applies a folder makes, and all its requests."""

    def __init__(self, client: KubeClient) -> None:
        self.count = 0
        self.requests = 0
        request = client.request

        async def counted(method: str, path: str, query: dict[str, Any] | None = None, **kw: Any) -> Any:
            self.requests += 1
            if method == "PATCH" and (query or {}).get("dryRun") == "All":
                self.count += 1
            return await request(method, path, query, **kw)

        client.request = counted  # type: ignore[method-assign]


async def test_sync_status_is_a_server_side_diff_made_only_when_something_changed(
    kubeconfig: Path,  # noqa: F811 - the fixture
    shop: tuple[Path, str],
) -> None:
    """Sync status as Argo CD's server-side diff decides it (argoproj/gitops-engine pkg/diff/diff.go:
    ServerSideDiff, a `dryRun=All` apply of the document compared with the live object): a label another
    manager adds is no drift, a scale is, and so is a field another manager took from k9py even at the declared
    value (structured-merge-diff's ownership: kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/endpoints/
    handlers/fieldmanager); once an HPA targets the Deployment (pkg/controller/podautoscaler/horizontal.go owns
    spec.replicas through the scale subresource) its replicas are not drift. A dry run is made only for an
    object whose live state (but its status) changed since the last one, and none while k9py still owns its
    fields as it applied them; the live objects are read by one labelled list per kind and namespace."""
    root, namespace = shop
    client = KubeClient(str(kubeconfig))
    await client.open()
    try:
        folder = KubeFolder(client, root)
        dry_runs = _DryRuns(client)
        result = await folder.sync()
        assert not result.errors and len(result.applied) == 4
        web = ("Deployment", namespace, "web")
        assert {folder.status(k) for k in folder.declared} == {"Synced"}
        for _ in range(3):  # the controllers write the Deployment's status meanwhile: no dry run for that
            await folder.refresh()
        assert dry_runs.count == 0 and folder.status(web) == "Synced"
        before = dry_runs.requests
        await folder.refresh()  # one labelled list per kind and namespace, not a GET per object
        assert dry_runs.requests - before == 3  # Namespaces; Deployments and ConfigMaps in the namespace

        kubectl(kubeconfig, "-n", namespace, "label", "deploy", "web", "team=shop")  # not declared: not drift
        await folder.refresh()
        assert dry_runs.count == 0 and folder.status(web) == "Synced"

        kubectl(kubeconfig, "-n", namespace, "scale", "deploy", "web", "--replicas=4")
        await folder.refresh()
        # One dry run, another when a controller wrote the Deployment between the list and the dry run.
        made = dry_runs.count
        assert made >= 1 and folder.status(web) == "OutOfSync"
        assert format_diff(folder.drift(web)) == (
            'spec.replicas: 2 → 4 (live, managed by "kubectl" with subresource "scale" using apps/v1)'
        )
        await folder.refresh()
        assert dry_runs.count == made  # nothing changed since (but the status): the last answer stands

        kubectl(kubeconfig, "-n", namespace, "scale", "deploy", "web", "--replicas=2")  # the declared value, but…
        await folder.refresh()
        assert folder.status(web) == "OutOfSync"  # …kubectl owns it now: dropping it from the file would not work
        assert format_diff(folder.drift(web)) == (
            'spec.replicas: 2 → 2 (live, managed by "kubectl" with subresource "scale" using apps/v1)'
        )

        kubectl(kubeconfig, "-n", namespace, "autoscale", "deploy", "web", "--min=1", "--max=10")
        kubectl(kubeconfig, "-n", namespace, "scale", "deploy", "web", "--replicas=5")  # as the HPA would
        await folder.refresh()
        assert folder.status(web) == "Synced" and folder.drift(web) == []
        # a save: the document's replicas are the initial size only, the HPA's count is applied
        (root / "web.yaml").write_text(WEB.format(namespace=namespace).replace("nginx:1.25", "nginx:1.26"))
        await folder.sync()
        live = kubectl_json(kubeconfig, "-n", namespace, "get", "deploy", "web")
        assert live["spec"]["replicas"] == 5
        assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"
        kubectl(kubeconfig, "-n", namespace, "delete", "hpa", "web")
        await folder.refresh()
        assert folder.status(web) == "OutOfSync" and folder.drift(web)[0].path == "spec.replicas"
    finally:
        await client.close()


async def test_write_back_applies_an_unseen_save_first_and_refuses_what_is_gone(
    kubeconfig: Path,  # noqa: F811 - the fixture
    shop: tuple[Path, str],
) -> None:
    """`w` without the dashboard: a save the watcher has not applied yet is applied before anything is written
    (the user's latest word; a save of another file leaves the drift to write back, as on the simulated cluster),
    the write keeps it, and an object that is gone is refused in words."""
    root, namespace = shop
    client = KubeClient(str(kubeconfig))
    await client.open()
    try:
        folder = KubeFolder(client, root)
        await folder.sync()
        web = ("Deployment", namespace, "web")
        kubectl(kubeconfig, "-n", namespace, "scale", "deploy", "web", "--replicas=3")
        saved = SETTINGS.format(namespace=namespace).replace('data: {a: "1"}', 'data: {a: "2"}')
        (root / "settings.yaml").write_text(saved)  # not applied yet
        result = await folder.write_back(web)
        assert result is not None and result.fields == ("spec.replicas",)
        written = WEB.format(namespace=namespace).replace("replicas: 2  #", "replicas: 3  #")
        assert (root / "web.yaml").read_text() == written
        assert (root / "settings.yaml").read_text() == saved
        assert kubectl(kubeconfig, "-n", namespace, "get", "cm", "first", "-o", "jsonpath={.data.a}") == "2"
        assert kubectl_json(kubeconfig, "-n", namespace, "get", "deploy", "web")["spec"]["replicas"] == 3
        assert folder.status(web) == "Synced" and not folder.changed()  # its own write is no save to apply
        assert await folder.write_back(web) is None  # nothing drifted: nothing to write

        kubectl(kubeconfig, "-n", namespace, "delete", "deploy", "web")
        with pytest.raises(WriteBackError) as refused:
            await folder.write_back(web)
        assert str(refused.value) == "Deployment web no longer exists in the cluster: nothing to write back"
        assert (root / "web.yaml").read_text() == written
    finally:
        await client.close()


class _Shown:
    """The sources view on screen now (going back from the drift view shows a new one)."""

    def __init__(self, app: K9App) -> None:
        self.app = app

    @property
    def rows(self) -> dict[str, Any]:
        return self.view.rows

    @property
    def table(self) -> Any:
        return self.view.table

    @property
    def view(self) -> SourcesView:
        assert self.app.main is not None and isinstance(self.app.main.view, SourcesView)
        return self.app.main.view


def _sync_of(view: _Shown) -> dict[str, str]:
    return {r.name: r.sync for r in view.rows.values() if not r.is_error}


async def _select(pilot: Any, app: K9App, view: _Shown, name: str) -> None:
    """The cursor onto `name`'s row, by arrow keys sent in one burst."""
    keys = [k for k, r in view.rows.items() if r.name == name]
    target = view.table.index_of(keys[0]) or 0
    moves = target - view.table.cursor_row
    burst(app, *(["down"] * moves if moves > 0 else ["up"] * -moves))
    await until(pilot, lambda: view.table.cursor_row == target)


async def test_drift_and_write_back_in_src_on_a_real_cluster(
    kubeconfig: Path,  # noqa: F811 - the fixture
    shop: tuple[Path, str],
) -> None:
    """:src at 80x24: `d` shows the server-side drift in the simulated backend's shape, with its managers; `w`
    writes the live replicas and image into the commented file (a label another manager added is not the file's,
    and stays out), applies it so the row is Synced and k9py owns the fields again; in a `kind: List` the right
    item is written; `w` again has nothing to write, and an object deleted meanwhile is refused in words."""
    root, namespace = shop
    app = K9App(KubeBackend(KubeClient(str(kubeconfig))), [root], command="src")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.main is not None and isinstance(app.main.view, SourcesView), timeout=30)
        screen = app.main
        assert screen is not None
        view = _Shown(app)
        await until(pilot, lambda: len(_sync_of(view)) == 4, timeout=15)
        assert set(_sync_of(view).values()) == {"Synced"}

        kubectl(kubeconfig, "-n", namespace, "scale", "deploy", "web", "--replicas=3")
        kubectl(kubeconfig, "-n", namespace, "set", "image", "deploy/web", "web=nginx:1.27")
        kubectl(kubeconfig, "-n", namespace, "label", "deploy", "web", "team=shop")
        await until(pilot, lambda: _sync_of(view)["web"] == "OutOfSync", timeout=15)
        await _select(pilot, app, view, "web")
        burst(app, "d")
        await until(pilot, lambda: screen.view_name == "drift")
        await until(pilot, lambda: "Drift (declared → live):" in _text(app))
        assert screen.view.content.splitlines()[1:3] == [  # type: ignore[attr-defined]
            '  spec.replicas: 2 → 3 (live, managed by "kubectl" with subresource "scale" using apps/v1)',
            '  spec.template.spec.containers[name=web].image: "nginx:1.25" → "nginx:1.27" (live, managed by '
            '"kubectl-set" using apps/v1)',
        ]
        burst(app, "escape")
        await until(pilot, lambda: screen.view_name == "sources")  # a new view of the sources

        await _select(pilot, app, view, "web")
        burst(app, "w")
        await until(pilot, lambda: "Write the live replicas and images of deployment" in _text(app))
        burst(app, *CONFIRM)
        await until(pilot, lambda: screen.flash_line.message.startswith("wrote"), timeout=15)
        assert screen.flash_line.message == "wrote replicas/image back to web.yaml"
        assert (root / "web.yaml").read_text() == WEB.format(namespace=namespace).replace(
            "replicas: 2  #", "replicas: 3  #"
        ).replace('"nginx:1.25"', '"nginx:1.27"')
        await until(pilot, lambda: _sync_of(view)["web"] == "Synced", timeout=10)
        live = json.loads(
            kubectl(kubeconfig, "-n", namespace, "get", "deploy", "web", "-o", "json", "--show-managed-fields")
        )
        assert live["metadata"]["labels"]["team"] == "shop"  # still live, never in the file
        mine = next(m for m in live["metadata"]["managedFields"] if m["manager"] == "k9py")
        assert "f:replicas" in mine["fieldsV1"]["f:spec"]

        kubectl(kubeconfig, "-n", namespace, "patch", "cm", "second", "--type=merge", "-p", '{"data":{"a":"9"}}')
        await until(pilot, lambda: _sync_of(view)["second"] == "OutOfSync", timeout=15)
        await _select(pilot, app, view, "second")
        burst(app, "w")
        await until(pilot, lambda: "Write the live values of configmap" in _text(app))
        burst(app, *CONFIRM)
        await until(pilot, lambda: screen.flash_line.message == "wrote a back to settings.yaml", timeout=15)
        settings = SETTINGS.format(namespace=namespace)
        cut = settings.index("# the second")
        assert (root / "settings.yaml").read_text() == settings[:cut] + settings[cut:].replace('"1"', '"9"')
        await until(pilot, lambda: _sync_of(view)["second"] == "Synced", timeout=10)

        await _select(pilot, app, view, "web")
        burst(app, "w")
        await until(pilot, lambda: screen.flash_line.message.startswith("nothing to write back"), timeout=10)
        assert screen.flash_line.message == "nothing to write back: deployment/web's live values match its manifest"

        kubectl(kubeconfig, "-n", namespace, "delete", "deploy", "web")
        await until(pilot, lambda: next(r for r in view.rows.values() if r.name == "web").health == "Missing", 15)
        burst(app, "w")
        await until(pilot, lambda: "no longer exists" in screen.flash_line.message, timeout=10)
        assert screen.flash_line.message == "Deployment web no longer exists in the cluster: nothing to write back"
        assert screen.flash_line.level == "error"


def _syncs(screen: str) -> list[str]:
    """The SYNC column of the sources table's rows on a terminal's screen."""
    return [word for line in screen.splitlines() if ".yaml:" in line for word in line.split() if "Sync" in word]


@pytest.mark.skipif(not HAS_TMUX, reason="tmux is not installed")
def test_write_back_in_a_terminal_on_the_kit(real_kubeconfig: Path, tmp_path: Path) -> None:
    """`k9py --kubeconfig KIT -c src DIR` in tmux at 80x24: a `kubectl scale` shows OutOfSync, `w` asks with the
    change, Left Enter writes it, and the file keeps its comments, with only the replicas' value changed."""
    namespace = f"k9py-kb-{uuid.uuid4().hex[:6]}"
    root = tmp_path / namespace
    root.mkdir()
    (root / "ns.yaml").write_text(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n")
    (root / "web.yaml").write_text(WEB.format(namespace=namespace))
    terminal = Terminal(["--kubeconfig", str(real_kubeconfig), "-c", "src", str(root)], size=(80, 24))
    try:
        terminal.wait_for(lambda s: _syncs(s) == ["Synced", "Synced"], timeout=60)
        kubectl(real_kubeconfig, "-n", namespace, "scale", "deploy", "web", "--replicas=3")
        terminal.wait_for(lambda s: _syncs(s) == ["Synced", "OutOfSync"], timeout=20)
        terminal.burst("Down", "w")  # the second row: web.yaml's Deployment
        screen = terminal.wait_for(lambda s: "Write the live replicas of deployment" in s)
        assert "spec.replicas: 2 → 3" in screen
        terminal.burst("Left", "Enter")
        terminal.wait_for(lambda s: "wrote replicas back to web.yaml" in s, timeout=20)
        assert (root / "web.yaml").read_text() == WEB.format(namespace=namespace).replace(
            "replicas: 2  # two to start with", "replicas: 3  # two to start with"
        )
        terminal.wait_for(lambda s: _syncs(s) == ["Synced", "Synced"], timeout=20)
        terminal.command("q")
        assert terminal.wait_for(lambda s: EXITED in s, timeout=15)
        assert terminal.exit_status() == 0
    finally:
        terminal.close()
        kubectl(real_kubeconfig, "delete", "namespace", namespace, "--wait=false")
        kubectl(real_kubeconfig, "-n", "default", "delete", "configmap", f"k9py-{namespace}", "--ignore-not-found")


async def test_drift_and_write_back_read_as_on_the_simulated_cluster(
    kubeconfig: Path,  # noqa: F811 - the fixture
    shop: tuple[Path, str],
    tmp_path: Path,
) -> None:
    """The dashboard's `s` and then `d` and `w`, on k9py's simulated cluster and on a real one, from copies of
    the same folder: the same drift text (the scale recorded under `k9py-dashboard`, an Update of the scale
    subresource, as kubectl's is under `kubectl`), the same words from `w`, the same file after."""
    root, namespace = shop
    key = ("Deployment", namespace, "web")
    seen: dict[str, tuple[str, str, str]] = {}
    for name, backend in (
        ("simulated", EngineBackend(Cluster(nodes=1))),
        ("real", KubeBackend(KubeClient(str(kubeconfig)))),
    ):
        copy = tmp_path / name / namespace
        shutil.copytree(root, copy)
        await backend.start()
        try:
            assert await backend.load([copy]) == []
            await backend.scale(backend.resolve("deploy"), "web", namespace, 3)
            if isinstance(backend, KubeBackend):
                await backend.sources[0].refresh()  # the watcher's next look at the live objects
            drift = backend.source_drift(key)
            seen[name] = (drift, await backend.write_back(key), (copy / "web.yaml").read_text())
        finally:
            await backend.stop()
    assert seen["real"] == seen["simulated"]
    drift, said, text = seen["real"]
    assert drift == 'spec.replicas: 2 → 3 (live, managed by "k9py-dashboard" with subresource "scale" using apps/v1)'
    assert said == "wrote replicas back to web.yaml"
    assert text == WEB.format(namespace=namespace).replace("replicas: 2  #", "replicas: 3  #")


async def test_a_save_the_server_did_not_take_is_applied_again(tmp_path: Path) -> None:
    """A sync the API server did not answer (down, restarting) leaves the files unseen, so the watcher applies
    them again once it answers, instead of waiting for the next save."""

    class Down:
        async def request(self, *args: Any, **kwargs: Any) -> Any:
            raise KubeError("cannot reach https://127.0.0.1:6443: Connect call failed", 0)

    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n")
    folder = KubeFolder(Down(), tmp_path)  # type: ignore[arg-type]
    with pytest.raises(KubeError):
        await folder.sync()
    assert folder.changed()


async def test_self_heal_reverts_the_image_and_keeps_the_hpas_replicas(
    kubeconfig: Path,  # noqa: F811 - the fixture
    shop: tuple[Path, str],
) -> None:
    """`--self-heal=CONTEXT`: an object OutOfSync for SELF_HEAL_DELAY is applied again, which sets a `kubectl set
    image` back; the replica count an HPA's scale wrote stays (engine/manifests/hpa_owned.py: applied as the live
    count, as Argo CD's RespectIgnoreDifferences applies it)."""
    root, namespace = shop
    client = KubeClient(str(kubeconfig))
    await client.open()
    try:
        folder = KubeFolder(client, root, self_heal=True)
        await folder.sync()
        web = ("Deployment", namespace, "web")
        kubectl(kubeconfig, "-n", namespace, "autoscale", "deploy", "web", "--min=1", "--max=10")
        kubectl(kubeconfig, "-n", namespace, "scale", "deploy", "web", "--replicas=5")
        kubectl(kubeconfig, "-n", namespace, "set", "image", "deploy/web", "web=nginx:1.27")
        assert await folder.refresh() == [] and folder.status(web) == "OutOfSync"
        assert [d.path for d in folder.drift(web)] == ["spec.template.spec.containers[name=web].image"]
        since = folder.declared[web].out_of_sync_since
        assert since is not None
        folder.declared[web].out_of_sync_since = since - SELF_HEAL_DELAY  # as if that long had passed
        assert await folder.refresh() == [web]
        live = kubectl_json(kubeconfig, "-n", namespace, "get", "deploy", "web")
        assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
        assert live["spec"]["replicas"] == 5 and folder.status(web) == "Synced"
    finally:
        await client.close()
