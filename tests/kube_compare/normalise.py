"""What may differ between two correct clusters, rewritten to placeholders before comparing.

Names made by controllers end in random letters from apimachinery's alphabet (no vowels, no 0, 1 or 3), and a
ReplicaSet's name carries the pod-template hash; those are numbered per side in order of first appearance (the
first hash a side prints is HASH1 on that side), so "the new ReplicaSet replaced the old one" still compares.
"""

from __future__ import annotations

import re

ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery/pkg/util/rand: SafeEncodeString and String()
_A = f"[{ALPHABET}]"

_RULES: list[tuple[re.Pattern[str], str]] = [
    # klog's header on kubectl's warnings: W1202 04:48:54.858008   12574 file.go:71]
    (re.compile(r"\b([IWEF])\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ "), r"\1 "),
    # RFC 3339 (YAML, JSON, events) and describe's RFC 1123 dates
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"), "TIME"),
    (re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}"), "TIME"),
    # Go's time.Time.String() (a NetworkPolicy's "Created on:").
    (re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} [A-Z]{3,4}\b"), "TIME"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "UID"),
    (re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b"), "IP"),
    # kwok's nodes are kwok-node-0..2, k9py's node-1..3
    (re.compile(r"\b(kwok-)?node-\d+\b"), "NODE"),
    (re.compile(r'(resourceVersion"?:\s*)"?\d+"?'), r'\1"RV"'),
    (re.compile(r'(resourceVersion=)\d+'), r"\1RV"),
    # a Service's node port is allocated at random from 30000-32767
    (re.compile(r"(:|NodePort:\s+\S*\s+|nodePort:\s+|\"nodePort\":\s*)3[0-2]\d{3}\b"), r"\1NODEPORT"),
    # ages and durations since (kubectl's HumanDuration: 5s, 3m2s, 4h, 2d5h, 10y; describe's "(5s ago)")
    (re.compile(r"(?<![\w.:/-])(\d+[ydhms]){1,2}(?![\w.:/-])"), "AGE"),
    (re.compile(r"<invalid>"), "AGE"),
]

_POD_NAME = re.compile(rf"(?<=-)({_A}{{6,10}})-{_A}{{5}}\b")          # <deploy>-<hash>-<5>
_RS_NAME = re.compile(rf"(?<=[a-z0-9]-)({_A}{{8,10}})\b(?!-)")         # <deploy>-<hash>: a ReplicaSet
_HASH_LABEL = re.compile(rf"(pod-template-hash[=:\"\s]+|controller-revision-hash[=:\"\s]+)({_A}{{6,10}})\b")
_SUFFIX = re.compile(rf"(?<=[a-z0-9]-)({_A}{{5}})\b(?![.-])")          # <owner>-<5>: DaemonSet, Job pods, volumes
_DOUBLE_SPACES = re.compile(r"(?<=\S)[ \t]{2,}")


class Normaliser:
    """Per side and per session: hashes are numbered as this side first shows them."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.hashes: dict[str, str] = {}

    def _hash(self, value: str) -> str:
        return self.hashes.setdefault(value, f"HASH{len(self.hashes) + 1}")

    def __call__(self, text: str) -> str:
        text = text.replace(self.namespace, "NS")
        found = [(m.start(m.lastindex or 0), m.group(m.lastindex or 0))
                 for pattern in (_POD_NAME, _HASH_LABEL, _RS_NAME) for m in pattern.finditer(text)]
        for _, value in sorted(found):  # numbered in the order this side printed them
            self._hash(value)
        for value in sorted(self.hashes, key=len, reverse=True):  # also in ReplicaSet names: web-<hash>
            text = re.sub(rf"(?<=[-=\"\s:]){value}\b", self.hashes[value], text)
            text = re.sub(rf"^{value}\b", self.hashes[value], text, flags=re.M)
        text = _SUFFIX.sub("XXXXX", text)
        for pattern, replacement in _RULES:
            text = pattern.sub(replacement, text)
        # Column widths follow the longest cell, which placeholders change: compare cells, not padding.
        return "\n".join(_DOUBLE_SPACES.sub("  ", line.rstrip()) for line in text.splitlines())
