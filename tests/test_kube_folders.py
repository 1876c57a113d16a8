"""A watched folder on a real API server (`k9py --kubeconfig PATH DIR`), on the kit and on `k9py serve`, at 80x24:
applied by server-side apply under an ApplySet (the parent ConfigMap, members labelled), its sync and health in
:src from the live objects, a broken file reported at file:line and pruning nothing, the first prune shown with
what a dry-run delete says and done only after the dialog's OK, and an object the folder did not make left alone.
`k9py check DIR --kubeconfig` validates by server-side dry run."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_kube_servers import ROOT, kubeconfig, kubectl, served_kubeconfig  # noqa: F401 - the fixtures
from tui_support import burst, screen_lines, until

from k9py.app import K9App
from k9py.kube_backend import KubeBackend
from k9py.kube_client import KubeClient
from k9py.kube_folder import PART_OF, applyset_id
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
