"""Keys as data: what a key is called, what it does, where the hint bar and the `?` help put it.

Each view declares the keys it answers next to its code (`KEYS`, a class attribute of `Key`s, handled by its
`do_<action>` methods); the main screen declares the few that mean the same everywhere (`GLOBAL_KEYS`: the
prompt, help, back, quit, the theme, the command history, the cluster's clock), handled by its own `do_<action>`.
A key goes to the view on screen first, then to the screen, so a view can take a global key over (`p` is Previous
in logs, Pause everywhere else). What a view answers (`keys_for`) is therefore its keys plus the global ones it
did not take over: the hint bar, the `?` help and `--readonly` (which drops every key marked destructive, anything
that changes the cluster) are all generated from that, so none of them can lie about a key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    key: str  # Textual key name ("ctrl+k", "colon", "G")
    action: str  # handler: do_<action> on the view that declares the key, or on the screen for GLOBAL_KEYS
    description: str
    destructive: bool = False
    display: str = ""  # how the hint bar shows the key; derived from `key` when empty
    group: str = "resource"  # help sections: general, navigation, resource, cluster
    hint: bool = True  # shown in the footer hint bar
    listed: bool = True  # shown in the `?` help (off for keys another entry already describes)
    # Only k9py's simulated cluster can do it (its clock, failing a node, simulated load and requests): hidden on
    # a real cluster, where pressing it says why (`SIMULATED_ONLY`).
    simulated: bool = False

    @property
    def label(self) -> str:
        if self.display:
            return self.display
        return self.key.replace("ctrl+", "ctrl-").replace("shift+", "shift-")


GROUP_TITLES = {"general": "GENERAL", "navigation": "NAVIGATION", "resource": "RESOURCE", "cluster": "CLOCK"}
_GROUP_ORDER = {group: i for i, group in enumerate(GROUP_TITLES)}

# The main screen's keys: the same in every view (unless a view takes one over).
GLOBAL_KEYS: tuple[Key, ...] = (
    Key("colon", "command", "Command", display=":", group="general"),
    Key("slash", "filter", "Filter", display="/", group="general"),
    Key("question_mark", "help", "Help", display="?", group="general"),
    Key("escape", "back", "Back/Clear", display="esc", group="general"),
    Key("ctrl+c", "quit", "Quit", group="general", hint=False),
    Key("ctrl+t", "theme", "Theme", group="general", hint=False),  # next skin: bundled and user's, by name
    Key("ctrl+a", "aliases", "Aliases", group="general", hint=False),
    Key("ctrl+e", "toggle_header", "Toggle header", group="general", hint=False),  # k9s's ctrl-e (headless)
    Key("minus", "last_view", "Last view", display="-", group="general", hint=False),  # k9s: `cd -` for views
    Key("left_square_bracket", "history_back", "Go back", display="[", group="general", hint=False),
    Key("right_square_bracket", "history_forward", "Go forward", display="]", group="general", hint=False),
    # the simulated cluster's clock
    Key("p", "pause", "Pause/Resume", group="cluster", simulated=True),
    Key("greater_than_sign", "faster", "Faster", display=">", group="cluster", simulated=True),
    Key("less_than_sign", "slower", "Slower", display="<", group="cluster", simulated=True),
)
SIMULATED_ONLY = "a real cluster runs on its own: only k9py's simulated cluster has this"


def keys_for(view_keys: Iterable[Key], readonly: bool = False, simulated: bool = True) -> list[Key]:
    """Every key a view answers, as the hint bar and the help list them: the screen's keys the view did not take
    over and the view's own, by help group (each in its declared order); `readonly` drops the destructive ones,
    and a real cluster (`simulated` False) the simulator's own."""
    own = tuple(view_keys)
    taken = {k.key for k in own}
    merged = [k for k in GLOBAL_KEYS if k.key not in taken] + list(own)
    merged.sort(key=lambda k: _GROUP_ORDER[k.group])  # stable: declared order within a group
    return [k for k in merged if not (readonly and k.destructive) and (simulated or not k.simulated)]


def find(keys: Iterable[Key], key: str) -> Key | None:
    """The binding of `key` among `keys`, if any."""
    return next((k for k in keys if k.key == key), None)


def label_of(key: str, tables: Iterable[Iterable[Key]]) -> str:
    """How the hint bar shows `key`, from the first table that binds it; the key's own name otherwise."""
    for table in tables:
        if (found := find(table, key)) is not None:
            return found.label
    return key


def distinct(tables: Iterable[Iterable[Key]]) -> list[str]:
    """Every key bound in any of `tables`, once, destructive ones included (a read-only session says why a key
    does nothing, rather than nothing)."""
    seen: dict[str, None] = {}
    for table in tables:
        for k in table:
            seen.setdefault(k.key, None)
    return list(seen)

