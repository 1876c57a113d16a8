"""Every key the dashboard answers, declared once as data.

The main screen binds each key to one dispatcher; the footer hints and the `?` help are generated from this
table; `--readonly` drops every binding marked destructive (anything that changes the cluster), so a read-only
session cannot even show a key that would. A key may mean different things in different views (`s` scales a
deployment but toggles autoscroll in logs): the first binding whose `views` include the current view wins.
"""

from __future__ import annotations

from dataclasses import dataclass

# View names. Table views list objects; text views show one object.
POD_VIEWS = frozenset({"pods"})
WORKLOAD_VIEWS = frozenset({"deployments", "replicasets"})
TABLE_VIEWS = frozenset({"pods", "deployments", "replicasets", "nodes", "namespaces", "events", "generic",
                         "secrets", "containers"})
TEXT_VIEWS = frozenset({"yaml", "describe", "logs", "drift", "decode"})
SOURCES_VIEWS = frozenset({"sources"})  # not a TABLE_VIEW: its rows are manifests, not API objects of one kind
ROLLOUT_VIEWS = frozenset({"rollout"})  # one deployment's rollout; its rows are revisions
OBJECT_VIEWS = TABLE_VIEWS - {"containers"}  # rows are API objects (YAML, describe, delete apply)
ALIASES_VIEWS = frozenset({"aliases"})  # ctrl-a: the resources `:` opens
ALL_VIEWS = TABLE_VIEWS | TEXT_VIEWS | SOURCES_VIEWS | ROLLOUT_VIEWS | ALIASES_VIEWS


@dataclass(frozen=True)
class Key:
    key: str  # Textual key name ("ctrl+k", "colon", "G")
    action: str  # handler: MainScreen.do_<action>
    description: str
    views: frozenset[str] = ALL_VIEWS
    destructive: bool = False
    display: str = ""  # how the hint bar shows the key; derived from `key` when empty
    group: str = "resource"  # help sections: general, navigation, resource, cluster
    hint: bool = True  # shown in the footer hint bar
    listed: bool = True  # shown in the `?` help (off for keys another entry already describes)

    @property
    def label(self) -> str:
        if self.display:
            return self.display
        return self.key.replace("ctrl+", "ctrl-").replace("shift+", "shift-")


KEYS: tuple[Key, ...] = (
    # general
    Key("colon", "command", "Command", display=":", group="general"),
    Key("slash", "filter", "Filter", display="/", group="general"),
    Key("question_mark", "help", "Help", display="?", group="general"),
    Key("escape", "back", "Back/Clear", display="esc", group="general"),
    Key("ctrl+c", "quit", "Quit", group="general", hint=False),
    Key("ctrl+t", "theme", "Theme", group="general", hint=False),  # next skin: bundled and user's, by name
    Key("ctrl+a", "aliases", "Aliases", group="general", hint=False),
    Key("minus", "last_view", "Last view", display="-", group="general", hint=False),  # k9s: `cd -` for views
    Key("left_square_bracket", "history_back", "Go back", display="[", group="general", hint=False),
    Key("right_square_bracket", "history_forward", "Go forward", display="]", group="general", hint=False),
    # navigation
    Key("j", "down", "Down", group="navigation", hint=False),
    Key("k", "up", "Up", group="navigation", hint=False),
    Key("g", "top", "Top", group="navigation", hint=False),
    Key("G", "bottom", "Bottom", group="navigation", hint=False),
    Key("enter", "enter", "View", (TABLE_VIEWS - {"events", "generic", "secrets"}) | ALIASES_VIEWS,
        group="navigation"),
    Key("0", "all_namespaces", "All namespaces", TABLE_VIEWS, group="navigation", hint=False),
    Key("1", "favorite", "Favourite namespace (1-9)", TABLE_VIEWS, display="1-9", group="navigation",
        hint=False),
    *(Key(str(n), "favorite", f"Favourite namespace {n}", TABLE_VIEWS, group="navigation", hint=False,
          listed=False) for n in range(2, 10)),
    # resource actions
    Key("y", "yaml", "YAML", OBJECT_VIEWS | ROLLOUT_VIEWS),  # the rollout panel's object is its deployment
    Key("d", "describe", "Describe", OBJECT_VIEWS | ROLLOUT_VIEWS),
    Key("l", "logs", "Logs", POD_VIEWS | {"containers"}),
    Key("o", "show_node", "Show node", POD_VIEWS, hint=False),
    Key("x", "decode", "Decode", frozenset({"secrets"})),
    Key("J", "jump_owner", "Jump owner", OBJECT_VIEWS - {"events", "nodes", "namespaces"}, display="shift-j",
        hint=False),
    # space marks rows for kill/delete, as in k9s; ctrl-space marks every row between the last mark and here
    Key("space", "mark", "Mark", OBJECT_VIEWS - {"events"}),
    Key("ctrl+@", "mark_range", "Mark range", OBJECT_VIEWS - {"events"}, display="ctrl-space", hint=False),
    Key("ctrl+backslash", "clear_marks", "Clear marks", OBJECT_VIEWS - {"events"}, display="ctrl-\\",
        hint=False),
    Key("e", "edit", "Edit", (OBJECT_VIEWS - {"events"}) | SOURCES_VIEWS, destructive=True),  # the manifest file
    Key("ctrl+k", "kill", "Kill", POD_VIEWS, destructive=True),
    Key("ctrl+d", "delete", "Delete", OBJECT_VIEWS - {"events"}, destructive=True),
    Key("s", "scale", "Scale", WORKLOAD_VIEWS, destructive=True),
    Key("r", "restart", "Restart", frozenset({"deployments"}), destructive=True),
    Key("ctrl+l", "rollback", "Rollback", frozenset({"replicasets"}), destructive=True),
    # k9s users press ctrl-l on a deployment to roll back: here it opens the panel to pick the revision, which
    # only reads, so --readonly keeps it; the panel's own ctrl-l is the one that writes.
    Key("ctrl+l", "rollout", "Rollout/Rollback", frozenset({"deployments"})),
    Key("ctrl+l", "rollback_revision", "Rollback", ROLLOUT_VIEWS, destructive=True),
    Key("c", "cordon", "Cordon", frozenset({"nodes"}), destructive=True),
    Key("u", "uncordon", "Uncordon", frozenset({"nodes"}), destructive=True),
    Key("f", "fail_node", "Fail/Recover", frozenset({"nodes"}), destructive=True),
    Key("r", "drain", "Drain", frozenset({"nodes"}), destructive=True),
    Key("ctrl+w", "wide", "Wide", TABLE_VIEWS - {"containers"}, hint=False),
    Key("N", "sort_name", "Sort by name", TABLE_VIEWS, display="shift-n", hint=False),
    Key("A", "sort_age", "Sort by age", TABLE_VIEWS - {"containers"}, display="shift-a", hint=False),
    Key("S", "sort_status", "Sort by status", TABLE_VIEWS, display="shift-s", hint=False),
    # watched folders (the sources view): `S` and `w` mean sort/wrap elsewhere, so they live in SOURCES_VIEWS only
    Key("d", "source_drift", "Drift/Describe", SOURCES_VIEWS),
    Key("S", "resync", "Re-sync", SOURCES_VIEWS, display="shift-s", destructive=True),
    Key("ctrl+s", "resync_all", "Re-sync all", SOURCES_VIEWS, destructive=True),
    Key("w", "write_back", "Write live to file", SOURCES_VIEWS, destructive=True),
    # logs
    Key("s", "autoscroll", "Autoscroll", frozenset({"logs"})),
    Key("w", "wrap", "Wrap", frozenset({"logs", "yaml", "describe", "drift", "decode"})),
    Key("t", "timestamps", "Timestamps", frozenset({"logs"})),
    # In logs `p` is k9s's Previous (the last terminated container's log); `:pause` still pauses there.
    Key("p", "previous", "Previous", frozenset({"logs"})),
    Key("0", "log_range", "Tail (last 100 lines)", frozenset({"logs"}), hint=False),
    Key("1", "log_range", "Head (from the start)", frozenset({"logs"}), hint=False),
    Key("2", "log_range", "Last 1m 5m 15m 30m 1h", frozenset({"logs"}), display="2-6", hint=False),
    *(Key(str(n), "log_range", "Last minutes", frozenset({"logs"}), hint=False, listed=False) for n in range(3, 7)),
    # the simulated cluster's clock
    Key("p", "pause", "Pause/Resume", ALL_VIEWS - {"logs"}, group="cluster"),
    Key("greater_than_sign", "faster", "Faster", display=">", group="cluster"),
    Key("less_than_sign", "slower", "Slower", display="<", group="cluster"),
)

GROUP_TITLES = {"general": "GENERAL", "navigation": "NAVIGATION", "resource": "RESOURCE", "cluster": "CLOCK"}


def active_keys(readonly: bool) -> tuple[Key, ...]:
    return tuple(k for k in KEYS if not (readonly and k.destructive))


def for_view(keys: tuple[Key, ...], view: str) -> list[Key]:
    return [k for k in keys if view in k.views]


def find(keys: tuple[Key, ...], key: str, view: str) -> Key | None:
    """The binding `key` has in `view`, if any."""
    return next((k for k in keys if k.key == key and view in k.views), None)


def bound_anywhere(keys: tuple[Key, ...], key: str) -> bool:
    return any(k.key == key for k in keys)


def textual_keys() -> list[str]:
    """Every distinct key, destructive ones included, so a read-only session can say why a key does nothing."""
    seen: dict[str, None] = {}
    for k in KEYS:
        seen.setdefault(k.key, None)
    return list(seen)
