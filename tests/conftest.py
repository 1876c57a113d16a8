"""Fixtures shared across test files (helpers for the dashboard's Pilot tests live in tui_support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def no_user_themes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """User skins (~/.config/k9py/themes) could override the bundled ones: point XDG_CONFIG_HOME at an empty
    folder under tmp_path (tests that want a user skin write it to tmp_path/config/k9py/themes)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
