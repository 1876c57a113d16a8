"""Capture the fixtures of tests/test_apiserver_protobuf.py into tests/protobuf_bodies/.

Two kinds of pairs, each `<name>.pb` (a body in Kubernetes' protobuf encoding) and `<name>.json` (what it must
decode to):
- `kubectl-*`: the request bodies kubectl v1.32's typed clients send for `kubectl create ...`, recorded by a
  k9py server whose body reader is wrapped; the JSON is the same command's `--dry-run=client -o json` (the same
  Go object through encoding/json), without `creationTimestamp: null` (the zero time, which the decoder leaves
  out).
- `real-*`: a real API server's answers for the same objects in both encodings (Accept protobuf, then JSON),
  for the objects of rich.yaml and what controllers made of them: Go's own encoders on both sides.

Usage: python tools/capture_protobuf_bodies.py REAL_KUBECONFIG (a scratch namespace, proto-helper, is created
there and deleted at the end).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "protobuf_bodies"
NAMESPACE = "proto-helper"
PROTOBUF = "application/vnd.kubernetes.protobuf"

# (fixture name, kubectl arguments): the typed creates of the seeds and their neighbours.
CREATES = [
    ("namespace", ["create", "namespace", "x"]),
    ("configmap", ["create", "configmap", "c", "--from-literal=a=b", "--from-file=config.yaml"]),
    ("secret", ["create", "secret", "generic", "s", "--from-literal=password=hunter2"]),
    ("deployment", ["create", "deployment", "web", "--image=nginx", "--replicas=2", "--port=80"]),
    ("service", ["create", "service", "clusterip", "svc", "--tcp=80:8080"]),
    ("job", ["create", "job", "j", "--image=busybox", "--", "echo", "hi"]),
    ("cronjob", ["create", "cronjob", "cj", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"]),
    ("serviceaccount", ["create", "serviceaccount", "sa"]),
]
# Paths read from the real server, relative to the scratch namespace unless absolute.
REAL = {
    "pod": "pods/rich", "secret": "secrets/binary", "configmap": "configmaps/binary",
    "service": "services/lb", "statefulset": "/apis/apps/v1/namespaces/{ns}/statefulsets/db",
    "controllerrevisions": "/apis/apps/v1/namespaces/{ns}/controllerrevisions",
    "deployment": "/apis/apps/v1/namespaces/{ns}/deployments/rolling",
    "replicasets": "/apis/apps/v1/namespaces/{ns}/replicasets",
    "cronjob": "/apis/batch/v1/namespaces/{ns}/cronjobs/nightly",
    "role": "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles/reader",
    "pdb": "/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/pdb",
    "hpa": "/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/hpa",
    "networkpolicy": "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/deny",
    "events": "events", "endpointslices": "/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices",
    "leases": "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
    "node": "/api/v1/nodes/kwok-node-0",
}


def write(name: str, body: bytes, expected: Any) -> None:
    (OUT / f"{name}.pb").write_bytes(body)
    (OUT / f"{name}.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


def drop_null_creation(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: drop_null_creation(v) for k, v in obj.items() if not (k == "creationTimestamp" and v is None)}
    if isinstance(obj, list):
        return [drop_null_creation(v) for v in obj]
    return obj


async def kubectl_bodies(work: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from engine import Cluster
    from engine.apiserver import ApiServer, resources

    recorded: list[bytes] = []
    read_body = resources.read_body

    async def recording(request: Any) -> Any:
        if request.content_type == PROTOBUF:
            recorded.append(await request.read())
        return await read_body(request)

    resources.read_body = recording  # type: ignore[assignment]
    (work / "config.yaml").write_text("key: value\nother: 2\n")
    async with Cluster(nodes=1, clock="real", speed=8) as cluster:
        server = ApiServer(cluster, port=0)
        await server.start()
        try:
            for name, args in [*CREATES, ("job-from-cronjob", ["create", "job", "j2", "--from=cronjob/cj"])]:
                before = len(recorded)
                proc = await asyncio.create_subprocess_exec("kubectl", f"--kubeconfig={server.kubeconfig}", *args,
                                                            cwd=work)
                assert await proc.wait() == 0, args
                assert len(recorded) == before + 1, args
                if name == "job-from-cronjob":  # no dry run prints it: the object k9py stored is checked instead
                    continue
                dry = subprocess.run(["kubectl", args[0], "--dry-run=client", "-o", "json", *args[1:]], cwd=work,
                                     check=True, capture_output=True, text=True).stdout
                write(f"kubectl-{name}", recorded[-1], drop_null_creation(json.loads(dry)))
            (OUT / "kubectl-job-from-cronjob.pb").write_bytes(recorded[-1])
        finally:
            await server.stop()


def get(path: str, accept: str) -> bytes:
    request = urllib.request.Request(f"http://127.0.0.1:18111{path}", headers={"Accept": accept})
    with urllib.request.urlopen(request) as response:
        return bytes(response.read())


def real_bodies(kubeconfig: str) -> None:
    env = {**os.environ, "KUBECONFIG": kubeconfig}
    subprocess.run(["kubectl", "create", "namespace", NAMESPACE], env=env, check=True)
    try:
        subprocess.run(["kubectl", "-n", NAMESPACE, "apply", "-f", str(OUT / "rich.yaml")], env=env, check=True)
        time.sleep(15)  # controllers: the statefulset's pod and revision, events, endpoint slices
        proxy = subprocess.Popen(["kubectl", "proxy", "--port=18111"], env=env, stdout=subprocess.DEVNULL)
        try:
            time.sleep(2)
            for name, path in REAL.items():
                path = path.format(ns=NAMESPACE) if path.startswith("/") else f"/api/v1/namespaces/{NAMESPACE}/{path}"
                while True:  # JSON, protobuf, JSON: the same state when both JSON answers are (leases renew)
                    before, body, after = (get(path, accept) for accept in ("application/json", PROTOBUF,
                                                                             "application/json"))
                    if before == after:
                        break
                write(f"real-{name}", body, json.loads(after))
        finally:
            proxy.terminate()
    finally:
        subprocess.run(["kubectl", "delete", "namespace", NAMESPACE], env=env, check=True)


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        os.environ["K9PY_STATE_DIR"] = str(Path(work) / "state")
        os.environ["HOME"] = work  # kubectl must not read or write the real ~/.kube
        real_bodies(sys.argv[1])
        asyncio.run(kubectl_bodies(Path(work)))


if __name__ == "__main__":
    main()
