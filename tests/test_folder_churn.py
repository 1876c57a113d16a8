"""A watched folder under churn: truncations, partial writes, renames, invalid documents, deletions and
re-creations, as editors, git and scripts make them, then a quiet period.

Afterwards the cluster holds exactly what the final files declare; and while the churn is faster than the quiet
period (as an editor's save is), nothing declared before and after it was ever deleted or re-created: every such
object keeps its UID throughout.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from manifests import deployment_yaml
from test_manifest_source import WallClock

from engine.cluster import Cluster
from engine.manifests.source import PRUNE_QUIET_SECONDS, ManifestSource, object_key

SERVICE = "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector: {{app: {name}}}\n" \
          "  ports:\n  - port: 80\n"


def documents(name: str, replicas: int = 1) -> list[str]:
    return [deployment_yaml(name, replicas=replicas), SERVICE.format(name=name)]


FILES = {"a.yaml": "web", "shop/b.yaml": "api"}


def valid_states(name: str) -> list[str]:
    """What a user might leave a file as: both documents, either one, other replica counts."""
    deploy, service = documents(name)
    return ["---\n".join(documents(name)), "---\n".join(documents(name, 3)), deploy, service,
            "# a comment first\n" + "---\n".join(documents(name, 2))]


def broken_states(name: str) -> list[str]:
    full = "---\n".join(documents(name))
    return [
        full.replace("kind: Service", "kind: Servise"),  # a misspelt kind
        full.replace(f"  name: {name}\nspec:\n  selector", "spec:\n  selector"),  # a lost name
        documents(name)[0] + "---\njust text\n",  # a document that is briefly a scalar
        full.replace("port: 80", "port: 99999"),  # the API refuses it
        full.replace("ports:\n  - port: 80", "ports: [port: 80"),  # a syntax error
    ]


action = st.one_of(
    st.tuples(st.just("truncate"), st.none()),
    st.tuples(st.just("partial"), st.floats(0.05, 0.95)),  # write a prefix of a valid state
    st.tuples(st.just("rename-away"), st.none()),  # the first half of vim's save
    st.tuples(st.just("rename-back"), st.none()),
    st.tuples(st.just("broken"), st.integers(0, 4)),
    st.tuples(st.just("delete"), st.none()),
    st.tuples(st.just("write"), st.integers(0, 4)),
)
step = st.tuples(st.sampled_from(sorted(FILES)), action, st.floats(0, 1))
final_state = st.one_of(st.integers(0, 4), st.none())  # an index into valid_states, or the file deleted


def perform(root: Path, file: str, what: tuple[str, object]) -> None:
    path = root / file
    away = path.with_name(path.name + "~")  # an editor's backup name: never read as a manifest
    kind, arg = what
    name = FILES[file]
    if kind == "truncate":
        path.write_text("")
    elif kind == "partial":
        text = valid_states(name)[0]
        path.write_text(text[: int(len(text) * float(arg))])  # type: ignore[arg-type]
    elif kind == "rename-away" and path.exists():
        os.replace(path, away)
    elif kind == "rename-back" and away.exists():
        os.replace(away, path)
    elif kind == "broken":
        path.write_text(broken_states(name)[int(arg)])  # type: ignore[call-overload]
    elif kind == "delete":
        path.unlink(missing_ok=True)
    elif kind == "write":
        path.write_text(valid_states(name)[int(arg)])  # type: ignore[call-overload]


def live_uids(cluster: Cluster) -> dict[tuple[str, str, str], str]:
    out = {}
    for kind, resource in (("Deployment", "deploy"), ("Service", "svc")):
        for obj in cluster.list(resource, "default"):
            if obj["metadata"]["name"] != "kubernetes":
                out[(kind, "default", obj["metadata"]["name"])] = obj["metadata"]["uid"]
    return out


def declared_by(root: Path) -> set[tuple[str, str, str]]:
    from engine.manifests.loader import load_paths

    docs, problems = load_paths([root])
    assert problems == []
    return {key for d in docs if (key := object_key(d.obj, "default")) is not None}


async def churn(steps: list, finals: dict[str, int | None], fast: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "shop").mkdir()
        for file, name in FILES.items():
            (root / file).write_text(valid_states(name)[0])
        async with Cluster(nodes=1) as cluster:
            wall = WallClock()
            source = ManifestSource(cluster.api, root, monotonic=wall)
            source.sync()
            before = live_uids(cluster)
            assert len(before) == 4
            # A fast churn, all of it within one quiet period, as an editor's save or a git checkout is.
            per_step = PRUNE_QUIET_SECONDS / (len(steps) + 1) if fast else PRUNE_QUIET_SECONDS * 1.5
            for file, what, fraction in steps:
                perform(root, file, what)
                source.sync()
                wall.advance(per_step * fraction)
                if fast:
                    assert live_uids(cluster) == before, f"after {what} on {file}"
            for file, name in FILES.items():
                (root / file).with_name(Path(file).name + "~").unlink(missing_ok=True)
                final = finals[file]
                if final is None:
                    (root / file).unlink(missing_ok=True)
                else:
                    (root / file).write_text(valid_states(name)[final])
            source.sync()
            wall.advance(PRUNE_QUIET_SECONDS)
            source.sync()
            await cluster.run_for(1)
            expected = declared_by(root)
            after = live_uids(cluster)
            assert set(after) == expected and source.all_errors == []
            assert set(source.inventory) == expected
            if fast:
                assert {k: after[k] for k in expected & set(before)} == {k: before[k] for k in expected & set(before)}


finals = st.fixed_dictionaries({file: final_state for file in FILES})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=12), finals=finals)
def test_a_churn_faster_than_the_quiet_period_never_deletes_or_recreates(steps, finals) -> None:
    asyncio.run(churn(steps, finals, fast=True))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=8), finals=finals)
def test_after_any_churn_and_a_quiet_period_the_cluster_holds_what_the_files_declare(steps, finals) -> None:
    asyncio.run(churn(steps, finals, fast=False))
