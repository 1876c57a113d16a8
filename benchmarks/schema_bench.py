"""Speed of strict schema validation (run by hand, not a test): 3,000 Deployments through `validate_structure`.

The target is < 100 us per typical Deployment, so validating a 3,000-document folder stays a small slice of the
2 s load-and-apply budget. Prints the one-time schema load, the first (compiling) call, then steady-state numbers.
"""

from __future__ import annotations

import copy
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from engine.manifests import schema
from engine.manifests.schema import validate_structure

DOCUMENTS = 3000

# Shaped like the sample shop frontend: labels, annotations, strategy, ports, env, resources and two probes.
DEPLOYMENT = yaml.safe_load("""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
  namespace: shop
  labels: {app: frontend, tier: web}
  annotations: {kubernetes.io/change-cause: initial release}
spec:
  replicas: 3
  revisionHistoryLimit: 5
  selector:
    matchLabels: {app: frontend}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: frontend, tier: web}
      annotations: {sim.k9py.io/start-seconds: 5s}
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
          ports:
            - {containerPort: 80, name: http}
          env:
            - {name: MODE, value: production}
            - name: POD_NAME
              valueFrom:
                fieldRef: {fieldPath: metadata.name}
          resources:
            requests: {cpu: 250m, memory: 128Mi}
            limits: {memory: 256Mi}
          readinessProbe:
            httpGet: {path: /healthz, port: http}
            periodSeconds: 5
          livenessProbe:
            httpGet: {path: /healthz, port: http}
            initialDelaySeconds: 10
            periodSeconds: 10
""")


def documents(count: int) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        doc = copy.deepcopy(DEPLOYMENT)
        doc["metadata"]["name"] = f"frontend-{i:04d}"
        doc["spec"]["replicas"] = i % 5 + 1
        out.append(doc)
    return out


def main() -> None:
    start = time.perf_counter()
    version = schema.schema_version()
    load_ms = (time.perf_counter() - start) * 1000
    docs = documents(DOCUMENTS)

    start = time.perf_counter()
    first_errors = validate_structure(docs[0])
    first_us = (time.perf_counter() - start) * 1e6
    assert first_errors == [], first_errors

    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for doc in docs:
            validate_structure(doc)
        rounds.append(time.perf_counter() - start)
    best, median = min(rounds), statistics.median(rounds)

    print(f"python {platform.python_version()} on {platform.machine()}, schemas {version}")
    print(f"schema load (once per process): {load_ms:.1f} ms; first Deployment (compiles its nodes): {first_us:.0f} us")
    print(f"{DOCUMENTS} Deployments: best {best * 1000:.1f} ms, median {median * 1000:.1f} ms "
          f"-> {best / DOCUMENTS * 1e6:.1f} us per document (median {median / DOCUMENTS * 1e6:.1f} us)")


if __name__ == "__main__":
    main()
