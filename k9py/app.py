"""The dashboard: a k9s-style screen over a `Backend`.

Layout, top to bottom: header (cluster summary, clock, favourite namespaces, logo), the `:`/`/` prompt (only
while typing), the current view in a titled frame, the crumbs line, the flash line and the key hints.

A key goes to the view on screen first (the keys it declares, `KEYS`, handled by its `do_<action>` methods),
then to the screen (`keys.GLOBAL_KEYS`: the prompt, help, back, quit, theme, the command history, the clock); the
hint bar and the `?` help are generated from the same keys, so they show exactly what the keys do. The views and
the actions they start (`actions`) see the screen only as an `actions.Host`. Keys are handled one at a time, in
the order they were typed, however fast they come (`K9App._take_key`). An exception nothing caught ends the app,
as in any Textual app, and its traceback is kept in a crash log (`write_crash_log`) that `k9py` names as it exits.

Views are built from `ViewSpec`s: the crumbs are a stack of specs, not of live widgets (`view_stack.ViewStack`).
The last few table views stay alive, hidden, so going back to one (esc, or `:po` again) shows it at once, cursor
and all, instead of listing and printing 10,000 objects anew; each keeps its watch, taken in once a second.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import events, on
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget

from . import actions
from . import keys as keymod
from .backend import Backend, BackendError
from .editor import editor_command, run_editor
from .keys import Key
from .theme import Theme, ThemeError, available_themes, load_theme
from .view_stack import ViewStack
from .views import VIEWS, ViewSpec, build_view, table_spec, view_keys
from .views.commands import CommandError, complete, parse
from .widgets.crumbs import Crumbs
from .widgets.dialogs import Dialog
from .widgets.flash import Flash
from .widgets.header import ClusterHeader, format_speed
from .widgets.help import HelpScreen
from .widgets.hints import KeyHints
from .widgets.prompt import Prompt

Obj = dict[str, Any]
HEADER_SECONDS = 0.5
MIN_SPEED, MAX_SPEED = 0.25, 64.0


def crash_log_folder() -> Path:
    """Where crash logs go: $XDG_STATE_HOME/k9py, by default ~/.local/state/k9py."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "k9py"


def write_crash_log(error: BaseException) -> Path | None:
    """Write `error`'s traceback to a new file in `crash_log_folder()` (the temp folder's k9py/ if that cannot be
    written) and return its path; None if no file could be written."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    text = (f"k9py crashed at {time.strftime('%Y-%m-%d %H:%M:%S %z')}\n"
            f"command: {' '.join(sys.argv)}\npython: {sys.version.split()[0]}\n\n"
            + "".join(traceback.format_exception(error)))
    for folder in (crash_log_folder(), Path(tempfile.gettempdir()) / "k9py"):
        path = folder / f"crash-{stamp}-{os.getpid()}.log"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError:
            continue
        return path
    return None


def sample_manifests() -> Path | None:
    """The bundled sample system: packaged inside k9py (installed wheels) or next to it (a source checkout)."""
    from .theme import package_folder

    candidates = [package_folder("k9py.sample_manifests"), Path(__file__).resolve().parent.parent / "sample-manifests"]
    return next((c for c in candidates if c is not None and c.is_dir()), None)


def ignore_terminal_signals() -> None:
    """Ignore the signals a terminal sends for ctrl-c, ctrl-\\ and ctrl-z (from the main thread only)."""
    for name in ("SIGINT", "SIGQUIT", "SIGTSTP"):
        try:
            signal.signal(getattr(signal, name), signal.SIG_IGN)
        except (AttributeError, ValueError, OSError):  # not on this platform, or not the main thread
            pass


@contextmanager
def editor_signals() -> Iterator[None]:
    """While the editor has the terminal, ctrl-c and ctrl-\\ are the editor's. The terminal signals the whole
    foreground process group, this process too, which would raise KeyboardInterrupt (ending the dashboard and
    killing the editor) or dump core. A handler that does nothing keeps them away from here, and unlike SIG_IGN
    the editor does not inherit it: it gets the default, or sets its own (vi's ctrl-c stops a command)."""
    saved: dict[int, Any] = {}
    for name in ("SIGINT", "SIGQUIT"):
        number = getattr(signal, name, None)
        if number is None:
            continue
        try:
            saved[number] = signal.signal(number, _no_signal)
        except (ValueError, OSError):  # not the main thread
            pass
    try:
        yield
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


def _no_signal(_number: int, _frame: object) -> None:
    pass


class MainScreen(Screen[None]):
    """The dashboard's one screen: the view on top of the view stack, and everything around it. It hands each key
    to the view on screen first (`keys` the view declares, handled by the view) and takes the global ones itself
    (`keys.GLOBAL_KEYS`); to the views and the actions it is their `actions.Host`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key, f"dispatch({key!r})", show=False)
        for key in keymod.distinct([keymod.GLOBAL_KEYS, *(view_keys(name) for name in VIEWS)])
    ]
    DEFAULT_CSS = """
    MainScreen {
        background: $k9-body-bg;
        color: $k9-body-fg;
    }
    """
    # Textual's Screen.focused repaints the whole screen whenever the focus moves, after the frame a view switch
    # has already painted (the prompt's input gives the focus to the new view's table): a second full frame, a
    # quarter of a switch. The widgets whose look depends on the focus (`:focus`, `:focus-within`) are restyled,
    # and so repainted, by set_focus itself.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def __init__(self, backend: Backend, skin: Theme, readonly: bool = False, confirm_kill: bool = True,
                 start: ViewSpec | None = None) -> None:
        super().__init__()
        self.backend, self.skin, self.readonly = backend, skin, readonly
        self.confirm_kill = confirm_kill
        self.namespace: str | None = start.namespace if start else None
        self.stack = ViewStack(start or table_spec("Pod", None))
        self.view: Widget | None = None
        self.header = ClusterHeader(skin)
        self.prompt = Prompt(self._complete)
        self.crumbs = Crumbs(skin)
        self.flash_line = Flash(skin)
        self.hints = KeyHints(skin)
        self.favourites: list[str] = []
        # Simulated clusters left by `:ctx` for a real one: still running (their folders, their clock), to come
        # back to as they were; stopped with the app.
        self.parked: list[Backend] = []
        self._prune_asked: object = None  # the prune request last put to the user

    def compose(self) -> ComposeResult:
        yield self.header
        yield self.prompt
        yield self.crumbs
        yield self.flash_line
        yield self.hints

    async def on_mount(self) -> None:
        self._refresh_header()
        self.set_interval(HEADER_SECONDS, self._refresh_header)
        await self._show_top()

    # --- small helpers -------------------------------------------------------------------------------------

    def flash(self, message: str, level: str = "info") -> None:
        self.flash_line.show(message, level)

    @property
    def typing(self) -> bool:
        """The `:`/`/` prompt is open: keys go to it, and a view mounting now must not take the focus."""
        return self.prompt.active

    @property
    def view_name(self) -> str:
        return getattr(self.view, "view_name", "")

    @property
    def view_title(self) -> str:
        return getattr(self.view, "plain_title", "")

    @property
    def spec(self) -> ViewSpec:
        return self.stack.top

    def selected_object(self) -> Obj | None:
        return self.view.selected() if self.view is not None else None  # type: ignore[attr-defined]

    def _refresh_header(self) -> None:
        namespaces = sorted(n["metadata"]["name"] for n in self.backend.list(self.backend.resolve("namespaces")))
        # Favourites are the user's namespaces: not the system's, nor the ingress controller add-on's.
        self.favourites = [n for n in namespaces if not n.startswith("kube-") and n != "ingress-nginx"]
        self.header.show(self.backend.summary(), self.favourites, self.readonly)
        self._ask_prune()

    def _ask_prune(self) -> None:
        """A watched folder's first prune on a real cluster asks once (actions.confirm_prune), over the view."""
        request = self.backend.prune_request()
        if request is None or request is self._prune_asked or self.app.screen is not self:
            return
        self._prune_asked = request
        actions.confirm_prune(self, request)

    def _complete(self, text: str) -> list[str]:
        return complete(text, self.backend, self.favourites)

    # --- the view stack ------------------------------------------------------------------------------------

    async def _show_top(self, keep_old: bool = True) -> None:
        """Replace the visible view with the one on top of the stack: a kept one if there is one, else a new one.
        The old one is kept for a quick way back unless `keep_old` is False. One switch at a time (see
        `ViewStack.switching`)."""
        async with self.stack.switching:
            await self._switch(keep_old)

    async def _switch(self, keep_old: bool) -> None:
        spec = self.stack.top
        kept = self.stack.take_kept(spec)
        view: Widget
        if kept is not None:
            view = kept
        else:
            try:
                if spec.kind:
                    await self.backend.prepare(spec.kind)
                view = build_view(spec, self.backend, self.skin)
            except BackendError as exc:
                self.stack.drop_top()
                self.flash(str(exc), "error")
                if not len(self.stack):
                    self.stack.push(table_spec("Pod", self.namespace))
                return await self._switch(keep_old)
        old = self.view
        # Hide the old view and show the new one in one layout, so the switch paints in one frame, not in two.
        # Views sit right on the screen, between the prompt and the crumbs: a container around them would be one
        # more full-height layer to paint on every switch.
        with self.app.batch_update():
            if old is not None:
                old.display = False
            if kept is not None:
                kept.show(spec.filter)  # type: ignore[attr-defined]
            else:
                await self.mount(view, before=self.crumbs)
        self.view = view
        self.crumbs.show(self.stack.crumbs())
        self.hints.show(self.active_keys())
        if old is not None:
            if keep_old and getattr(old, "KEPT", False):
                old.hide()  # type: ignore[attr-defined]
                for gone in self.stack.keep(old, old.spec):  # type: ignore[attr-defined]
                    self._drop(gone)
            else:
                self._drop(old)

    def _drop(self, view: Widget) -> None:
        # Freeing a 10,000-row view takes a while: let the new view's first frame go out first.
        self.call_after_refresh(view.remove)

    def _remember(self) -> None:
        """Keep the view's filter and cursor row in its crumb, for when it is shown again."""
        if self.view is not None:
            self.stack.remember(self.view.filter_text, self.view.cursor_key())  # type: ignore[attr-defined]

    async def push(self, spec: ViewSpec) -> None:
        self._remember()
        self.stack.push(spec)
        await self._show_top()

    async def replace(self, spec: ViewSpec) -> None:
        self.stack.replace(spec)
        await self._show_top()

    async def reopen(self, **changes: Any) -> Widget | None:
        self._remember()
        await self.replace(dataclasses.replace(self.stack.top, **changes))
        return self.view

    async def show_namespace(self, namespace: str | None) -> None:
        self._remember()
        spec = dataclasses.replace(self.stack.top, namespace=namespace)
        if len(self.stack) == 1:  # a view a command opened: the same command in another namespace
            self.stack.history.record(spec)
        await self.replace(spec)

    async def reset(self, spec: ViewSpec, record: bool = True, keep_old: bool = True) -> None:
        """Show `spec` as a command does, with no crumbs behind it; `record` it in the command history; the view
        it replaces is kept for a quick way back unless `keep_old` is False."""
        self.stack.reset(spec, record)
        await self._show_top(keep_old)

    async def _revisit(self, spec: ViewSpec | None, why_not: str, record: bool = False) -> None:
        """`-`, `[`, `]`: open a view from the command history, in its namespace."""
        if spec is None:
            self.flash(why_not, "warn")
            return
        if spec.kind and self.backend.resolve(spec.kind).namespaced:
            self.namespace = spec.namespace
        await self.reset(spec, record)

    async def back(self) -> bool:
        if not self.stack.pop():
            return False
        await self._show_top()
        return True

    # --- what views and actions ask of the screen (actions.Host) -------------------------------------------

    def ask(self, dialog: Dialog[Any], then: Callable[[Any], Awaitable[None] | None]) -> None:
        self.app.push_screen(dialog, then)

    async def run(self, action: Awaitable[str]) -> None:
        try:
            message = await action
        except BackendError as exc:
            self.flash(str(exc), "error")
            return
        self.flash(message)

    def run_soon(self, action: Awaitable[str]) -> None:
        self.run_worker(self.run(action))

    def edit(self, path: Path, line: int, shown: str) -> None:
        argv = editor_command(path, line)
        # The cluster runs in this process, and waits while the editor has the terminal: its clock stops too, or
        # on return every kubelet would have missed its heartbeats and the nodes would go NotReady.
        paused = self.backend.paused
        self.backend.set_paused(True)
        try:
            with editor_signals():
                code = run_editor(self.app, argv)
        except OSError as exc:
            self.flash(f"cannot start the editor {argv[0]!r} ({exc.strerror or exc}): set $KUBE_EDITOR or $EDITOR",
                       "error")
            return
        except SuspendNotSupported:
            self.flash("this terminal cannot be handed to an editor", "error")
            return
        finally:
            self.backend.set_paused(paused)
            self._refresh_header()
        if code:
            self.flash(f"the editor exited with status {code}; {shown} is as it left it", "warn")
        else:
            self.flash(f"edited {shown}: a save is applied as soon as the folder's watcher sees it")

    async def use_context(self, name: str) -> None:
        """`:ctx`: show the cluster of another context. Its backend starts first (one that cannot be reached is
        named, and nothing changes); then every view, kept ones too, is let go, the pods of the context's
        namespace open on the new cluster, and the old backend stops (a simulated one is parked instead)."""
        try:
            new = self.backend.for_context(name)
        except BackendError as exc:
            self.flash(str(exc), "error")
            return
        if new is self.backend:
            self.flash(f"already on context {name}")
            return
        if new in self.parked:
            self.parked.remove(new)
        else:
            self.flash(f"connecting to context {name}…")
            try:
                await new.start()
            except BackendError as exc:
                await new.stop()
                self.flash(f"context {name}: {exc}", "error")
                return
        old, self.backend = self.backend, new
        if isinstance(self.app, K9App):
            self.app.backend = new
        new.on_sync = self.flash
        if getattr(old, "simulated", True):
            old.on_sync = None
            self.parked.append(old)
        else:
            await old.stop()
        found = next((c for c in new.contexts() if c.name == name), None)
        self.namespace = (found.namespace if found is not None else "") or None
        for view in self.stack.let_go():
            self._drop(view)
        self._refresh_header()
        # The view on screen shows the old cluster: kept, a later command for the same view would bring it back.
        await self.reset(table_spec("Pod", self.namespace), record=False, keep_old=False)
        self.flash(f"switched to context {name}")

    # --- keys ----------------------------------------------------------------------------------------------

    def _view_keys(self) -> tuple[Key, ...]:
        return getattr(self.view, "KEYS", ())

    def active_keys(self) -> list[Key]:
        """Every key the view on screen answers, its own and the screen's, as the hints and the help list them."""
        return keymod.keys_for(self._view_keys(), self.readonly, getattr(self.backend, "simulated", True))

    async def take_key(self, key: str, character: str | None) -> bool:
        """Handle a key for the prompt as the app reads it, before it is handed to any widget; True if taken.

        Textual hands each key to whatever has focus when the app reads it, and each widget works through its
        own queue, so keys typed (or pasted) in one burst around `:` or enter could reach the table, the view
        and the input in any order. Everything the prompt does is done here instead, in arrival order: `:` and
        `/` open it, while it is open every key goes to it, and enter runs the command before the next key is
        read (`:dp` enter `:po` enter typed fast opens deployments, then pods).
        """
        if self.prompt.active:
            if key == "escape":
                if self.prompt.mode == "/":
                    self._set_filter("")
                self._close_prompt()
                return True
            if key == "enter":
                # A command mostly opens another view, which takes the focus as it shows: handing it back to this
                # view first would restyle two tables twice for nothing (a tenth of a view switch). A filter gives
                # the view the focus at once.
                mode, value = self.prompt.take()
                self._close_prompt(focus_view=mode != ":")
                await self._prompt_done(mode, value)
                return True
            return self.prompt.type_key(key, character)
        if key in ("colon", "slash") and (binding := keymod.find(self.active_keys(), key)) is not None \
                and binding in keymod.GLOBAL_KEYS:
            if key == "colon":
                self.do_command(binding)
            else:
                self.do_filter(binding)
            return True
        return False

    async def action_dispatch(self, key: str) -> None:
        """A key the view on screen declares goes to the view's handler, else a global key to the screen's."""
        view = self.view
        binding = keymod.find(self._view_keys(), key)
        handler: Callable[..., Any] | None = None
        if binding is not None:
            handler = partial(getattr(view, f"do_{binding.action}"), self)
        elif (binding := keymod.find(keymod.GLOBAL_KEYS, key)) is not None:
            handler = getattr(self, f"do_{binding.action}")
        if binding is None or handler is None:
            label = keymod.label_of(key, [keymod.GLOBAL_KEYS, *(view_keys(name) for name in VIEWS)])
            where = getattr(view, "display_name", self.view_name)
            self.flash(f"<{label}> does nothing in the {where} view (? lists the keys)", "warn")
            return
        if self.readonly and binding.destructive:
            self.flash(f"<{binding.label}> {binding.description.lower()} is disabled: read-only mode", "warn")
            return
        if binding.simulated and not getattr(self.backend, "simulated", True):
            self.flash(f"<{binding.label}> {binding.description.lower()}: {keymod.SIMULATED_ONLY}", "warn")
            return
        result = handler(binding)
        if inspect.isawaitable(result):
            await result

    # the screen's own keys (keys.GLOBAL_KEYS)

    def do_command(self, _: Key) -> None:
        self.prompt.open(":")

    def do_filter(self, _: Key) -> None:
        self.prompt.open("/", self.view.filter_text if self.view is not None else "")  # type: ignore[attr-defined]

    def do_help(self, _: Key) -> None:
        where = getattr(self.view, "display_name", self.view_name)
        self.app.push_screen(HelpScreen(self.active_keys(), where, self.skin))

    async def do_back(self, _: Key) -> None:
        if self.prompt.active:
            if self.prompt.mode == "/":
                self._set_filter("")
            self._close_prompt()
            return
        if self.view is not None and self.view.filter_text:  # type: ignore[attr-defined]
            self._set_filter("")
            return
        await self.back()

    def do_quit(self, _: Key) -> None:
        self.app.exit()

    async def do_aliases(self, _: Key) -> None:
        await self.reset(ViewSpec(view="aliases"))

    async def do_last_view(self, _: Key) -> None:
        await self._revisit(self.stack.history.last(),
                            "no last view yet: - goes back to the view your last command left", record=True)

    async def do_history_back(self, _: Key) -> None:
        await self._revisit(self.stack.history.back(), "no earlier command in the history")

    async def do_history_forward(self, _: Key) -> None:
        await self._revisit(self.stack.history.forward(), "no later command in the history ([ goes back)")

    # the dashboard's look

    def do_toggle_header(self, _: Key) -> None:
        """ctrl-e: hide the header (k9s's headless mode) or show it; while hidden its state rides on the crumbs."""
        self.header.toggle()

    async def do_theme(self, _: Key) -> None:
        """ctrl-t: the next skin by name, bundled and user's; one that fails to load is skipped and named."""
        names = available_themes()
        start = names.index(self.skin.name) if self.skin.name in names else -1
        skipped: list[str] = []
        for step in range(1, len(names) + 1):
            try:
                skin = load_theme(names[(start + step) % len(names)])
            except ThemeError as exc:
                skipped.append(str(exc))
                continue
            if skin.name != self.skin.name:
                break
        else:
            self.flash(skipped[0] if skipped else f"theme: {self.skin.name} (no other theme)", "warn")
            return
        await self.set_skin(skin)
        if skipped:
            self.flash(f"theme: {skin.name} (skipped {skipped[0]})", "warn")
        else:
            self.flash(f"theme: {skin.name}")

    async def set_skin(self, skin: Theme) -> None:
        """Repaint the whole dashboard in `skin`, live."""
        self.skin = skin
        if isinstance(self.app, K9App):
            self.app.use_skin(skin)  # the CSS side: every $k9-* variable
        for widget in (self.header, self.crumbs, self.flash_line, self.hints):
            widget.skin = skin
        self._refresh_header()
        # Rows and titles are coloured in Python, when painted: rebuild the view from its spec (the sort order
        # starts over; the filter and the cursor's row are kept), and forget the kept ones, painted in the old
        # colours (each finds its cursor's row again from its crumb when esc comes back to it).
        self._remember()
        for view in self.stack.let_go():
            self._drop(view)
        await self._show_top(keep_old=False)

    # the clock

    def _set_paused(self, paused: bool) -> None:
        try:
            self.backend.set_paused(paused)
        except BackendError as exc:
            self.flash(str(exc), "error")
            return
        self._refresh_header()
        self.flash("cluster clock paused: nothing happens until you press p again" if paused
                   else "cluster clock running")

    def do_pause(self, _: Key) -> None:
        self._set_paused(not self.backend.paused)

    def _set_speed(self, speed: float) -> None:
        speed = min(MAX_SPEED, max(MIN_SPEED, speed))
        try:
            self.backend.set_speed(speed)
        except BackendError as exc:
            self.flash(str(exc), "error")
            return
        self._refresh_header()
        self.flash(f"cluster clock speed {format_speed(speed)}")

    def do_faster(self, _: Key) -> None:
        self._set_speed(self.backend.speed * 2)

    def do_slower(self, _: Key) -> None:
        self._set_speed(self.backend.speed / 2)

    # --- the prompt ----------------------------------------------------------------------------------------

    def _close_prompt(self, focus_view: bool = True) -> None:
        self.prompt.close()
        if focus_view:
            self._focus_view()
        else:
            self.set_focus(None)  # not the hidden input: keys go to the screen's bindings

    def _focus_view(self) -> None:
        if self.view is not None:
            self.set_focus(self.view.focus_target())  # type: ignore[attr-defined]  # at once: the next key is its

    def _set_filter(self, text: str) -> str | None:
        if self.view is None:
            return None
        return self.view.set_filter(text)  # type: ignore[attr-defined]

    @on(Prompt.Changed)
    def _prompt_changed(self, event: Prompt.Changed) -> None:
        if event.mode == "/":
            self._set_filter(event.value)  # live, like k9s; errors wait for enter

    @on(Prompt.Submitted)
    async def _prompt_submitted(self, event: Prompt.Submitted) -> None:
        # Enter is read by `take_key`; this is the input's own enter, should it ever get one.
        await self._prompt_done(event.mode, event.value)

    async def _prompt_done(self, mode: str, value: str) -> None:
        if mode == "/":
            error = self._set_filter(value)
            if error:
                self.flash(error, "error")
            return
        if value.strip():
            await self.run_command(value)
        if self.focused is None and not self.typing:  # no new view took the focus (an error, `:speed 2`, ...)
            self._focus_view()

    async def run_command(self, text: str) -> None:
        try:
            command = parse(text, self.backend, self.namespace)
        except CommandError as exc:
            self.flash(str(exc), "error")
            return
        if command.action == "quit":
            self.app.exit()
        elif command.action == "help":
            self.do_help(keymod.GLOBAL_KEYS[0])
        elif command.action == "speed":
            self._set_speed(command.value)
        elif command.action in ("pause", "resume"):
            self._set_paused(command.action == "pause")
        elif command.spec is not None and command.spec.view == "contexts" and command.spec.name:
            await self.use_context(command.spec.name)  # `:ctx NAME`
        elif command.spec is not None:
            if command.namespace_given:
                self.namespace = command.spec.namespace
            await self.reset(command.spec)


class KeysBack(Message):
    """Keys given back by a dialog wait in `K9App._keys_back`: handle them even if no other key comes."""


class K9App(App[None]):
    """`K9App(backend, paths)`: start the backend, load manifests, show the pods of all namespaces."""

    TITLE = "k9py"
    ENABLE_COMMAND_PALETTE = False
    # ctrl-c quits from anywhere, as in k9s: the main screen binds it too, but a modal (the `?` help, a dialog)
    # hides the app's non-priority bindings, and Textual's own ctrl-c only says "press ctrl+q to quit".
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+c", "quit", show=False, priority=True)]

    def __init__(self, backend: Backend, paths: Sequence[str | Path] = (), skin: Theme | None = None,
                 readonly: bool = False, confirm_kill: bool = True, command: str = "") -> None:
        """`command`: the view to open first, as typed after `:` (k9s's `-c deploy`); the pods of all
        namespaces by default."""
        self.skin = skin or load_theme("default")
        super().__init__()
        self.use_skin(self.skin)
        self.backend = backend
        self.paths = list(paths)
        self.readonly = readonly
        self.confirm_kill = confirm_kill
        self.command = command
        self.load_problems: list[str] = []
        self.main: MainScreen | None = None
        self._keys_back: list[tuple[str, str | None]] = []  # see take_back_keys
        self.crash: BaseException | None = None  # the first exception nothing caught, which ended the app
        self.crash_log: Path | None = None  # where its traceback was written
        self.start_error = ""  # why the backend could not start (a real cluster unreachable), for `k9py` to say

    async def on_mount(self) -> None:
        try:
            await self.backend.start()
        except BackendError as exc:  # a real cluster that cannot be reached: say so once the terminal is back
            self.start_error = str(exc)
            self.exit(return_code=1)
            return
        self.load_problems = await self.backend.load(self.paths) if self.paths else []
        start, problem = self._start_view()
        self.main = MainScreen(self.backend, self.skin, self.readonly, confirm_kill=self.confirm_kill, start=start)
        await self.push_screen(self.main)
        main = self.main
        self.backend.on_sync = lambda message, level: main.flash(message, level)  # a save shows what it did
        if self.load_problems:
            more = f" (+{len(self.load_problems) - 1} more)" if len(self.load_problems) > 1 else ""
            self.main.flash(f"manifest error: {self.load_problems[0]}{more}", "error")
        if problem:
            self.main.flash(problem, "error")

    def _start_view(self) -> tuple[ViewSpec | None, str]:
        """The view `command` names, or None and why not (the dashboard then opens on the pods)."""
        if not self.command:
            return None, ""
        try:
            command = parse(self.command, self.backend, None)
        except CommandError as exc:
            return None, f"-c {self.command}: {exc}"
        if command.spec is None:
            return None, f"-c {self.command}: not a view (try -c deploy, or -c 'po shop')"
        return command.spec, ""

    def use_skin(self, skin: Theme) -> None:
        """Make `skin` the app's Textual theme, which re-applies every stylesheet with its colours."""
        self.skin = skin
        textual_theme = skin.textual_theme()
        self.register_theme(textual_theme)
        self.theme = textual_theme.name

    async def on_unmount(self) -> None:
        await self.backend.stop()
        for parked in self.main.parked if self.main is not None else ():
            await parked.stop()

    def _handle_exception(self, error: Exception) -> None:
        """Textual's last stop for an exception nothing caught: it ends the app, restores the terminal and prints
        the traceback. Keep the traceback in a crash log too, for `k9py` to name as it exits (`crash_log`).

        Keys typed after the crash reach a terminal that is no longer raw: ctrl-c, ctrl-\\ and ctrl-z would
        signal this process halfway through its shutdown, and lose the log's path (ctrl-\\ clears the marks
        here, but there it would dump core). They are ignored from now on, in a terminal (not in a test's headless
        app): the process is on its way out."""
        if self.crash is None:
            self.crash = error
            self.crash_log = write_crash_log(error)
            if not self.is_headless:
                ignore_terminal_signals()
        super()._handle_exception(error)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self._take_keys_back()  # typed before this one
            if await self._take_key(event.key, event.character):
                return
        await super().on_event(event)

    async def _take_key(self, key: str, character: str | None) -> bool:
        """Every key the terminal sends is handled here, as it is read, on the screen on top at that moment, and
        the next key is read only once it is done; True if it was handled.

        Textual would hand the key to the focused widget and run its bindings only once it bubbled back up to the
        app: keys typed in one burst (a paste, tmux's send-keys, a fast typist) then overtake one another. The key
        that opens a dialog is handled after the keys typed behind it have gone to the table; a field types a
        character in its own queue while a backspace is still on its way to the bindings; a command opening a
        view races the next key. Here, in arrival order: the app's priority keys (ctrl-c quits from anywhere),
        then a dialog on top takes every key (`Dialog.feed`: it keeps them until it can apply them, and gives
        back those typed after its answer, `take_back_keys`), the prompt takes its own (`MainScreen.take_key`),
        and the bindings of the focused widget, its view, the screen and the app run, awaited. So keys typed in
        a burst do what they do typed one by one. A key no binding wants goes to the focused widget as usual.
        """
        self.app_focus = True  # as Textual notes for a key it reads
        if await self._check_bindings(key, priority=True):
            return True
        screen = self.screen
        if isinstance(screen, Dialog):
            screen.feed(key, character)
            return True
        if screen is self.main and self.main is not None and await self.main.take_key(key, character):
            return True
        return await self._check_bindings(key)

    def take_back_keys(self, keys: Sequence[tuple[str, str | None]]) -> None:
        """Keys a dialog was given but had no use for once it had answered (`s enter enter` in one burst: the
        second enter). They were typed before any key not read yet, and are handled before it, on what is on
        screen then, as if typed now: the second enter opens the deployment's pods, as typed slowly."""
        self._keys_back[:0] = keys
        self.post_message(KeysBack())

    async def on_keys_back(self, _: KeysBack) -> None:
        await self._take_keys_back()

    async def _take_keys_back(self) -> None:
        while self._keys_back:
            await self._take_key(*self._keys_back.pop(0))

    def on_key(self, event: events.Key) -> None:
        """A key comes back up here after the widget it was handed to had no use for it. Its bindings were run
        when it was read (`_take_key`): running them now could run them on another screen, a dialog opened
        meanwhile, which would pop the screen under it."""
        event.prevent_default()
