"""Skins: k9s-style YAML colour files, bundled (the repository's `themes/`) or the user's (`~/.config/k9py/themes/`).

A skin file uses k9s's own layout (`k9s: {body: ..., frame: {status: ...}, views: {table: ...}}`), so a k9s skin
can be copied into the user folder unchanged. Anything a file leaves out keeps k9s's default colour. Every colour
is normalised to `#rrggbb` at load time because Rich and Textual disagree on colour names ("dodgerblue" is a CSS
name Rich does not know).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from textual.color import Color, ColorParseError
from textual.theme import Theme as TextualTheme


def _packaged_dir() -> Path:
    """The bundled skins: the repository's themes/, installed as the data package `k9py.themes`."""
    return package_folder("k9py.themes") or Path(__file__).resolve().parent.parent / "themes"


def package_folder(name: str) -> Path | None:
    """Where an installed data package (a folder mapped into k9py by pyproject.toml) lives on disk."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        return None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return Path(locations[0]) if locations else None


PACKAGED_DIR = _packaged_dir()

# attribute -> (path inside the skin's root mapping, k9s default colour)
_SPEC: dict[str, tuple[tuple[str, ...], str]] = {
    "body_fg": (("body", "fgColor"), "dodgerblue"),
    "body_bg": (("body", "bgColor"), "black"),
    "logo": (("body", "logoColor"), "orange"),
    "prompt_fg": (("prompt", "fgColor"), "cadetblue"),
    "prompt_bg": (("prompt", "bgColor"), "black"),
    "prompt_suggest": (("prompt", "suggestColor"), "dodgerblue"),
    "info_fg": (("info", "fgColor"), "orange"),
    "info_section": (("info", "sectionColor"), "white"),
    "dialog_fg": (("dialog", "fgColor"), "dodgerblue"),
    "dialog_bg": (("dialog", "bgColor"), "black"),
    "button_fg": (("dialog", "buttonFgColor"), "black"),
    "button_bg": (("dialog", "buttonBgColor"), "dodgerblue"),
    "button_focus_fg": (("dialog", "buttonFocusFgColor"), "white"),
    "button_focus_bg": (("dialog", "buttonFocusBgColor"), "fuchsia"),
    "dialog_label": (("dialog", "labelFgColor"), "fuchsia"),
    "dialog_field": (("dialog", "fieldFgColor"), "dodgerblue"),
    "border": (("frame", "border", "fgColor"), "dodgerblue"),
    "border_focus": (("frame", "border", "focusColor"), "lightskyblue"),
    "menu_fg": (("frame", "menu", "fgColor"), "white"),
    "menu_key": (("frame", "menu", "keyColor"), "dodgerblue"),
    "menu_numkey": (("frame", "menu", "numKeyColor"), "fuchsia"),
    "crumb_fg": (("frame", "crumbs", "fgColor"), "black"),
    "crumb_bg": (("frame", "crumbs", "bgColor"), "aqua"),
    "crumb_active": (("frame", "crumbs", "activeColor"), "orange"),
    "normal": (("frame", "status", "newColor"), "lightskyblue"),
    "modified": (("frame", "status", "modifyColor"), "greenyellow"),
    "added": (("frame", "status", "addColor"), "dodgerblue"),
    "pending": (("frame", "status", "pendingColor"), "darkorange"),
    "error": (("frame", "status", "errorColor"), "orangered"),
    "highlight": (("frame", "status", "highlightColor"), "aqua"),
    "kill": (("frame", "status", "killColor"), "mediumpurple"),
    "completed": (("frame", "status", "completedColor"), "lightslategray"),
    "title_fg": (("frame", "title", "fgColor"), "aqua"),
    "title_bg": (("frame", "title", "bgColor"), "black"),
    "title_highlight": (("frame", "title", "highlightColor"), "fuchsia"),
    "title_counter": (("frame", "title", "counterColor"), "papayawhip"),
    "title_filter": (("frame", "title", "filterColor"), "seagreen"),
    "table_fg": (("views", "table", "fgColor"), "aqua"),
    "table_bg": (("views", "table", "bgColor"), "black"),
    "cursor_fg": (("views", "table", "cursorFgColor"), "black"),
    "cursor_bg": (("views", "table", "cursorBgColor"), "aqua"),
    "mark": (("views", "table", "markColor"), "palegreen"),  # rows marked with space
    "header_fg": (("views", "table", "header", "fgColor"), "white"),
    "header_bg": (("views", "table", "header", "bgColor"), "black"),
    "sorter": (("views", "table", "header", "sorterColor"), "aqua"),
    "yaml_key": (("views", "yaml", "keyColor"), "steelblue"),
    "yaml_colon": (("views", "yaml", "colonColor"), "white"),
    "yaml_value": (("views", "yaml", "valueColor"), "papayawhip"),
    "logs_fg": (("views", "logs", "fgColor"), "white"),
    "logs_bg": (("views", "logs", "bgColor"), "black"),
}

# Row colour categories a view may return; each is a Theme attribute.
STATUS_CATEGORIES = ("normal", "modified", "added", "pending", "error", "highlight", "kill", "completed")

MIN_CONTRAST = 4.5  # WCAG 2 (AA) for text: every bundled skin reaches it for every pair in TEXT_PAIRS


@dataclass(frozen=True)
class TextPair:
    """Text the dashboard paints in skin colour `fg` on skin colour `bg` (Theme attributes), at `opacity`."""

    where: str
    fg: str
    bg: str
    opacity: float = 1.0


def _pairs(where: str, fgs: tuple[str, ...], bg: str) -> tuple[TextPair, ...]:
    return tuple(TextPair(where, fg, bg) for fg in fgs)


_TITLE = ("title_fg", "title_highlight", "title_counter", "title_filter", "error")  # a frame's title, `<gone>`
# Every colour pair the dashboard paints text in. A widget that paints text in a new pair adds it here, and
# tests/test_tui_theme.py holds every bundled skin to MIN_CONTRAST for it.
TEXT_PAIRS: tuple[TextPair, ...] = (
    TextPair("the screen's text", "body_fg", "body_bg"),
    *_pairs("header", ("info_fg", "info_section", "pending", "error", "logo", "menu_numkey", "menu_fg"), "body_bg"),
    TextPair("header: PAUSED (reversed)", "body_bg", "pending"),
    *_pairs("key hints and help", ("menu_key", "menu_fg", "title_highlight"), "body_bg"),
    *_pairs("flash line", ("info_section", "pending", "error"), "body_bg"),
    TextPair("crumbs", "crumb_fg", "crumb_bg"),
    TextPair("crumbs: the current view", "crumb_fg", "crumb_active"),
    *_pairs("table rows", ("table_fg", "mark", *STATUS_CATEGORIES), "table_bg"),
    *_pairs("table and rollout titles", _TITLE, "table_bg"),
    *_pairs("rollout panel", ("yaml_key", "yaml_value"), "table_bg"),
    TextPair("table column header", "header_fg", "header_bg"),
    TextPair("table column header: the sort column", "sorter", "header_bg"),
    TextPair("table cursor row", "cursor_fg", "cursor_bg"),
    *_pairs("YAML, describe and help titles", _TITLE, "body_bg"),
    *_pairs("YAML and describe", ("yaml_key", "yaml_colon", "yaml_value"), "body_bg"),
    *_pairs("logs", ("logs_fg", "error", "info_fg", "info_section", "completed", *_TITLE), "logs_bg"),
    TextPair("prompt", "prompt_fg", "prompt_bg"),
    TextPair("prompt: the suggestion (widgets/prompt.py paints it at 60%)", "prompt_suggest", "prompt_bg", 0.6),
    *_pairs("dialogs", ("dialog_fg", "dialog_label", "dialog_field", "error"), "dialog_bg"),
    TextPair("dialog button", "button_fg", "button_bg"),
    TextPair("dialog button: focused", "button_focus_fg", "button_focus_bg"),
)


def relative_luminance(colour: str) -> float:
    """WCAG 2's relative luminance of an sRGB colour."""
    parsed = Color.parse(colour)

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(parsed.r) + 0.7152 * linear(parsed.g) + 0.0722 * linear(parsed.b)


def contrast_ratio(fg: str, bg: str, opacity: float = 1.0) -> float:
    """WCAG 2's contrast ratio (1 to 21) of text in `fg`, painted at `opacity` over `bg`, against `bg`."""
    if opacity < 1.0:
        fg = Color.parse(bg).blend(Color.parse(fg), opacity).hex
    lighter, darker = sorted((relative_luminance(fg), relative_luminance(bg)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


class ThemeError(Exception):
    pass


@dataclass(frozen=True)
class Theme:
    name: str
    dark: bool
    body_fg: str
    body_bg: str
    logo: str
    prompt_fg: str
    prompt_bg: str
    prompt_suggest: str
    info_fg: str
    info_section: str
    dialog_fg: str
    dialog_bg: str
    button_fg: str
    button_bg: str
    button_focus_fg: str
    button_focus_bg: str
    dialog_label: str
    dialog_field: str
    border: str
    border_focus: str
    menu_fg: str
    menu_key: str
    menu_numkey: str
    crumb_fg: str
    crumb_bg: str
    crumb_active: str
    normal: str
    modified: str
    added: str
    pending: str
    error: str
    highlight: str
    kill: str
    completed: str
    title_fg: str
    title_bg: str
    title_highlight: str
    title_counter: str
    title_filter: str
    table_fg: str
    table_bg: str
    cursor_fg: str
    cursor_bg: str
    mark: str
    header_fg: str
    header_bg: str
    sorter: str
    yaml_key: str
    yaml_colon: str
    yaml_value: str
    logs_fg: str
    logs_bg: str

    def status(self, category: str) -> str:
        """The colour of a row category ("normal", "error", ...); unknown categories read as normal."""
        return getattr(self, category) if category in STATUS_CATEGORIES else self.normal

    def contrast(self, pair: TextPair) -> float:
        return contrast_ratio(getattr(self, pair.fg), getattr(self, pair.bg), pair.opacity)

    def textual_theme(self) -> TextualTheme:
        """A Textual theme carrying the skin: built-in variables for widgets, `k9-*` variables for our CSS."""
        variables = {f"k9-{f.name.replace('_', '-')}": getattr(self, f.name)
                     for f in fields(self) if f.name not in ("name", "dark")}
        return TextualTheme(
            name=f"k9py-{self.name}", primary=self.border, secondary=self.title_fg, accent=self.title_highlight,
            warning=self.pending, error=self.error, success=self.modified, foreground=self.body_fg,
            background=self.body_bg, surface=self.body_bg, panel=self.dialog_bg, dark=self.dark,
            variables=variables,
        )


def _normalise(value: Any, fallback: str, where: str) -> str:
    text = str(value).strip() if value is not None else ""
    if not text or text.lower() == "default":
        text = fallback  # k9s's "default" means the terminal's colour; we need a concrete one
    try:
        return Color.parse(text).hex
    except ColorParseError:
        raise ThemeError(f'{where}: "{text}" is not a colour (use a name like dodgerblue or #rrggbb)') from None


def _lookup(root: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = root
    for part in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def theme_from_mapping(name: str, data: Any, source: str = "") -> Theme:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ThemeError(f"{source or name}: a skin must be a mapping with a top-level `k9s:` key")
    root = data.get("k9s", data.get("k9py", data))
    if not isinstance(root, Mapping):
        raise ThemeError(f"{source or name}: `k9s:` must be a mapping")
    dark = bool(root.get("dark", True))
    values: dict[str, str] = {}
    for attr, (path, default) in _SPEC.items():
        values[attr] = _normalise(_lookup(root, path), default, f"{source or name}: {'.'.join(path)}")
    return Theme(name=name, dark=dark, **values)


def user_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "k9py" / "themes"


def _candidates() -> dict[str, Path]:
    """Theme name -> file; the user's folder wins over the bundled one so a bundled skin can be overridden."""
    found: dict[str, Path] = {}
    for folder in (PACKAGED_DIR, user_dir()):
        if folder.is_dir():
            for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
                found[path.stem] = path
    return found


def available_themes() -> list[str]:
    return sorted(_candidates())


def load_theme(name: str = "default") -> Theme:
    """A theme by name (bundled or user) or by path to a skin file."""
    path = _candidates().get(name)
    if path is None and (name.endswith((".yaml", ".yml")) or os.sep in name):
        path = Path(name).expanduser()
    if path is None:
        if name == "default":
            return theme_from_mapping("default", {})
        raise ThemeError(f'unknown theme "{name}" (available: {", ".join(available_themes()) or "none"}; '
                         f"user themes go in {user_dir()})")
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        raise ThemeError(f"{path}: cannot read skin: {exc}") from None
    return theme_from_mapping(path.stem, data, str(path))
