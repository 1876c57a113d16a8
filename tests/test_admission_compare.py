"""Refuse and accept exactly what a real API server does, side by side with ../shared/kube (issue 18).

Every document of `admission_corpus.corpus()` (sample-manifests-broken/ and a generated set covering each served
kind) goes three ways:
- to kube-apiserver v1.36 (the kit) and to k9py's API server, as YAML with `dryRun=All&fieldValidation=Strict`
  (what `kubectl apply --dry-run=server` sends; an immutable-field case is created for real first and then
  server-side applied, as a watched folder does): the HTTP status, the Status reason and the message must be equal;
- through a k9py watched folder: a document the real server refuses must be refused with a message that contains
  the real one unchanged (k9py may add file:line:column and a hint); one it accepts must be applied.
Documents kubectl refuses before sending anything (YAML syntax, no kind, unknown kinds) are compared with what
kubectl prints. A difference fails unless `admission_corpus.ALLOWED` lists it with its reason; an entry nothing
needs fails too. Skipped without the kit; K9PY_REQUIRE_KUBE=1 (CI) makes that a failure.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from admission_corpus import ALLOWED, Case, corpus
from kube_compare import Side

from engine import Cluster
from engine.apiserver import ApiServer
from engine.kinds import REGISTRY
from engine.manifests.source import ManifestSource

QUERY = "?dryRun=All&fieldValidation=Strict"
YAML_TYPE = "application/yaml"
APPLY_TYPE = "application/apply-patch+yaml"
Answer = tuple[Any, ...]  # ("accepted", code) or (code, reason, message)


@pytest.fixture
async def k9py_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Path]:
    monkeypatch.setenv("K9PY_STATE_DIR", str(tmp_path / "state"))
    async with Cluster(nodes=1, clock="real") as cluster:
        server = ApiServer(cluster, port=0)
        await server.start()
        try:
            yield server.kubeconfig
        finally:
            await server.stop()


def _served(text: str) -> dict[str, Any] | None:
    """The document, when it is one an API server can be asked about (parsed, with a kind both servers serve)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("kind"), str):
        return None
    info = REGISTRY.by_kind(doc["kind"])
    return doc if info is not None and info.api_version == doc.get("apiVersion") else None


def _collection(doc: dict[str, Any], namespace: str) -> str:
    info = REGISTRY.by_kind(doc["kind"])
    assert info is not None
    prefix = f"/apis/{info.api_version}" if info.group else "/api/v1"
    if not info.namespaced:
        return f"{prefix}/{info.plural}"
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    return f"{prefix}/namespaces/{meta.get('namespace') or namespace}/{info.plural}"


def _answer(status: int, body: Any, namespace: str) -> Answer:
    if status < 300:
        return ("accepted", status)
    if not isinstance(body, dict):
        return (status, "", str(body))
    message = str(body.get("message", "")).replace(namespace, "NAMESPACE")
    return (status, body.get("reason", ""), message)


async def _ask(side: Side, case: Case, namespace: str) -> Answer:
    doc = _served(case.text)
    assert doc is not None
    path = _collection(doc, namespace)
    if case.before is None:
        return _answer(*await side.request("POST", path + QUERY, case.text, content_type=YAML_TYPE), namespace)
    status, body = await side.request("POST", path + "?fieldManager=admission", case.before,
                                      content_type=YAML_TYPE)
    assert status == 201, f"{side.name}: creating {case.id} for real: {status} {body}"
    # The update is what a watched folder (and `kubectl apply --server-side`) sends: the whole document, applied.
    item = f"{path}/{body['metadata']['name']}"
    try:
        return _answer(*await side.request("PATCH", item + QUERY + "&fieldManager=admission&force=true", case.text,
                                           content_type=APPLY_TYPE), namespace)
    finally:
        await side.request("DELETE", item)


async def _kubectl(side: Side, case: Case, workdir: Path) -> Answer:
    """What kubectl says of a document it does not send: its own error line, reduced to the part a reader acts
    on (`yaml: line 6: X` keeps the line)."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "doc.yaml"
    path.write_text(case.text)
    code, out, err = await side.kubectl("apply", "--dry-run=server", "-f", str(path))
    if code == 0:
        return ("accepted", 0)
    first = err.strip().splitlines()[0] if err.strip() else out.strip()
    for pattern in (r"yaml: (line \d+: .*)$", r"(no matches for kind .*)$"):
        found = re.search(pattern, first)
        if found:
            return (400, "kubectl", found.group(1))
    return (400, "kubectl", first.removeprefix("error: "))


async def _folder_error(cluster: Cluster, case: Case, folder: Path, namespace: str) -> str | None:
    """Apply the case through a watched folder (the `before` version first) into a namespace of its own (a
    ResourceQuota case must not limit the next case's pods); the error it reports, if any."""
    folder.mkdir(parents=True)
    await cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    source = ManifestSource(cluster.api, folder, namespace=namespace)
    for text in (case.before, case.text):
        if text is None:
            continue
        (folder / "doc.yaml").write_text(text)
        source.sync()
    errors = source.all_errors
    return "\n".join(f"{e.line}: {e.message}" for e in errors) if errors else None


def _folder_contains(real: Answer, error: str | None, namespace: str) -> bool:
    if real[0] == "accepted":
        return error is None
    if error is None:
        return False
    message = real[2].replace("NAMESPACE", namespace)
    line = re.match(r"line (\d+): (.*)", message) if real[1] == "kubectl" else None
    if line:  # kubectl's YAML error: the same line and problem
        return error.startswith(f"{line.group(1)}: ") and line.group(2) in error
    return message in error


async def test_k9py_refuses_and_accepts_what_kube_apiserver_does(real_kubeconfig: Path, k9py_server: Path,
                                                                  tmp_path: Path) -> None:
    namespace = f"admission-{secrets.token_hex(3)}"
    real = Side("kube-apiserver", real_kubeconfig, tmp_path / "real", namespace)
    ours = Side("k9py", k9py_server, tmp_path / "k9py", namespace)
    differences: list[str] = []
    used: set[tuple[str, str]] = set()
    allowed = {(a.case, a.aspect) for a in ALLOWED}

    def differ(case: Case, aspect: str, text: str) -> None:
        if (case.id, aspect) in allowed:
            used.add((case.id, aspect))
        else:
            differences.append(f"{case.id} [{aspect}]\n{text}")

    cases = corpus()
    parallel = asyncio.Semaphore(8)  # the answers do not depend on each other: ask several at once

    async def answers(index: int, case: Case) -> tuple[Answer, Answer | None]:
        async with parallel:
            if _served(case.text) is None:
                return await _kubectl(real, case, tmp_path / "kubectl" / str(index)), None
            theirs, mine = await asyncio.gather(_ask(real, case, namespace), _ask(ours, case, namespace))
            return theirs, mine

    try:
        await asyncio.gather(real.create_namespace(), ours.create_namespace())
        asked = await asyncio.gather(*(answers(i, case) for i, case in enumerate(cases)))
    finally:
        await asyncio.gather(real.delete_namespace(), ours.delete_namespace())
        await asyncio.gather(real.close(), ours.close())
    async with Cluster(nodes=1) as folder_cluster:
        for index, (case, (theirs, mine)) in enumerate(zip(cases, asked, strict=True)):
            if mine is not None and theirs != mine:
                differ(case, "api", f"  kube-apiserver: {theirs}\n  k9py:           {mine}")
            folder_namespace = f"case-{index}"
            folder_error = await _folder_error(folder_cluster, case, tmp_path / "folders" / str(index),
                                               folder_namespace)
            if not _folder_contains(theirs, folder_error, folder_namespace):
                differ(case, "folder", f"  kube-apiserver: {theirs}\n  k9py's folder:  {folder_error}")
    stale = sorted(allowed - used)
    assert not differences, f"{len(differences)} difference(s) from kube-apiserver:\n\n" + "\n\n".join(differences)
    assert not stale, f"allow-list entries no case needs any more (remove them): {stale}"
