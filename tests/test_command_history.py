"""The `:` command history behind `-`, `[` and `]` (the Pilot test in test_tui_every_key.py drives the keys)."""

from __future__ import annotations

from k9py.views.history import MAX_HISTORY, CommandHistory
from k9py.views.spec import ViewSpec


def spec(kind: str, namespace: str | None = None, **extra: object) -> ViewSpec:
    return ViewSpec(view=kind.lower(), kind=kind, namespace=namespace, **extra)  # type: ignore[arg-type]


def test_last_bounces_like_cd_dash_once_recorded() -> None:
    history = CommandHistory()
    history.record(spec("Pod"))
    assert history.last() is None
    history.record(spec("Deployment"))
    assert history.last() == spec("Pod")
    history.record(spec("Pod"))  # what `-` does after going there
    assert history.last() == spec("Deployment")


def test_a_repeated_command_is_recorded_once_but_a_filtered_one_is_another_command() -> None:
    history = CommandHistory()
    history.record(spec("Pod"))
    history.record(spec("Pod"))
    history.record(spec("Pod", filter="cart"))  # `:po /cart`
    assert history.entries == [spec("Pod"), spec("Pod", filter="cart")]


def test_back_and_forward_walk_without_recording_and_a_new_command_drops_the_forward_part() -> None:
    history = CommandHistory()
    for kind in ("Pod", "Deployment", "Node"):
        history.record(spec(kind))
    assert history.back() == spec("Deployment")
    assert history.back() == spec("Pod")
    assert history.back() is None
    assert history.forward() == spec("Deployment")
    history.record(spec("ReplicaSet"))
    assert history.forward() is None
    assert history.entries == [spec("Pod"), spec("Deployment"), spec("ReplicaSet")]


def test_only_the_last_twenty_commands_are_kept() -> None:
    history = CommandHistory()
    for i in range(MAX_HISTORY + 5):
        history.record(spec("Pod", f"ns-{i}"))
    assert len(history.entries) == MAX_HISTORY
    assert history.entries[0] == spec("Pod", "ns-5")
    assert history.last() == spec("Pod", f"ns-{MAX_HISTORY + 3}")
