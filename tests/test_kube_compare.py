"""Side by side with a real API server (issue 12 §3): the same kubectl sessions against `k9py serve` and against a
real v1.36 control plane (../shared/kube), compared line by line after normalising what two correct clusters may
print differently. A difference not in `kube_compare.ALLOWED` fails, with its diff.

Skipped when the kit is absent; K9PY_REQUIRE_KUBE=1 (CI) makes that a failure. The real cluster is used as it
runs, or started for the pytest session and stopped after it.
"""

from __future__ import annotations

import os
import secrets
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from kube_compare import ALLOWED, Raw, Remove, Run, Session, Side, Step, Wait, Watch, Write, compare, run_both
from kube_compare.kube import real_cluster

from engine import Cluster
from engine.apiserver import ApiServer

DUMP = os.environ.get("K9PY_COMPARE_DUMP")
SPEED = 10  # k9py's clock: pulls, starts and grace periods pass 10x faster than on a wall clock


@pytest.fixture(scope="session")
def real_kubeconfig() -> Iterator[Path]:
    with real_cluster() as kubeconfig:
        yield kubeconfig


@pytest.fixture
async def k9py_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Path]:
    monkeypatch.setenv("K9PY_STATE_DIR", str(tmp_path / "state"))
    cluster = Cluster(nodes=3, clock="real", speed=SPEED)
    async with cluster:
        server = ApiServer(cluster, port=0)
        await server.start()
        try:
            yield server.kubeconfig
        finally:
            await server.stop()


USED: set[int] = set()  # allow-list entries some session needed (the last test checks none is stale)


async def _compare(session: Session, real_kubeconfig: Path, k9py_kubeconfig: Path, tmp_path: Path) -> None:
    namespace = f"cmp-{session.name}-{secrets.token_hex(3)}"
    real = Side("kube-apiserver", real_kubeconfig, tmp_path / "real", namespace)
    ours = Side("k9py", k9py_kubeconfig, tmp_path / "k9py", namespace)
    try:
        theirs, mine = await run_both(session, real, ours)
    finally:
        await real.close()
        await ours.close()
    if DUMP:  # K9PY_COMPARE_DUMP=folder: both normalised transcripts, to read or to diff by hand
        for side, transcript in (("kube-apiserver", theirs), ("k9py", mine)):
            text = "".join(f"$ {title}\n" + "".join(f"{line}\n" for line in lines) for title, lines in transcript)
            (Path(DUMP) / f"{session.name}.{side}.txt").write_text(text)
    diffs = compare(theirs, mine, USED)
    report = "\n\n".join(f"$ {d.title}\n{d.text}" for d in diffs)
    assert not diffs, f"{len(diffs)} step(s) of session {session.name!r} differ:\n\n{report}"


# --- manifests -----------------------------------------------------------------------------------------------

def web(image: str = "nginx:1.25", replicas: int = 2, cause: str = "") -> str:
    """The seeds' `web` Deployment: container `nginx`, so `kubectl set image deployment/web nginx=...` works."""
    annotations = f"\n  annotations:\n    kubernetes.io/change-cause: {cause}" if cause else ""
    return textwrap.dedent(f"""\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels: {{app: web}}{annotations}
        spec:
          replicas: {replicas}
          selector:
            matchLabels: {{app: web}}
          template:
            metadata:
              labels: {{app: web}}
            spec:
              containers:
              - name: nginx
                image: {image}
                ports:
                - containerPort: 80
        """)


def pods_settled(count: int) -> Wait:
    """`count` pods, all Running and none terminating (kwok deletes at once; k9py's kubelet stops containers)."""
    return Wait(("get", "pods", "-o", "jsonpath={range .items[*]}{.status.phase}/{.metadata.deletionTimestamp} {end}"),
                lambda out: out.split() == ["Running/"] * count)


def rolled_out(name: str = "web") -> Run:
    return Run("rollout", "status", f"deployment/{name}", "--timeout=90s")


POD = textwrap.dedent("""\
    apiVersion: v1
    kind: Pod
    metadata:
      name: inventory-pod
      labels: {app: inventory}
    spec:
      automountServiceAccountToken: false  # k9py serves no ServiceAccounts: no token volume to compare
      containers:
      - name: app
        image: nginx:1.25
        ports:
        - containerPort: 8080
    """)

SERVICE = textwrap.dedent("""\
    apiVersion: v1
    kind: Service
    metadata:
      name: catalog-service
    spec:
      selector: {app: web}
      ports:
      - port: 80
        targetPort: 80
    """)

BAD_FIELD = web().replace("replicas: 2", "replica: 2")
BAD_VALUE = web().replace("replicas: 2", "replicas: -1")
BAD_KIND = "apiVersion: v1\nkind: Frobnicator\nmetadata:\n  name: x\n"
BAD_YAML = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: [\n"
NO_NAME = "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\ndata: {a: b}\n"

SESSIONS: list[Session] = [
    Session("deployment", [
        Write("web.yaml", web()),
        Run("apply", "-f", "web.yaml"),
        rolled_out(),
        pods_settled(2),
        Run("get", "deployments"),
        Run("get", "pods", sort=True),
        Run("get", "pods", "-o", "wide", sort=True),
        Run("get", "rs", "-o", "wide"),
        Run("get", "deployment", "web", "-o", "yaml"),
        Run("get", "all", sort=True),
        Run("describe", "deployment", "web"),
        Run("apply", "-f", "web.yaml"),
        Run("scale", "deployment/web", "--replicas=3"),
        rolled_out(),
        pods_settled(3),
        Run("get", "deploy", "web"),
        Run("scale", "deployment/web", "--replicas=2"),
        pods_settled(2),
        Run("get", "deploy", "web"),
        Run("delete", "deployment", "web"),
        pods_settled(0),
        Run("get", "all"),
    ]),
    Session("rollout", [
        Write("web.yaml", web()),
        Run("apply", "-f", "web.yaml"),
        rolled_out(),
        Run("set", "image", "deployment/web", "nginx=nginx:1.26"),
        rolled_out(),
        pods_settled(2),
        Run("rollout", "history", "deployment/web"),
        Run("get", "rs", sort=True),
        Run("rollout", "undo", "deployment/web"),
        rolled_out(),
        pods_settled(2),
        Run("rollout", "history", "deployment/web"),
        Run("rollout", "history", "deployment/web", "--revision=3"),
        Run("rollout", "undo", "deployment/web", "--to-revision=2"),
        rolled_out(),
        pods_settled(2),
        Run("rollout", "history", "deployment/web"),
        Run("get", "rs", "-o", "wide", sort=True),
        Run("describe", "deployment", "web"),
        Run("rollout", "undo", "deployment/web", "--to-revision=9"),
        Run("get", "pods", sort=True),
    ]),
    Session("pod", [
        Write("pod.yaml", POD),
        Run("apply", "-f", "pod.yaml"),
        pods_settled(1),
        Run("get", "pods"),
        Run("get", "pods", "-o", "wide"),
        Run("get", "pods", "--show-labels"),
        Run("describe", "pod", "inventory-pod"),
        Run("get", "pod", "inventory-pod", "-o", "yaml"),
        Run("logs", "inventory-pod", "-c", "sidecar"),
        Run("delete", "pod", "inventory-pod"),
        pods_settled(0),
        Run("get", "pods"),
    ]),
    Session("service", [
        Write("web.yaml", web()),
        Write("svc.yaml", SERVICE),
        Run("apply", "-f", "web.yaml", "-f", "svc.yaml"),
        rolled_out(),
        pods_settled(2),
        Run("expose", "deployment", "web", "--type=NodePort", "--port=80"),
        Run("get", "svc", "web"),
        Run("get", "svc", sort=True),
        Run("describe", "svc", "catalog-service"),
        Run("get", "endpoints", "catalog-service"),
        Run("get", "svc", "web", "-o", "yaml"),
        Run("delete", "svc", "web", "catalog-service"),
    ]),
    Session("errors", [
        Write("bad-field.yaml", BAD_FIELD),
        Write("bad-value.yaml", BAD_VALUE),
        Write("bad-kind.yaml", BAD_KIND),
        Write("bad-yaml.yaml", BAD_YAML),
        Write("no-name.yaml", NO_NAME),
        Write("web.yaml", web()),
        Run("get", "pod", "nope"),
        Run("get", "deployment", "nope", "-o", "yaml"),
        Run("describe", "deployment", "nope"),
        Run("delete", "pod", "nope"),
        Run("get", "frobnicators"),
        Run("get", "pods", "-n", "ingress-nginx"),
        Run("logs", "nope"),
        Run("scale", "deployment/nope", "--replicas=2"),
        Run("rollout", "undo", "deployment/nope"),
        Run("apply", "-f", "bad-field.yaml"),
        Run("apply", "-f", "bad-value.yaml"),
        Run("apply", "-f", "bad-kind.yaml"),
        Run("apply", "-f", "bad-yaml.yaml"),
        Run("apply", "-f", "no-name.yaml"),
        Run("create", "-f", "web.yaml"),
        Run("create", "-f", "web.yaml"),
        Run("delete", "-f", "web.yaml"),
        Run("delete", "-f", "web.yaml"),
        Run("delete", "namespace", "kube-system", "--dry-run=server"),
    ]),
    Session("events", [
        Write("web.yaml", web()),
        Run("apply", "-f", "web.yaml"),
        rolled_out(),
        pods_settled(2),
        Run("scale", "deployment/web", "--replicas=1"),
        pods_settled(1),
        Run("get", "events", sort=True),
        Run("describe", "rs", sort=False),
    ]),
]


@pytest.mark.parametrize("session", SESSIONS, ids=[s.name for s in SESSIONS])
async def test_session(session: Session, real_kubeconfig: Path, k9py_kubeconfig: Path, tmp_path: Path) -> None:
    await _compare(session, real_kubeconfig, k9py_kubeconfig, tmp_path)


__all__ = ["ALLOWED", "Raw", "Remove", "Step", "Watch"]
