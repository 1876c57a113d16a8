"""Every kind of bad input becomes a clear message at file:line; nothing raises, nothing hangs."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cluster import Cluster
from engine.manifests.loader import MAX_FILE_BYTES, discover, load_file, parse_text
from engine.manifests.source import ManifestSource

GOOD = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"


def only_error(errors):
    assert len(errors) == 1, errors
    return errors[0]


def test_multi_document_files_keep_each_documents_line(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text("# header comment\n" + GOOD + "---\n" + GOOD.replace("shop", "ops") + "---\n\n---\n"
                    + "kind: List\napiVersion: v1\nitems:\n- " + GOOD.replace("\n", "\n  ").rstrip() + "\n")
    docs, errors = load_file(path)
    assert errors == []
    # A List item is placed at its own line (the `- apiVersion` of items[0]), not at the List's `---`.
    assert [(d.line, d.obj["metadata"]["name"]) for d in docs] == [(1, "shop"), (6, "ops"), (17, "shop")]
    assert docs[2].item == 0


def test_syntax_errors_point_at_line_and_column(tmp_path):
    """A flow sequence left open is reported where it opens, not at the end of the file where the parser gave up:
    kubectl says `yaml: line 6: did not find expected ',' or ']'` for sample-manifests-broken/01 (issue 18)."""
    path = tmp_path / "bad.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\n")
    error = only_error(load_file(path)[1])
    assert (error.line, error.column) == (4, 9)
    assert error.message == ("YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence that "
                             "starts here; the file ends before it is closed)")


def test_a_document_that_is_not_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text(GOOD + "---\n- just\n- a list\n")
    docs, errors = load_file(path)
    assert len(docs) == 1
    assert only_error(errors).line == 5
    assert "is a list, not a mapping" in errors[0].message


def test_oversized_files_are_refused(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# " + b"x" * (MAX_FILE_BYTES + 10))
    assert "manifests over 5 MiB are refused" in only_error(load_file(path)[1]).message


def test_non_utf8_bytes(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GOOD.encode() + b"# caf\xe9\n")
    error = only_error(load_file(path)[1])
    assert error.line == 5 and "not UTF-8" in error.message


def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert "alias bomb" in only_error(load_file(path)[1]).message


def test_symlink_loops_and_links_leaving_the_folder(tmp_path):
    root = tmp_path / "deploy"
    (root / "sub").mkdir(parents=True)
    (root / "ok.yaml").write_text(GOOD)
    os.symlink(root, root / "sub" / "loop")
    outside = tmp_path / "secret.yaml"
    outside.write_text(GOOD)
    os.symlink(outside, root / "escape.yaml")
    files, errors = discover(root)
    assert [f.name for f in files] == ["ok.yaml"]
    messages = " | ".join(e.message for e in errors)
    assert "leads outside the folder" in messages
    assert "symbolic link loop" in messages or "leads outside" in messages


def test_editor_droppings_and_hidden_files_are_ignored(tmp_path):
    for name in ("ok.yaml", ".hidden.yaml", "ok.yaml~", ".#ok.yaml", "4913", "ok.yaml.swp", "x.tmp"):
        (tmp_path / name).write_text(GOOD)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config.yaml").write_text(GOOD)
    assert [f.name for f in discover(tmp_path)[0]] == ["ok.yaml"]


def test_kustomize_and_helm_files_are_named_as_unsupported(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: [a.yaml]\n")
    (tmp_path / "Chart.yaml").write_text("name: x\n")
    for name, what in (("kustomization.yaml", "Kustomize kustomization"), ("Chart.yaml", "Helm chart")):
        assert what in only_error(load_file(tmp_path / name)[1]).message


def test_a_file_that_vanishes_before_it_is_read(tmp_path):
    error = only_error(load_file(tmp_path / "gone.yaml")[1])
    assert error.message == "file disappeared while it was being read"


async def test_a_namespace_on_a_cluster_scoped_kind_is_ignored_as_kubectl_and_the_api_server_do(tmp_path):
    """kube-apiserver v1.36 accepts a Namespace written with `metadata.namespace: prod` and stores it without one
    (registry/rest: cluster-scoped strategies clear the namespace); so does k9py, and the folder stays in sync."""
    (tmp_path / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  namespace: prod\n")
    async with Cluster(nodes=1) as cluster:
        source = ManifestSource(cluster.api, tmp_path)
        source.sync()
        assert source.all_errors == []
        live = cluster.get("ns", "x")
        assert live is not None and "namespace" not in live["metadata"]
        assert source.sync_statuses()[("Namespace", "", "x")] == "Synced"


@pytest.mark.parametrize(("text", "message"), [
    ("kind: Namespace\nmetadata:\n  name: x\n", "Object 'apiVersion' is missing in the Namespace object"),
    ("apiVersion: v1\nmetadata:\n  name: x\n", "Object 'Kind' is missing in the object"),
    ("apiVersion: v1\nkind: Namespace\nmetadata: {}\n",
     "metadata.name: Required value: name or generateName is required"),
    ("apiVersion: v1\nkind: Namspace\nmetadata:\n  name: x\n", '(did you mean "Namespace"?)'),
    ("apiVersion: apps/v1beta1\nkind: Deployment\nmetadata:\n  name: x\n",
     'no matches for kind "Deployment" in version "apps/v1beta1"'),
    ("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: Bad_Name\n", "a lowercase RFC 1123 label must consist"),
    ("apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n  name: x\nhandler: runc\n",
     "does not simulate yet"),
])
async def test_bad_documents_get_specific_messages_and_do_not_stop_the_rest(tmp_path, text, message):
    (tmp_path / "a-good.yaml").write_text(GOOD)
    (tmp_path / "b-bad.yaml").write_text(text)
    async with Cluster(nodes=1) as cluster:
        source = ManifestSource(cluster.api, tmp_path)
        source.sync()
        error = only_error(source.all_errors)
        assert error.file.endswith("b-bad.yaml")
        assert message in error.message
        assert cluster.get("ns", "shop") is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "x.yaml"
    path.write_bytes(data)
    load_file(path)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:- \n[]{}&*!|>'\"#%@`,?0123456789.~")), max_size=300))
def test_arbitrary_yaml_like_text_never_raises(text):
    parse_text(text, "fuzz.yaml")
