"""Skins: the bundled ones load, user skins (k9s format) override them, bad ones fail with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from k9py.theme import ThemeError, available_themes, load_theme, theme_from_mapping

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


@pytest.mark.parametrize("name", ["default", "light", "high-contrast", "dracula"])
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
    assert theme == theme_from_mapping("default", {})  # the file says exactly what the built-in defaults say


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
