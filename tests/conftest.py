"""Fixtures shared across test files (helpers for the dashboard's Pilot tests live in tui_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kube_compare.kube import real_cluster


@pytest.fixture
def no_user_themes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """User skins (~/.config/k9py/themes) could override the bundled ones: point XDG_CONFIG_HOME at an empty
    folder under tmp_path (tests that want a user skin write it to tmp_path/config/k9py/themes)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture(scope="session")
def real_kubeconfig() -> Iterator[Path]:
    """A running real control plane (../shared/kube) for the whole session: skipped without the kit, a failure
    under K9PY_REQUIRE_KUBE=1."""
    with real_cluster() as kubeconfig:
        yield kubeconfig
