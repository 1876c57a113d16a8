"""What the resource keys do once a view has picked its object (kill, delete, scale, restart, rollback, node
actions), each behind a dialog that asks first, and what they need from the screen they run on (`Host`).

Views call these with the screen they are shown on, seen only through `Host`: views never import the app, and
nothing here knows which view called. Every action that changes the cluster asks first in a modal whose default
button is Cancel, cordon and uncordon too (as k9s asks). Results and errors go to the flash line.

The dialogs answer to their buttons, as k9s's do: Tab or ← from Cancel to the action's button (in the drain
dialog Tab goes through its options first), Enter presses it; `n` and esc cancel. `y` does not confirm: it is the
YAML key of every object view, and typed right after ctrl-d, ctrl-k or r (`ctrl-d y` typed fast, or in one
burst) it was meant for the view one press earlier, never as a yes. A `y` the dialog gets says how to confirm.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from textual.widgets import Label

from .backend import Backend, BackendError, KindRef, RolloutRevision
from .widgets.dialogs import ConfirmDialog, Dialog, DrainChoice, DrainDialog, RequestDialog, ScaleDialog

if TYPE_CHECKING:
    from textual.widget import Widget

    from .kube_folder import PruneRequest
    from .views.spec import ViewSpec

Obj = dict[str, Any]
SHOWN_PRUNES = 6  # the prune dialog lists this many objects, then says how many more
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"


class Host(Protocol):
    """What a view's key handler and an action need from the screen they run on."""

    backend: Backend
    namespace: str | None  # the current namespace: where 0-9 and the next commands start from
    favourites: list[str]  # the namespaces 1-9 pick, as the header lists them
    confirm_kill: bool  # False with --no-confirm-kill

    @property
    def spec(self) -> ViewSpec:
        """The spec of the view on screen."""
        ...

    def flash(self, message: str, level: str = "info") -> None:
        """Say something on the flash line (levels: info, warn, error)."""

    def ask(self, dialog: Dialog[Any], then: Callable[[Any], Awaitable[None] | None]) -> None:
        """Open `dialog`; `then` gets its answer (None when it was cancelled)."""

    async def run(self, action: Awaitable[str]) -> None:
        """Await a backend write and flash what it did, or why it failed."""

    def run_soon(self, action: Awaitable[str]) -> None:
        """`run` in the background (a drain waits for evictions): the keys stay live meanwhile."""

    async def push(self, spec: ViewSpec) -> None:
        """Open a view on top of this one (esc comes back)."""

    async def reopen(self, **changes: Any) -> Widget | None:
        """Show the view on screen again with `changes` to its spec (wide, previous, ...), keeping its filter;
        returns the view now on screen."""

    async def show_namespace(self, namespace: str | None) -> None:
        """The view on screen again, in `namespace` (0-9)."""

    async def run_command(self, text: str) -> None:
        """Run `text` as if typed after `:`."""

    def edit(self, path: Path, line: int, shown: str) -> None:
        """Open `path` at `line` in the user's editor (`shown`: how the flash line names it)."""

    async def use_context(self, name: str) -> None:
        """`:ctx`: switch the dashboard to another kubeconfig context (or back to the simulated cluster)."""


class _NoYes:
    """A `y` given to a confirming dialog is no answer: the message says how to confirm instead."""

    ok_label = "OK"
    how = "Tab to {ok}"  # from Cancel, where the dialog opens, to the action's button
    _told = False

    def how_to_confirm(self) -> None:
        if self._told:
            return
        self._told = True
        label = self.query_one(".message", Label)  # type: ignore[attr-defined]
        how = self.how.format(ok=self.ok_label)
        label.update(f"{label.content}\n\n(y is no answer here: {how}, then Enter; esc cancels)")


class Confirm(_NoYes, ConfirmDialog):
    """Cancel focused; Tab to the action's button and Enter to confirm; `n`, esc or Enter on Cancel to cancel."""

    KEYS: ClassVar[dict[str, str]] = {"n": "no", "escape": "no", "y": "how_to_confirm"}

    def __init__(self, title: str, message: str, ok: str = "OK") -> None:
        super().__init__(title, message, ok)
        self.ok_label = ok


class Drain(_NoYes, DrainDialog):
    """k9s's drain dialog, with its options (`f`, `e` toggle them); Drain is a button like any other."""

    KEYS: ClassVar[dict[str, str]] = {"n": "cancel", "escape": "cancel", "f": "toggle_force", "e": "toggle_emptydir",
                                      "y": "how_to_confirm"}
    ok_label = "Drain"
    how = "← to {ok}"  # Tab goes through the options first


def where(obj: Obj) -> tuple[str, str | None]:
    meta = obj.get("metadata", {})
    return meta.get("name", ""), meta.get("namespace")


def label(kind: KindRef, obj: Obj) -> str:
    name, namespace = where(obj)
    return f"{kind.singular} {namespace}/{name}" if namespace else f"{kind.singular} {name}"


def confirm(host: Host, title: str, message: str, ok: str, then: Callable[[], Awaitable[str]],
            after: Callable[[], object] | None = None) -> None:
    """Ask `message` with Cancel focused; on OK run `then()` and flash its result, then call `after`."""

    async def answered(yes: bool | None) -> None:
        if yes:
            await host.run(then())
            if after is not None:
                after()

    host.ask(Confirm(title, message, ok), answered)


def confirm_prune(host: Host, request: PruneRequest) -> None:
    """A watched folder's first prune on a real cluster: what a server-side dry-run delete says of each object it
    would delete, and a yes before anything is deleted; Cancel keeps them until the folder changes."""
    shown = "\n".join(f"  {line}" for line in request.preview[:SHOWN_PRUNES])
    more = f"\n  (+{len(request.preview) - SHOWN_PRUNES} more)" if len(request.preview) > SHOWN_PRUNES else ""
    message = (f"{request.folder.root.name} no longer declares {len(request.keys)} object(s) it applied "
               f"(its ApplySet {request.folder.parent}):\n{shown}{more}\nDelete them from the cluster?")

    async def answered(yes: bool | None) -> None:
        await host.run(host.backend.answer_prune(request, bool(yes)))

    host.ask(Confirm("Prune", message, "Prune"), answered)


def trigger(host: Host, kind: KindRef, obj: Obj) -> None:
    """k9s's `t` on a CronJob: start a Job from its template now, whatever the schedule says."""
    name, namespace = where(obj)
    confirm(host, "Trigger", f"Trigger {label(kind, obj)} now? (a Job from its template, as kubectl create job "
            "--from=cronjob does)", "Trigger", lambda: host.backend.trigger(name, namespace or "default"))


def request(host: Host, source: str, url: str, then: Callable[[str, str], Awaitable[Any]] | None = None) -> None:
    """`b`: ask where from and what URL, then show the simulated request's trace (`then` instead, when given)."""
    from .views.spec import ViewSpec

    async def answered(answer: tuple[str, str] | None) -> None:
        if answer is None:
            return
        if then is not None:
            await then(*answer)
        else:
            await host.push(ViewSpec(view="request", namespace=host.spec.namespace, source=answer[0], url=answer[1]))

    host.ask(RequestDialog(source, url), answered)


def kill(host: Host, kind: KindRef, obj: Obj) -> None:
    name, namespace = where(obj)
    if not host.confirm_kill:  # --no-confirm-kill: k9s users asked for both ways (derailed/k9s#782)
        host.run_soon(host.backend.delete(kind, name, namespace, force=True))
        return
    confirm(host, "Kill", f"Kill {label(kind, obj)}? (deleted at once, no grace period)", "Kill",
            lambda: host.backend.delete(kind, name, namespace, force=True))


def delete_marked(host: Host, kind: KindRef, objs: list[Obj], force: bool, cleared: Callable[[], object]) -> None:
    """Kill (force) or delete every marked object after one confirmation, like k9s's bulk actions; `cleared`
    clears the marks once done."""
    verb = "Kill" if force else "Delete"
    if force and not host.confirm_kill:
        host.run_soon(_delete_all(host, kind, objs, force, cleared))
        return
    names = ", ".join(where(o)[0] for o in objs[:3]) + (f" and {len(objs) - 3} more" if len(objs) > 3 else "")
    plural = kind.plural if len(objs) != 1 else kind.singular
    confirm(host, verb, f"{verb} {len(objs)} marked {plural}? ({names})", verb,
            lambda: _delete_all(host, kind, objs, force, cleared))


async def _delete_all(host: Host, kind: KindRef, objs: list[Obj], force: bool, cleared: Callable[[], object]) -> str:
    done, problems = 0, []
    for obj in objs:
        name, namespace = where(obj)
        try:
            await host.backend.delete(kind, name, namespace, force=force)
            done += 1
        except BackendError as exc:
            problems.append(str(exc))
    cleared()
    verb = "killed" if force else "deleted"
    plural = kind.plural if done != 1 else kind.singular
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise BackendError(f"{done} of {len(objs)} {kind.plural} {verb}; {problems[0]}{more}")
    return f"{done} {plural} {verb}"


def delete(host: Host, kind: KindRef, obj: Obj) -> None:
    name, namespace = where(obj)
    confirm(host, "Delete", f"Delete {label(kind, obj)}?", "Delete",
            lambda: host.backend.delete(kind, name, namespace))


def scale(host: Host, kind: KindRef, obj: Obj) -> None:
    name, namespace = where(obj)
    current = int((obj.get("spec") or {}).get("replicas", 1))

    async def chosen(replicas: int | None) -> None:
        if replicas is not None:
            await host.run(host.backend.scale(kind, name, namespace, replicas))

    host.ask(ScaleDialog(label(kind, obj), current), chosen)


def autoscale(host: Host, kind: KindRef, obj: Obj) -> None:
    """`a`: `kubectl autoscale` from a dialog; kubectl's and the API server's refusals go to the flash line."""
    from .widgets.autoscale_dialog import AutoscaleChoice, AutoscaleDialog

    name, namespace = where(obj)

    async def chosen(choice: AutoscaleChoice | None) -> None:
        if choice is not None:
            await host.run(host.backend.autoscale(kind, name, namespace, choice.max_replicas, choice.min_replicas,
                                                  choice.cpu_percent))

    host.ask(AutoscaleDialog(label(kind, obj), int((obj.get("spec") or {}).get("replicas", 1))), chosen)


def restart(host: Host, kind: KindRef, obj: Obj) -> None:
    name, namespace = where(obj)
    confirm(host, "Restart", f"Restart {label(kind, obj)}? (a rolling restart of all its pods)", "Restart",
            lambda: host.backend.restart(name, namespace or "default", kind.kind))


def rollback(host: Host, kind: KindRef, obj: Obj) -> None:
    """On a revision's holder: a Deployment's ReplicaSet (its revision annotation) or a DaemonSet's
    ControllerRevision (its `revision` field) rolls the owner back to it."""
    meta = obj.get("metadata", {})
    owner = next((r for r in meta.get("ownerReferences") or () if r.get("kind") in ("Deployment", "DaemonSet")),
                 None)
    if owner is not None and owner["kind"] == "DaemonSet":
        revision = str(obj.get("revision", ""))
    else:
        revision = (meta.get("annotations") or {}).get(REVISION_ANNOTATION, "")
    if owner is None or not revision.isdigit():
        host.flash(f"{label(kind, obj)} belongs to no deployment revision; nothing to roll back to", "warn")
        return
    workload, namespace, owner_kind = owner["name"], meta.get("namespace") or "default", owner["kind"]
    confirm(host, "Rollback", f"Roll {owner_kind.lower()} {namespace}/{workload} back to revision {revision}?",
            "Rollback", lambda: host.backend.rollback(workload, namespace, int(revision), owner_kind))


def rollback_to(host: Host, workload: str, namespace: str, revision: RolloutRevision,
                kind: str = "Deployment") -> None:
    """From the rollout panel: the revision's own images say what the rollback brings back."""
    images = ", ".join(revision.images) or "no images"
    already = " It is already the current revision." if revision.is_current else ""
    confirm(host, "Rollback", f"Roll {kind.lower()} {namespace}/{workload} back to revision {revision.revision} "
            f"({images})?{already}", "Rollback",
            lambda: host.backend.rollback(workload, namespace, revision.revision, kind))


def cordon(host: Host, obj: Obj, cordoned: bool) -> None:
    name = obj["metadata"]["name"]
    if cordoned:
        message = f"Cordon node {name}? No new pod is scheduled on it; its pods keep running."
    else:
        message = f"Uncordon node {name}? New pods can be scheduled on it again."
    verb = "Cordon" if cordoned else "Uncordon"
    confirm(host, verb, message, verb, lambda: host.backend.cordon(name, cordoned))


def drain(host: Host, obj: Obj) -> None:
    name = obj["metadata"]["name"]

    def chosen(choice: DrainChoice | None) -> None:
        if choice is None:
            return
        host.flash(f"draining node/{name}: cordoned, evicting its pods")
        # In the background: the drain returns only when the evicted pods are gone, after their grace periods.
        # A PodDisruptionBudget may hold it: the flash line says which, each time kubectl would retry.
        host.run_soon(host.backend.drain(name, choice.force, choice.delete_emptydir_data, host.flash))

    host.ask(Drain(name), chosen)


def fail_node(host: Host, obj: Obj) -> None:
    name = obj["metadata"]["name"]
    if host.backend.node_failed(name):
        host.run_soon(host.backend.set_node_failed(name, False))
        return
    confirm(host, "Fail node", f"Fail node {name}? Its kubelet stops: the node goes NotReady and its pods are "
            "evicted once their tolerations run out. Press f again to recover it.", "Fail",
            lambda: host.backend.set_node_failed(name, True))
