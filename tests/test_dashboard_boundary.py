"""The dashboard reaches the engine only through its public surface.

k9py drives a cluster through the `Backend` protocol; `EngineBackend` adapts the embedded one through `Cluster`'s
public API, never through its store, kubelets or controllers, so that the same dashboard can drive a real cluster
(`KubeBackend`) and the engine can change inside without breaking it. Besides `Cluster`, k9py may use the engine's
pure helpers over plain dicts (printers, selectors, quantities, the manifest loader): each name is listed here.
"""

from __future__ import annotations

import ast
import pathlib

from engine.cluster import Cluster

ROOT = pathlib.Path(__file__).resolve().parent.parent
K9PY = ROOT / "k9py"

# module -> the names k9py may import from it ("*": the module itself, `import engine.x`).
ALLOWED: dict[str, set[str]] = {
    "engine": {"ApiError", "Cluster", "tune_gc"},
    "engine.cluster": {"Cluster"},
    # what the dashboard needs to know about kinds: names, printers' columns, health
    "engine.kinds": {"REGISTRY", "KindInfo"},
    # printers: plain functions over object dicts (a real cluster's objects too)
    "engine.printers": {"pod_status"},
    "engine.printers.duration": {"age", "human_duration"},
    "engine.printers_registry": {"columns_for", "row_for", "describe_object"},
    "engine.selectors": {"parse_label_selector", "selector_to_string"},
    "engine.quantity": {"Quantity", "parse_quantity", "cpu_millis", "bytes_value"},  # quantities as numbers (metrics)
    "engine.timeutil": {"parse_go_duration"},
    "engine.metrics.api": {"millicores"},
    # records and errors the public API hands out
    "engine.drain": {"DrainError"},
    "engine.kubelet.container_config": {"ContainerView"},
    "engine.kubelet.logs": {"format_lines", "no_log_reason"},
    "engine.network.trace": {"Trace"},
    "engine.controllers.horizontal_history": {"ScaleHistory"},  # Cluster.hpa_history's record
    "engine.autoscale": {"autoscaler_for"},  # the HPA `kubectl autoscale` makes (KubeBackend posts it)
    "engine.rbac.rules": {"breakdown"},
    # watched folders (`Cluster.watch_folder`'s sources) and `k9py check`
    "engine.manifests.diff": {"format_diff", "parse_path", "FieldDiff", "diff"},
    "engine.manifests.loader": {"LoadError", "shown_path", "Document", "list_files", "load_file", "placed_error"},
    "engine.manifests.source": {"PRUNE_QUIET_SECONDS", "ManifestSource", "SyncRecord", "SELF_HEAL_DELAY",
                                "object_key", "apply_changes", "drift_relevant", "live_changes", "owned_as_applied"},
    "engine.manifests.writeback": {"WriteBackError", "WriteResult", "write_back"},
    # a real cluster's folders (kube_folder): its dry-run apply compared as the engine's own, the HPA rule
    "engine.manifests.drift": {"applied_fields", "predicted_drift"},
    "engine.manifests.hpa_owned": {"scaled_by", "with_live_replicas", "without_replicas"},
    "engine.check": {"Report", "run_check"},
    # `k9py serve` and `--serve`
    "engine.apiserver": {"ApiServer", "bind_socket", "GIT_VERSION"},
}


def _cluster_public() -> set[str]:
    """`Cluster`'s public API: the methods and properties of its class. Attributes set in `__init__` (the store,
    the API, the controllers, the kubelets) are its insides, not part of it."""
    return {name for name in dir(Cluster) if not name.startswith("_")}


def _is_cluster(node: ast.expr) -> bool:
    """`cluster`, `self.cluster`, `backend.cluster`: an expression naming a Cluster by the names k9py gives it."""
    return (isinstance(node, ast.Name) and node.id == "cluster") or (
        isinstance(node, ast.Attribute) and node.attr == "cluster"
    )


def offences(source: str, where: str) -> list[str]:
    found = []
    public = _cluster_public()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                f"{where}: import {a.name}"
                for a in node.names
                if a.name.split(".")[0] == "engine" and "*" not in ALLOWED.get(a.name, set())
            ]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "engine":
                continue
            allowed = ALLOWED.get(node.module, set())
            found += [f"{where}: from {node.module} import {a.name}" for a in node.names if a.name not in allowed]
        elif isinstance(node, ast.Attribute) and _is_cluster(node.value) and node.attr not in public:
            found.append(f"{where}:{node.lineno}: cluster.{node.attr}")
    return found


def test_k9py_uses_only_the_engines_public_surface():
    found = []
    for path in sorted(K9PY.rglob("*.py")):
        found += offences(path.read_text(), str(path.relative_to(ROOT)))
    assert found == [], "k9py reaches into the engine's insides:\n" + "\n".join(found)


def test_the_check_catches_a_reach_into_the_store_and_an_internal_import():
    bad = (
        "from engine.store import Store\n"
        "import engine.kubelet\n"
        "from engine.printers_registry import row_for\n"
        "def f(backend):\n"
        "    backend.cluster.store.list('pods')\n"
        "    backend.cluster.shared_list('Pod')\n"
        "    cluster = backend.cluster\n"
        "    cluster.components.kubelets\n"
    )
    assert sorted(offences(bad, "x.py")) == [
        "x.py: from engine.store import Store",
        "x.py: import engine.kubelet",
        "x.py:5: cluster.store",
        "x.py:8: cluster.components",
    ]


def test_every_allowed_name_exists():
    """A name listed here that the engine no longer has would be a stale door: keep the list true."""
    import importlib

    missing = [
        f"{module}.{name}"
        for module, names in ALLOWED.items()
        for name in names
        if name != "*" and not hasattr(importlib.import_module(module), name)
    ]
    assert missing == []
