"""The dashboard and RBAC (issue 16 §5): `:rbac` (k9s's rules of a role), `:policy` (what a subject may do) and,
with `k9py --as USER`, actions refused with the API server's 403 in the flash line."""

from __future__ import annotations

from tui_support import CONFIRM, command, dashboard, filter_by, until

from k9py.views.rbac import NO, YES, PolicyView, RbacView


def rows(screen) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Rows by `resource.group`."""
    view = screen.view
    assert isinstance(view, RbacView)
    return {f"{cells[0]}.{cells[1]}": cells for cells in (list(view.table.row(key).cells)  # type: ignore[union-attr]
                                          for key in view.table.row_keys())}


async def test_rbac_and_policy_views() -> None:
    async with dashboard([]) as (_app, pilot, screen, cluster):
        await command(pilot, "rbac clusterrole view")
        await until(pilot, lambda: isinstance(screen.view, RbacView) and "pods.core" in rows(screen))
        assert rows(screen)["pods.core"][:10] == ["pods", "core", YES, YES, YES, NO, NO, NO, NO, NO]
        assert rows(screen)["deployments.apps"][:3] == ["deployments", "apps", YES]
        await cluster.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                              "metadata": {"name": "alice-edit", "namespace": "default"},
                              "subjects": [{"kind": "User", "name": "alice"}],
                              "roleRef": {"kind": "ClusterRole", "name": "edit"}})
        await command(pilot, "policy alice")
        await until(pilot, lambda: isinstance(screen.view, PolicyView) and "deployments.apps" in rows(screen))
        assert rows(screen)["deployments.apps"][2:10] == [YES] * 8
        reviews = rows(screen)["selfsubjectaccessreviews.authorization.k8s.io"]
        assert reviews[2:] == [NO, NO, NO, YES, NO, NO, NO, NO, ""]
        await command(pilot, "policy bob")
        await until(pilot, lambda: isinstance(screen.view, PolicyView) and "deployments.apps" not in rows(screen))


async def test_actions_as_a_user_are_refused_in_the_api_servers_words() -> None:
    async with dashboard() as (_app, pilot, screen, cluster):
        cluster.act_as("alice")  # as `k9py --as alice`
        await command(pilot, "deploy shop")
        await until(pilot, lambda: screen.view_name == "deployments" and screen.view.row_count > 0)  # type: ignore
        await pilot.press("ctrl+d")
        await pilot.press(*CONFIRM)
        await until(pilot, lambda: "forbidden" in screen.flash_line.message)
        assert screen.flash_line.level == "error"
        assert screen.flash_line.message.endswith(
            'is forbidden: User "alice" cannot delete resource "deployments" in API group "apps" in the namespace '
            '"shop"')


async def test_rbac_view_keys_move_the_cursor() -> None:
    async with dashboard([], size=(80, 24)) as (_app, pilot, screen, _cluster):
        await command(pilot, "rbac clusterrole admin")
        await until(pilot, lambda: isinstance(screen.view, RbacView) and len(rows(screen)) > 20)
        view = screen.view
        assert isinstance(view, RbacView)
        last = view.table.row_count - 1  # type: ignore[union-attr]
        await pilot.press("G")
        await until(pilot, lambda: view.table.cursor_row == last)  # type: ignore[union-attr]
        await pilot.press("k")
        await until(pilot, lambda: view.table.cursor_row == last - 1)  # type: ignore[union-attr]
        await pilot.press("j")
        await until(pilot, lambda: view.table.cursor_row == last)  # type: ignore[union-attr]
        await pilot.press("g")
        await until(pilot, lambda: view.table.cursor_row == 0)  # type: ignore[union-attr]
        await filter_by(pilot, "secrets")
        await until(pilot, lambda: list(rows(screen)) == ["secrets.core"])
        await pilot.press("escape")  # clears the filter, as in every list
        await until(pilot, lambda: len(rows(screen)) > 20)
