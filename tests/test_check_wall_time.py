"""`k9py check` bounds its wall time as well as its cluster time (issue 9 §3), deterministically: the tests give it
a fake wall clock that moves one second each time it is read."""

from __future__ import annotations

import asyncio
import itertools
import json
import pathlib
from collections.abc import Callable

from manifests import deployment_yaml

from engine.check import WALL_BUDGET, Report, run_check
from k9py.check_report import render_text


def deployment(name: str, replicas: int, cpu: str = "1m") -> str:
    """The tests' Deployment, its pods requesting `cpu` (and 1Mi)."""
    return deployment_yaml(name, replicas).replace(
        "image: nginx:1.25\n", f"image: nginx:1.25\n        resources: {{requests: {{cpu: {cpu}, memory: 1Mi}}}}\n")


def ticking() -> Callable[[], float]:
    """A wall clock that moves one second at every read."""
    return itertools.count().__next__  # type: ignore[return-value]


def check(path: pathlib.Path, budget: float | None, clock: Callable[[], float] | None = None, **kw: object) -> Report:
    extra = {"wall_clock": clock} if clock is not None else {}
    return asyncio.run(run_check([str(path)], wall_budget=budget, **extra, **kw))  # type: ignore[arg-type]


def test_settling_stops_at_the_wall_time_budget(tmp_path: pathlib.Path) -> None:
    (tmp_path / "web.yaml").write_text(deployment("web", 3000))
    report = check(tmp_path, 40, ticking(), nodes=30, node_cpu="64")
    assert report.stopped_by_wall_time and not report.converged
    assert report.exit_code == 1
    assert 40 <= report.wall_seconds <= 45
    assert report.cluster_seconds == 0  # stopped inside the first settle: 3,000 pods are a lot of work
    assert [o["name"] for o in report.objects] == ["web"] and report.objects[0]["health"] == "Progressing"
    text = render_text(report)
    assert text.splitlines()[-1].startswith("Not converged: stopped after ")
    assert " s of wall time (0s of cluster time): 1 of 1 objects not Healthy" in text
    assert json.loads(json.dumps(report.as_json()))["stopped_by_wall_time"] is True
    # The same budget on the same clock stops at the same place.
    again = check(tmp_path, 40, ticking(), nodes=30, node_cpu="64")
    assert again.as_json() == report.as_json()


def test_a_zero_budget_still_reports_every_object(tmp_path: pathlib.Path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(deployment(name, 1))
    report = check(tmp_path, 0, ticking())
    assert report.stopped_by_wall_time and not report.converged
    assert [o["name"] for o in report.objects] == ["a", "b"]
    assert report.applied == 2 and report.documents == 2


def test_within_the_budget_nothing_changes(tmp_path: pathlib.Path) -> None:
    (tmp_path / "web.yaml").write_text(deployment("web", 2))
    bounded = check(tmp_path, 10_000, ticking())
    unbounded = check(tmp_path, None)
    assert bounded.converged and not bounded.stopped_by_wall_time
    assert bounded.as_json() == unbounded.as_json()
    assert unbounded.wall_seconds < WALL_BUDGET
    assert render_text(bounded).splitlines()[-1] == "Converged: 1 objects Healthy after 65s of cluster time."


def test_the_cluster_time_bound_still_applies(tmp_path: pathlib.Path) -> None:
    (tmp_path / "web.yaml").write_text(deployment("web", 1, cpu="64"))  # fits no node
    report = check(tmp_path, 10_000, ticking(), duration=30)
    assert not report.converged and not report.stopped_by_wall_time
    assert report.cluster_seconds == 30
    assert render_text(report).splitlines()[-1].startswith("Not converged after 30s of cluster time")
