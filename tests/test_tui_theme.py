"""Skins: the bundled ones load, user skins (k9s format) override them, bad ones fail with a clear message, and every
bundled one paints text at WCAG's 4.5:1 contrast or more."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from rich.segment import Segment
from rich.style import Style
from textual.app import App
from tui_support import ALL_PODS, until

from engine import Cluster
from k9py.app import K9App, sample_manifests
from k9py.backend import EngineBackend
from k9py.theme import (
    MIN_CONTRAST,
    PACKAGED_DIR,
    TEXT_PAIRS,
    ThemeError,
    available_themes,
    contrast_ratio,
    load_theme,
    theme_from_mapping,
)
from k9py.views.table import TableView
from k9py.widgets.prompt import Prompt

K9S_STATUS = {
    "normal": "#87CEFA",  # lightskyblue
    "added": "#1E90FF",  # dodgerblue
    "modified": "#ADFF2F",  # greenyellow
    "pending": "#FF8C00",  # darkorange
    "error": "#FF4500",  # orangered
    "kill": "#9370DB",  # mediumpurple
    "completed": "#778899",  # lightslategray
}

pytestmark = pytest.mark.usefixtures("no_user_themes")
BUNDLED = sorted(path.stem for path in PACKAGED_DIR.glob("*.yaml"))


def test_the_bundled_themes_are_the_four_known_ones() -> None:
    assert BUNDLED == ["default", "dracula", "high-contrast", "light"]


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_theme_loads_and_builds_a_textual_theme(name: str) -> None:
    theme = load_theme(name)
    assert theme.name == name
    textual = theme.textual_theme()
    assert textual.variables["k9-error"] == theme.error
    assert all(value.startswith("#") for value in textual.variables.values())


def test_default_theme_uses_the_k9s_status_palette() -> None:
    theme = load_theme("default")
    for category, colour in K9S_STATUS.items():
        assert theme.status(category) == colour
    # The file says what the built-in (k9s) defaults say, but for the two colours k9s paints under 4.5:1.
    k9s = theme_from_mapping("default", {})
    assert theme == dataclasses.replace(k9s, prompt_suggest="#87CEFA", button_focus_bg="#B000B0")
    assert contrast_ratio(k9s.prompt_suggest, k9s.prompt_bg, 0.6) < MIN_CONTRAST
    assert contrast_ratio(k9s.button_focus_fg, k9s.button_focus_bg) < MIN_CONTRAST


def test_user_theme_in_k9s_format_overrides_only_what_it_names(tmp_path: Path) -> None:
    folder = tmp_path / "config" / "k9py" / "themes"
    folder.mkdir(parents=True)
    (folder / "mine.yaml").write_text("k9s:\n  frame:\n    status:\n      errorColor: '#123456'\n")
    assert "mine" in available_themes()
    theme = load_theme("mine")
    assert theme.error == "#123456"
    assert theme.normal == K9S_STATUS["normal"]


def test_unknown_theme_lists_the_available_ones() -> None:
    with pytest.raises(ThemeError, match=r'unknown theme "nope".*dracula'):
        load_theme("nope")


def test_bad_colour_is_reported_with_its_path(tmp_path: Path) -> None:
    skin = tmp_path / "bad.yaml"
    skin.write_text("k9s:\n  body:\n    fgColor: notacolour\n")
    with pytest.raises(ThemeError, match=r"body\.fgColor.*notacolour"):
        load_theme(str(skin))


# --- contrast ----------------------------------------------------------------------------------------------------


def test_contrast_ratio_is_wcag_2s() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)  # either way round
    assert contrast_ratio("#336699", "#336699") == pytest.approx(1.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic just-fails grey
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the lightest grey that passes
    assert contrast_ratio("#000000", "#ffffff", opacity=0.5) == pytest.approx(contrast_ratio("#7f7f7f", "#ffffff"),
                                                                             abs=0.01)


@pytest.mark.parametrize("name", BUNDLED)
def test_every_text_colour_pair_reaches_4_5_to_1(name: str) -> None:
    """Every fg/bg pair the dashboard paints text in (theme.TEXT_PAIRS), in every bundled skin."""
    theme = load_theme(name)
    failing = [f"{pair.where}: {pair.fg} {getattr(theme, pair.fg)} on {pair.bg} {getattr(theme, pair.bg)} "
               f"is {theme.contrast(pair):.2f}:1" for pair in TEXT_PAIRS if theme.contrast(pair) < MIN_CONTRAST]
    assert not failing, "\n".join(failing)


def test_the_light_theme_fixes_what_was_reported() -> None:
    """Titles were 2.8:1, changed rows 2.9:1 and the help 3.0:1 on white."""
    light = load_theme("light")
    for fg in ("title_fg", "title_filter", "title_counter", "modified", "added", "title_highlight", "menu_key",
               "menu_fg", "mark", "completed"):
        assert contrast_ratio(getattr(light, fg), light.body_bg) >= MIN_CONTRAST, fg


def test_text_pairs_name_real_theme_colours_and_the_prompts_opacity() -> None:
    names = {field.name for field in dataclasses.fields(load_theme("default"))}
    assert all(pair.fg in names and pair.bg in names for pair in TEXT_PAIRS)
    # The suggestion's opacity is the one the prompt's CSS paints it at.
    painted = re.search(r"\$k9-prompt-suggest\s+(\d+)%", Prompt.DEFAULT_CSS)
    opacity = int(painted.group(1)) / 100 if painted else 1.0
    assert [pair.opacity for pair in TEXT_PAIRS if pair.fg == "prompt_suggest"] == [opacity]


def painted_segments(app: App[None]) -> list[Segment]:
    """The screen on top as painted now, as styled segments (the screens under a modal left out)."""
    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, force_terminal=True, color_system="truecolor", legacy_windows=False)
    return list(console.render(app.screen._compositor.render_update(full=True)))


def low_contrast(segments: list[Segment]) -> list[str]:
    """Text (not borders) painted under MIN_CONTRAST: `text: ratio`."""
    found = []
    for segment in segments:
        style = segment.style or Style()
        text = "".join(ch for ch in segment.text if not ch.isspace() and not 0x2500 <= ord(ch) <= 0x259F)
        if not text or style.color is None or style.bgcolor is None:
            continue
        fg, bg = style.color.get_truecolor(), style.bgcolor.get_truecolor()
        if style.reverse:
            fg, bg = bg, fg
        ratio = contrast_ratio(fg.hex, bg.hex)
        if ratio < MIN_CONTRAST:
            found.append(f"{segment.text.strip()!r} {fg.hex} on {bg.hex}: {ratio:.2f}")
    return found


@pytest.mark.parametrize("name", BUNDLED)
async def test_the_painted_pods_view_reaches_4_5_to_1(name: str) -> None:
    """The painted screen at 80x24, rows just added (in the added colour) and then settled: every character of
    text, whatever widget painted it, against the cell's own background."""
    app = K9App(EngineBackend(Cluster(clock="real", speed=50.0)), [sample_manifests()], skin=load_theme(name))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.main is not None and isinstance(app.main.view, TableView)
                    and app.main.view.row_count > 0, timeout=8.0)
        problems = low_contrast(painted_segments(app))
        screen = app.main
        assert screen is not None
        await until(pilot, lambda: f"{ALL_PODS} Running" in screen.header.plain(), timeout=8.0)
        await pilot.pause(3.5)  # the added/modified highlights fade
        problems += low_contrast(painted_segments(app))
        assert not problems, "\n".join(problems)
