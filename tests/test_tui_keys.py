"""The keys (each view's and the screen's), the command line and the row filter, without starting the app."""

from __future__ import annotations

from typing import ClassVar

from engine import Cluster
from k9py import keys
from k9py.backend import EngineBackend
from k9py.views import VIEWS, table_spec
from k9py.views.base import MOVE_KEYS
from k9py.views.commands import CommandError, complete, parse
from k9py.views.rows import RowFilter
from k9py.views.table import TableView


def backend() -> EngineBackend:
    return EngineBackend(Cluster(clock="virtual"))


def test_every_key_has_a_handler_where_it_is_declared() -> None:
    from k9py.app import MainScreen

    missing = [f"do_{k.action} on the screen" for k in keys.GLOBAL_KEYS
               if not callable(getattr(MainScreen, f"do_{k.action}", None))]
    missing += [f"do_{k.action} on {cls.__name__}" for cls in VIEWS.values() for k in cls.KEYS  # type: ignore[attr-defined]
                if not callable(getattr(cls, f"do_{k.action}", None))]
    assert missing == []


def test_a_key_means_one_thing_per_view() -> None:
    for table in (keys.GLOBAL_KEYS, *(cls.KEYS for cls in VIEWS.values())):  # type: ignore[attr-defined]
        names = [k.key for k in table]
        assert len(names) == len(set(names)), f"a key bound twice: {names}"
    # A view takes a global key over only where that is meant: `p` is Previous in logs, Pause everywhere else.
    taken = {(name, k.key) for name, cls in VIEWS.items() for k in cls.KEYS  # type: ignore[attr-defined]
             if keys.find(keys.GLOBAL_KEYS, k.key) is not None}
    assert taken == {("logs", "p")}
    assert [k.action for k in keys.keys_for(VIEWS["logs"].KEYS) if k.key == "p"] == ["previous"]  # type: ignore[attr-defined]


def test_readonly_drops_every_destructive_key() -> None:
    pods = VIEWS["pods"].KEYS  # type: ignore[attr-defined]
    active = keys.keys_for(pods, readonly=True)
    assert not any(k.destructive for k in active)
    assert keys.find(active, "ctrl+k") is None
    assert keys.find(keys.keys_for(pods, readonly=False), "ctrl+k") is not None
    assert keys.find(active, "p") is not None  # the clock is not the cluster


def test_a_new_view_is_one_class_and_brings_its_keys() -> None:
    """A view with a `view_name` of its own registers itself, with its keys: nothing else needs to change for
    `:` to open it for its kind and for the hints and the help to list its keys."""

    class LeasesView(TableView):
        view_name = "test-leases"
        FOR_KIND = "Lease"
        KEYS: ClassVar[tuple[keys.Key, ...]] = (*MOVE_KEYS, keys.Key("z", "zap", "Zap"))

        def do_zap(self, host: object, key: keys.Key) -> None: ...

    try:
        assert VIEWS["test-leases"] is LeasesView
        assert table_spec("Lease", None).view == "test-leases"
        listed = [(k.label, k.description) for k in keys.keys_for(LeasesView.KEYS) if k.hint]
        assert ("z", "Zap") in listed and ("?", "Help") in listed
    finally:
        del VIEWS["test-leases"]


def test_commands_resolve_kinds_aliases_and_namespaces() -> None:
    b = backend()
    assert parse("po", b, None).spec.view == "pods"  # type: ignore[union-attr]
    assert parse("dp", b, None).spec.view == "deployments"  # type: ignore[union-attr]
    assert parse("leases", b, "shop").spec.view == "generic"  # type: ignore[union-attr]
    command = parse("deploy shop", b, None)
    assert command.spec is not None and command.spec.namespace == "shop" and command.namespace_given
    assert parse("pods all", b, "shop").spec.namespace is None  # type: ignore[union-attr]
    assert parse("no shop", b, None).spec.namespace is None  # type: ignore[union-attr]  # nodes ignore namespaces
    assert parse("q", b, None).action == "quit"
    # k9s's filter and label forms, in any order with the namespace
    command = parse("po /cart shop app=web,tier!=db", b, None)
    assert command.spec is not None and command.namespace_given
    assert (command.spec.namespace, command.spec.filter, command.spec.selector) == ("shop", "cart", "app=web,tier!=db")
    assert parse("po app=web", b, "shop").spec.namespace == "shop"  # type: ignore[union-attr]
    for bad, message in (("po shop platform", "usage: po [namespace|all] [/filter] [label=value,...]"),
                         ("po /a /b", "usage: po [namespace|all] [/filter] [label=value,...]")):
        try:
            parse(bad, b, None)
        except CommandError as exc:
            assert str(exc) == message
        else:
            raise AssertionError(f"{bad} parsed")
    try:
        parse("flurb", b, None)
    except CommandError as exc:
        assert str(exc) == 'unknown resource "flurb"'
    else:
        raise AssertionError("flurb parsed")


def test_completion_offers_kinds_then_namespaces() -> None:
    b = backend()
    assert complete("dep", b, [])[0] == "deploy"
    assert "replicasets" in complete("rep", b, [])
    assert complete("po s", b, ["platform", "shop"]) == ["po shop"]
    assert complete("no s", b, ["shop"]) == []  # nodes take no namespace


def test_row_filter_regex_inverse_and_labels() -> None:
    b = backend()
    pod = {"metadata": {"labels": {"app": "web"}}}
    assert RowFilter("WEB", b).matches(pod, ["web-1", "Running"])
    assert not RowFilter("!web", b).matches(pod, ["web-1", "Running"])
    assert RowFilter("run+ing", b).matches(pod, ["web-1", "Running"])
    assert RowFilter("web(", b).matches(pod, ["web(1)"])  # a half-typed regex matches literally
    assert RowFilter("-l app=web", b).matches(pod, ["x"])
    assert not RowFilter("-l app!=web", b).matches(pod, ["x"])


def test_a_plain_word_passes_the_rows_the_regex_matches() -> None:
    """RowFilter.passing tests a plain ASCII word with `in` on each row's lower-cased text; what it lets through is
    what the case-insensitive regex matches, non-ASCII rows included (K matches the Kelvin sign only by regex)."""
    from k9py.views.rows import RowState

    b = backend()
    cells = [["web-1", "Running"], ["api-1", "CrashLoopBackOff"], ["WEB-2", "Pending"], ["\u212aube-web", "Running"],
             ["café-web", "Running"], ["kube-proxy", "Running"]]
    states = [RowState(key=str(i), uid=str(i), obj={}, cells=row) for i, row in enumerate(cells)]
    for text in ("web", "WEB", "k", "ing", "!web", "é", "zz", "b-", "web(", "-f wb"):
        row_filter = RowFilter(text, b)
        expected = [s.key for s in states if row_filter.matches(s.obj, s.cells)]
        assert [s.key for s in row_filter.passing(states)] == expected, text
    assert [s.cells[0] for s in RowFilter("k", b).passing(states)] == ["api-1", "\u212aube-web", "kube-proxy"]
    states[0].cells = ["shop-1", "Running"]  # new cells: matched anew, not from the text kept for the old ones
    assert [s.key for s in RowFilter("web", b).passing(states)] == ["2", "3", "4"]


def test_typing_a_plain_word_further_narrows_the_filter() -> None:
    b = backend()
    assert RowFilter("web", b).narrows(RowFilter("WE", b))  # only rows shown for "we" need matching again
    assert not RowFilter("we", b).narrows(RowFilter("web", b))  # backspace widens
    assert not RowFilter("web|api", b).narrows(RowFilter("web", b))  # a regex may match more
    assert not RowFilter("!web", b).narrows(RowFilter("!we", b))  # an inverted filter shows more as it grows
    assert not RowFilter("web", b).narrows(None)


async def test_narrowing_a_filter_shows_what_a_fresh_filter_shows() -> None:
    from tui_support import ALL_PODS, dashboard, table, until

    async with dashboard() as (_app, pilot, screen, _cluster):
        view = table(screen)
        await until(pilot, lambda: view.row_count == ALL_PODS)
        await pilot.press("slash", *"shop", "enter")  # each keystroke narrows the one before
        narrowed = view.visible_names()
        view.set_filter("")
        view.set_filter("shop")
        assert view.visible_names() == narrowed and len(narrowed) == 6
