"""Side by side: one kubectl session against `k9py serve` and against a real Kubernetes control plane.

A session is a list of steps (kubectl commands, raw API requests, waits). It runs on both sides at once, each side
in a fresh namespace of the same name; every compared step's output is normalised (generated names, hashes,
UIDs, IPs, ages, timestamps, resourceVersions, node names) and the two transcripts are compared line by line.
A difference fails the test unless an entry of `ALLOWED` (each with its reason) covers it.

The real side is the kit in ../shared/kube (kube-apiserver, controller-manager and scheduler v1.36, kwok nodes);
`kube.py` finds it, or starts it, or says why the comparison is skipped.
"""

from __future__ import annotations

from .allow import ALLOWED, Allowed, apply_allowed
from .normalise import Normaliser
from .sides import Side, kubeconfig_client_parts
from .steps import Diff, Expect, Raw, Remove, Run, Session, Step, Wait, Watch, Write, compare, run_both

__all__ = [
    "ALLOWED", "Allowed", "Diff", "Expect", "Normaliser", "Raw", "Remove", "Run", "Session", "Side", "Step", "Wait",
    "Watch", "Write", "apply_allowed", "compare", "kubeconfig_client_parts", "run_both",
]
