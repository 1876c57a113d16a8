"""Every key the dashboard answers is pressed by a Pilot test that checks what a user sees; COVERED says which.

The keys are what each view declares (`KEYS` on its class, views.VIEWS lists them all) and the screen's global
ones (keys.GLOBAL_KEYS), which every view answers unless it takes one over. COVERED maps (key, view) to the test
that presses the key in that view and asserts its visible effect (the title, the rows, the flash line, the header,
the text on screen). `test_every_key_is_covered` fails when a view gains a key, or a key gains a meaning in a kind
of view no entry covers, or an entry names a test that does not exist: write the test (here, or next to the
feature's other tests) and name it in COVERED.

A key must be covered in every kind of view it is bound in (FAMILIES: j scrolls text but moves a table's cursor),
except the few whose handler does the same whatever the view (SAME_EVERYWHERE), where one view is enough.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from functools import partial
from typing import Any

import tui_support
from textual import events
from textual.app import App
from textual.pilot import Pilot
from tui_support import ALL_DEPLOYMENTS, ALL_PODS, CONFIRM, command, dashboard, filter_by, screen_lines, table

from engine import Cluster
from k9py import keys
from k9py.app import MainScreen
from k9py.views import VIEWS, commands
from k9py.views.aliases import AliasesView, alias_rows
from k9py.views.contexts import ContextsView
from k9py.views.hpa_chart import HpaChartView
from k9py.views.load import LoadView
from k9py.views.logs import LogsView
from k9py.views.port_forwards import PortForwardsView
from k9py.views.rbac import RbacView
from k9py.views.request import RequestView
from k9py.views.rollout import RolloutView
from k9py.views.sources import SourcesView
from k9py.views.table import TableView
from k9py.views.text import TextView
from k9py.views.xray import XrayView
from k9py.widgets.dialogs import ConfirmDialog, ScaleDialog
from k9py.widgets.help import HelpScreen
from k9py.widgets.table import ResourceTable

until = partial(tui_support.until, timeout=10.0)

# --- the coverage table ------------------------------------------------------------------------------------------

# Kinds of view whose keys behave alike, by the class they build on (every view is in exactly one).
FAMILIES: dict[str, type] = {
    "table": TableView,
    "text": TextView,  # yaml, describe, drift, decode
    "logs": LogsView,
    "sources": SourcesView,
    "rollout": RolloutView,
    "aliases": AliasesView,
    "contexts": ContextsView,
    "xray": XrayView,
    "rbac": RbacView,  # rbac, policy
    "request": RequestView,
    "load": LoadView,
    "hpachart": HpaChartView,
    "portforwards": PortForwardsView,
}
# Actions that do the same in every view: one view covers them.
SAME_EVERYWHERE = frozenset({"command", "help", "quit", "theme", "toggle_header", "pause", "faster", "slower",
                             "last_view", "history_back", "history_forward", "aliases"})

APP = "test_tui_app::"
ACTIONS = "test_tui_actions::"
EDIT = "test_tui_edit::"
HELP = "test_tui_help::test_every_description_is_on_screen_in_full"
MARKS = "test_tui_marks::"
ROLLOUT = "test_tui_rollout::"
SNAPSHOTS = "test_tui_snapshots::"
XRAY = "test_tui_xray::"
XRAY_KEYS = XRAY + "test_xray_keys_move_filter_and_open"
REQUEST_KEYS = "test_tui_request::test_request_view_keys_move_resend_and_wrap"
RBAC_KEYS = "test_rbac_tui::test_rbac_view_keys_move_the_cursor"
LOAD = "test_tui_usage::"
HPA = "test_hpa_tui::"
HPA_CHART_KEYS = HPA + "test_the_charts_keys_scroll_refuse_a_filter_and_open_yaml_and_describe"
SOURCES = "test_tui_sources::test_lists_objects_and_errors_then_resyncs_and_writes_back"
PF = "test_port_forward_tui::"

# (key, view) -> "module::test" (another test file) or "test" (this file).
COVERED: dict[tuple[str, str], str] = {
    ("ctrl+e", "pods"): "test_tui_small_terminal::"
                        "test_hiding_the_header_gives_its_lines_to_the_table_and_the_state_to_the_crumbs",
    # xray (test_tui_xray.py)
    **{(key, "xray"): XRAY_KEYS for key in ("slash", "escape", "j", "k", "g", "G", "y")},
    ("enter", "xray"): XRAY + "test_xray_shows_the_tree_and_opens_what_is_under_the_cursor",
    **{(key, "request"): REQUEST_KEYS for key in ("j", "k", "g", "G", "r", "R", "w", "slash", "escape")},
    ("u", "request"): "test_tui_request::test_a_request_from_a_pod_goes_through_dns_and_u_changes_it",
    ("b", "services"):
        "test_tui_request::test_b_on_the_frontend_service_sends_a_request_from_outside_through_its_node_port",
    **{(key, "rbac"): RBAC_KEYS for key in ("j", "k", "g", "G", "slash", "escape")},
    **{(key, "load"): LOAD + "test_load_view_lists_every_load_and_scrolls"
       for key in ("j", "k", "g", "G", "slash", "escape")},
    ("L", "deployments"): LOAD + "test_load_shows_in_the_pods_cpu_throttled_at_its_limit_and_coloured",
    ("L", "services"): LOAD + "test_load_view_lists_every_load_and_scrolls",
    ("a", "deployments"): HPA + "test_a_on_a_deployment_autoscales_it_as_kubectl_autoscale",
    **{(key, "hpachart"): HPA_CHART_KEYS for key in ("j", "k", "g", "G", "slash", "escape", "y", "d")},
    ("d", "xray"): XRAY + "test_xray_shows_the_tree_and_opens_what_is_under_the_cursor",
    # general
    ("colon", "pods"): APP + "test_command_switches_view_title_and_crumbs",
    ("colon", "deployments"): APP + "test_command_switches_view_title_and_crumbs",
    ("slash", "pods"): APP + "test_filter_narrows_and_inverts_rows",
    ("slash", "yaml"): "test_text_views_scroll_wrap_and_cannot_be_filtered",
    ("slash", "logs"): "test_log_keys_timestamps_wrap_autoscroll_scrolling_and_filter",
    ("slash", "sources"): "test_j_k_g_G_move_the_cursor_in_tables_sources_and_the_rollout_panel",
    ("slash", "rollout"): "test_j_k_g_G_move_the_cursor_in_tables_sources_and_the_rollout_panel",
    ("question_mark", "pods"): APP + "test_help_is_generated_from_the_bindings",
    ("question_mark", "deployments"): HELP,
    ("question_mark", "nodes"): HELP,
    ("question_mark", "sources"): HELP,
    ("escape", "pods"): APP + "test_enter_drills_from_deployment_to_its_pods_and_esc_returns",
    ("escape", "yaml"): APP + "test_yaml_describe_and_logs_views",
    ("escape", "describe"): APP + "test_yaml_describe_and_logs_views",
    ("escape", "drift"): SOURCES,
    ("escape", "logs"): "test_log_keys_timestamps_wrap_autoscroll_scrolling_and_filter",
    ("escape", "sources"): "test_j_k_g_G_move_the_cursor_in_tables_sources_and_the_rollout_panel",
    ("escape", "rollout"): "test_j_k_g_G_move_the_cursor_in_tables_sources_and_the_rollout_panel",
    ("ctrl+c", "pods"): "test_ctrl_c_quits",
    ("ctrl+t", "pods"): ACTIONS + "test_ctrl_t_cycles_themes_and_repaints_the_rows",
    **{(key, "aliases"): "test_ctrl_a_lists_every_resource_and_its_names_and_enter_opens_one"
       for key in ("ctrl+a", "j", "k", "g", "G", "slash", "escape", "enter")},
    **{(key, "contexts"): "test_kube_contexts::test_ctx_keys_move_filter_and_an_unreachable_context_changes_nothing"
       for key in ("j", "k", "g", "G", "slash", "escape", "enter")},
    # port-forwards (test_port_forward_tui.py)
    ("F", "pods"): PF + "test_shift_f_forwards_a_local_port_to_the_pods_app_and_pf_lists_it_until_ctrl_d",
    ("ctrl+d", "portforwards"): PF + "test_shift_f_forwards_a_local_port_to_the_pods_app_and_pf_lists_it_until_ctrl_d",
    ("F", "containers"): PF + "test_a_container_forward_offers_its_own_ports_and_refused_ports_are_said",
    **{(key, "portforwards"): PF + "test_pf_keys_move_filter_and_go_back"
       for key in ("j", "k", "g", "G", "slash", "escape")},
    # navigation: j k g G, in each kind of view
    **{(key, view): "test_j_k_g_G_move_the_cursor_in_tables_sources_and_the_rollout_panel"
       for key in ("j", "k", "g", "G") for view in ("pods", "sources", "rollout")},
    **{(key, "yaml"): "test_text_views_scroll_wrap_and_cannot_be_filtered" for key in ("j", "k", "g", "G")},
    **{(key, "logs"): "test_log_keys_timestamps_wrap_autoscroll_scrolling_and_filter" for key in ("j", "k", "g", "G")},
    ("G", "describe"): SNAPSHOTS + "test_describe_pending_pod",
    ("enter", "pods"): "test_enter_drills_into_containers_logs_and_a_namespace",
    ("enter", "hpa"): HPA + "test_hpa_view_has_kubectls_columns_and_enter_opens_a_chart_that_follows_the_scaling",
    ("enter", "containers"): "test_enter_drills_into_containers_logs_and_a_namespace",
    ("enter", "namespaces"): "test_enter_drills_into_containers_logs_and_a_namespace",
    ("enter", "deployments"): APP + "test_enter_drills_from_deployment_to_its_pods_and_esc_returns",
    ("enter", "replicasets"): "test_r_restarts_a_deployment_and_its_replicasets_scale_roll_back_and_drill",
    ("enter", "nodes"): APP + "test_node_view_fail_and_recover",
    **{(str(n), "pods"): "test_0_and_1_to_9_switch_the_namespace" for n in range(10)},
    ("0", "events"): "test_0_and_1_to_9_switch_the_namespace",
    ("2", "deployments"): "test_0_and_1_to_9_switch_the_namespace",
    ("3", "nodes"): "test_0_and_1_to_9_switch_the_namespace",
    ("2", "containers"): "test_0_and_1_to_9_switch_the_namespace",
    # resource actions
    ("y", "pods"): APP + "test_yaml_describe_and_logs_views",
    ("d", "pods"): APP + "test_yaml_describe_and_logs_views",
    ("y", "rollout"): ROLLOUT + "test_yaml_and_describe_show_the_deployment_and_esc_returns_to_the_panel",
    ("d", "rollout"): ROLLOUT + "test_yaml_and_describe_show_the_deployment_and_esc_returns_to_the_panel",
    **{(key, view): "test_y_and_d_from_every_kind_of_object"
       for key in ("y", "d")
       for view in ("deployments", "replicasets", "nodes", "namespaces", "events", "services", "generic")},
    ("enter", "services"): "test_tui_k9s_habits::test_enter_on_a_service_shows_the_pods_it_selects",
    ("l", "pods"): APP + "test_yaml_describe_and_logs_views",
    ("o", "pods"): "test_shift_j_jumps_to_the_owner_and_o_shows_the_pods_node",
    ("x", "secrets"): "test_x_decodes_a_secret_and_only_there",
    **{key: "test_container_config_tui::test_s_shows_a_containers_env_and_files_and_x_unmasks_secrets"
       for key in (("s", "pods"), ("s", "containers"), ("x", "shell"))},
    ("t", "cronjobs"): "test_cron_tui::test_t_triggers_a_job_from_the_cronjob_now_as_k9s_does",
    ("J", "pods"): "test_shift_j_jumps_to_the_owner_and_o_shows_the_pods_node",
    ("J", "replicasets"): "test_shift_j_jumps_to_the_owner_and_o_shows_the_pods_node",
    ("J", "deployments"): "test_shift_j_jumps_to_the_owner_and_o_shows_the_pods_node",
    ("l", "containers"): "test_enter_drills_into_containers_logs_and_a_namespace",
    ("space", "pods"): MARKS + "test_space_marks_and_kill_takes_every_marked_pod",
    ("space", "deployments"): MARKS + "test_delete_with_marks_asks_once_and_cancel_keeps_everything",
    ("space", "nodes"): "test_marks_in_the_nodes_view",
    ("ctrl+@", "nodes"): "test_marks_in_the_nodes_view",
    ("ctrl+backslash", "pods"): MARKS + "test_space_again_unmarks_and_ctrl_backslash_clears",
    ("ctrl+backslash", "nodes"): "test_marks_in_the_nodes_view",
    ("e", "deployments"): EDIT + "test_e_on_a_declared_deployment_edits_its_file_at_its_line_and_the_save_rolls_out",
    ("e", "pods"): EDIT + "test_e_on_an_object_no_folder_declares_says_what_e_edits",
    ("e", "sources"): EDIT + "test_e_on_a_manifest_error_in_the_sources_view_opens_the_file_at_the_error",
    ("ctrl+k", "pods"): APP + "test_kill_pod_asks_then_a_replacement_appears",
    ("ctrl+d", "deployments"): "test_ctrl_d_deletes_the_selected_object_after_asking",
    ("ctrl+d", "generic"): "test_ctrl_d_deletes_the_selected_object_after_asking",
    ("ctrl+d", "nodes"): "test_marks_in_the_nodes_view",
    ("s", "deployments"): APP + "test_scale_dialog_changes_replicas",
    ("s", "replicasets"): "test_r_restarts_a_deployment_and_its_replicasets_scale_roll_back_and_drill",
    ("r", "deployments"): "test_r_restarts_a_deployment_and_its_replicasets_scale_roll_back_and_drill",
    ("ctrl+l", "replicasets"): "test_r_restarts_a_deployment_and_its_replicasets_scale_roll_back_and_drill",
    ("ctrl+l", "deployments"): ROLLOUT + "test_ctrl_l_on_a_deployment_opens_its_rollout_with_history_newest_first",
    ("ctrl+l", "rollout"): ROLLOUT + "test_rollback_to_a_chosen_revision_after_confirmation",
    ("c", "nodes"): "test_c_u_and_f_cordon_uncordon_and_fail_a_node",
    ("u", "nodes"): "test_c_u_and_f_cordon_uncordon_and_fail_a_node",
    ("f", "nodes"): "test_c_u_and_f_cordon_uncordon_and_fail_a_node",
    ("r", "nodes"): ACTIONS + "test_drain_evicts_the_node_and_its_pods_come_back_elsewhere",
    **{("ctrl+w", view): "test_ctrl_w_toggles_the_wide_columns"
       for view in ("pods", "deployments", "replicasets", "nodes", "events", "services")},
    ("N", "pods"): APP + "test_shift_n_sorts_by_name_and_again_reverses",
    ("N", "containers"): "test_shift_a_and_shift_s_sort_and_the_header_shows_the_order",
    ("A", "pods"): "test_shift_a_and_shift_s_sort_and_the_header_shows_the_order",
    ("S", "pods"): "test_shift_a_and_shift_s_sort_and_the_header_shows_the_order",
    ("S", "events"): "test_shift_a_and_shift_s_sort_and_the_header_shows_the_order",
    ("S", "containers"): "test_shift_a_and_shift_s_sort_and_the_header_shows_the_order",
    # the sources view
    ("d", "sources"): SOURCES,
    ("S", "sources"): SOURCES,
    ("ctrl+s", "sources"): SOURCES,
    ("w", "sources"): SOURCES,
    # logs and text views
    ("s", "logs"): "test_log_keys_timestamps_wrap_autoscroll_scrolling_and_filter",
    ("w", "logs"): "test_log_keys_timestamps_wrap_autoscroll_scrolling_and_filter",
    ("t", "logs"): "test_log_keys_timestamps_wrap_autoscroll_scrolling_and_filter",
    ("p", "logs"): ACTIONS + "test_p_in_logs_shows_the_previous_container",
    **{(str(n), "logs"): "test_0_to_6_in_logs_pick_the_range_as_in_k9s" for n in range(7)},
    ("w", "yaml"): "test_text_views_scroll_wrap_and_cannot_be_filtered",
    ("w", "describe"): "test_text_views_scroll_wrap_and_cannot_be_filtered",
    ("w", "drift"): "test_text_views_scroll_wrap_and_cannot_be_filtered",
    # the cluster clock
    ("p", "pods"): APP + "test_pause_and_speed_show_in_the_header",
    ("greater_than_sign", "pods"): "test_greater_and_less_than_change_the_clock_speed_in_the_header",
    ("less_than_sign", "pods"): "test_greater_and_less_than_change_the_clock_speed_in_the_header",
    ("less_than_sign", "yaml"): "test_greater_and_less_than_change_the_clock_speed_in_the_header",
    # the command history
    ("minus", "pods"): "test_minus_bounces_between_the_last_two_views_and_brackets_walk_the_command_history",
    ("minus", "yaml"): "test_minus_bounces_between_the_last_two_views_and_brackets_walk_the_command_history",
    ("left_square_bracket", "nodes"):
        "test_minus_bounces_between_the_last_two_views_and_brackets_walk_the_command_history",
    ("right_square_bracket", "pods"):
        "test_minus_bounces_between_the_last_two_views_and_brackets_walk_the_command_history",
}


def families(view: str) -> list[str]:
    return [name for name, base in FAMILIES.items() if issubclass(VIEWS[view], base)]


def family_of(view: str) -> str:
    return families(view)[0]


def bound(view: str) -> list[keys.Key]:
    """Every key `view` answers: its own, and the screen's it does not take over."""
    return keys.keys_for(VIEWS[view].KEYS)  # type: ignore[attr-defined]


def resolve(ref: str) -> Callable[..., Any] | None:
    module_name, _, name = ref.rpartition("::")
    module = importlib.import_module(module_name) if module_name else globals()
    found = getattr(module, name, None) if module_name else module.get(name)
    return found if callable(found) and name.startswith("test_") else None


def test_the_view_families_cover_every_view_once() -> None:
    unplaced = {view: families(view) for view in VIEWS if len(families(view)) != 1}
    assert unplaced == {}, "a new kind of view: put it in one of FAMILIES"


def test_every_key_is_covered() -> None:
    views_of: dict[keys.Key, set[str]] = {}  # each binding, and the views that answer it
    for view in VIEWS:
        for key in bound(view):
            views_of.setdefault(key, set()).add(view)
    missing = []
    for key, views in views_of.items():
        covered = {family_of(view) for (k, view) in COVERED if k == key.key and view in views}
        needed = {family_of(view) for view in views}
        if key.action in SAME_EVERYWHERE:
            needed = set() if covered else {"any"}
        missing += [f"<{key.label}> {key.action} in a {family} view" for family in sorted(needed - covered)]
    assert missing == [], ("no Pilot test named in COVERED (tests/test_tui_every_key.py) for: " + ", ".join(missing)
                           + ". Write one that presses the key and checks what the user sees, then name it there.")


def test_every_entry_is_a_real_binding_and_a_real_test() -> None:
    unbound = [f"{key} in {view}" for key, view in COVERED if view not in VIEWS or keys.find(bound(view), key) is None]
    assert unbound == [], "COVERED names keys that do nothing there (the view's KEYS changed?)"
    absent = sorted({ref for ref in COVERED.values() if resolve(ref) is None})
    assert absent == [], "COVERED names tests that do not exist (renamed or removed? point COVERED at the new one)"


# --- reading the screen ------------------------------------------------------------------------------------------

_SCROLLBAR = re.compile(r"[\s\u2580-\u259f]+$")  # trailing blanks and scrollbar blocks


def frame(app: App[None]) -> list[str]:
    """The lines inside the current view's frame as painted, without the border and the scrollbar."""
    lines = screen_lines(app)
    top = next(i for i, line in enumerate(lines) if line.startswith("╭"))
    bottom = next(i for i in range(top + 1, len(lines)) if lines[i].startswith("╰"))
    return [_SCROLLBAR.sub("", line[1:-1]) for line in lines[top + 1:bottom]]


def on_screen(app: App[None], text: str) -> bool:
    return any(text in line for line in screen_lines(app))


def row_text(app: App[None], name: str) -> str:
    """The table row that shows `name`, as painted."""
    found = [line for line in frame(app)[1:] if f" {name} " in f"{line} "]
    assert len(found) == 1, found
    return found[0]


def cursor_text(grid: ResourceTable) -> str:
    """The row the cursor is on, as the table paints it: checked to be the one drawn in the cursor's colours."""
    strip = grid.render_line(grid.cursor_row - int(grid.scroll_y) + 1)
    cursor = grid.get_component_rich_style("resource-table--cursor")
    assert {segment.style.bgcolor for segment in strip if segment.style} == {cursor.bgcolor}
    return strip.text


def flashed(screen: MainScreen, message: str, level: str = "info") -> bool:
    return screen.flash_line.message == message and screen.flash_line.level == level


async def opened(pilot: Pilot[None], screen: MainScreen, alias: str, view: str, rows: int | None = None) -> None:
    """`:alias` and wait for the view (and its rows)."""
    await command(pilot, alias)
    await until(pilot, lambda: screen.view_name == view and (rows is None or screen.view.row_count == rows))  # type: ignore[union-attr]


async def answer(app: App[None], pilot: Pilot[None], *keys: str) -> None:
    """Answer the confirm dialog that is opening with `keys` (CONFIRM: its OK button)."""
    await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
    await pilot.press(*keys)
    await until(pilot, lambda: not isinstance(app.screen, ConfirmDialog))


def all_running(cluster: Cluster) -> bool:
    """Every pod of the sample manifests is running."""
    return sum(p["status"].get("phase") == "Running" for p in cluster.list("pods")) >= ALL_PODS


# --- general -----------------------------------------------------------------------------------------------------


async def test_ctrl_c_quits() -> None:
    async with dashboard() as (app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        await pilot.press("ctrl+c")
        await until(pilot, lambda: app.return_code == 0)
    # also over the `?` help, which lists it (Textual's own ctrl+c there only said "press ctrl+q to quit")
    async with dashboard() as (app, pilot, _screen, _cluster):
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "<ctrl-c> Quit" in app.screen.text  # type: ignore[attr-defined]
        await pilot.press("ctrl+c")
        await until(pilot, lambda: app.return_code == 0)


async def test_greater_and_less_than_change_the_clock_speed_in_the_header() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        assert "x50" in screen.header.plain()
        await pilot.press("greater_than_sign")
        await until(pilot, lambda: "x64" in screen.header.plain())  # the ceiling, not x100
        assert flashed(screen, "cluster clock speed x64")
        await pilot.press("less_than_sign")
        await until(pilot, lambda: "x32" in screen.header.plain())
        assert flashed(screen, "cluster clock speed x32")
        await pilot.press("y")  # the same from a text view
        await until(pilot, lambda: screen.view_name == "yaml")
        await pilot.press("less_than_sign", "less_than_sign")
        await until(pilot, lambda: "x8" in screen.header.plain())
        assert flashed(screen, "cluster clock speed x8")


async def test_minus_bounces_between_the_last_two_views_and_brackets_walk_the_command_history() -> None:
    async with dashboard() as (_app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        await pilot.press("minus")  # nothing to go back to yet
        assert flashed(screen, "no last view yet: - goes back to the view your last command left", "warn")
        await opened(pilot, screen, "dp", "deployments")
        await pilot.press("3")  # shop: the same command in another namespace, recorded too
        await until(pilot, lambda: screen.view_title.strip() == "deployments(shop)[3]")
        await pilot.press("enter")  # drilling in is not a command: `-` still means the view before the command
        await until(pilot, lambda: screen.view_name == "pods")
        await pilot.press("minus")
        await until(pilot, lambda: screen.view_title.strip() == f"deployments(all)[{ALL_DEPLOYMENTS}]")
        assert len(screen.stack) == 1  # a command's view: no crumbs behind it
        await pilot.press("minus")  # and back again, like `cd -`
        await until(pilot, lambda: screen.view_title.strip() == "deployments(shop)[3]")
        assert screen.namespace == "shop"

        await opened(pilot, screen, "no", "nodes")
        await pilot.press("left_square_bracket")
        await until(pilot, lambda: screen.view_title.strip() == "deployments(shop)[3]")
        await pilot.press("left_square_bracket")
        await until(pilot, lambda: screen.view_title.strip() == f"deployments(all)[{ALL_DEPLOYMENTS}]")
        await pilot.press("left_square_bracket")
        await until(pilot, lambda: screen.view_title.strip() == "deployments(shop)[3]")
        await pilot.press("left_square_bracket", "left_square_bracket")
        await until(pilot, lambda: screen.view_title.strip() == f"pods(all)[{ALL_PODS}]")  # the first view
        await pilot.press("left_square_bracket")
        assert flashed(screen, "no earlier command in the history", "warn")
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: screen.view_title.strip() == f"deployments(all)[{ALL_DEPLOYMENTS}]")
        await opened(pilot, screen, "rs", "replicasets")  # a new command drops what ] could have gone forward to
        await pilot.press("right_square_bracket")
        assert flashed(screen, "no later command in the history ([ goes back)", "warn")
        await pilot.press("y")
        await until(pilot, lambda: screen.view_name == "yaml")
        await pilot.press("minus")  # from any view
        await until(pilot, lambda: screen.view_title.strip() == f"deployments(all)[{ALL_DEPLOYMENTS}]")


# --- navigation --------------------------------------------------------------------------------------------------


async def test_j_k_g_G_move_the_cursor_in_tables_sources_and_the_rollout_panel() -> None:
    async with dashboard() as (app, pilot, screen, _cluster):
        view = table(screen)
        await until(pilot, lambda: view.row_count == ALL_PODS)
        names = view.visible_names()
        for key, row in (("j", 1), ("j", 2), ("k", 1), ("G", ALL_PODS - 1), ("g", 0)):
            await pilot.press(key)
            assert view.table.cursor_row == row
            assert f" {names[row]} " in cursor_text(view.table), key

        # the sources view: one row per declared object; `/` narrows it, esc clears the filter
        await opened(pilot, screen, "src", "sources")
        sources = screen.view
        assert isinstance(sources, SourcesView)
        await until(pilot, lambda: sources.row_count > 3)
        locations = [row.location for row in sources.rows.values()]  # FILE:LINE, in table order
        for key, row in (("j", 1), ("G", -1), ("k", -2), ("g", 0)):
            await pilot.press(key)
            assert cursor_text(sources.table).startswith(f" {locations[row]} "), key
        await filter_by(pilot, "redis")  # shop/redis.yaml: a Deployment and a Service
        await until(pilot, lambda: screen.view_title.strip() == "sources[2] </redis>")
        assert all(line.split()[0].startswith("shop/redis.yaml:") for line in frame(app)[1:3])
        await pilot.press("escape")
        await until(pilot, lambda: screen.view_title.strip() == f"sources[{len(locations)}]")

        # the rollout panel: one row per revision, newest first; it cannot be filtered; esc goes back
        await opened(pilot, screen, "deploy shop", "deployments", rows=3)
        await filter_by(pilot, "frontend")
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(screen.view, RolloutView) and len(screen.view.history()) == 1)
        panel = screen.view
        assert isinstance(panel, RolloutView)
        for revisions in (2, 3):  # each restart is a new revision
            await app.backend.restart("frontend", "shop")
            await until(pilot, lambda revisions=revisions: len(panel.history()) == revisions)
        for key, revision in (("G", "1"), ("k", "2"), ("g", "3 (current)"), ("j", "2")):
            await pilot.press(key)
            assert cursor_text(panel.table).startswith(f" {revision} "), key
        await pilot.press("slash", "x", "enter")
        assert flashed(screen, "rollout view cannot be filtered", "error")
        await pilot.press("escape")
        await until(pilot, lambda: screen.view_name == "deployments")
        assert screen.view_title.strip() == "deployments(shop)[1] </frontend>"


async def test_text_views_scroll_wrap_and_cannot_be_filtered() -> None:
    async with dashboard(size=(80, 30)) as (app, pilot, screen, cluster):
        await until(pilot, lambda: all_running(cluster))
        await filter_by(pilot, "redis")
        await pilot.press("y")
        await until(pilot, lambda: screen.view_name == "yaml")
        view = screen.view
        assert isinstance(view, TextView)
        await until(pilot, lambda: frame(app)[0].strip() == "apiVersion: v1")
        content = view.content.splitlines()
        for key, first in (("j", 1), ("j", 2), ("k", 1), ("g", 0)):
            await pilot.press(key)
            await until(pilot, lambda first=first: frame(app)[0].strip() == content[first].strip())
        await pilot.press("G")
        await until(pilot, lambda: frame(app)[-1].strip() == content[-1].strip())
        assert "apiVersion: v1" not in [line.strip() for line in frame(app)]

        await wraps(app, pilot, screen)
        await pilot.press("slash", "x", "enter")  # text views are not filtered
        assert flashed(screen, "yaml view cannot be filtered", "error")
        assert screen.view_name == "yaml"

        await pilot.press("escape", "d")
        await until(pilot, lambda: screen.view_name == "describe")
        await wraps(app, pilot, screen)

        await opened(pilot, screen, "src", "sources")
        await until(pilot, lambda: screen.view.row_count > 0)  # type: ignore[union-attr]
        await pilot.press("G", "d")  # the last object: its drift (none), then its describe text
        await until(pilot, lambda: screen.view_name == "drift" and "Drift (declared → live):" in frame(app)[0])
        await pilot.press("w")
        assert flashed(screen, "wrap on")
        await pilot.press("w")
        assert flashed(screen, "wrap off")


async def wraps(app: App[None], pilot: Pilot[None], screen: MainScreen) -> None:
    """`w` in a text view: a line too long for the frame, cut off at its edge, shows whole; `w` again cuts it."""
    view = screen.view
    assert isinstance(view, TextView)
    await until(pilot, lambda: bool(view.content))
    long = [line for line in view.content.splitlines()[-8:] if len(line) > app.size[0]]
    assert long, "a line near the end too long for the frame"

    def whole() -> bool:  # the line's text on screen, across as many rows as it takes
        return "".join(long[-1].split()) in "".join("".join(line.split()) for line in frame(app))

    await pilot.press("G")
    assert not whole()
    await pilot.press("w")
    assert flashed(screen, "wrap on")
    await pilot.press("G")
    await until(pilot, whole)
    await pilot.press("w")
    assert flashed(screen, "wrap off")
    await pilot.press("G")
    await until(pilot, lambda: not whole())


async def cart_logs(pilot: Pilot[None], screen: MainScreen, cluster: Cluster) -> LogsView:
    """The logs of a cart pod (the sample's chattiest), once they are more than a frame holds."""
    await until(pilot, lambda: all_running(cluster))
    await filter_by(pilot, "cart")
    await pilot.press("l")
    await until(pilot, lambda: screen.view_name == "logs")
    view = screen.view
    assert isinstance(view, LogsView)
    await until(pilot, lambda: len(view.lines) > 30)
    return view


async def test_log_keys_timestamps_wrap_autoscroll_scrolling_and_filter() -> None:
    async with dashboard(size=(70, 30)) as (app, pilot, screen, cluster):
        view = await cart_logs(pilot, screen, cluster)
        pod = view.spec.name
        assert frame(app)[0].split() == ["Autoscroll:On", "Timestamps:Off", "Wrap:Off"]
        stamp = re.compile(r"^ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")

        await pilot.press("t")
        assert flashed(screen, "timestamps on")
        await until(pilot, lambda: "Timestamps:On" in frame(app)[0])
        assert all(stamp.match(line) for line in frame(app)[1:] if line.strip())
        assert not on_screen(app, f"({pod})")  # a timestamped line is wider than the frame: cut off

        await pilot.press("w")
        assert flashed(screen, "wrap on")
        await until(pilot, lambda: "Wrap:On" in frame(app)[0] and on_screen(app, f"({pod})"))

        await pilot.press("s")
        assert flashed(screen, "autoscroll off")
        await until(pilot, lambda: "Autoscroll:Off" in frame(app)[0])
        shown = await settled(pilot, app)
        count = len(view.lines)
        await until(pilot, lambda: len(view.lines) >= count + 3)  # more lines arrive; the view stays put
        await pilot.pause(0.3)
        assert frame(app) == shown

        await command(pilot, "pause")  # no new lines from here on (`p` is Previous in logs)
        await until(pilot, lambda: "PAUSED" in screen.header.plain())
        await pilot.press("g")
        await until(pilot, lambda: "Starting" in frame(app)[1])  # the container's first line
        top = frame(app)[1:]
        await pilot.press("j")
        await until(pilot, lambda: frame(app)[1:] == top[1:] + frame(app)[-1:])
        await pilot.press("k")
        await until(pilot, lambda: frame(app)[1:] == top)
        await pilot.press("G")  # the end, and following again
        assert flashed(screen, "autoscroll on")
        stamp_of_last = app.backend.format_logs(view.lines[-1:], True)[0].split()[0]
        await until(pilot, lambda: on_screen(app, stamp_of_last) and "Autoscroll:On" in frame(app)[0])
        assert not any("Starting" in line for line in frame(app))

        await filter_by(pilot, "cart/1")
        await until(pilot, lambda: screen.view_title.strip() == f"logs(shop/{pod}:api) </cart/1>")
        lines = [line for line in frame(app)[1:] if stamp.match(line)]
        assert lines and all("/cart/1" in line for line in lines)
        await pilot.press("escape")  # clears the filter
        await until(pilot, lambda: screen.view_title.strip() == f"logs(shop/{pod}:api)")
        await pilot.press("s")
        assert flashed(screen, "autoscroll off")
        await pilot.press("s")
        assert flashed(screen, "autoscroll on")
        await pilot.press("escape")  # back
        await until(pilot, lambda: screen.view_name == "pods")


async def settled(pilot: Pilot[None], app: App[None]) -> list[str]:
    """The frame once it stops changing (a scroll to the end asked for before now may land a frame later)."""
    shown: list[str] = []
    while (now := frame(app)) != shown:
        shown = now
        await pilot.pause(0.1)
    return shown


async def test_scrolling_back_in_logs_stops_autoscroll_and_G_follows_again() -> None:
    async with dashboard(size=(70, 30)) as (app, pilot, screen, cluster):
        view = await cart_logs(pilot, screen, cluster)
        await pilot.press("k")
        assert flashed(screen, "autoscroll off while you read back (G or s follows the log again)")
        await until(pilot, lambda: "Autoscroll:Off" in frame(app)[0])
        shown = await settled(pilot, app)
        count = len(view.lines)
        await until(pilot, lambda: len(view.lines) >= count + 3)  # new lines arrive below; what is read stays
        await pilot.pause(0.3)
        assert frame(app) == shown
        await pilot.press("G")
        assert flashed(screen, "autoscroll on")
        await until(pilot, lambda: "Autoscroll:On" in frame(app)[0])
        count = len(view.lines)
        await until(pilot, lambda: len(view.lines) >= count + 2)
        newest = view.lines[-1][1]
        await until(pilot, lambda: view.lines[-1][1] != newest)
        newest = view.lines[-1][1]
        await until(pilot, lambda: on_screen(app, newest[:40]))  # following: the newest line comes into view

        await pilot.press("up")  # the log's own keys and the wheel stop it too
        await until(pilot, lambda: "Autoscroll:Off" in frame(app)[0])
        await pilot.press("end")
        await until(pilot, lambda: "Autoscroll:On" in frame(app)[0])
        x, y = view.log_widget.region.center  # the mouse wheel, as the terminal driver reports it
        app.post_message(events.MouseScrollUp(None, x, y, 0, -1, 0, False, False, False, screen_x=x, screen_y=y))
        await until(pilot, lambda: "Autoscroll:Off" in frame(app)[0])


async def test_0_to_6_in_logs_pick_the_range_as_in_k9s() -> None:
    async with dashboard(size=(90, 30)) as (app, pilot, screen, cluster):
        view = await cart_logs(pilot, screen, cluster)
        pod = view.spec.name
        await until(pilot, lambda: len(view.lines) > 120 and view.lines[0][0] < cluster.now() - 90)
        await command(pilot, "pause")  # the log stops growing while we count it
        await pilot.press("2")
        assert flashed(screen, "the last 1m of the log")
        assert screen.view_title.strip() == f"logs(shop/{pod}:api)[1m]"
        since = cluster.now() - 60
        shown = len(view.log_widget.lines)
        assert 0 < shown == sum(1 for t, _ in view.lines if t >= since) < len(view.lines)
        for key, label, seconds in (("3", "5m", 300), ("4", "15m", 900), ("5", "30m", 1800), ("6", "1h", 3600)):
            await pilot.press(key)
            assert flashed(screen, f"the last {label} of the log")
            assert screen.view_title.strip() == f"logs(shop/{pod}:api)[{label}]"
            since = cluster.now() - seconds
            assert len(view.log_widget.lines) == sum(1 for t, _ in view.lines if t >= since)
        await pilot.press("0")
        assert flashed(screen, "the last 100 lines")
        assert len(view.log_widget.lines) == 100
        assert screen.view_title.strip() == f"logs(shop/{pod}:api)[tail]"
        await pilot.press("1")
        assert flashed(screen, "the whole log, from the start")
        assert len(view.log_widget.lines) == len(view.lines)
        assert screen.view_title.strip() == f"logs(shop/{pod}:api)"
        await pilot.press("g")
        await until(pilot, lambda: "Starting" in frame(app)[1])


async def test_ctrl_a_lists_every_resource_and_its_names_and_enter_opens_one() -> None:
    async with dashboard() as (app, pilot, screen, _cluster):
        await until(pilot, lambda: table(screen).row_count == ALL_PODS)
        await pilot.press("ctrl+a")
        await until(pilot, lambda: screen.view_name == "aliases")
        view = screen.view
        assert isinstance(view, AliasesView)
        kinds = len(app.backend.kinds())
        assert screen.view_title.strip() == f"aliases[{kinds + 2}]"  # every kind, the watched folders, :pf
        assert row_text(app, "deployments").split() == ["deployments", "dp,deploy,deployment,deployments",
                                                        "Deployment", "true"]
        # Every served resource, `sources` and `portforwards`, by name: kinds added later (controllerrevisions,
        # storageclasses…) take their places in it.
        order = [row[0] for row in alias_rows(app.backend, commands.ALIASES, commands.SOURCES)]
        assert order == sorted(order) and len(order) == kinds + 2 and {"sources", "portforwards"} <= set(order)
        assert row_text(app, "portforwards").split() == ["portforwards", "pf,portforward,portforwards",
                                                         "(port-forwards)", "false"]
        assert view.selected_command() == order[0] == "clusterrolebindings"  # by resource name
        for key, expected in (("j", order[1]), ("G", order[-1]), ("k", order[-2]), ("g", order[0])):
            await pilot.press(key)
            assert view.selected_command() == expected
        await filter_by(pilot, "replica")
        assert screen.view_title.strip() == "aliases[1] </replica>"
        await pilot.press("escape")  # clears the filter
        assert screen.view_title.strip() == f"aliases[{kinds + 2}]"
        await filter_by(pilot, "Deployment")
        await pilot.press("enter")  # as if `:deployments` were typed
        await until(pilot, lambda: screen.view_title.strip() == f"deployments(all)[{ALL_DEPLOYMENTS}]")
        await command(pilot, "a")  # k9s's command for the same list
        await until(pilot, lambda: screen.view_name == "aliases")
        await pilot.press("escape")  # nothing to clear, nothing behind it: the list stays
        assert screen.view_name == "aliases"


async def test_0_and_1_to_9_switch_the_namespace() -> None:
    async with dashboard() as (app, pilot, screen, _cluster):
        await until(pilot, lambda: screen.view_title.strip() == f"pods(all)[{ALL_PODS}]")
        for favourite in ("<0> all", "<1> default", "<2> platform", "<3> shop"):
            assert on_screen(app, favourite)  # the header lists them
        for key, title in (("3", "pods(shop)[6]"), ("2", "pods(platform)[2]"), ("1", "pods(default)[0]"),
                           ("0", f"pods(all)[{ALL_PODS}]")):
            await pilot.press(key)
            await until(pilot, lambda title=title: screen.view_title.strip() == title)
        for key in "456789":
            await pilot.press(key)
            assert flashed(screen, f"no favourite namespace <{key}>", "warn")
            assert screen.view_title.strip() == f"pods(all)[{ALL_PODS}]"

        await opened(pilot, screen, "deploy", "deployments", rows=ALL_DEPLOYMENTS)
        await pilot.press("2")
        await until(pilot, lambda: screen.view_title.strip() == "deployments(platform)[1]")

        # Nodes are not namespaced: the key picks the namespace the next list shows.
        await opened(pilot, screen, "no", "nodes")
        await pilot.press("3")
        assert flashed(screen, "namespace: shop (nodes are not namespaced)")
        assert screen.view_title.strip() == "nodes[3]"
        await opened(pilot, screen, "ev", "events")
        await until(pilot, lambda: screen.view_title.startswith(" events(shop)["))
        await pilot.press("0")
        await until(pilot, lambda: screen.view_title.startswith(" events(all)["))

        # One pod's containers stay on screen, whatever namespace is picked.
        await opened(pilot, screen, "po shop", "pods")
        await filter_by(pilot, "cart")
        await pilot.press("enter")
        await until(pilot, lambda: screen.view_name == "containers" and table(screen).row_count == 2)
        title = screen.view_title
        await pilot.press("2")
        assert flashed(screen, "namespace: platform (this view shows the containers of one pod)")
        await pilot.pause(0.1)
        assert screen.view_title == title and table(screen).row_count == 2
        await opened(pilot, screen, "po", "pods", rows=2)
        assert screen.view_title.strip() == "pods(platform)[2]"


async def test_shift_a_and_shift_s_sort_and_the_header_shows_the_order() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await cluster.create(pod("too-big", cpu="64"))  # fits no node: Pending
        await until(pilot, lambda: all_running(cluster) and table(screen).row_count == ALL_PODS + 1)
        await cluster.create(pod("late"))  # the youngest
        view = table(screen)
        await until(pilot, lambda: view.row_count == ALL_PODS + 2 and "Running" in row_text(app, "late"))
        # One namespace: the add-ons' long pod names would push AGE and its arrow past the right edge.
        await pilot.press("1")
        await until(pilot, lambda: screen.view_title.strip() == "pods(default)[2]")

        def names() -> list[str]:  # the NAME column, the first in one namespace
            return [line.split()[0] for line in frame(app)[1:] if line.strip()]

        await pilot.press("A")
        assert flashed(screen, "sorted by age, descending")
        await until(pilot, lambda: "AGE↓" in frame(app)[0] and names()[0] == "late")
        await pilot.press("A")
        assert flashed(screen, "sorted by age, ascending")
        await until(pilot, lambda: "AGE↑" in frame(app)[0] and names()[-1] == "late")

        await pilot.press("S")
        assert flashed(screen, "sorted by status, ascending")
        await until(pilot, lambda: "STATUS↑" in frame(app)[0] and "AGE↑" not in frame(app)[0])
        assert names()[0] == "too-big" and "Pending" in row_text(app, "too-big")  # Pending < Running
        await pilot.press("S")
        assert flashed(screen, "sorted by status, descending")
        await until(pilot, lambda: "STATUS↓" in frame(app)[0] and names()[-1] == "too-big")

        # Events have a TYPE where others have a STATUS.
        await opened(pilot, screen, "ev", "events")
        await pilot.press("S")
        assert flashed(screen, "sorted by type, ascending")
        await until(pilot, lambda: "TYPE↑" in frame(app)[0])

        # A pod's containers: a STATE (init containers first until sorted).
        await opened(pilot, screen, "po shop", "pods")
        await filter_by(pilot, "cart")
        await pilot.press("enter")
        await until(pilot, lambda: screen.view_name == "containers" and table(screen).row_count == 2)

        def containers() -> list[str]:
            return [line.split()[0] for line in frame(app)[1:] if line.strip()]

        assert containers() == ["migrate", "api"]
        await pilot.press("S")
        assert flashed(screen, "sorted by state, ascending")
        await until(pilot, lambda: "STATE↑" in frame(app)[0])
        assert containers() == ["migrate", "api"]  # Completed < Running
        await pilot.press("S")
        await until(pilot, lambda: "STATE↓" in frame(app)[0] and containers() == ["api", "migrate"])
        await pilot.press("N", "N")
        assert flashed(screen, "sorted by name, descending")
        await until(pilot, lambda: "NAME↓" in frame(app)[0] and containers() == ["migrate", "api"])


def pod(name: str, cpu: str = "") -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "nginx:1.27"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [container]}}


async def test_ctrl_w_toggles_the_wide_columns() -> None:
    wide = {
        "po": ("pods", ["NOMINATED NODE", "READINESS GATES"]),
        "deploy": ("deployments", ["CONTAINERS", "IMAGES", "SELECTOR"]),
        "rs": ("replicasets", ["CONTAINERS", "IMAGES", "SELECTOR"]),
        "no": ("nodes", ["INTERNAL-IP", "OS-IMAGE", "CONTAINER-RUNTIME"]),
        "ev": ("events", ["SUBOBJECT", "SOURCE"]),  # FIRST SEEN, COUNT, NAME: past the right edge
        "svc": ("services", ["SELECTOR"]),
    }
    async with dashboard() as (_app, pilot, screen, _cluster):
        for alias, (view, columns) in wide.items():
            await opened(pilot, screen, alias, view)
            await until(pilot, lambda: table(screen).row_count > 0)
            await filter_by(pilot, "e")  # kept across the switch
            def header() -> str:  # the table's own header: a wide column may lie past the right edge
                return "  ".join(table(screen).columns)

            assert not any(c in header() for c in columns)
            await pilot.press("ctrl+w")
            await until(pilot, lambda columns=columns: all(c in header() for c in columns))
            assert screen.view_title.rstrip().endswith("</e>")
            await pilot.press("ctrl+w")
            await until(pilot, lambda columns=columns: not any(c in header() for c in columns))


# --- drilling in -------------------------------------------------------------------------------------------------


async def test_enter_drills_into_containers_logs_and_a_namespace() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await until(pilot, lambda: all_running(cluster))
        await filter_by(pilot, "cart")
        name = table(screen).visible_names()[0]
        await pilot.press("enter")  # a pod: its containers, init containers first
        await until(pilot, lambda: screen.view_title.strip() == f"containers:{name}(shop)[2]")
        assert screen.crumbs.labels == ["pods", f"containers:{name}"]
        assert [line.split()[0] for line in frame(app)[1:3]] == ["migrate", "api"]
        await pilot.press("G", "enter")  # a container: its log
        await until(pilot, lambda: screen.view_title.strip() == f"logs(shop/{name}:api)")
        await until(pilot, lambda: on_screen(app, "Starting ghcr.io/example/cart:"))
        await pilot.press("escape", "g", "l")  # `l` on a container: that container's log
        await until(pilot, lambda: screen.view_title.strip() == f"logs(shop/{name}:migrate)")
        assert screen.crumbs.labels == ["pods", f"containers:{name}", f"logs:{name}:migrate"]
        await pilot.press("escape", "escape")
        await until(pilot, lambda: screen.view_title.strip() == "pods(all)[2] </cart>")

        await opened(pilot, screen, "ns", "namespaces")
        await filter_by(pilot, "platform")
        await pilot.press("enter")  # a namespace: its pods, and it becomes the current one
        await until(pilot, lambda: screen.view_title.strip() == "pods(platform)[2]")
        assert screen.crumbs.labels == ["namespaces", "pods"]
        await opened(pilot, screen, "deploy", "deployments")
        await until(pilot, lambda: screen.view_title.strip() == "deployments(platform)[1]")


async def test_shift_j_jumps_to_the_owner_and_o_shows_the_pods_node() -> None:
    async with dashboard() as (_app, pilot, screen, cluster):
        await until(pilot, lambda: all_running(cluster))
        await filter_by(pilot, "frontend")
        pod = table(screen).selected()
        assert pod is not None
        replicaset = pod["metadata"]["ownerReferences"][0]["name"]
        await pilot.press("J")
        await until(pilot, lambda: screen.view_title.strip() == f"replicasets(shop)[1] <{replicaset}>")
        await pilot.press("J")
        await until(pilot, lambda: screen.view_title.strip() == "deployments(shop)[1] <frontend>")
        assert screen.crumbs.labels == ["pods", "replicasets", "deployments"]
        await pilot.press("J")
        assert flashed(screen, "deployment/frontend has no owner: nothing controls it", "warn")
        await pilot.press("escape", "escape")
        await until(pilot, lambda: screen.view_title.strip() == "pods(all)[3] </frontend>")

        node = pod["spec"]["nodeName"]
        await pilot.press("o")
        await until(pilot, lambda: screen.view_title.strip() == f"nodes[1] <{node}>")
        assert table(screen).visible_names() == [node]
        await pilot.press("escape")
        await until(pilot, lambda: screen.view_name == "pods")


async def test_x_decodes_a_secret_and_only_there() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await cluster.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": "shop"},
                             "stringData": {"password": "hunter2", "url": "redis://redis:6379/0\n"},
                             "data": {"blob": "AP8Q/w=="}})
        await pilot.press("x")
        assert flashed(screen, "<x> does nothing in the pods view (? lists the keys)", "warn")
        await command(pilot, "secrets")
        await until(pilot, lambda: screen.view_title.strip() == "secrets(all)[1]")
        assert not on_screen(app, "hunter2") and not on_screen(app, "aHVudGVyMg==")  # the table shows no values
        await pilot.press("x")
        await until(pilot, lambda: screen.view_name == "decode")
        assert screen.view_title.strip() == "decode(secret/shop/creds)"
        assert screen.crumbs.labels == ["secrets", "decode:creds"]
        await until(pilot, lambda: on_screen(app, "password: hunter2"))
        lines = [line.rstrip() for line in frame(app) if line.strip()]
        assert lines[:3] == [" blob: <binary, 4 bytes>", " password: hunter2", " url: |"]
        await pilot.press("escape")
        await until(pilot, lambda: screen.view_name == "secrets")


async def test_y_and_d_from_every_kind_of_object() -> None:
    views = {"deploy": ("deployments", "Deployment"), "rs": ("replicasets", "ReplicaSet"), "no": ("nodes", "Node"),
             "ns": ("namespaces", "Namespace"), "ev": ("events", "Event"), "svc": ("services", "Service"),
             "cm": ("generic", "ConfigMap")}
    async with dashboard() as (app, pilot, screen, _cluster):
        for alias, (view, kind) in views.items():
            await opened(pilot, screen, alias, view)
            await until(pilot, lambda: table(screen).row_count > 0)
            name = (table(screen).selected() or {})["metadata"]["name"]
            await pilot.press("y")
            await until(pilot, lambda: screen.view_name == "yaml")
            assert screen.view_title.startswith(f" yaml({kind.lower()}/") and screen.view_title.strip().endswith(
                f"/{name})")
            await until(pilot, lambda kind=kind: f"kind: {kind}" in [line.strip() for line in frame(app)])
            await pilot.press("escape", "d")
            await until(pilot, lambda: screen.view_name == "describe")
            assert screen.view_title.startswith(f" describe({kind.lower()}/")
            # kubectl's describe, after the usage sparklines a pod's and a node's start with (4 lines)
            skip = 4 if kind == "Node" else 0
            await until(pilot, lambda name=name, skip=skip: frame(app)[skip].split() == ["Name:", name])
            await pilot.press("escape")
            await until(pilot, lambda view=view: screen.view_name == view)


# --- resource actions --------------------------------------------------------------------------------------------


async def test_ctrl_d_deletes_the_selected_object_after_asking() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await opened(pilot, screen, "deploy", "deployments", rows=ALL_DEPLOYMENTS)
        await filter_by(pilot, "cart")
        await pilot.press("ctrl+d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert app.screen.message == "Delete deployment shop/cart?"  # type: ignore[attr-defined]
        await answer(app, pilot, "n")
        assert screen.view_title.strip() == "deployments(all)[1] </cart>"
        await pilot.press("ctrl+d")
        await answer(app, pilot, *CONFIRM)
        await until(pilot, lambda: flashed(screen, "deployment/cart deleted"))
        await until(pilot, lambda: screen.view_title.strip() == "deployments(all)[0] </cart>")

        # cart-config, kube-system's kube-proxy and coredns, ingress-nginx's controller config, and the
        # kube-root-ca.crt of each of the 7 namespaces.
        await opened(pilot, screen, "cm", "generic", rows=11)
        await filter_by(pilot, "cart")
        await pilot.press("ctrl+d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert app.screen.message == "Delete configmap shop/cart-config?"  # type: ignore[attr-defined]
        await answer(app, pilot, *CONFIRM)
        await until(pilot, lambda: flashed(screen, "configmap/cart-config deleted"))
        await until(pilot, lambda: screen.view_title.strip() == "configmaps(all)[0] </cart>")
        assert cluster.get("configmaps", "cart-config", "shop") is None


async def test_r_restarts_a_deployment_and_its_replicasets_scale_roll_back_and_drill() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await until(pilot, lambda: all_running(cluster))
        await opened(pilot, screen, "deploy shop", "deployments", rows=3)
        await filter_by(pilot, "redis")
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert app.screen.message == "Restart deployment shop/redis? (a rolling restart of all its pods)"  # type: ignore[attr-defined]
        await answer(app, pilot, *CONFIRM)
        await until(pilot, lambda: flashed(screen, "deployment.apps/redis restarted"))

        await opened(pilot, screen, "rs shop", "replicasets")
        await filter_by(pilot, "redis")
        await until(pilot, lambda: table(screen).row_count == 2)  # the restart made revision 2
        view = table(screen)

        def revision() -> str:
            selected = view.selected() or {}
            return str(selected.get("metadata", {}).get("annotations", {}).get("deployment.kubernetes.io/revision"))

        assert view.table.cursor_row == 0
        if revision() != "1":
            await pilot.press("j")
        assert revision() == "1"
        old = view.selected()["metadata"]["name"]  # type: ignore[index]
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert app.screen.message == "Roll deployment shop/redis back to revision 1?"  # type: ignore[attr-defined]
        await answer(app, pilot, *CONFIRM)
        await until(pilot, lambda: flashed(screen, "deployment.apps/redis rolled back"))
        await until(pilot, lambda: row_text(app, old).split()[1:4] == ["1", "1", "1"])  # DESIRED CURRENT READY

        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ScaleDialog))
        await pilot.press("2", "enter")  # the dialog selects the current count: typing replaces it
        await until(pilot, lambda: flashed(screen, f"replicaset/{old} scaled to 2"))

        await pilot.press("enter")  # a replica set: its pods
        await until(pilot, lambda: screen.view_name == "pods")
        hash_label = old.rsplit("-", 1)[1]
        assert screen.view_title.startswith(" pods(shop)[") and f"<app=redis,pod-template-hash={hash_label}>" in (
            screen.view_title)
        assert screen.crumbs.labels == ["replicasets", "pods"]


async def test_c_u_and_f_cordon_uncordon_and_fail_a_node() -> None:
    async with dashboard() as (app, pilot, screen, _cluster):
        await opened(pilot, screen, "no", "nodes", rows=3)
        await pilot.press("j")  # node-2
        await until(pilot, lambda: row_text(app, "node-2").split()[1] == "Ready")
        await pilot.press("c")
        await answer(app, pilot, *CONFIRM)  # k9s asks too
        await until(pilot, lambda: flashed(screen, "node/node-2 cordoned"))
        await until(pilot, lambda: row_text(app, "node-2").split()[1] == "Ready,SchedulingDisabled")
        assert row_text(app, "node-1").split()[1] == "Ready"
        await pilot.press("u")
        await answer(app, pilot, *CONFIRM)
        await until(pilot, lambda: flashed(screen, "node/node-2 uncordoned"))
        await until(pilot, lambda: row_text(app, "node-2").split()[1] == "Ready")

        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert app.screen.message.startswith("Fail node node-2? Its kubelet stops")  # type: ignore[attr-defined]
        await answer(app, pilot, *CONFIRM)
        await until(pilot, lambda: flashed(screen, "node/node-2 failed: kubelet stopped (NotReady after the node "
                                                   "monitor grace period)"))
        await until(pilot, lambda: row_text(app, "node-2").split()[1] == "NotReady")  # 40 s of cluster time later
        await pilot.press("f")  # recovering asks nothing
        await until(pilot, lambda: flashed(screen, "node/node-2 recovered: kubelet running again"))
        await until(pilot, lambda: row_text(app, "node-2").split()[1] == "Ready")


async def test_marks_in_the_nodes_view() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await opened(pilot, screen, "no", "nodes", rows=3)
        grid = table(screen).table
        mark = grid.get_component_rich_style("resource-table--mark")
        await pilot.press("space")  # node-1 marked; the cursor moves on
        assert " node-2 " in cursor_text(grid)
        painted = grid.render_line(1)
        assert "node-1" in painted.text and {s.style.color for s in painted if s.style and s.text.strip()} == {
            mark.color}
        await pilot.press("G", "ctrl+@")  # node-1 to node-3
        assert flashed(screen, "3 marked")
        await pilot.press("ctrl+d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert app.screen.message == "Delete 3 marked nodes? (node-1, node-2, node-3)"  # type: ignore[attr-defined]
        await answer(app, pilot, "n")
        await pilot.press("ctrl+backslash")
        assert flashed(screen, "3 marks cleared")
        await pilot.press("ctrl+backslash")
        assert flashed(screen, "nothing marked")
        assert len(cluster.list("nodes")) == 3
