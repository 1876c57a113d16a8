"""The clusters `:ctx` offers: every context of a kubeconfig, and k9py's own simulated cluster when the session
started on it (it keeps running while another context is shown, so coming back finds it as it was left).

Rows are `kube_client.Context`, listed as k9s lists them (NAME with `(*)` on the current one, CLUSTER, AUTHINFO,
NAMESPACE). Reading a kubeconfig talks to no cluster: the view lists contexts even when none is reachable.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .kube_client import Context, contexts, kubeconfig_path

if TYPE_CHECKING:
    from .backend import Backend
    from .kube_backend import KubeBackend

SIMULATED = "simulated"  # the simulated cluster's row (`k9py serve` names its own kubeconfig context `k9py`)
SIMULATED_CLUSTER = "k9py (simulated)"


def simulated_context(current: bool) -> Context:
    return Context(name=SIMULATED, cluster=SIMULATED_CLUSTER, user="", namespace="", current=current)


def kubeconfig_contexts(path: str | None, current: str | None) -> list[Context]:
    """The kubeconfig's contexts, `current` marked (None: none of them is in use; "": the file's current-context).
    An unreadable or missing kubeconfig lists nothing rather than failing the view."""
    if path is None or not Path(path).is_file():
        return []
    try:
        found = contexts(path)
    except Exception:  # a malformed kubeconfig: its loader raises assorted types; list nothing
        return []
    if current is None:
        return [Context(c.name, c.cluster, c.user, c.namespace, False) for c in found]
    if current == "":
        return found
    return [Context(c.name, c.cluster, c.user, c.namespace, c.name == current) for c in found]


def default_kubeconfig() -> str | None:
    """The kubeconfig kubectl would read ($KUBECONFIG, else ~/.kube/config), if there is one."""
    path = kubeconfig_path(None)
    return path if Path(path).is_file() else None


def kube_backend(
    kubeconfig: str,
    context: str,
    *,
    home: Backend | None,
    as_user: str | None = None,
    as_groups: tuple[str, ...] = (),
) -> KubeBackend:
    """A backend (not started) on a kubeconfig context; `home` is the simulated cluster to offer a way back to."""
    from .kube_backend import KubeBackend
    from .kube_client import KubeClient

    return KubeBackend(KubeClient(kubeconfig, context, as_user=as_user, as_groups=as_groups), home=home)
