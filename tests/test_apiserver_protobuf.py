"""Protobuf request bodies (what kubectl's typed clients send) decoded to their JSON form, and kubectl's typed
creates end to end.

The fixtures in tests/protobuf_bodies/ come from tools/capture_protobuf_bodies.py: kubectl's own request bodies
(`kubectl-*`, expected: the same command's `--dry-run=client -o json`) and a real v1.36 API server's answers for
the objects of rich.yaml in both encodings (`real-*`): Go's encoders on both sides, compared whole.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from test_apiserver_kit import Served, needs_kubectl, served

from engine.apiserver import protobuf
from engine.apiserver.protobuf_tables import API_VERSIONS, MESSAGES
from engine.errors import ApiError

__all__ = ["served"]

BODIES = Path(__file__).parent / "protobuf_bodies"
PAIRS = sorted(p.stem for p in BODIES.glob("*.pb") if p.with_suffix(".json").is_file())


def _without_nulls(value: Any) -> Any:
    """Go writes a nil field without omitempty as null (`lastProbeTime`, a list's `endpoints`); the decoder leaves
    it out, as absent and null make the same Go value."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


@pytest.mark.parametrize("name", PAIRS)
def test_decodes_as_go_encodes_json(name: str) -> None:
    expected = _without_nulls(json.loads((BODIES / f"{name}.json").read_text()))
    for claim in (expected.get("spec") or {}).get("volumeClaimTemplates", []):
        # The server's JSON gives a StatefulSet's claim templates the apiVersion and kind that protobuf cannot
        # carry (TypeMeta has no field number); a request in protobuf has none either.
        del claim["apiVersion"], claim["kind"]
    assert protobuf.decode_object((BODIES / f"{name}.pb").read_bytes()) == expected


def test_fixtures_cover_the_seed_creates_and_a_rich_pod() -> None:
    assert {"kubectl-configmap", "kubectl-secret", "kubectl-namespace", "kubectl-deployment", "real-pod",
            "real-controllerrevisions", "real-events", "real-leases"} <= set(PAIRS)
    pod = json.loads((BODIES / "real-pod.json").read_text())
    assert "hostIPC" not in pod["spec"]  # false and omitempty: left out
    assert pod["spec"]["hostAliases"][0]["ip"] and pod["spec"]["initContainers"][0]["restartPolicy"] == "Always"


def test_decoded_key_order_follows_the_go_struct() -> None:
    """encoding/json writes a struct's fields in their declaration order; the proto numbers differ from it."""
    configmap = protobuf.decode_object((BODIES / "real-configmap.pb").read_bytes())
    assert list(configmap) == ["kind", "apiVersion", "metadata", "immutable", "data", "binaryData"]


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes | int) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _object(api_version: str, kind: str, message: bytes) -> bytes:
    return protobuf.MAGIC + _field(1, _field(1, api_version.encode()) + _field(2, kind.encode())) + _field(2, message)


def test_scalars_and_special_types() -> None:
    container = (_field(1, b"app") + _field(2, b"")  # image "" is omitempty: left out; name is not
                 + _field(8, _field(1, _field(1, b"cpu") + _field(2, _field(1, b"250m")))))  # limits: a Quantity
    probe = _field(1, _field(3, _field(1, _field(1, 0) + _field(2, 8080))))  # tcpSocket port as an int
    probe += _field(6, 0)  # failureThreshold 0: omitempty, left out
    container += _field(10, probe)
    spec = (_field(2, container) + _field(4, -1)  # int64 -1: ten bytes of two's complement
            + _field(13, 1) + _field(11, 0))  # hostIPC true kept, hostNetwork false left out
    spec += _field(1, _field(1, b"v") + _field(2, _field(2, _field(1, b""))))  # Volume: its volumeSource inlined
    pod = _field(1, _field(1, b"p") + _field(8, b"") + _field(9, _field(1, 1700000000))) + _field(2, spec)
    decoded = protobuf.decode_object(_object("v1", "Pod", pod))
    assert decoded == {
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {"name": "p", "deletionTimestamp": "2023-11-14T22:13:20Z"},  # zero creationTimestamp: out
        "spec": {"volumes": [{"name": "v", "emptyDir": {}}],
                 "containers": [{"name": "app", "resources": {"limits": {"cpu": "250m"}},
                                 "livenessProbe": {"tcpSocket": {"port": 8080}}}],
                 "terminationGracePeriodSeconds": -1, "hostIPC": True}}


def test_int_or_string_micro_time_duration_bytes_and_wrappers() -> None:
    assert protobuf.decode_message(_field(1, 1) + _field(3, b"http"), "intstr.IntOrString") == "http"
    stamp = _field(1, 1700000000) + _field(2, 123456789)
    assert protobuf.decode_message(stamp, "meta/v1.MicroTime") == "2023-11-14T22:13:20.123456Z"
    assert protobuf.decode_message(_field(1, 90 * 10**9), "meta/v1.Duration") == "1m30s"
    assert protobuf.decode_message(_field(1, 3600 * 10**9), "meta/v1.Duration") == "1h0m0s"
    assert protobuf.decode_message(_field(1, 1_500_000), "meta/v1.Duration") == "1.5ms"
    secret = _field(2, _field(1, b"k") + _field(2, b"\x00\xff")) + _field(2, _field(1, b"none"))
    assert protobuf.decode_message(secret, "core/v1.Secret") == {"data": {"k": base64.b64encode(b"\x00\xff").decode(),
                                                                          "none": ""}}
    # authorization's ExtraValue stands for a []string: the JSON is the bare list
    extra = _field(5, _field(1, b"scopes") + _field(2, _field(1, b"a") + _field(1, b"b")))
    assert protobuf.decode_message(extra, "authorization/v1.SubjectAccessReviewSpec") == {
        "extra": {"scopes": ["a", "b"]}}
    # RawExtension: the embedded object's JSON
    revision = _field(2, _field(1, b'{"spec":{"x":1}}')) + _field(3, 2)
    assert protobuf.decode_message(revision, "apps/v1.ControllerRevision") == {"data": {"spec": {"x": 1}},
                                                                               "revision": 2}


def test_packed_repeated_and_unknown_fields() -> None:
    # ServiceStatus conditions aside, `repeated int32` is rare: PodSecurityContext.supplementalGroups (int64)
    packed = _field(4, _varint(1) + _varint(2) + _varint(300))
    unknown = _field(999, b"from a newer client") + _field(998, 7)
    assert protobuf.decode_message(packed + unknown, "core/v1.PodSecurityContext") == {
        "supplementalGroups": [1, 2, 300]}


def test_name_edge_cases_from_json_tags() -> None:
    """Proto field names are the JSON names except where the Go json tag says otherwise (inline structs, and the
    few camel-casing slips of go-to-protobuf)."""
    fields = {name: {f[0]: f[1] for f in table} for name, table in MESSAGES.items()}
    assert fields["core/v1.PodSpec"][10] == "nodeName" and fields["core/v1.PodSpec"][13] == "hostIPC"
    assert fields["core/v1.PodStatus"][12] == "podIPs" and fields["core/v1.PodIP"][1] == "ip"
    assert fields["authentication/v1.BoundObjectReference"][4] == "uid"  # the proto says `uID`
    assert fields["networking/v1.IngressClassParametersReference"][1] == "apiGroup"  # the proto says `aPIGroup`
    assert fields["core/v1.Volume"][2] == ""  # inlined VolumeSource
    assert API_VERSIONS["v1"] == "core/v1" and API_VERSIONS["rbac.authorization.k8s.io/v1"] == "rbac/v1"


@pytest.mark.parametrize("body", [b"k8s\x00" + b"\x12\x05ab", b"not protobuf", _object("v1", "Nope", b""),
                                  _object("v1", "ConfigMap", _field(1, b"\xff\xfe"))])
def test_malformed_bodies_are_400(body: bytes) -> None:
    with pytest.raises(ApiError) as raised:
        protobuf.decode_body(body)
    assert raised.value.status["code"] == 400


def test_delete_options() -> None:
    options = _field(1, 5) + _field(2, _field(1, b"u-1")) + _field(4, b"Foreground") + _field(5, b"All")
    body = _object("v1", "DeleteOptions", options)
    assert protobuf.delete_options(body) == {"gracePeriodSeconds": 5, "preconditions": {"uid": "u-1"},
                                             "propagationPolicy": "Foreground", "dryRun": ["All"]}


# --- kubectl end to end --------------------------------------------------------------------------------------


def _stored(served: Served, kind: str, name: str, namespace: str | None = "default") -> dict[str, Any]:
    found = served.cluster.get(kind, name, namespace=namespace)
    assert found is not None, f"{kind} {name} not stored"
    return found


@needs_kubectl
async def test_kubectl_typed_creates(served: Served, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("key: value\n")
    assert "namespace/x created" in await served.ok("create", "namespace", "x")
    assert "configmap/c created" in await served.ok("create", "configmap", "c", "--from-literal=a=b",
                                                    f"--from-file={config}")
    assert _stored(served, "configmap", "c")["data"] == {"a": "b", "config.yaml": "key: value\n"}
    assert "secret/s created" in await served.ok("create", "secret", "generic", "s", "--from-literal=password=pw")
    secret = _stored(served, "secret", "s")
    assert secret["data"] == {"password": "cHc="} and secret["type"] == "Opaque"
    assert "deployment.apps/web created" in await served.ok("create", "deployment", "web", "--image=nginx",
                                                            "--replicas=2")
    await served.wait_for(lambda: (_stored(served, "deployment", "web").get("status") or {}).get("readyReplicas")
                          == 2)
    assert "service/svc created" in await served.ok("create", "service", "clusterip", "svc", "--tcp=80:8080")
    port = _stored(served, "service", "svc")["spec"]["ports"][0]
    assert port == {"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}
    assert "job.batch/j created" in await served.ok("create", "job", "j", "--image=busybox", "--", "echo", "hi")
    assert "cronjob.batch/cj created" in await served.ok("create", "cronjob", "cj", "--image=busybox",
                                                         "--schedule=*/5 * * * *", "--", "date")
    assert "serviceaccount/sa created" in await served.ok("create", "serviceaccount", "sa")
    assert "job.batch/j2 created" in await served.ok("create", "job", "j2", "--from=cronjob/cj")
    j2 = _stored(served, "job", "j2")
    assert j2["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    assert j2["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    assert j2["spec"]["template"]["spec"]["containers"][0]["command"] == ["date"]
