"""`kubectl drain` (`k8s.io/kubectl/pkg/drain` and `pkg/cmd/drain`): cordon a node, then evict its pods.

Like kubectl this is a client of the API: it cordons through a patch, picks the pods to evict with kubectl's
filters (in its order: DaemonSet, mirror, local storage, unreplicated), refuses the whole drain when a filter
says a pod cannot go, evicts the rest and waits until each is gone. The node stays cordoned after a refusal,
as with kubectl, which cordons before it looks at the pods.

Evictions go through `engine.eviction` (the Eviction subresource's PodDisruptionBudget check): one a budget refuses
with 429 is printed as kubectl prints it and tried again every 5 s of cluster time (EvictErrorRetryDelay) until it
succeeds or the drain's timeout passes (kubectl's `--timeout`; kubectl's default, 0, waits forever).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from . import eviction, podutil
from .api import Api
from .errors import ApiError
from .timeutil import go_duration

Obj = dict[str, Any]

MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
DEFAULT_TIMEOUT = 600.0
RETRY_DELAY = 5.0  # kubectl drain's EvictErrorRetryDelay

# kubectl's filter messages (pkg/drain/filters.go).
DAEMONSET_FATAL = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
DAEMONSET_WARNING = "ignoring DaemonSet-managed Pods"
LOCAL_STORAGE_FATAL = "Pods with local storage (use --delete-emptydir-data to override)"
LOCAL_STORAGE_WARNING = "deleting Pods with local storage"
UNMANAGED_FATAL = "cannot delete Pods that declare no controller (use --force to override)"
UNMANAGED_WARNING = "deleting Pods that declare no controller"

OKAY, SKIP, WARNING, ERROR = "Okay", "Skip", "Warning", "Error"


class DrainError(ApiError):
    """The drain stopped; `output` holds what kubectl had printed by then (the node is cordoned already)."""

    def __init__(self, message: str, output: list[str]) -> None:
        super().__init__(400, "BadRequest", message)
        self.output = output


@dataclass(frozen=True)
class _Status:
    delete: bool
    reason: str
    message: str = ""


_OKAY = _Status(True, OKAY)


@dataclass
class DrainOptions:
    force: bool = False
    ignore_daemonsets: bool = True
    delete_emptydir_data: bool = False
    grace_period: int | None = None  # None: each pod's own terminationGracePeriodSeconds (kubectl's -1)
    timeout: float = DEFAULT_TIMEOUT


@dataclass
class _Plan:
    """GetPodsForDeletion's result: each pod of the node with the verdict of the last filter it reached."""

    items: list[tuple[Obj, _Status]] = field(default_factory=list)

    def pods(self) -> list[Obj]:
        return [pod for pod, status in self.items if status.delete]

    def _grouped(self, reason: str, fallback: str = "") -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for pod, status in self.items:
            if status.reason == reason:
                groups.setdefault(status.message or fallback, []).append(_key(pod))
        return groups

    def warnings(self) -> str:
        return "; ".join(f"{message}: {', '.join(pods)}" for message, pods in self._grouped(WARNING).items())

    def errors(self) -> list[str]:
        out = []
        for message, pods in self._grouped(ERROR, "unexpected error").items():
            prefix = "" if message.lower().startswith("cannot delete") else "cannot delete "
            out.append(f"{prefix}{message}: {', '.join(pods)}")
        return out


def _key(pod: Obj) -> str:
    meta = pod["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


# A finished (Succeeded/Failed) pod loses nothing by going, so the filters that protect running pods let it go.


def _daemonset_filter(api: Api, pod: Obj, options: DrainOptions) -> _Status:
    ref = podutil.controller_ref(pod)
    if ref is None or ref.get("kind") != "DaemonSet" or podutil.is_terminal(pod):
        return _OKAY
    try:
        api.get("daemonsets.apps", str(ref.get("name", "")), pod["metadata"].get("namespace"))
    except ApiError as exc:
        # An orphan of a deleted DaemonSet goes with --force, with a warning; otherwise the drain is refused.
        return _Status(exc.code == 404 and options.force, WARNING if exc.code == 404 and options.force else ERROR,
                       exc.message)
    if not options.ignore_daemonsets:
        return _Status(False, ERROR, DAEMONSET_FATAL)
    return _Status(False, WARNING, DAEMONSET_WARNING)


def _mirror_filter(_api: Api, pod: Obj, _: DrainOptions) -> _Status:
    # Static pods' API mirrors: deleting them through the API does nothing to the kubelet's pod.
    if MIRROR_ANNOTATION in (pod["metadata"].get("annotations") or {}):
        return _Status(False, SKIP)
    return _OKAY


def _local_storage_filter(_api: Api, pod: Obj, options: DrainOptions) -> _Status:
    volumes = (pod.get("spec") or {}).get("volumes") or ()
    if not any(isinstance(v, dict) and v.get("emptyDir") is not None for v in volumes) or podutil.is_terminal(pod):
        return _OKAY
    if not options.delete_emptydir_data:
        return _Status(False, ERROR, LOCAL_STORAGE_FATAL)
    return _Status(True, WARNING, LOCAL_STORAGE_WARNING)


def _unreplicated_filter(_api: Api, pod: Obj, options: DrainOptions) -> _Status:
    if podutil.is_terminal(pod) or podutil.controller_ref(pod) is not None:
        return _OKAY
    if options.force:
        return _Status(True, WARNING, UNMANAGED_WARNING)
    return _Status(False, ERROR, UNMANAGED_FATAL)


FILTERS: tuple[Callable[[Api, Obj, DrainOptions], _Status], ...] = (
    _daemonset_filter, _mirror_filter, _local_storage_filter, _unreplicated_filter)


def plan(api: Api, node: str, options: DrainOptions) -> _Plan:
    """The pods bound to `node` and what kubectl would do with each."""
    result = _Plan()
    for pod in api.list("pods", None, None, f"spec.nodeName={node}"):
        status = _OKAY
        for check in FILTERS:
            status = check(api, pod, options)
            if not status.delete:
                break  # kubectl stops at the first filter that keeps the pod; a later one's warning is lost
        result.items.append((pod, status))
    return result


def evict(api: Api, pod: Obj, grace_period: int | None) -> None:
    """POST pods/eviction: `engine.eviction.evict` (kept here for the callers that know drain's name for it)."""
    eviction.evict(api, pod, grace_period)


def cordon(api: Api, node: str, manager: str | None = None) -> str:
    """`manager`: the client's field manager (kubectl cordons and drains as `kubectl`)."""
    current = api.get("nodes", node)
    if (current.get("spec") or {}).get("unschedulable"):
        return f"node/{node} already cordoned"
    api.patch("nodes", node, None, {"spec": {"unschedulable": True}}, manager=manager)
    return f"node/{node} cordoned"




Progress = Callable[[str, str], None]


async def drain(api: Api, node: str, options: DrainOptions,
                wait: Callable[[Callable[[], bool], float], Awaitable[bool]],
                progress: Progress | None = None, manager: str | None = None) -> list[str]:
    """Cordon `node`, evict its pods and wait (through `wait(predicate, timeout)`) until they are gone.

    Returns kubectl's output lines (its stderr's retry lines among them, in the order they happen); `progress`
    hears each line as it is printed, with the refusing budget's own words for a 429 ("The disruption budget web
    needs 3 healthy pods and has 3 currently"), empty otherwise. Raises `DrainError` (carrying the lines so far)
    when a pod cannot be evicted or the timeout passes, and `ApiError` when the node does not exist.
    """
    output: list[str] = []

    def say(line: str, detail: str = "") -> None:
        output.append(line)
        if progress is not None:
            progress(line, detail)

    say(cordon(api, node, manager))
    found = plan(api, node, options)
    if errors := found.errors():
        raise DrainError(_aggregate(errors), output)
    if warnings := found.warnings():
        say(f"Warning: {warnings}")
    deadline = api.clock.now() + options.timeout
    pending: dict[str, tuple[Obj, str]] = {}

    def all_gone() -> bool:
        # waitForDelete: a pod is gone when it no longer exists or a new pod with its name has another UID.
        for key, (pod, uid) in list(pending.items()):
            meta = pod["metadata"]
            current = api.store.get("pods", meta.get("namespace", ""), meta["name"])
            if current is None or current["metadata"].get("uid") != uid:
                say(f"pod/{meta['name']} evicted")
                del pending[key]
        return not pending

    refused = found.pods()
    while refused:
        refused = _evict_round(api, refused, options, deadline, pending, say, output)
        if refused:
            # kubectl sleeps EvictErrorRetryDelay, then evicts the pod as it is then; pods go meanwhile.
            await wait(lambda: all_gone() and False, RETRY_DELAY)
            refused = [api.store.get("pods", p["metadata"].get("namespace", ""), p["metadata"]["name"]) or p
                       for p in refused]
    if not all_gone() and not await wait(all_gone, max(deadline - api.clock.now(), 0.0)):
        name = next(iter(pending.values()))[0]["metadata"]["name"]
        raise DrainError(f'error when waiting for pod "{name}" terminating: global timeout reached: '
                         f"{go_duration(options.timeout)}", output)
    say(f"node/{node} drained")
    return output


def _aggregate(errors: list[str]) -> str:
    """utilerrors.NewAggregate: one error prints as itself, several as a bracketed list."""
    return errors[0] if len(errors) == 1 else f"[{', '.join(errors)}]"


def _evict_round(api: Api, pods: list[Obj], options: DrainOptions, deadline: float,
                 pending: dict[str, tuple[Obj, str]], say: Callable[..., None], output: list[str]) -> list[Obj]:
    """One pass of evictPods' per-pod loops: the pods a budget refused (429), to try again after the delay."""
    refused: list[Obj] = []
    timed_out: list[str] = []
    for pod in pods:
        meta = pod["metadata"]
        name, namespace = meta["name"], meta.get("namespace", "")
        say(f"evicting pod {_key(pod)}")
        if api.clock.now() >= deadline:
            timed_out.append(f'error when evicting pods/"{name}" -n "{namespace}": global timeout reached: '
                             f"{go_duration(options.timeout)}")
            continue
        try:
            pod = api.get("pods", name, namespace)
            evict(api, pod, options.grace_period)
        except ApiError as exc:
            if exc.code == 404:
                continue  # gone already: kubectl counts it as done and prints nothing
            if exc.code != 429:
                raise DrainError(f'error when evicting pods/"{name}" -n "{namespace}": {exc.message}',
                                 output) from None
            causes = (exc.status.get("details") or {}).get("causes") or [{}]
            say(f'error when evicting pods/"{name}" -n "{namespace}" (will retry after '
                f"{go_duration(RETRY_DELAY)}): {exc.message}", str(causes[0].get("message", "")))
            refused.append(pod)
            continue
        pending[_key(pod)] = (pod, meta.get("uid", ""))
    if timed_out:
        raise DrainError(_aggregate(timed_out), output)
    return refused
