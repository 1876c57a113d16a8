"""What the resource keys do (kill, delete, scale, restart, rollback, node actions), behind dialogs.

Every action that changes the cluster asks first in a modal whose default button is Cancel, except cordon and
uncordon (cheap to undo, and k9s does not ask either). Results and errors go to the flash line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..backend import Backend, BackendError, KindRef, RolloutRevision
from ..widgets.dialogs import ConfirmDialog, DrainChoice, DrainDialog, ScaleDialog

if TYPE_CHECKING:
    from ..app import MainScreen

Obj = dict[str, Any]
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"


def _where(obj: Obj) -> tuple[str, str | None]:
    meta = obj.get("metadata", {})
    return meta.get("name", ""), meta.get("namespace")


def _label(kind: KindRef, obj: Obj) -> str:
    name, namespace = _where(obj)
    return f"{kind.singular} {namespace}/{name}" if namespace else f"{kind.singular} {name}"


class ResourceActions:
    """Mixed into the main screen; `self.selected_object()` is the row under the cursor."""

    backend: Backend

    async def _run(self: MainScreen, action: Awaitable[str]) -> None:
        try:
            message = await action
        except BackendError as exc:
            self.flash(str(exc), "error")
            return
        self.flash(message)

    def _confirm(self: MainScreen, title: str, message: str, ok: str, then: Callable[[], Awaitable[str]]) -> None:
        async def answered(yes: bool | None) -> None:
            if yes:
                await self._run(then())

        self.app.push_screen(ConfirmDialog(title, message, ok), answered)

    def act_kill(self: MainScreen, kind: KindRef, obj: Obj) -> None:
        name, namespace = _where(obj)
        if not self.confirm_kill:  # --no-confirm-kill: k9s users asked for both ways (derailed/k9s#782)
            self.run_worker(self._run(self.backend.delete(kind, name, namespace, force=True)))
            return
        self._confirm("Kill", f"Kill {_label(kind, obj)}? (deleted at once, no grace period)", "Kill",
                      lambda: self.backend.delete(kind, name, namespace, force=True))

    def act_delete_marked(self: MainScreen, kind: KindRef, objs: list[Obj], force: bool) -> None:
        """Kill (force) or delete every marked object after one confirmation, like k9s's bulk actions."""
        verb = "Kill" if force else "Delete"
        if force and not self.confirm_kill:
            self.run_worker(self._run(self._delete_all(kind, objs, force)))
            return
        names = ", ".join(_where(o)[0] for o in objs[:3]) + (f" and {len(objs) - 3} more" if len(objs) > 3 else "")
        plural = kind.plural if len(objs) != 1 else kind.singular
        self._confirm(verb, f"{verb} {len(objs)} marked {plural}? ({names})", verb,
                      lambda: self._delete_all(kind, objs, force))

    async def _delete_all(self: MainScreen, kind: KindRef, objs: list[Obj], force: bool) -> str:
        done, problems = 0, []
        for obj in objs:
            name, namespace = _where(obj)
            try:
                await self.backend.delete(kind, name, namespace, force=force)
                done += 1
            except BackendError as exc:
                problems.append(str(exc))
        self.clear_view_marks()
        verb = "killed" if force else "deleted"
        plural = kind.plural if done != 1 else kind.singular
        if problems:
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            raise BackendError(f"{done} of {len(objs)} {kind.plural} {verb}; {problems[0]}{more}")
        return f"{done} {plural} {verb}"

    def act_delete(self: MainScreen, kind: KindRef, obj: Obj) -> None:
        name, namespace = _where(obj)
        self._confirm("Delete", f"Delete {_label(kind, obj)}?", "Delete",
                      lambda: self.backend.delete(kind, name, namespace))

    def act_scale(self: MainScreen, kind: KindRef, obj: Obj) -> None:
        name, namespace = _where(obj)
        current = int((obj.get("spec") or {}).get("replicas", 1))

        async def chosen(replicas: int | None) -> None:
            if replicas is not None:
                await self._run(self.backend.scale(kind, name, namespace, replicas))

        self.app.push_screen(ScaleDialog(_label(kind, obj), current), chosen)

    def act_restart(self: MainScreen, kind: KindRef, obj: Obj) -> None:
        name, namespace = _where(obj)
        self._confirm("Restart", f"Restart {_label(kind, obj)}? (a rolling restart of all its pods)", "Restart",
                      lambda: self.backend.restart(name, namespace or "default"))

    def act_rollback(self: MainScreen, kind: KindRef, obj: Obj) -> None:
        meta = obj.get("metadata", {})
        owner = next((r for r in meta.get("ownerReferences") or () if r.get("kind") == "Deployment"), None)
        revision = (meta.get("annotations") or {}).get(REVISION_ANNOTATION, "")
        if owner is None or not revision.isdigit():
            self.flash(f"{_label(kind, obj)} belongs to no deployment revision; nothing to roll back to", "warn")
            return
        deployment, namespace = owner["name"], meta.get("namespace") or "default"
        self._confirm("Rollback", f"Roll deployment {namespace}/{deployment} back to revision {revision}?",
                      "Rollback", lambda: self.backend.rollback(deployment, namespace, int(revision)))

    def act_rollback_to(self: MainScreen, deployment: str, namespace: str, revision: RolloutRevision) -> None:
        """From the rollout panel: the revision's own images say what the rollback brings back."""
        images = ", ".join(revision.images) or "no images"
        already = " It is already the current revision." if revision.is_current else ""
        self._confirm("Rollback", f"Roll deployment {namespace}/{deployment} back to revision {revision.revision} "
                      f"({images})?{already}", "Rollback",
                      lambda: self.backend.rollback(deployment, namespace, revision.revision))

    def act_cordon(self: MainScreen, obj: Obj, cordoned: bool) -> None:
        self.run_worker(self._run(self.backend.cordon(obj["metadata"]["name"], cordoned)))

    def act_drain(self: MainScreen, obj: Obj) -> None:
        name = obj["metadata"]["name"]

        def chosen(choice: DrainChoice | None) -> None:
            if choice is None:
                return
            self.flash(f"draining node/{name}: cordoned, evicting its pods")
            # In a worker: the drain returns only when the evicted pods are gone, after their grace periods.
            self.run_worker(self._run(self.backend.drain(name, choice.force, choice.delete_emptydir_data)))

        self.app.push_screen(DrainDialog(name), chosen)

    def act_fail_node(self: MainScreen, obj: Obj) -> None:
        name = obj["metadata"]["name"]
        if self.backend.node_failed(name):
            self.run_worker(self._run(self.backend.set_node_failed(name, False)))
            return
        self._confirm("Fail node", f"Fail node {name}? Its kubelet stops: the node goes NotReady and its pods "
                      "are evicted once their tolerations run out. Press f again to recover it.", "Fail",
                      lambda: self.backend.set_node_failed(name, True))
