"""Bad input never hangs or crashes the engine (issue 9, section 3): integers out of their Go type's range, nulls,
log templates, duplicate YAML keys, control characters in names, names controllers derive, and files that are
not regular files. Expected messages were taken from a real v1.36 API server and kubectl."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from manifests import deployment

from engine.cluster import Cluster
from engine.controllers.deployment.util import compute_hash
from engine.errors import ApiError
from engine.manifests.loader import MAX_FILE_BYTES, discover, load_file, load_paths, parse_text
from engine.manifests.source import ManifestSource
from engine.quoting import go_quote
from k9py.cli import main

DECODE = 'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal '


@pytest.fixture
async def cluster():
    async with Cluster(nodes=1) as c:
        yield c


def finishes(call: Callable[[], Any], seconds: float = 10.0) -> Any:
    """`call()`'s result, failing (instead of hanging the suite) when it takes longer than `seconds`."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds}s"
    return result[0]


# --- 1. integers as the API server decodes them --------------------------------------------------------------


@pytest.mark.parametrize(("value", "shown"), [
    (2**31, "number 2147483648"),
    (-(2**31) - 1, "number -2147483649"),
    (2**63, "number 9223372036854776000"),  # beyond int64, kubectl's YAML-to-JSON makes it a float64
    (10**30, "number 1e+30"),
    (1e30, "number 1e+30"),
    (10**400, "string"),  # beyond float64 too: it stays a string
])
async def test_replicas_outside_int32_are_refused_as_the_decoder_refuses_them(cluster, value, shown):
    with pytest.raises(ApiError) as err:
        await cluster.apply(deployment(replicas=value))
    assert err.value.code == 400 and err.value.reason == "BadRequest"
    assert err.value.message == (DECODE + f"{shown} into Go struct field DeploymentSpec.spec.replicas of type int32")
    assert cluster.get("deploy", "web") is None


@pytest.mark.parametrize(("spec", "message"), [
    ({"progressDeadlineSeconds": 10**400},
     "string into Go struct field DeploymentSpec.spec.progressDeadlineSeconds of type int32"),
    ({"minReadySeconds": 2**31}, "number 2147483648 into Go struct field DeploymentSpec.spec.minReadySeconds "
                                 "of type int32"),
    ({"revisionHistoryLimit": -(2**31) - 1}, "number -2147483649 into Go struct field "
                                             "DeploymentSpec.spec.revisionHistoryLimit of type int32"),
    ({"strategy": {"rollingUpdate": {"maxSurge": 2**31}}},
     "number 2147483648 into Go struct field RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge of type "
     "int32"),
])
async def test_every_int32_field_of_the_schema_is_range_checked(cluster, spec, message):
    with pytest.raises(ApiError) as err:
        await cluster.create(deployment(**spec))
    assert err.value.message == DECODE + message


async def test_nested_fields_name_their_go_struct_and_int64_fields_allow_int64(cluster):
    ports = deployment(containers=[{"name": "app", "image": "nginx", "ports": [{"containerPort": 2**31}]}])
    with pytest.raises(ApiError) as err:
        await cluster.create(ports)
    assert err.value.message == DECODE + ("number 2147483648 into Go struct field "
                                          "ContainerPort.spec.template.spec.containers.ports.containerPort of type "
                                          "int32")
    field = err.value.status["details"]["causes"][0]["field"]
    assert field == "spec.template.spec.containers[0].ports[0].containerPort"
    grace = deployment()
    grace["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 2**63
    with pytest.raises(ApiError) as err:
        await cluster.create(grace)
    assert err.value.message == DECODE + ("number 9223372036854776000 into Go struct field "
                                          "PodSpec.spec.template.spec.terminationGracePeriodSeconds of type int64")
    grace["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 2**63 - 1
    created = await cluster.create(grace)
    assert created["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 2**63 - 1


async def test_updates_and_patches_are_range_checked_too(cluster):
    created = await cluster.create(deployment())
    with pytest.raises(ApiError) as err:
        await cluster.update({**created, "spec": {**created["spec"], "replicas": 2**31}})
    assert err.value.code == 400
    with pytest.raises(ApiError) as err:
        await cluster.patch("deploy", "web", {"spec": {"minReadySeconds": 10**30}})
    assert err.value.message.endswith("number 1e+30 into Go struct field DeploymentSpec.spec.minReadySeconds of "
                                      "type int32")
    assert cluster.get("deploy", "web")["spec"]["replicas"] == 1


async def test_an_integral_float_is_an_integer_as_in_json(cluster):
    created = await cluster.create(deployment(replicas=3.0))
    assert created["spec"]["replicas"] == 3 and isinstance(created["spec"]["replicas"], int)


async def test_null_fields_are_dropped_as_on_decode_so_defaults_apply(cluster):
    created = await cluster.apply(deployment(replicas=None, minReadySeconds=None))
    assert created[0]["spec"]["replicas"] == 1 and "minReadySeconds" not in created[0]["spec"]
    await cluster.run_for(30)
    assert cluster.health("deploy", "web") == ("Healthy", "")
    # Re-applied with a number, then with null again: back to the default, as kubectl apply's patch does.
    await cluster.apply(deployment(replicas=3))
    again = await cluster.apply(deployment(replicas=None))
    assert again[0]["spec"]["replicas"] == 1


def test_check_with_a_null_replicas_converges(tmp_path, capsys):
    manifest = deployment()
    manifest["spec"]["replicas"] = None
    (tmp_path / "web.yaml").write_text(json.dumps(manifest))
    code = main(["check", str(tmp_path), "-o", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    assert report["objects"][0]["health"] == "Healthy"


def test_check_reports_huge_replicas_at_their_line_and_finishes(tmp_path, capsys):
    text = (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {10**30}\n"
            "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
            "    spec:\n      containers:\n      - name: app\n        image: nginx\n")
    (tmp_path / "web.yaml").write_text(text)
    code = finishes(lambda: main(["check", str(tmp_path), "-o", "json"]), 60)
    report = json.loads(capsys.readouterr().out)
    assert code == 2
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(6, 3)]
    assert report["errors"][0]["message"] == (DECODE + "number 1e+30 into Go struct field DeploymentSpec.spec.replicas "
                                              "of type int32")


@pytest.mark.parametrize(("replicas", "message"), [
    (2**31, 'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal number 2147483648 into Go '
            "struct field ScaleSpec.spec.replicas of type int32"),
    ("5", 'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal string into Go struct field '
          "ScaleSpec.spec.replicas of type int32"),
    (None, 'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal null into Go struct field '
           "ScaleSpec.spec.replicas of type int32"),
    (True, 'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal bool into Go struct field '
           "ScaleSpec.spec.replicas of type int32"),
    (2.5, 'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal number 2.5 into Go struct '
          "field ScaleSpec.spec.replicas of type int32"),
    (-1, 'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'),
])
async def test_scale_refuses_what_a_scale_body_cannot_hold(cluster, replicas, message):
    await cluster.create(deployment())
    with pytest.raises(ApiError) as err:
        await cluster.scale("deploy", "web", replicas)
    assert err.value.message == message
    assert cluster.get("deploy", "web")["spec"]["replicas"] == 1


async def test_scale_to_the_int32_maximum_is_accepted(cluster):
    await cluster.create(deployment(replicas=0))
    scaled = await cluster.scale("deploy", "web", 2**31 - 1)
    assert scaled["spec"]["replicas"] == 2**31 - 1


# --- 2. the log template ------------------------------------------------------------------------------------


async def test_the_log_template_substitutes_only_the_documented_fields(cluster):
    template = "{n} {pod} {container} {namespace} {image} {pod.x} {n:>300000000} {0} {{n}} {nope} {"
    await cluster.create(deployment(image="nginx:1.25", pod_annotations={"sim.k9py.io/log": template}))
    await cluster.run_for(30)
    pod = cluster.list("pods", "default")[0]
    name = pod["metadata"]["name"]
    lines = cluster.logs(name)
    assert len(lines) > 2
    assert lines[1] == (f"1 {name} app default nginx:1.25 {{pod.x}} {{n:>300000000}} {{0}} {{1}} {{nope}} {{")
    assert max(len(line) for line in lines) < 200
    ip = pod["status"]["podIP"]
    await cluster.create({**deployment("ip", pod_annotations={"sim.k9py.io/log": "{ip}:{n}"})})
    await cluster.run_for(12)
    ip_pod = next(p for p in cluster.list("pods", "default") if p["metadata"]["name"].startswith("ip-"))
    assert cluster.logs(ip_pod["metadata"]["name"])[1] == f"{ip_pod['status']['podIP']}:1"
    assert ip  # both pods have addresses


# --- 3. duplicate keys ------------------------------------------------------------------------------------------


DUPLICATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: dup
spec:
  replicas: 1
  replicas: 2
  selector:
    matchLabels: {app: x}
"""


def test_a_duplicate_key_is_refused_at_its_line():
    docs, errors = parse_text(DUPLICATE, "dup.yaml")
    assert docs == []
    assert [(e.line, e.column) for e in errors] == [(7, 3)]
    assert errors[0].message == 'key "replicas" already set in map (first set at line 6)'


def test_duplicates_in_flow_mappings_and_later_documents_refuse_the_file():
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\n" \
           "metadata: {name: b}\ndata: {k: \"1\", k: \"2\"}\n"
    docs, errors = parse_text(text, "two.yaml")
    assert docs == []  # like a syntax error: the whole file keeps its last good version
    assert [(e.line, e.column, e.message) for e in errors] == [
        (8, 16, 'key "k" already set in map (first set at line 8)')]


def test_merge_keys_may_be_overridden_and_equal_values_of_different_types_are_not_duplicates():
    text = ("base: &base {a: 1, b: 2}\nitem:\n  <<: *base\n  b: 3\nother:\n  1: one\n  '1': also\n"
            "  true: yes\n")
    docs, errors = parse_text(text, "merge.yaml")
    assert errors == []
    assert docs[0].obj["item"] == {"a": 1, "b": 3}


def test_a_duplicate_control_character_key_is_quoted():
    _, errors = parse_text('a: 1\n"b\\e": 1\n"b\\e": 2\n', "esc.yaml")
    assert errors[0].message == 'key "b\\x1b" already set in map (first set at line 2)'


# --- 4. control characters and where errors point ---------------------------------------------------------------


def test_go_quote_matches_strconv_quote():
    assert go_quote("web") == '"web"'
    assert go_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert go_quote("bad\x1b[31mname") == '"bad\\x1b[31mname"'
    assert go_quote("Bad\aName") == '"Bad\\aName"'
    assert go_quote("café\t\x00\x7f\u00a0\u0085\U0001f600\U000e0001") == \
        '"café\\t\\x00\\x7f\\u00a0\\u0085\U0001f600\\U000e0001"'


async def test_names_with_control_characters_are_quoted_in_every_message(cluster):
    with pytest.raises(ApiError) as err:
        await cluster.delete("pods", "bad\x1b[31m")
    assert err.value.message == 'pods "bad\\x1b[31m" not found'
    with pytest.raises(ApiError) as err:
        await cluster.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad\aName"}})
    assert err.value.message.startswith('ConfigMap "Bad\\aName" is invalid: metadata.name: Invalid value: '
                                        '"Bad\\aName": a lowercase RFC 1123 subdomain')
    with pytest.raises(ApiError) as err:
        await cluster.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "café\t"}})
    assert err.value.message.startswith('ConfigMap "café\\t" is invalid: metadata.name: Invalid value: "café\\t":')
    with pytest.raises(ApiError) as err:
        await cluster.create({"apiVersion": "v1", "kind": "Pod\x1b]0;x\x07", "metadata": {"name": "x"}})
    assert err.value.message == 'no matches for kind "Pod\\x1b]0;x\\a" in version "v1"'
    with pytest.raises(ApiError) as err:
        cluster.table("pods\x1b")
    assert "\x1b" not in err.value.message
    with pytest.raises(ApiError) as err:
        await cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "\x1b"}})
    assert "\x1b" not in err.value.message
    with pytest.raises(ApiError) as err:
        cluster.logs("nope\x1b")
    assert err.value.message == 'pods "nope\\x1b" not found'


def test_a_nul_byte_is_reported_at_its_line(tmp_path):
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\x00b\n")
    docs, errors = load_file(path)
    assert docs == []
    assert [(e.line, e.column) for e in errors] == [(4, 10)]
    assert "\x00" not in errors[0].message and "#x0000" in errors[0].message


LIST = """\
apiVersion: v1
kind: List
items:
- null
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: Bad_Name
- 5
- apiVersion: v1
  kind: Namespace
  metadata:
    name: fine
"""


async def test_list_items_are_reported_at_their_own_line_in_plain_words(tmp_path):
    (tmp_path / "list.yaml").write_text(LIST)
    docs, errors = load_file(tmp_path / "list.yaml")
    assert [(d.line, d.item) for d in docs] == [(5, 1), (10, 3)]
    assert [(e.line, e.message) for e in errors] == [
        (4, "items[0] is null, not a mapping: a manifest must be an object with apiVersion, kind and metadata"),
        (9, "items[2] is a number, not a mapping: a manifest must be an object with apiVersion, kind and metadata")]
    async with Cluster(nodes=1) as cluster:
        source = ManifestSource(cluster.api, tmp_path)
        source.sync()
        lines = {(e.line, e.message.split(":")[0]) for e in source.all_errors}
        assert (5, 'ConfigMap "Bad_Name" is invalid') in lines
        assert cluster.get("ns", "fine", None) is not None


async def test_apply_names_a_null_document_in_plain_words(cluster):
    with pytest.raises(ApiError) as err:
        await cluster.apply([None])  # type: ignore[list-item]
    assert "NoneType" not in err.value.message and "null" in err.value.message


# --- 5. what controllers write is validated ---------------------------------------------------------------------


async def test_a_long_deployment_name_is_cut_in_the_replicaset_name_as_upstream_does(cluster):
    name = "a" * 250
    long = deployment(name)
    long["spec"]["selector"] = {"matchLabels": {"app": "long"}}
    long["spec"]["template"]["metadata"]["labels"] = {"app": "long"}
    await cluster.apply(long)
    await cluster.run_for(30)
    [rs] = cluster.list("rs", "default")
    rs_name = rs["metadata"]["name"]
    suffix = rs["metadata"]["labels"]["pod-template-hash"]
    assert len(rs_name) == 253 and rs_name == name[: 253 - 1 - len(suffix)] + "-" + suffix
    assert cluster.health("deploy", name) == ("Healthy", "")
    assert all(len(p["metadata"]["name"]) <= 63 for p in cluster.list("pods", "default"))


async def test_a_replicaset_the_api_refuses_is_reported_on_the_deployment(cluster):
    # The cut lands right after a dot, so the ReplicaSet name (…d.-hash) is not a valid subdomain. The hash's
    # length (8 to 10 letters) decides where the cut is: take it from a paused twin of the same template.
    twin = deployment("twin", paused=True)
    twin["spec"]["selector"] = {"matchLabels": {"app": "dots"}}
    twin["spec"]["template"]["metadata"]["labels"] = {"app": "dots"}
    stored = await cluster.create(twin)
    cut = 253 - 1 - len(compute_hash(stored["spec"]["template"], None))
    await cluster.delete("deploy", "twin")
    name = "d" * (cut - 1) + "." + "b" * (250 - cut)
    dotted = {**twin, "metadata": {"name": name}, "spec": {**twin["spec"], "paused": False}}
    await cluster.apply(dotted)
    await cluster.run_for(60)  # the controller retries with back-off; the clock must still move on
    assert cluster.list("rs", "default") == []
    d = cluster.get("deploy", name)
    [progressing] = [c for c in d["status"]["conditions"] if c["type"] == "Progressing"]
    assert progressing["status"] == "False" and progressing["reason"] == "ReplicaSetCreateError"
    assert progressing["message"].startswith(f'Failed to create new replica set "{name[:cut]}-')
    assert 'is invalid: metadata.name: Invalid value: ' in progressing["message"]
    warnings = [e for e in cluster.events("default", involved=d) if e["reason"] == "ReplicaSetCreateError"]
    assert warnings and warnings[0]["type"] == "Warning" and warnings[0]["count"] > 1
    assert warnings[0]["message"] == progressing["message"]


async def test_replicaset_annotations_over_the_limit_fail_the_create_as_on_a_real_cluster(cluster):
    big = deployment("big")
    big["metadata"]["annotations"] = {"note": "x" * (256 * 1024 - len("note"))}
    await cluster.create(big)
    await cluster.run_for(10)
    assert cluster.list("rs", "default") == []
    d = cluster.get("deploy", "big")
    [progressing] = [c for c in d["status"]["conditions"] if c["type"] == "Progressing"]
    assert progressing["reason"] == "ReplicaSetCreateError"
    assert "metadata.annotations: Too long: may not be more than 262144 bytes" in progressing["message"]


# --- 6. only regular files are read -----------------------------------------------------------------------------

GOOD = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"


def test_a_fifo_named_like_a_manifest_is_an_error_not_a_hang(tmp_path):
    (tmp_path / "ok.yaml").write_text(GOOD)
    os.mkfifo(tmp_path / "pipe.yaml")
    files, errors = finishes(lambda: discover(tmp_path))
    assert [f.name for f in files] == ["ok.yaml"]
    assert [(Path(e.file).name, e.message) for e in errors] == [
        ("pipe.yaml", "not a regular file (a named pipe): only regular files are read")]
    docs, errors = finishes(lambda: load_file(tmp_path / "pipe.yaml"))
    assert docs == [] and "named pipe" in errors[0].message
    docs, errors = finishes(lambda: load_paths([tmp_path / "pipe.yaml"]))
    assert docs == [] and "named pipe" in errors[0].message


def test_check_on_a_folder_with_a_fifo_finishes(tmp_path, capsys):
    (tmp_path / "ok.yaml").write_text(GOOD)
    os.mkfifo(tmp_path / "pipe.yaml")
    code = finishes(lambda: main(["check", str(tmp_path), "-o", "json"]), 60)
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and "named pipe" in report["errors"][0]["message"]


def test_a_character_device_is_never_read(tmp_path):
    started = time.perf_counter()
    docs, errors = finishes(lambda: load_file(Path("/dev/zero")))
    assert docs == [] and errors[0].message == "not a regular file (a character device): only regular files are read"
    files, errors = finishes(lambda: discover(Path("/dev/zero")))
    assert files == [] and "character device" in errors[0].message
    assert time.perf_counter() - started < 5


def test_a_file_that_grows_past_the_limit_after_stat_is_read_only_up_to_it(tmp_path, monkeypatch):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * (MAX_FILE_BYTES + 10))
    real_stat = os.stat

    def small_stat(target: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        result = real_stat(target, *args, **kwargs)
        values = list(result)
        values[6] = 10  # st_size: the file "was" small when it was looked at
        return os.stat_result(values)

    monkeypatch.setattr(os, "stat", small_stat)
    monkeypatch.setattr(os, "fstat", lambda fd: small_stat(fd))
    docs, errors = load_file(path)
    assert docs == [] and "manifests over 5 MiB are refused" in errors[0].message


def test_a_dangling_symlink_is_an_error(tmp_path):
    (tmp_path / "ok.yaml").write_text(GOOD)
    os.symlink(tmp_path / "gone.yaml", tmp_path / "x.yaml")
    files, errors = discover(tmp_path)
    assert [f.name for f in files] == ["ok.yaml"]
    assert [(Path(e.file).name, e.message) for e in errors] == [
        ("x.yaml", f"symbolic link points to a missing file ({tmp_path / 'gone.yaml'})")]
    assert "missing file" in load_file(tmp_path / "x.yaml")[1][0].message


def test_symlinks_pointing_at_each_other_are_errors_not_exceptions(tmp_path):
    (tmp_path / "ok.yaml").write_text(GOOD)
    os.symlink(tmp_path / "b.yaml", tmp_path / "a.yaml")
    os.symlink(tmp_path / "a.yaml", tmp_path / "b.yaml")
    os.symlink(tmp_path / "d2", tmp_path / "d1")
    os.symlink(tmp_path / "d1", tmp_path / "d2")
    files, errors = discover(tmp_path)
    assert [f.name for f in files] == ["ok.yaml"]
    assert sorted((Path(e.file).name, e.message) for e in errors) == [
        ("a.yaml", "symbolic link loop: the link never reaches a file"),
        ("b.yaml", "symbolic link loop: the link never reaches a file")]
    assert "symbolic link loop" in load_file(tmp_path / "a.yaml")[1][0].message
    files, errors = discover(tmp_path / "a.yaml")
    assert files == [] and "symbolic link loop" in errors[0].message
    files, errors = discover(tmp_path / "d1")
    assert files == [] and "symbolic link loop" in errors[0].message


def test_odd_paths_never_raise(tmp_path):
    for path in (tmp_path / "nul\x00.yaml", tmp_path / ("x" * 5000 + ".yaml"), tmp_path / "missing" / "x.yaml",
                 Path("/proc/self/mem"), Path("/dev/null")):
        discover(path)
        load_file(path)
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "a.yaml").write_text(GOOD)
    sock_dir = tmp_path / "sock"
    sock_dir.mkdir()
    import socket
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(sock_dir / "s.yaml"))
        files, errors = discover(sock_dir)
        assert files == [] and "socket" in errors[0].message
        assert "socket" in load_file(sock_dir / "s.yaml")[1][0].message
    finally:
        server.close()


def test_file_names_with_control_characters_are_escaped_in_messages(tmp_path):
    (tmp_path / "bad\x1b[2J.yaml").write_text("a: [\n")
    os.symlink(tmp_path / "gone\x07.yaml", tmp_path / "link.yaml")
    _, errors = load_paths([tmp_path])
    text = "\n".join(str(e) for e in errors)
    assert "\x1b" not in text and "\x07" not in text
    assert "bad\\x1b[2J.yaml:2:1: YAML syntax error" in text and "gone\\a.yaml" in text


async def test_health_and_logs_messages_quote_what_the_caller_typed(cluster):
    assert cluster.health("deploy", "x\x1b") == ("Missing", 'deployments.apps "x\\x1b" not found')
    await cluster.create(deployment())
    await cluster.run_for(10)
    pod = cluster.list("pods", "default")[0]["metadata"]["name"]
    with pytest.raises(ApiError) as err:
        cluster.logs(pod, container="app\x1b")
    assert err.value.message == f"container app\\x1b is not valid for pod {pod}"


async def test_a_null_replicas_in_the_store_does_not_break_health(cluster):
    stored = cluster.api.create(deployment(), trusted=True)
    stored["spec"]["replicas"] = None  # as a write that skipped decoding could leave it
    assert cluster.health("deploy", "web")[0] == "Progressing"
