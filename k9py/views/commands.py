"""The `:` command line: parse a command into what to do, and complete a half-typed one."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..backend import Backend, BackendError
from . import table_spec
from .spec import ViewSpec

SOURCES = ("sources", "src")  # the watched folders' objects and errors: not an API kind

QUIT = ("q", "q!", "quit", "exit")
# k9s aliases the engine's registry does not know.
ALIASES = {"dp": "deployments", "pod": "pods", "node": "nodes", "event": "events"}
BUILTINS = ("quit", "help", "speed", "pause", "resume")
ALIASES_VIEW = ("aliases", "alias", "a")  # ctrl-a: every resource and the names it answers to
ALL_NAMESPACES = ("all", "-A", "*")


@dataclass(frozen=True)
class Command:
    action: str  # "view", "quit", "help", "speed", "pause", "resume"
    spec: ViewSpec | None = None
    namespace_given: bool = False
    value: float = 0.0


class CommandError(Exception):
    pass


def parse(text: str, backend: Backend, namespace: str | None) -> Command:
    words = text.strip().split()
    if not words:
        raise CommandError("empty command")
    head, args = words[0], words[1:]
    if head in QUIT:
        return Command("quit")
    if head in ("help", "?"):
        return Command("help")
    if head in ALIASES_VIEW:
        return Command("view", spec=ViewSpec(view="aliases"))
    if head in ("pause", "resume"):
        return Command(head)
    if head in SOURCES:
        if args:
            raise CommandError(f"usage: {head} (it lists every watched folder)")
        return Command("view", spec=ViewSpec(view="sources"))
    view = _view_for(head)
    if view is not None:  # a view with a command of its own (`:xray deploy shop`)
        try:
            spec = view.from_command(args, backend, namespace)  # type: ignore[attr-defined]
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        return Command("view", spec=spec, namespace_given=spec.namespace != namespace)
    if head == "speed":
        try:
            return Command("speed", value=float(args[0].rstrip("x")))
        except (IndexError, ValueError):
            raise CommandError("usage: speed X (0.25 to 64)") from None
    try:
        kind = backend.resolve(ALIASES.get(head.lower(), head))
    except BackendError as exc:
        raise CommandError(str(exc)) from None
    # k9s's forms: `:po shop`, `:po /cart` (a filter), `:po app=web,tier!=db` (a label selector), in any order.
    names = [a for a in args if not a.startswith("/") and "=" not in a]
    filters = [a[1:] for a in args if a.startswith("/")]
    selectors = [a for a in args if not a.startswith("/") and "=" in a]
    if len(names) > 1 or len(filters) > 1 or len(selectors) > 1:
        raise CommandError(f"usage: {head} [namespace|all] [/filter] [label=value,...]")
    if selectors:
        try:
            backend.label_matcher(selectors[0])
        except BackendError as exc:
            raise CommandError(str(exc)) from None
    if names:
        namespace = None if names[0] in ALL_NAMESPACES else names[0]
    spec = table_spec(kind.kind, namespace if kind.namespaced else None)
    spec = dataclasses.replace(spec, filter=filters[0] if filters else "", selector=selectors[0] if selectors else "")
    return Command("view", spec=spec, namespace_given=bool(names) and kind.namespaced)


def _view_for(head: str) -> type | None:
    """The view that answers `head` as its own command (a view declares `COMMANDS` and `from_command`)."""
    from . import VIEWS

    return next((cls for cls in VIEWS.values() if head.lower() in getattr(cls, "COMMANDS", ())), None)


def _names(backend: Backend) -> list[str]:
    from . import VIEWS

    names: set[str] = set(ALIASES) | set(BUILTINS) | set(SOURCES) | set(ALIASES_VIEW)
    names.update(command for cls in VIEWS.values() for command in getattr(cls, "COMMANDS", ()))
    for kind in backend.kinds():
        names.update(kind.names)
    return sorted(names, key=lambda n: (len(n), n))


def complete(text: str, backend: Backend, namespaces: list[str]) -> list[str]:
    """Whole command lines that `text` could become, best first (the first is Tab's completion)."""
    if not text or text != text.lstrip():
        return []
    words = text.split(" ")
    if len(words) == 1:
        word = words[0].lower()
        return [n for n in _names(backend) if n.startswith(word) and n != word]
    if len(words) == 2:
        head, partial = words
        try:
            kind = backend.resolve(ALIASES.get(head.lower(), head))
        except BackendError:
            return []
        if not kind.namespaced:
            return []
        options = ["all", *sorted(namespaces)]
        return [f"{head} {ns}" for ns in options if ns.startswith(partial) and ns != partial]
    return []
