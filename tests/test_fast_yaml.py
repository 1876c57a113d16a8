"""The loader's fast reader (the common subset of YAML, line by line) must read exactly what the full YAML parse
reads, or decline and leave the text to it. Every text is compared with the full parse, types included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.manifests.fast_yaml import fast_documents
from engine.manifests.loader import _parse_full, parse_text

REPO = Path(__file__).resolve().parent.parent


def typed(value: Any) -> Any:
    """`value` with every type and every key order made visible (1, 1.0 and True compare equal in Python)."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, repr(value))


def assert_same_as_full_parse(text: str) -> bool:
    """True when the fast reader took the text (and read it as the full parse does)."""
    fast = fast_documents(text)
    if fast is None:
        return False
    docs, errors = _parse_full(text, "f.yaml")
    assert errors == [], (text, errors)
    assert [(d.line, typed(d.obj)) for d in docs] == [(line, typed(obj)) for line, obj in fast], text
    assert [(d.index, d.item) for d in docs] == [(i, None) for i in range(len(fast))]
    return True


TAKEN = [
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\ndata:\n  greeting: hello 1\n",
    "# c\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app.kubernetes.io/name: web\n"
    "spec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.27\n"
    "        args: []\n        env:\n          - name: A\n            value: \"1\"\n          - name: B\n"
    "            value: 'x y'  # comment\n        ports:\n        -   containerPort: 80\n"
    "            protocol: TCP\n",
    "a: 1\n---\nb: 2\n--- # third\nc: [] \n",
    "",
    "# only a comment\n\n",
    "a:\n- 1\n- 1.5\n- yes\n- ~\n- 0x1F\n- 017\n- 1:30\n- 2001-12-14\n- .inf\n- -.5\n- +1\n- hello world\nb:\n",
    "a:\n  b:\n    c: {}\n  d: x:y\n",
    "list:\n- - 1\n" if False else "a: b\n",
]

DECLINED = [
    "a: 1\na: 2\n",  # duplicate: the full parse says where
    "a: &x 1\nb: *x\n",
    "a: !!str 1\n",
    "a: |\n  text\n",
    "a: b\n  c\n",  # a multi-line scalar
    "a: [1, 2]\n",
    "a:\tb\n",
    "a: \"\\n\"\n",
    "a: caf\u00e9\n",
    "a: 1\r\nb: 2\r\n",
    "a: 1\n---\n",  # a null document after it
    "---\n",
    "a: b: c\n",
    "a: -\n",
    "- a\n",
    "  a: 1\n",
    "a: 1\n  b: 2\n",
    "a:\n  - x\n  b: 1\n",
    "true: 1\n",
    "1: one\n",
    "<<: {a: 1}\n",
    "a: =\n",
    "kind: List\nitems:\n- a: 1\n",
    "%YAML 1.1\n---\na: 1\n",
    "a: 1\n...\n",
    "a: x #c\n'b': 2\n",
]


@pytest.mark.parametrize("text", TAKEN)
def test_the_common_subset_is_read_as_the_full_parse_reads_it(text):
    assert assert_same_as_full_parse(text)


@pytest.mark.parametrize("text", DECLINED)
def test_anything_else_is_left_to_the_full_parse(text):
    assert fast_documents(text) is None


def test_the_generated_documents_are_mostly_taken():
    assert len(PLAIN_KEYS) >= 8 and len(PLAIN_VALUES) >= 50


def test_every_manifest_in_the_repository_reads_the_same():
    taken = 0
    for path in sorted(REPO.glob("sample-manifests*/**/*.y*ml")):
        taken += assert_same_as_full_parse(path.read_text(encoding="utf-8").lstrip("\ufeff"))
    assert taken > 5


def test_declined_texts_keep_the_full_parse_errors():
    docs, errors = parse_text("a: 1\nb: 2\na: 3\n", "dup.yaml")
    assert docs == [] and [(e.line, e.column) for e in errors] == [(3, 1)]


def test_the_scalar_cache_gives_each_document_its_own_empty_collections():
    first, second = fast_documents("a: []\nb: {}\n"), fast_documents("a: []\nb: {}\n")
    assert first is not None and second is not None
    first[0][1]["a"].append(1)
    assert second[0][1]["a"] == []
    assert first[0][1]["b"] is not second[0][1]["b"]


KEYS = ["a", "name", "on", "yes", "Y", "n", "null", "True", "1", "0x1", "2001-12-14", "a.b/c", "_x", "x-y", "x y",
        "'q'", '"d"', "-k", "<<", "a:b", "~", "3.5", ".5", "containerPort", "app.kubernetes.io/name", "x1",
        "nul", "off"]
VALUES = ["", "1", "-1", "+1", "0x1F", "0o17", "017", "1_000", "1:30", "190:20:30", "1.5", ".5", "1e3", "1.0e+3",
          ".inf", "-.Inf", ".NaN", "yes", "No", "on", "OFF", "y", "n", "~", "null", "Null", "NULL", "true", "False",
          "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "\"quoted\"", "'single'",
          "'it''s'", "\"esc\\n\"", "\"\"", "''", "[]", "{}", "[ ]", "[a]", "{a: 1}", "a #c", "a#c", "a: b", "a:",
          "-", "- x", "-x", "--x", "---", "...", "&a x", "*a", "!!str 1", "|", ">", "%x", "@x", "`x", "hello world",
          "x  ", "<<", "=", "a, b", "x'y", 'x"y', "a:b", "? x", ": x", "#c", "\"a\" #c", "'a'#c", "a:  b",
          "nginx:1.27", "10m", "16Mi", "0.5", "1_0.5", "0b101", "-0", "+.5", "0.", "1.", "1e", "0x", "09"]


# Keys and values the fast reader takes on their own: documents made of them exercise its structure.
PLAIN_KEYS = [k for k in KEYS if fast_documents(f"{k}: 1\n") is not None]
PLAIN_VALUES = [v for v in VALUES if fast_documents(f"k: {v}\n") is not None]


@st.composite
def lines(draw: Any) -> str:
    indent = " " * draw(st.sampled_from([0, 0, 0, 1, 2, 2, 2, 3, 4, 4, 6]))
    shape = draw(st.sampled_from(["key", "key", "key", "entry-key", "entry", "bare", "comment", "blank", "marker"]))
    key, value = draw(st.sampled_from(KEYS)), draw(st.sampled_from(VALUES))
    sep = draw(st.sampled_from([": ", ": ", ":", ":  ", " : "]))
    dash = draw(st.sampled_from(["- ", "- ", "-  ", "-"]))
    if shape == "key":
        return f"{indent}{key}{sep}{value}".rstrip() if value == "" else f"{indent}{key}{sep}{value}"
    if shape == "entry-key":
        return f"{indent}{dash}{key}{sep}{value}"
    if shape == "entry":
        return f"{indent}{dash}{value}"
    if shape == "bare":
        return f"{indent}{value}"
    if shape == "comment":
        return f"{indent}# {value}"
    if shape == "blank":
        return indent
    return draw(st.sampled_from(["---", "--- # c", "...", "--- a: 1", "---x", "%YAML 1.1"]))


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines(), max_size=12), st.booleans())
def test_random_line_soup_is_read_as_the_full_parse_reads_it_or_declined(text_lines, final_newline):
    assert_same_as_full_parse("\n".join(text_lines) + ("\n" if final_newline else ""))


@st.composite
def documents(draw: Any, depth: int = 0) -> str:
    """Well-formed block YAML: mostly taken, so the comparison covers the fast reader's whole subset."""
    out = []
    values = st.sampled_from(PLAIN_VALUES) if draw(st.integers(0, 4)) else st.sampled_from(VALUES)

    def mapping(indent: int, level: int, first_prefix: str | None = None) -> None:
        keys = st.sampled_from(PLAIN_KEYS) if draw(st.integers(0, 9)) else st.sampled_from(KEYS)
        for n, key in enumerate(draw(st.lists(keys, min_size=1, max_size=4, unique=True))):
            pad = first_prefix if (n == 0 and first_prefix is not None) else " " * indent
            kind = draw(st.sampled_from(["scalar", "scalar", "map", "seq", "indentless"])) if level < 4 else "scalar"
            if kind == "scalar":
                out.append(f"{pad}{key}: {draw(values)}")
            elif kind == "map":
                out.append(f"{pad}{key}:")
                mapping(indent + draw(st.sampled_from([1, 2, 4])), level + 1)
            else:
                out.append(f"{pad}{key}:")
                sequence(indent + (0 if kind == "indentless" else 2), level + 1)

    def sequence(indent: int, level: int) -> None:
        for _ in range(draw(st.integers(1, 3))):
            if draw(st.booleans()):
                out.append(" " * indent + "- " + draw(values))
            else:
                gap = draw(st.sampled_from([1, 1, 3]))
                mapping(indent + 1 + gap, level + 1, first_prefix=" " * indent + "-" + " " * gap)

    for n in range(draw(st.integers(1, 3))):
        if n:
            out.append(draw(st.sampled_from(["---", "--- # next"])))
        mapping(0, 0)
        if draw(st.booleans()):
            out.append(" " * draw(st.integers(0, 4)) + "# " + draw(st.sampled_from(VALUES)))
    return "\n".join(out) + "\n"


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_random_well_formed_documents_are_read_as_the_full_parse_reads_them_or_declined(text):
    assert_same_as_full_parse(text)


def test_generated_configmaps_are_all_taken():
    assert all(assert_same_as_full_parse(TAKEN[0].replace("hello 1", f"hello {i}")) for i in range(50))
