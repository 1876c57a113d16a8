"""Writing a live change back into a manifest: only the value's bytes may change, and nothing else ever breaks."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from engine.manifests import writeback
from engine.manifests.diff import Select, format_path, parse_path
from engine.manifests.loader import load_file
from engine.manifests.writeback import WriteBackError, content_digest, edit_text, write_back

COMMENTED = """\
# The web tier.
# Owned by the platform team.
apiVersion: apps/v1
kind: Deployment   # a Deployment, not a StatefulSet
metadata:
  name: web
  labels: {app: web, tier: "front"}   # flow style
  annotations:
    note: 'single quoted'

spec:
  # three is plenty
  replicas: 3  # how many
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: "nginx:1.25"   # pinned
        env:
        - name: MODE
          value: fast
        command: |
          run --fast

      # the sidecar ships logs
      - name: logs
        image: busybox
...
# between the documents
---
apiVersion: v1
kind: Service
metadata:
  name: web   # same name as the deployment
spec:
  ports:
    - port: 80
      targetPort: 8080
"""

FOUR_SPACES = """\
apiVersion: apps/v1
kind: Deployment
metadata:
    name: api
spec:
    selector:
        matchLabels:
            app: api
    template:
        metadata:
            labels:
                app: api
        spec:
            containers:
              - name: api
                image: api:2
                ports:
                  - containerPort: 8080
"""

LIST = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: one
  data:
    key: a
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: two
  data:
    key: b   # this one
"""


def once(text: str, old: str, new: str) -> str:
    """`text` with the single occurrence of `old` replaced: the bytes a correct write-back must produce."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the fixture"
    return text.replace(old, new)


def write(tmp_path: Path, text: str, name: str = "app.yaml", newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode())
    return path


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if writeback.TEMP_MARKER in p.name]


def load(text: str) -> list[Any]:
    return list(YAML(typ="safe", pure=True).load_all(text))


# --- byte-exact edits ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_scaling_changes_only_the_replicas_digits(tmp_path, newline):
    path = write(tmp_path, COMMENTED, newline=newline)
    result = write_back(path, 0, {"spec.replicas": 5})
    expected = once(COMMENTED, "replicas: 3  # how many", "replicas: 5  # how many").replace("\n", newline)
    assert path.read_bytes() == expected.encode()
    assert result.changed and result.fields == ("spec.replicas",)
    assert no_temp_files(tmp_path)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_image_by_container_name_keeps_its_double_quotes(tmp_path, newline):
    path = write(tmp_path, COMMENTED, newline=newline)
    write_back(path, 0, {"spec.template.spec.containers[name=web].image": "nginx:1.26"})
    expected = once(COMMENTED, '"nginx:1.25"   # pinned', '"nginx:1.26"   # pinned').replace("\n", newline)
    assert path.read_bytes() == expected.encode()


def test_index_selector_and_plain_value(tmp_path):
    path = write(tmp_path, COMMENTED)
    write_back(path, 0, {"spec.template.spec.containers[1].image": "busybox:1.36"})
    assert path.read_text() == once(COMMENTED, "image: busybox", "image: busybox:1.36")


def test_second_document_of_a_multi_document_file(tmp_path):
    path = write(tmp_path, COMMENTED)
    write_back(path, 1, {"spec.ports[0].targetPort": 9090})
    assert path.read_text() == once(COMMENTED, "targetPort: 8080", "targetPort: 9090")


def test_single_quotes_stay_single_and_escape_their_quote(tmp_path):
    path = write(tmp_path, COMMENTED)
    write_back(path, 0, {"metadata.annotations.note": "it's new"})
    assert path.read_text() == once(COMMENTED, "note: 'single quoted'", "note: 'it''s new'")


def test_flow_mapping_value_and_insertion(tmp_path):
    path = write(tmp_path, COMMENTED)
    write_back(path, 0, {"metadata.labels.tier": "back", "metadata.labels.zone": "eu-1"})
    assert path.read_text() == once(COMMENTED, '{app: web, tier: "front"}', '{app: web, tier: "back", zone: eu-1}')


def test_nested_selectors(tmp_path):
    path = write(tmp_path, COMMENTED)
    write_back(path, 0, {"spec.template.spec.containers[name=web].env[name=MODE].value": "slow"})
    assert path.read_text() == once(COMMENTED, "value: fast", "value: slow")


def test_literal_block_stays_a_block_and_keeps_the_blank_line_after_it(tmp_path):
    path = write(tmp_path, COMMENTED)
    write_back(path, 0, {"spec.template.spec.containers[name=web].command": "run --slow\n"})
    assert path.read_text() == once(COMMENTED, "run --fast\n", "run --slow\n")


def test_plain_value_that_would_change_type_is_quoted(tmp_path):
    path = write(tmp_path, COMMENTED)
    write_back(path, 0, {"spec.template.spec.containers[name=web].env[name=MODE].value": "on"})
    assert path.read_text() == once(COMMENTED, "value: fast", 'value: "on"')
    write_back(path, 0, {"spec.template.spec.containers[name=web].env[name=MODE].value": "3"})
    assert load(path.read_text())[0]["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == "3"


def test_numbers_are_written_as_numbers_even_where_a_string_was_quoted(tmp_path):
    path = write(tmp_path, COMMENTED.replace("replicas: 3", 'replicas: "3"'))
    write_back(path, 0, {"spec.replicas": 4})
    assert "  replicas: 4  # how many\n" in path.read_text()


def test_no_trailing_newline_stays_absent(tmp_path):
    text = COMMENTED.rstrip("\n")
    path = write(tmp_path, text)
    write_back(path, 1, {"spec.ports[0].targetPort": 9090})
    assert path.read_text() == once(text, "targetPort: 8080", "targetPort: 9090")
    write_back(path, 1, {"spec.type": "NodePort"})
    assert path.read_text().endswith("  type: NodePort")


def test_byte_order_mark_is_kept(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + COMMENTED.encode())
    write_back(path, 0, {"spec.replicas": 7})
    assert path.read_bytes() == b"\xef\xbb\xbf" + once(COMMENTED, "replicas: 3", "replicas: 7").encode()


def test_multiple_changes_in_one_write(tmp_path):
    path = write(tmp_path, COMMENTED)
    result = write_back(path, 0, {"spec.replicas": 2, "spec.template.spec.containers[name=logs].image": "alpine"})
    expected = once(once(COMMENTED, "replicas: 3", "replicas: 2"), "image: busybox", "image: alpine")
    assert path.read_text() == expected
    assert result.fields == ("spec.replicas", "spec.template.spec.containers[name=logs].image")


def test_kind_list_item(tmp_path):
    path = write(tmp_path, LIST)
    write_back(path, 0, {"data.key": "c"}, item=1)
    assert path.read_text() == once(LIST, "key: b   # this one", "key: c   # this one")
    docs, errors = load_file(path)
    assert not errors and [d.obj["data"]["key"] for d in docs] == ["a", "c"]


# --- creating fields ----------------------------------------------------------------------------------------


def test_missing_replicas_is_inserted_with_the_files_indentation(tmp_path):
    text = COMMENTED.replace("  # three is plenty\n  replicas: 3  # how many\n", "")
    path = write(tmp_path, text)
    write_back(path, 0, {"spec.replicas": 4})
    assert path.read_text() == once(text, "        image: busybox\n", "        image: busybox\n  replicas: 4\n")


def test_missing_field_in_a_four_space_file(tmp_path):
    path = write(tmp_path, FOUR_SPACES)
    write_back(path, 0, {"spec.replicas": 2})
    assert path.read_text() == FOUR_SPACES + "    replicas: 2\n"


def test_missing_nested_mapping_uses_the_detected_indent(tmp_path):
    path = write(tmp_path, FOUR_SPACES)
    write_back(path, 0, {"spec.template.spec.containers[name=api].resources.limits.cpu": "500m"})
    assert path.read_text() == FOUR_SPACES + (
        "                resources:\n"
        "                    limits:\n"
        "                        cpu: 500m\n")


def test_new_list_uses_the_detected_dash_offset(tmp_path):
    path = write(tmp_path, FOUR_SPACES)
    write_back(path, 0, {"spec.template.spec.containers[name=api].args": ["--port", "8080"]})
    assert path.read_text() == FOUR_SPACES + (
        "                args:\n"
        "                  - --port\n"
        '                  - "8080"\n')
    assert load(path.read_text())[0]["spec"]["template"]["spec"]["containers"][0]["args"] == ["--port", "8080"]


def test_inserting_into_a_mapping_whose_last_line_has_a_comment(tmp_path):
    text = "spec:\n  a: 1   # keep me\n# trailing\n"
    path = write(tmp_path, text)
    write_back(path, 0, {"spec.b": 2})
    assert path.read_text() == "spec:\n  a: 1   # keep me\n  b: 2\n# trailing\n"


def test_empty_value_gets_a_value(tmp_path):
    path = write(tmp_path, "metadata:\n  name:\nspec:\n  x: 1\n")
    write_back(path, 0, {"metadata.name": "web"})
    assert path.read_text() == "metadata:\n  name: web\nspec:\n  x: 1\n"


def test_null_mapping_becomes_a_block_mapping(tmp_path):
    path = write(tmp_path, "spec:   # empty for now\nkind: X\n")
    write_back(path, 0, {"spec.replicas": 1})
    assert path.read_text() == "spec:   # empty for now\n  replicas: 1\nkind: X\n"


def test_replacing_a_block_mapping_with_a_mapping_keeps_its_column(tmp_path):
    text = "spec:\n    selector:   # who\n        app: a\n    x: 1\n"
    path = write(tmp_path, text)
    write_back(path, 0, {"spec.selector": {"app": "b", "tier": "c"}})
    assert path.read_text() == "spec:\n    selector:   # who\n        app: b\n        tier: c\n    x: 1\n"


def test_replacing_a_block_collection_with_a_scalar_keeps_the_key_comment(tmp_path):
    text = "spec:\n  selector:   # who\n    app: a\n  x: 1\n"
    path = write(tmp_path, text)
    write_back(path, 0, {"spec.selector": {}})
    assert path.read_text() == "spec:\n  selector: {}   # who\n  x: 1\n"


def test_a_key_that_needs_quotes(tmp_path):
    path = write(tmp_path, "metadata:\n  annotations:\n    a: b\n")
    write_back(path, 0, {'metadata.annotations["example.com/x: y"]': "1"})
    assert path.read_text() == 'metadata:\n  annotations:\n    a: b\n    "example.com/x: y": "1"\n'


# --- the file -----------------------------------------------------------------------------------------------


def test_permissions_are_kept(tmp_path):
    path = write(tmp_path, COMMENTED)
    path.chmod(0o640)
    write_back(path, 0, {"spec.replicas": 9})
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.stat().st_uid == os.getuid()


def test_result_lets_a_watcher_recognise_the_write(tmp_path):
    path = write(tmp_path, COMMENTED)
    before = content_digest(path.read_bytes())
    result = write_back(path, 0, {"spec.replicas": 9})
    data = path.read_bytes()
    assert result.digest == content_digest(data) and result.previous_digest == before
    assert result.mtime_ns == path.stat().st_mtime_ns and result.size == len(data)
    assert result.path == path.resolve()


def test_no_op_does_not_touch_the_file(tmp_path):
    path = write(tmp_path, COMMENTED)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    result = write_back(path, 0, {"spec.replicas": 3, "spec.template.spec.containers[name=web].image": "nginx:1.25"})
    assert not result.changed and result.fields == ()
    assert path.stat().st_mtime_ns == 1_000_000_000 and path.read_text() == COMMENTED


def test_symlink_inside_the_folder_edits_the_target_and_keeps_the_link(tmp_path):
    real = write(tmp_path, COMMENTED, name="real.yaml")
    link = tmp_path / "link.yaml"
    link.symlink_to("real.yaml")
    write_back(link, 0, {"spec.replicas": 1})
    assert link.is_symlink() and real.read_text() == once(COMMENTED, "replicas: 3", "replicas: 1")


def test_symlink_leaving_the_folder_is_refused(tmp_path):
    outside = write(tmp_path, COMMENTED, name="outside.yaml")
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "app.yaml").symlink_to(outside)
    with pytest.raises(WriteBackError, match="outside its folder"):
        write_back(folder / "app.yaml", 0, {"spec.replicas": 1})
    assert outside.read_text() == COMMENTED and no_temp_files(folder) and no_temp_files(tmp_path)


# --- refusals -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "changes", "message"), [
    (5, {"spec.replicas": 1}, "has 2 document"),
    (0, {"spec.template.spec.containers[name=db].image": "x"}, r"no item with name=db \(its names: web, logs\)"),
    (0, {"spec.template.spec.containers[7].image": "x"}, "does not exist"),
    (0, {"spec.replicas.count": 1}, "is the value '3', not a mapping"),
    (0, {"spec.template.spec.containers[name=db]": {"name": "db"}}, "no item with name=db"),
    (0, {"spec..replicas": 1}, "invalid field path"),
    (0, {"spec.replicas": object()}, "cannot write a object value"),
    (0, {}, "no changes"),
])
def test_refusals_have_clear_messages_and_leave_the_file_alone(tmp_path, index, changes, message):
    path = write(tmp_path, COMMENTED)
    with pytest.raises(WriteBackError, match=message):
        write_back(path, index, changes)
    assert path.read_text() == COMMENTED and no_temp_files(tmp_path)


def test_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("metadata:\n  name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(WriteBackError, match=r"not UTF-8 text \(byte 0xe9 on line 2\)"):
        write_back(path, 0, {"metadata.name": "x"})


def test_missing_file_and_directories_are_refused(tmp_path):
    with pytest.raises(WriteBackError, match="does not exist"):
        write_back(tmp_path / "gone.yaml", 0, {"a": 1})
    with pytest.raises(WriteBackError, match="not a regular file"):
        write_back(tmp_path, 0, {"a": 1})


def test_document_index_now_pointing_at_another_object_is_refused(tmp_path):
    path = write(tmp_path, COMMENTED)
    docs, _ = load_file(path)
    deployment = docs[0]
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new\n---\n" + COMMENTED)
    with pytest.raises(WriteBackError, match="is now ConfigMap/new, not Deployment/web: the file changed"):
        write_back(path, deployment.index, {"spec.replicas": 5}, expected=deployment.obj)


def test_a_field_the_user_edited_meanwhile_is_not_overwritten(tmp_path):
    path = write(tmp_path, COMMENTED)
    docs, _ = load_file(path)
    path.write_text(COMMENTED.replace("replicas: 3", "replicas: 7"))
    with pytest.raises(WriteBackError, match=r"spec.replicas was changed in the file since it was read \(it is "
                                             r"now 7\)"):
        write_back(path, 0, {"spec.replicas": 5}, expected=docs[0].obj)


def test_unrelated_edits_meanwhile_are_fine_with_expected(tmp_path):
    path = write(tmp_path, COMMENTED)
    digest = content_digest(path.read_bytes())
    docs, _ = load_file(path)
    edited = "# a new head comment\n" + COMMENTED
    path.write_text(edited)
    write_back(path, 0, {"spec.replicas": 5}, expected=docs[0].obj, expected_digest=digest)
    assert path.read_text() == once(edited, "replicas: 3", "replicas: 5")


def test_expected_digest_alone_refuses_any_change_on_disk(tmp_path):
    path = write(tmp_path, COMMENTED)
    digest = content_digest(path.read_bytes())
    path.write_text(COMMENTED + "# more\n")
    with pytest.raises(WriteBackError, match="changed on disk since it was read"):
        write_back(path, 0, {"spec.replicas": 5}, expected_digest=digest)


def test_a_save_during_the_write_wins_and_no_temp_file_is_left(tmp_path, monkeypatch):
    path = write(tmp_path, COMMENTED)
    real_fsync = os.fsync

    def users_save_lands(fd: int) -> None:
        real_fsync(fd)
        path.write_text("# the user's version\n")

    monkeypatch.setattr(writeback.os, "fsync", users_save_lands)
    with pytest.raises(WriteBackError, match="changed on disk while the change was being written"):
        write_back(path, 0, {"spec.replicas": 5})
    assert path.read_text() == "# the user's version\n" and no_temp_files(tmp_path)


def test_values_shared_through_anchors_are_refused(tmp_path):
    text = "a: &img nginx:1\nb: *img\n"
    path = write(tmp_path, text)
    for field in ("a", "b"):
        with pytest.raises(WriteBackError, match="shared through a YAML anchor"):
            write_back(path, 0, {field: "nginx:2"})
    assert path.read_text() == text


def test_a_block_that_cannot_keep_its_style_falls_back_to_double_quotes():
    # A `|+` block keeps the blank lines after it: this value cannot be spliced in as a block before them.
    text = "a: |+\n  x\n\n\nb: 1\n"
    assert edit_text(text, 0, {"a": "y\n"}) == "a: |\n  y\n\n\nb: 1\n"  # clipped: the blank lines do not count
    edited = edit_text(text, 0, {"a": "y\n\n"})
    assert edited == 'a: "y\\n\\n"\n\n\nb: 1\n' and load(edited) == [{"a": "y\n\n", "b": 1}]


def test_a_splice_that_would_read_back_differently_is_never_written(tmp_path, monkeypatch):
    path = write(tmp_path, COMMENTED)

    def sloppy(self, target, key, parent, value):
        return [[(target.start_mark.index, target.end_mark.index, f"{value}\n  extra: 1")]]

    monkeypatch.setattr(writeback._Planner, "replace", sloppy)
    with pytest.raises(WriteBackError, match=r"cannot write spec\.replicas without disturbing the rest of the file"):
        write_back(path, 0, {"spec.replicas": 5})
    assert path.read_text() == COMMENTED and no_temp_files(tmp_path)


# --- field paths --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "parts"), [
    ("spec.replicas", ["spec", "replicas"]),
    ("spec.containers[name=web].image", ["spec", "containers", Select("name", "web"), "image"]),
    ("spec.ports[0].port", ["spec", "ports", 0, "port"]),
    ('metadata.labels["app.kubernetes.io/name"]', ["metadata", "labels", "app.kubernetes.io/name"]),
    (r"metadata.labels.app\.kubernetes\.io/name", ["metadata", "labels", "app.kubernetes.io/name"]),
    ('env[name="A]B"].value', ["env", Select("name", "A]B"), "value"]),
    ("items[3][1]", ["items", 3, 1]),
])
def test_parse_path(text, parts):
    assert parse_path(text) == parts
    assert parse_path(format_path(parts)) == parts


@pytest.mark.parametrize("bad", ["", "a.", ".a", "a..b", "a[", "a[x]", "a[=1]", "a]b", "a[0]b", 'a["x'])
def test_parse_path_rejects(bad):
    with pytest.raises(ValueError):
        parse_path(bad)


@given(st.lists(st.one_of(
    st.text(min_size=1, max_size=8),
    st.integers(min_value=0, max_value=99),
    st.builds(Select, st.sampled_from(["name", "containerPort"]), st.text(max_size=6)),
), min_size=1, max_size=5).filter(lambda p: isinstance(p[0], str)))
def test_format_path_round_trips(parts):
    assert parse_path(format_path(parts)) == parts


# --- property: random layout, one span changes --------------------------------------------------------------

COMMENT_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff"),
                       max_size=12)
NAMES = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6)
IMAGES = st.builds(lambda repo, org, major, minor: f"{org + '/' if org else ''}{repo}:{major}.{minor}",
                   NAMES, st.one_of(st.just(""), NAMES), st.integers(0, 99), st.integers(0, 99))


@st.composite
def layouts(draw: st.DrawFn) -> dict[str, Any]:
    mapping = draw(st.sampled_from([2, 3, 4]))
    offset = draw(st.sampled_from([0, 1, 2, mapping]))
    n_lines = 16
    return {
        "mapping": mapping,
        "offset": offset,
        "quote": draw(st.sampled_from(["", "'", '"'])),
        "newline": draw(st.sampled_from(["\n", "\r\n"])),
        "trailing": draw(st.booleans()),
        "before": draw(st.integers(0, 2)),
        "end_marker": draw(st.booleans()),
        "inline": draw(st.lists(st.one_of(st.none(), st.tuples(st.integers(1, 4), COMMENT_TEXT)),
                                min_size=n_lines, max_size=n_lines)),
        "above": draw(st.lists(st.one_of(st.none(), st.tuples(st.integers(0, 12), COMMENT_TEXT)),
                               min_size=n_lines + 1, max_size=n_lines + 1)),
        "image": draw(IMAGES),
        "replicas": draw(st.integers(0, 500)),
    }


def render(layout: dict[str, Any], image: str, replicas: int | None, appended: str = "") -> tuple[str, str, str]:
    """The file text, plus the text before and after the image value (for span checks).

    `replicas=None` leaves the replicas line out; `appended` is a line added right after the last line of spec.
    """
    ind = " " * layout["mapping"]
    dash = ind * 3 + " " * layout["offset"]
    q = layout["quote"]
    marker = "\x00IMAGE\x00"
    lines = [
        "apiVersion: apps/v1", "kind: Deployment", "metadata:", f"{ind}name: web", "spec:",
        f"{ind}replicas: {replicas}", f"{ind}selector:", f"{ind * 2}matchLabels:", f"{ind * 3}app: web",
        f"{ind}template:", f"{ind * 2}spec:", f"{ind * 3}containers:", f"{dash}- name: side",
        f"{dash}  image: busybox", f"{dash}- name: web", f"{dash}  image: {q}{marker}{q}",
    ]
    out: list[str] = []
    if appended:
        lines[-1] += "\x00APPENDED\x00"
    for i, line in enumerate(lines):
        if replicas is None and i == 5:
            continue
        above = layout["above"][i]
        if above is not None:
            out.append(" " * above[0] + "#" + above[1])
        inline = layout["inline"][i]
        out.append(line + (" " * inline[0] + "#" + inline[1] if inline is not None else ""))
    if layout["above"][-1] is not None:
        out.append("# " + layout["above"][-1][1])
    body = "\n".join(out)
    docs = [f"# other {i}\nkind: ConfigMap\ndata: {{k{i}: v}}\n" + ("...\n" if layout["end_marker"] else "")
            for i in range(layout["before"])]
    text = "".join(d + "---\n" for d in docs) + body + ("\n" if layout["trailing"] else "")
    text = text.replace("\n", layout["newline"])
    if appended:
        head, rest = text.split("\x00APPENDED\x00")
        comment_end = len(rest.split(layout["newline"], 1)[0])  # the image line's inline comment stays on it
        text = head + rest[:comment_end] + layout["newline"] + appended + rest[comment_end:]
    before, after = text.split(marker)
    return before + image + after, before, after


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts(), IMAGES, st.integers(0, 500))
def test_random_layouts_change_exactly_one_span(layout, new_image, new_replicas):
    text, _, _ = render(layout, layout["image"], layout["replicas"])
    doc = layout["before"]
    edited = edit_text(text, doc, {"spec.template.spec.containers[name=web].image": new_image})
    assert edited == render(layout, new_image, layout["replicas"])[0]
    edited = edit_text(text, doc, {"spec.replicas": new_replicas})
    assert edited == render(layout, layout["image"], new_replicas)[0]
    # A missing field is inserted after the mapping's last line, at its keys' indentation.
    text, _, _ = render(layout, layout["image"], None)
    edited = edit_text(text, doc, {"spec.replicas": new_replicas})
    assert edited == render(layout, layout["image"], None, " " * layout["mapping"] + f"replicas: {new_replicas}")[0]


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts(), st.text(st.characters(blacklist_categories=("Cs",)), max_size=20))
def test_any_string_value_reads_back_and_only_its_span_changes(layout, value):
    text, before, after = render(layout, layout["image"], layout["replicas"])
    doc = layout["before"]
    edited = edit_text(text, doc, {"spec.template.spec.containers[name=web].image": value})
    # The prefix up to the old value's opening quote and the suffix after its closing quote are untouched.
    q = layout["quote"]
    head, tail = before[: len(before) - len(q)], after[len(q):]
    assert edited.startswith(head) and edited.endswith(tail)
    assert load(edited)[doc]["spec"]["template"]["spec"]["containers"][1]["image"] == value


def test_write_back_of_a_random_layout_on_disk(tmp_path):
    layout = {"mapping": 3, "offset": 1, "quote": "'", "newline": "\r\n", "trailing": False, "before": 2,
              "end_marker": True, "inline": [(2, " c")] * 16, "above": [(5, "x")] * 17, "image": "a:1.0",
              "replicas": 2}
    text, _, _ = render(layout, "a:1.0", 2)
    path = tmp_path / "r.yaml"
    path.write_bytes(text.encode())
    write_back(path, 2, {"spec.template.spec.containers[name=web].image": "b:2.0", "spec.replicas": 3})
    assert path.read_bytes() == render(layout, "b:2.0", 3)[0].encode()


# --- property: any dumped document, any leaf ----------------------------------------------------------------

SCALARS = st.one_of(st.integers(-10**6, 10**6), st.booleans(), st.none(), st.text(max_size=12),
                    st.floats(allow_nan=False, allow_infinity=False))
KEYS = st.one_of(NAMES, st.sampled_from(["app.kubernetes.io/name", "x-y", "on", "1", "true", "a b", "k8s:x"]))
VALUES = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=3), st.dictionaries(KEYS, children, max_size=3)), max_leaves=8)
TREES = st.dictionaries(KEYS, VALUES, min_size=1, max_size=4)


def paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every field path in `value`: leaves and the collections above them."""
    here = [path] if path else []
    if isinstance(value, dict):
        return here + [p for k, v in value.items() for p in paths(v, (*path, k))]
    if isinstance(value, list):
        return here + [p for i, v in enumerate(value) for p in paths(v, (*path, i))]
    return here


def dumped(tree: dict[str, Any], mapping: int, offset: int, flow: bool) -> str:
    import io

    yaml = YAML(typ="rt")
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    yaml.default_flow_style = None if flow else False
    yaml.width = 4096
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TREES, st.sampled_from([2, 3, 4]), st.sampled_from([0, 1, 2]), st.booleans(), st.data())
def test_any_field_of_any_document_can_be_set(tree, mapping, offset, flow, data):
    text = dumped(tree, mapping, offset, flow)
    try:
        load(text)
    except YAMLError:
        assume(False)  # ruamel's emitter can write what its own safe loader rejects (`{a: :0}`)
    path = data.draw(st.sampled_from(paths(tree)))
    value = data.draw(st.one_of(SCALARS, VALUES))
    edited = edit_text(text, 0, {format_path(path): value})
    expected = load(text)[0]
    target = expected
    for part in path[:-1]:
        target = target[part]
    old = target[path[-1]]
    target[path[-1]] = value
    assert load(edited) == [expected]
    if not isinstance(old, (dict, list)) and not isinstance(value, (dict, list)) and \
            not (isinstance(old, str) and "\n" in old):
        # A scalar replaced by a scalar: every line but the value's own is untouched.
        before, after = text.split("\n"), edited.split("\n")
        assert len(before) == len(after)
        assert sum(a != b for a, b in zip(before, after, strict=True)) <= 1


def test_floats_read_back_as_numbers_in_yaml_1_1_too():
    edited = edit_text("a: 1\n", 0, {"a": 1e-05})
    assert edited == "a: 1.0e-05\n"
    assert YAML(typ="safe", pure=True).load("%YAML 1.1\n---\n" + edited) == {"a": 1e-05}


def test_empty_list_item_and_empty_document():
    assert edit_text("a:\n-\n- b\n", 0, {"a[0]": "x"}) == "a:\n- x\n- b\n"
    assert edit_text("a:\n-\n- b\n", 0, {"a[0].name": "x"}) == "a:\n- name: x\n- b\n"
    with pytest.raises(WriteBackError, match=r"cannot create spec\.replicas: the document is empty"):
        edit_text("# nothing yet\n---\n", 0, {"spec.replicas": 1})


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_a_read_only_folder_is_a_clear_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = write(folder, COMMENTED)
    folder.chmod(0o555)
    try:
        with pytest.raises(WriteBackError, match=r"cannot write .*: Permission denied; the file was left as it was"):
            write_back(path, 0, {"spec.replicas": 1})
    finally:
        folder.chmod(0o755)
    assert path.read_text() == COMMENTED and no_temp_files(folder)


def test_an_os_error_while_writing_is_a_clear_error(tmp_path, monkeypatch):
    path = write(tmp_path, COMMENTED)

    def no_space(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writeback.os, "replace", no_space)
    with pytest.raises(WriteBackError, match="No space left on device; the file was left as it was"):
        write_back(path, 0, {"spec.replicas": 1})
    assert path.read_text() == COMMENTED and no_temp_files(tmp_path)
