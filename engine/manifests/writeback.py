"""Write a live change (a scale, a new image) back into the manifest file that declared it.

Users are particular about their files, so an edit touches only the bytes of the value it changes. ruamel.yaml's
round-trip composer locates the value (exact start/end offsets of every node); the edit is then spliced into the
original text. Dumping the round-trip tree instead would be simpler, but ruamel re-emits far more than the value:
it rewraps long lines, normalises flow-mapping spacing, comment columns, `- ` offsets and CRLF line endings, and
can drop `...` markers. A splice keeps every other byte identical by construction, and the result is re-parsed and
compared with the intended data before anything is written: if an edit would change any other value, it is
refused rather than written.

New values keep the old value's style (a double-quoted image stays double-quoted, a `|` block stays a block); new
fields are inserted at the end of their mapping using the file's own indentation; new nested values are rendered
with ruamel's emitter at the file's detected mapping/sequence indent and `- ` offset.

The file is replaced atomically (a temp file beside it, fsync, same permission bits and owner, `os.replace`), and
the result carries the new content's sha256 and mtime so a watcher can tell its own write from a user's edit.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import math
import os
import re
import stat
import tempfile
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .diff import PathPart, Select, format_path, parse_path
from .loader import MAX_FILE_BYTES

__all__ = ["WriteBackError", "WriteResult", "content_digest", "edit_text", "write_back"]

TEMP_MARKER = ".k9py-tmp-"
_MAX_VALUES = 200_000  # same bound as the loader: stops alias bombs from expanding during verification
# Characters YAML forbids raw (outside its printable set) or reads as line breaks or a byte order mark.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff\u2028\u2029]")


class WriteBackError(Exception):
    """The change was not written; the message says why, in terms a user can act on."""


@attrs.frozen
class WriteResult:
    path: Path  # the file actually written (a symbolic link's target)
    digest: str  # sha256 of the file's bytes now, see `content_digest`
    mtime_ns: int  # the file's mtime after the write
    size: int
    changed: bool  # False when every value already had the requested value (nothing was written)
    fields: tuple[str, ...]  # the field paths whose value changed
    previous_digest: str

    @property
    def mtime(self) -> float:
        return self.mtime_ns / 1e9


def content_digest(data: bytes) -> str:
    """The sha256 a watcher compares with `WriteResult.digest` to recognise k9py's own write."""
    return hashlib.sha256(data).hexdigest()


# --- plain data, for verification --------------------------------------------------------------------------


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Any = _Absent()


def _plain(value: Any, budget: list[int]) -> Any:
    """Loaded YAML as plain, unshared dicts and lists (aliases expanded), like the loader's documents."""
    budget[0] -= 1
    if budget[0] < 0:
        raise WriteBackError(f"a document expands to more than {_MAX_VALUES} values (a YAML alias bomb?)")
    if isinstance(value, dict):
        return {k if isinstance(k, (str, int, float, bool)) or k is None else str(k): _plain(v, budget)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, budget) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _same(a: Any, b: Any) -> bool:
    """Strict equality: types must match (1 is not True, not 1.0, not "1"), and mapping key order too."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def _load_data(text: str) -> list[Any]:
    yaml = YAML(typ="safe")
    try:
        return [_plain(doc, [_MAX_VALUES]) for doc in yaml.load_all(text)]
    except YAMLError as exc:
        raise WriteBackError(f"the file is not valid YAML: {exc}") from None
    except RecursionError:
        raise WriteBackError("the file nests too deeply to be a manifest") from None


def _construct(nodes: list[Node]) -> list[Any]:
    """The plain data of composed documents (cheaper than parsing the text a second time)."""
    constructor = YAML(typ="safe", pure=True).constructor
    try:
        return [_plain(constructor.construct_document(node), [_MAX_VALUES]) for node in nodes]
    except YAMLError as exc:
        raise WriteBackError(f"the file is not valid YAML: {exc}") from None
    except RecursionError:
        raise WriteBackError("the file nests too deeply to be a manifest") from None


def _compose(text: str) -> list[Node]:
    try:
        return list(YAML(typ="rt").compose_all(text))
    except YAMLError as exc:
        raise WriteBackError(f"the file is not valid YAML: {exc}") from None
    except RecursionError:
        raise WriteBackError("the file nests too deeply to be a manifest") from None


# --- text positions ------------------------------------------------------------------------------------------


def _line_end(text: str, pos: int) -> int:
    """Where the line holding `pos` ends: the position of its line break (before `\\r\\n`), or the text's end."""
    end = text.find("\n", pos)
    if end < 0:
        return len(text)
    return end - 1 if end > pos and text[end - 1] == "\r" else end


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _newline(text: str, pos: int) -> str:
    """The line break used at `pos` (or the file's usual one at its end), so inserted lines match their file."""
    if text.startswith("\r\n", pos):
        return "\r\n"
    if text.startswith("\n", pos):
        return "\n"
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"


def _is_flow(node: Node | None) -> bool:
    return bool(getattr(node, "flow_style", False))


def _is_empty(node: Node) -> bool:
    """A null written as nothing at all (`key:`): its marks point at the next token, not at the value."""
    return isinstance(node, ScalarNode) and node.style is None and node.value == "" and \
        node.start_mark.index == node.end_mark.index


def _colon_after(text: str, key: Node) -> int:
    pos = key.end_mark.index
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    if pos >= len(text) or text[pos] != ":":
        raise WriteBackError(f"cannot find the ':' after key {key.value!r} (an explicit '? key' is not supported)")
    return pos


def _after_dash(text: str, node: Node) -> int:
    """Where an empty block-sequence item (a bare `-`) ends: its marks sit right after the dash."""
    pos = node.start_mark.index
    if pos == 0 or text[pos - 1] != "-":
        raise WriteBackError("cannot find the '-' of an empty list item")
    return pos


def _content_end(text: str, node: Node, key: Node | None = None) -> int:
    """Where the last character of `node`'s value is: block scalars' marks also take in trailing blank lines."""
    if _is_empty(node):
        return _colon_after(text, key) + 1 if key is not None else _after_dash(text, node)
    if isinstance(node, ScalarNode):
        if node.style in ("|", ">"):
            span = text[node.start_mark.index: node.end_mark.index]
            return node.start_mark.index + len(span.rstrip(" \t\r\n"))
        return node.end_mark.index
    if _is_flow(node) or not node.value:
        return node.end_mark.index
    if isinstance(node, MappingNode):
        last_key, last_value = node.value[-1]
        return _content_end(text, last_value, last_key)
    return _content_end(text, node.value[-1])


# --- rendering -----------------------------------------------------------------------------------------------


@attrs.frozen
class _Indent:
    mapping: int = 2
    sequence: int = 2
    offset: int = 0


def _detect_indent(nodes: list[Node]) -> _Indent:
    """The file's most common mapping indent, sequence indent and `- ` offset (2/2/0 when it shows none)."""
    maps: Counter[int] = Counter()
    seqs: Counter[int] = Counter()
    offsets: Counter[int] = Counter()
    stack = list(nodes)
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        if not isinstance(node, MappingNode):
            continue
        for key, value in node.value:
            stack.append(value)
            if _is_flow(value) or isinstance(value, ScalarNode) or not value.value:
                continue
            if value.start_mark.line <= key.start_mark.line:
                continue
            if isinstance(value, MappingNode):
                maps[value.start_mark.column - key.start_mark.column] += 1
            else:
                offsets[value.start_mark.column - key.start_mark.column] += 1
                first = value.value[0]
                if first.start_mark.line == value.start_mark.line:
                    seqs[first.start_mark.column - key.start_mark.column] += 1
    mapping = maps.most_common(1)[0][0] if maps else 2
    offset = offsets.most_common(1)[0][0] if offsets else 0
    sequence = seqs.most_common(1)[0][0] if seqs else offset + 2
    return _Indent(max(mapping, 1), max(sequence, offset + 2), max(offset, 0))


def _probe(text: str) -> Any:
    try:
        return YAML(typ="safe").load(text)
    except YAMLError:
        return _ABSENT


def _plain_ok(value: str, flow: bool) -> bool:
    """Whether `value` written without quotes reads back as exactly this string in that context."""
    if not value or value != value.strip() or any(c in value for c in "\r\n\t") or _YAML_UNSAFE.search(value):
        return False
    if flow:
        probes = [(f"[{value}]\n", [value]), (f"{{k: {value}}}\n", {"k": value})]
    else:
        probes = [(f"k: {value}  # c\n", {"k": value})]
    # kubectl reads YAML 1.1 (`on`, `yes`, `0777`, `1:20` are not strings there): plain only if both agree.
    return all(_same(_probe(text), want) and _same(_probe("%YAML 1.1\n---\n" + text), want) for text, want in probes)


def _double_quoted(value: str) -> str:
    # JSON strings are YAML double-quoted scalars; YAML only needs more characters escaped.
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


def _single_quoted(value: str) -> str | None:
    if any(not c.isprintable() and c != " " for c in value):
        return None
    return "'" + value.replace("'", "''") + "'"


def _non_string(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        # YAML 1.1 (kubectl) needs a dot in the mantissa to read `1e-05` as a number: write `1.0e-05`.
        mantissa, _, exponent = repr(value).partition("e")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}e{exponent}" if exponent else mantissa
    raise WriteBackError(f"cannot write a {type(value).__name__} value ({value!r}) into a manifest")


def _block_scalar(value: str, style: str, indent: int, nl: str) -> str | None:
    """`value` as a `|` or `>` block at `indent` columns, without the final line break (the file keeps its own)."""
    if not value or value[0] in " \t" or "\r" in value or any(not (c.isprintable() or c in "\n\t") for c in value):
        return None
    body = value.rstrip("\n")
    trailing = len(value) - len(body)
    if style == ">" and "\n" in body:
        style = "|"  # folding would need every line break doubled; a literal block says the same thing plainly
    if any(line != line.rstrip(" \t") for line in body.split("\n")) and style == ">":
        return None
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    lines = [" " * indent + line if line else "" for line in body.split("\n")]
    return nl.join([style + chomp, *lines, *([""] * max(trailing - 1, 0))])


def _scalar_candidates(value: Any, old: Node | None, flow: bool, block_indent: int, nl: str) -> list[str]:
    """Renderings of a scalar, preferred first: the old value's quoting style, then double quotes."""
    if not isinstance(value, str):
        return [_non_string(value)]
    style = old.style if isinstance(old, ScalarNode) and not _is_empty(old) else None
    quoted = _double_quoted(value)
    candidates: list[str | None] = []
    if style == "'":
        candidates.append(_single_quoted(value))
    elif style in ("|", ">") and not flow:
        candidates.append(_block_scalar(value, style, block_indent, nl))
    elif style is None and _plain_ok(value, flow):
        candidates.append(value)
    candidates.append(quoted)
    return list(dict.fromkeys(c for c in candidates if c is not None))


def _key_text(key: str, flow: bool) -> str:
    plain = _plain_ok(key, flow) and _same(_probe(f"{key}: v\n"), {key: "v"})
    return key if plain else _double_quoted(key)


def _flow_text(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key_text(str(k), True)}: {_flow_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow_text(v) for v in value) + "]"
    if isinstance(value, str):
        return value if _plain_ok(value, True) else _double_quoted(value)
    return _non_string(value)


def _inline(value: Any) -> str | None:
    """A value that fits after `key: ` or `- ` on one line, or None for a non-empty collection."""
    if isinstance(value, dict):
        return None if value else "{}"
    if isinstance(value, list):
        return None if value else "[]"
    if isinstance(value, str):
        return value if _plain_ok(value, False) else _double_quoted(value)
    return _non_string(value)


def _block_lines(value: dict[str, Any] | list[Any], indent: _Indent) -> list[str]:
    """A collection in block style with the file's indentation, its top level at column 0 (a list's dashes too).

    Written here rather than by ruamel's emitter so scalars follow the same quoting rules as every other value
    (ruamel would write `on` unquoted, which kubectl's YAML 1.1 reads as a boolean).
    """
    lines: list[str] = []
    if isinstance(value, dict):
        for key, child in value.items():
            key_text = _key_text(str(key), False)
            token = _inline(child)
            if token is not None:
                lines.append(f"{key_text}: {token}")
                continue
            lines.append(f"{key_text}:")
            shift = indent.mapping if isinstance(child, dict) else indent.offset
            lines.extend(" " * shift + line for line in _block_lines(child, indent))
        return lines
    # Item content sits `sequence` columns right of the parent key and the dash `offset` columns right of it.
    gap = indent.sequence - indent.offset
    for child in value:
        token = _inline(child)
        if token is not None:
            lines.append("-" + " " * (gap - 1) + token)
            continue
        inner = _block_lines(child, indent)
        lines.append("-" + " " * (gap - 1) + inner[0])
        lines.extend(" " * gap + line for line in inner[1:])
    return lines


def _place(lines: list[str], column: int, nl: str, *, first: bool) -> str:
    """Lines shifted right by `column`; the first one too only when `first` (else it continues a line)."""
    pad = " " * column
    placed = [(pad + line if line else line) if i or first else line for i, line in enumerate(lines)]
    return nl.join(placed)


def _nest(keys: list[str], value: Any) -> Any:
    for key in reversed(keys):
        value = {key: value}
    return value


# --- locating ------------------------------------------------------------------------------------------------


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"the value {node.value!r}" if node.value else "empty"


def _shared_nodes(root: Node) -> set[int]:
    """Nodes reached more than once: an anchor used by an alias. Editing one would edit every use."""
    counts: Counter[int] = Counter()
    stack = [root]
    while stack:
        node = stack.pop()
        counts[id(node)] += 1
        if counts[id(node)] > 1:
            continue
        if isinstance(node, MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return {ident for ident, n in counts.items() if n > 1}


@attrs.frozen
class _Step:
    node: Node
    key: Node | None  # the key node, when this value sits in a mapping
    concrete: str | int | None  # the key or index in the plain data


def _find_key(node: MappingNode, key: str) -> list[tuple[Node, Node]]:
    return [(k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == key and k.value != "<<"]


def _walk(root: Node, parts: list[PathPart], where: str) -> tuple[list[_Step], list[PathPart]]:
    """Follow `parts` from `root` as far as they exist: (the steps found, the parts that are missing)."""
    steps = [_Step(root, None, None)]
    for i, part in enumerate(parts):
        node = steps[-1].node
        here = format_path(parts[:i]) or "the document"
        if isinstance(part, str):
            if isinstance(node, ScalarNode) and str(node.tag).endswith(":null"):
                return steps, parts[i:]
            if not isinstance(node, MappingNode):
                raise WriteBackError(f"{where}: {here} is {_describe(node)}, not a mapping with {part!r}")
            found = _find_key(node, part)
            if not found:
                return steps, parts[i:]
            if len(found) > 1:
                raise WriteBackError(f"{where}: {format_path(parts[: i + 1])} is declared {len(found)} times")
            steps.append(_Step(found[0][1], found[0][0], part))
            continue
        if not isinstance(node, SequenceNode):
            raise WriteBackError(f"{where}: {here} is {_describe(node)}, not a list")
        if isinstance(part, int):
            if part >= len(node.value):
                raise WriteBackError(f"{where}: {format_path(parts[: i + 1])} does not exist "
                                     f"({here} has {len(node.value)} items)")
            steps.append(_Step(node.value[part], None, part))
            continue
        matches = []
        names = []
        for index, child in enumerate(node.value):
            if not isinstance(child, MappingNode):
                continue
            for _, value in _find_key(child, part.key):
                if isinstance(value, ScalarNode):
                    names.append(value.value)
                    if value.value == part.value:
                        matches.append(index)
        if not matches:
            known = ", ".join(names) or "none"
            raise WriteBackError(f"{where}: {here} has no item with {part.key}={part.value} "
                                 f"(its {part.key}s: {known})")
        if len(matches) > 1:
            raise WriteBackError(f"{where}: {here} has {len(matches)} items with {part.key}={part.value}")
        steps.append(_Step(node.value[matches[0]], None, matches[0]))
    return steps, []


# --- planning an edit ----------------------------------------------------------------------------------------

_Edits = list[tuple[int, int, str]]


def _splice(text: str, edits: _Edits) -> str:
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


class _Planner:
    def __init__(self, text: str, indent: _Indent, where: str) -> None:
        self.text = text
        self.indent = indent
        self.where = where

    def _only_comment_after(self, pos: int) -> None:
        rest = self.text[pos: _line_end(self.text, pos)].strip()
        if rest and not rest.startswith("#"):
            raise WriteBackError(f"{self.where}: cannot replace a value written after {rest!r} (a tag?); "
                                 "edit this field by hand")

    def replace(self, target: Node, key: Node | None, parent: Node | None, value: Any) -> list[_Edits]:
        """Candidate edits (preferred first) that put `value` where `target` is."""
        text = self.text
        flow = _is_flow(parent)
        collection = isinstance(value, (dict, list)) and bool(value)
        nl = _newline(text, _line_end(text, target.start_mark.index))
        key_col = key.start_mark.column if key is not None else target.start_mark.column
        if not collection:
            if isinstance(value, (dict, list)):
                tokens = ["{}" if isinstance(value, dict) else "[]"]
            else:
                block_indent = key_col + self.indent.mapping
                if isinstance(target, ScalarNode) and target.style in ("|", ">"):
                    block_indent = self._block_content_column(target, block_indent)
                tokens = _scalar_candidates(value, target, flow, block_indent, nl)
            if _is_empty(target):
                pos = _colon_after(text, key) + 1 if key is not None else _after_dash(text, target)
                return [[(pos, pos, " " + token)] for token in tokens]
            if isinstance(target, ScalarNode) or flow or _is_flow(target):
                end = _content_end(text, target, key)
                return [[(target.start_mark.index, end, token)] for token in tokens]
            end = _line_end(text, _content_end(text, target, key))
            if key is None:
                return [[(target.start_mark.index, _content_end(text, target), token)] for token in tokens]
            colon = _colon_after(text, key)
            self._only_comment_after(colon + 1)
            return [[(colon + 1, colon + 1, " " + token), (_line_end(text, colon), end, "")] for token in tokens]
        if flow or _is_flow(target):
            if _is_empty(target):
                pos = _colon_after(text, key) + 1 if key is not None else target.start_mark.index
                return [[(pos, pos, " " + _flow_text(value))]]
            return [[(target.start_mark.index, _content_end(text, target, key), _flow_text(value))]]
        lines = _block_lines(value, self.indent)
        child_col = key_col + (self.indent.mapping if isinstance(value, dict) else self.indent.offset)
        if isinstance(target, ScalarNode):
            if key is None and _is_empty(target):  # a bare `-` gets its mapping right after the dash
                pos = _after_dash(text, target)
                return [[(pos, pos, " " + _place(lines, target.start_mark.column + 1, nl, first=False))]]
            if key is None:  # a list item: `- old` becomes `- new: mapping` on the same dash
                return [[(target.start_mark.index, _content_end(text, target), _place(lines, key_col, nl,
                                                                                     first=False))]]
            colon = _colon_after(text, key)
            end = colon + 1 if _is_empty(target) else _content_end(text, target, key)
            block = nl + _place(lines, child_col, nl, first=True)
            return [[(colon + 1, end, ""), (_line_end(text, end), _line_end(text, end), block)]]
        start, end = target.start_mark.index, _content_end(text, target, key)
        same_shape = isinstance(target, MappingNode) == isinstance(value, dict)
        if key is None or same_shape:
            column = target.start_mark.column
            return [[(start, end, _place(lines, column, nl, first=False))]]
        line_start = _line_start(text, start)
        if text[line_start:start].strip(" \t"):
            raise WriteBackError(f"{self.where}: cannot replace a value that shares its line with other text")
        return [[(line_start, end, _place(lines, child_col, nl, first=True))]]

    def _block_content_column(self, target: ScalarNode, default: int) -> int:
        span = self.text[target.start_mark.index: target.end_mark.index]
        for line in span.splitlines()[1:]:
            if line.strip():
                return len(line) - len(line.lstrip(" "))
        return default

    def insert(self, mapping: MappingNode, key: str, value: Any) -> list[_Edits]:
        """Candidate edits that add `key: value` at the end of `mapping`."""
        text = self.text
        if _is_flow(mapping):
            pair_candidates = [f"{_key_text(key, True)}: {token}" for token in (
                [_flow_text(value)] if isinstance(value, (dict, list)) else
                _scalar_candidates(value, None, True, 0, "\n"))]
            if mapping.value:
                last_key, last_value = mapping.value[-1]
                pos = _content_end(text, last_value, last_key)
                return [[(pos, pos, ", " + pair)] for pair in pair_candidates]
            close = mapping.end_mark.index - 1
            if text[close] != "}":
                raise WriteBackError(f"{self.where}: cannot find the end of the flow mapping to insert {key!r}")
            return [[(close, close, pair)] for pair in pair_candidates]
        first_key, _ = mapping.value[0]
        last_key, last_value = mapping.value[-1]
        column = first_key.start_mark.column
        pos = _line_end(text, _content_end(text, last_value, last_key))
        nl = _newline(text, pos)
        key_text = _key_text(key, False)
        if isinstance(value, (dict, list)) and value:
            lines = _block_lines(value, self.indent)
            child_col = column + (self.indent.mapping if isinstance(value, dict) else self.indent.offset)
            pairs = [f"{key_text}:{nl}{_place(lines, child_col, nl, first=True)}"]
        elif isinstance(value, (dict, list)):
            pairs = [f"{key_text}: {'{}' if isinstance(value, dict) else '[]'}"]
        else:
            pairs = [f"{key_text}: {token}" for token in
                     _scalar_candidates(value, None, False, column + self.indent.mapping, nl)]
        return [[(pos, pos, nl + " " * column + pair)] for pair in pairs]


# --- the edit ------------------------------------------------------------------------------------------------


def _get(data: Any, keys: list[str | int]) -> Any:
    for key in keys:
        if isinstance(key, int):
            if not isinstance(data, list) or key >= len(data):
                return _ABSENT
        elif not isinstance(data, dict) or key not in data:
            return _ABSENT
        data = data[key]
    return data


def _resolve(data: Any, parts: list[PathPart]) -> Any:
    """The value at `parts` in plain data (selectors matched like the file's), or _ABSENT."""
    for part in parts:
        if isinstance(part, Select):
            if not isinstance(data, list):
                return _ABSENT
            found = [x for x in data
                     if isinstance(x, dict) and part.key in x and _scalar_text(x[part.key]) == part.value]
            if len(found) != 1:
                return _ABSENT
            data = found[0]
        else:
            data = _get(data, [part])
            if data is _ABSENT:
                return _ABSENT
    return data


def _scalar_text(value: Any) -> str:
    return value if isinstance(value, str) else _non_string(value) if isinstance(value, (int, float, bool)) else ""


def _set(data: Any, keys: list[str | int], value: Any) -> None:
    for i, key in enumerate(keys[:-1]):
        child = data[key] if not isinstance(data, dict) or key in data else None
        if child is None:
            data[key] = _nest([str(k) for k in keys[i + 1:]], value)
            return
        data = child
    data[keys[-1]] = value


def _identity(obj: Any) -> tuple[Any, ...]:
    if not isinstance(obj, dict):
        return (None, None, None, None)
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return (obj.get("apiVersion"), obj.get("kind"), meta.get("name"), meta.get("namespace"))


def _show_identity(ident: tuple[Any, ...]) -> str:
    _, kind, name, namespace = ident
    if kind is None and name is None:
        return "something else"
    return f"{kind}/{name}" + (f" in namespace {namespace}" if namespace else "")


def _check_expected(data: Any, expected: Mapping[str, Any], where: str) -> None:
    now, then = _identity(data), _identity(dict(expected))
    if now != then:
        raise WriteBackError(f"{where} is now {_show_identity(now)}, not {_show_identity(then)}: the file changed "
                             "since it was read; reload it and try again")


def _edit_one(text: str, document_index: int, item: int | None, path: str, value: Any,
              expected: Mapping[str, Any] | None, name: str) -> str:
    where = f"{name}, document {document_index + 1}" + (f", items[{item}]" if item is not None else "")
    try:
        parts = parse_path(path)
    except ValueError as exc:
        raise WriteBackError(f"invalid field path: {exc}") from None
    nodes = _compose(text)
    data = _construct(nodes)
    if not 0 <= document_index < len(nodes):
        raise WriteBackError(f"{name} has {len(nodes)} document(s); document {document_index + 1} does not exist "
                             "(the file changed since it was read?)")
    root, doc_data = nodes[document_index], data[document_index]
    prefix: list[PathPart] = []
    if item is not None:
        prefix = ["items", item]
    full = prefix + parts
    steps, missing = _walk(root, full, where)
    if len(steps) - 1 < len(prefix):
        raise WriteBackError(f"{where} does not exist (the file changed since it was read?)")
    shared = _shared_nodes(root)
    if any(id(step.node) in shared for step in steps):
        raise WriteBackError(f"{where}: {path} is shared through a YAML anchor and alias; changing it here would "
                             "change every place that uses it, so edit it by hand")
    if item is not None and expected is not None:
        _check_expected(_get(doc_data, ["items", item]), expected, where)
    elif expected is not None:
        _check_expected(doc_data, expected, where)
    concrete: list[str | int] = [s.concrete for s in steps[1:] if s.concrete is not None]
    if any(not isinstance(part, str) for part in missing):
        raise WriteBackError(f"{where}: {path} does not exist and list items cannot be created by a write-back")
    missing_keys = [str(part) for part in missing]
    current = _get(doc_data, concrete + missing_keys) if not missing else _ABSENT
    if expected is not None:
        before = _resolve(dict(expected), parts)
        if not _same(before, current):
            shown = "absent" if current is _ABSENT else json.dumps(current, default=str)
            raise WriteBackError(f"{where}: {path} was changed in the file since it was read (it is now {shown}); "
                                 "not overwriting it")
    if current is not _ABSENT and _same(current, value):
        return text

    planner = _Planner(text, _detect_indent(nodes), where)
    target = steps[-1]
    parent = steps[-2].node if len(steps) > 1 else None
    if not missing:
        if target.key is None and parent is None:
            raise WriteBackError(f"{where}: a field path is required (the whole document cannot be replaced)")
        candidates = planner.replace(target.node, target.key, parent, value)
    elif isinstance(target.node, MappingNode):
        candidates = planner.insert(target.node, missing_keys[0], _nest(missing_keys[1:], value))
    elif isinstance(target.node, ScalarNode) and parent is not None:  # a null becomes the mapping
        candidates = planner.replace(target.node, target.key, parent, _nest(missing_keys, value))
    else:
        raise WriteBackError(f"{where}: cannot create {path}: "
                             f"{format_path(full[: len(steps) - 1]) or 'the document'} is {_describe(target.node)}")

    expected_data = [_plain(doc, [_MAX_VALUES]) for doc in data]
    if expected_data[document_index] is None:
        raise WriteBackError(f"{where} is empty")
    _set(expected_data[document_index], concrete + missing_keys, copy.deepcopy(value))
    problems = []
    for edits in candidates:
        new_text = _splice(text, edits)
        try:
            new_data = _load_data(new_text)
        except WriteBackError as exc:
            problems.append(str(exc))
            continue
        if _same(new_data, expected_data):
            return new_text
        problems.append("the edited file would read back differently")
    raise WriteBackError(f"{where}: cannot write {path} without disturbing the rest of the file "
                         f"({problems[-1] if problems else 'no way to render the value'}); edit it by hand")


def edit_text(text: str, document_index: int, changes: Mapping[str, Any], *, item: int | None = None,
              expected: Mapping[str, Any] | None = None, name: str = "the file") -> str:
    """`text` with each `changes` path set to its value in one document; every other character kept.

    The pure half of `write_back`, for previews and tests. Raises `WriteBackError`.
    """
    for path, value in changes.items():
        text = _edit_one(text, document_index, item, path, value, expected, name)
    return text


# --- the file ------------------------------------------------------------------------------------------------


def _target(path: Path) -> Path:
    """The regular file to replace: `path`, or the target of a symbolic link that stays in its folder."""
    folder = path.parent.resolve()
    if path.is_symlink():
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise WriteBackError(f"{path} is a broken or looping symbolic link") from None
        if not real.is_relative_to(folder):
            raise WriteBackError(f"{path} is a symbolic link to {real}, outside its folder: refusing to write there")
    else:
        real = folder / path.name
    try:
        mode = real.stat().st_mode
    except FileNotFoundError:
        raise WriteBackError(f"{path} does not exist (deleted since it was read?)") from None
    except OSError as exc:
        raise WriteBackError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise WriteBackError(f"{path} is not a regular file")
    return real


def _read(path: Path, shown: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise WriteBackError(f"{shown} is {size / 1048576:.1f} MiB; manifests over "
                                 f"{MAX_FILE_BYTES // 1048576} MiB are not edited")
        return path.read_bytes()
    except FileNotFoundError:
        raise WriteBackError(f"{shown} disappeared while it was being read") from None
    except OSError as exc:
        raise WriteBackError(f"cannot read {shown}: {exc.strerror or exc}") from None


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable; not every platform can open a directory, and that is fine.
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _replace_atomically(target: Path, data: bytes, original: bytes, shown: Path) -> None:
    try:
        _replace(target, data, original, shown)
    except OSError as exc:
        raise WriteBackError(f"cannot write {shown}: {exc.strerror or exc}; the file was left as it was") from None


def _replace(target: Path, data: bytes, original: bytes, shown: Path) -> None:
    info = target.stat()
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}{TEMP_MARKER}", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))
            else:  # pragma: no cover - Windows
                os.chmod(temp, stat.S_IMODE(info.st_mode))
            if hasattr(os, "fchown"):
                # Only root (or the owner within its groups) may hand a file over; otherwise the writer owns it.
                with contextlib.suppress(OSError):
                    os.fchown(handle.fileno(), info.st_uid, info.st_gid)
            os.fsync(handle.fileno())
        # A user's save in the meantime must not be overwritten with an edit of the older text.
        try:
            now = target.read_bytes()
        except OSError:
            now = None
        if now != original:
            raise WriteBackError(f"{shown} changed on disk while the change was being written; nothing was "
                                 "written, try again")
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_folder(target.parent)


def write_back(path: Path, document_index: int, changes: Mapping[str, Any], *, item: int | None = None,
               expected: Mapping[str, Any] | None = None, expected_digest: str | None = None) -> WriteResult:
    """Set each field path in `changes` to its value in document `document_index` of `path` (0-based, the
    loader's `Document.index`), or in its `items[item]` for a `kind: List`; every other byte stays as it was.

    `expected` is the object as the caller read it (`Document.obj`): the document must still be that object
    (same apiVersion, kind, name, namespace) and each changed field must still hold the value it had then,
    otherwise the user edited the file meanwhile and nothing is written. `expected_digest` (the sha256 of the
    bytes read) without `expected` refuses any change to the file at all. Raises `WriteBackError`.
    """
    path = Path(path)
    if not changes:
        raise WriteBackError("no changes to write")
    target = _target(path)
    raw = _read(target, path)
    digest = content_digest(raw)
    if expected_digest is not None and digest != expected_digest and expected is None:
        raise WriteBackError(f"{path} changed on disk since it was read; reload it and try again")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise WriteBackError(f"{path} is not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); "
                             "it cannot be edited safely") from None
    changed: list[str] = []
    new_text = text
    for field_path, value in changes.items():
        edited = _edit_one(new_text, document_index, item, field_path, value, expected, str(path))
        if edited != new_text:
            changed.append(field_path)
        new_text = edited
    if new_text == text:
        return WriteResult(target, digest, target.stat().st_mtime_ns, len(raw), False, (), digest)
    data = new_text.encode("utf-8")
    _replace_atomically(target, data, raw, path)
    info = target.stat()
    return WriteResult(target, content_digest(data), info.st_mtime_ns, len(data), True, tuple(changed), digest)

