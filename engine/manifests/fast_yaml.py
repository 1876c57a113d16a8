"""The fast reader: most manifests in a fraction of the full parser's time, exactly as it would read them.

Most manifests use a small part of YAML: block mappings and sequences, one `key: value` or `- value` a line,
plain or simply quoted scalars, comments and `---`. The C parser still calls back into Python for every node
(~80 us for an 8-line ConfigMap); a line-by-line reader of that subset takes a fraction of that. It builds the
same plain dicts and lists the full parse builds, deciding what each plain scalar means with PyYAML's own
resolver and constructors. Anything outside the subset or in any way doubtful (tabs, CR, non-ASCII, anchors,
aliases, tags, flow collections other than `[]`/`{}`, block scalars, multi-line scalars, escapes in quotes,
duplicate keys, `kind: List`, empty documents, odd indentation, ...) stops it, and the full parser reads the
text instead, with every check and message of its own.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

# The limits every read keeps to, fast or full (the loader applies them to the full parse).
MAX_NODES_PER_DOCUMENT = 200_000  # far beyond any real manifest; stops alias bombs from expanding
MAX_DEPTH = 100
# The resolvers the full parse uses (the C loader shares the Python one's): what a plain scalar means.
_RESOLVERS = getattr(yaml, "CSafeLoader", yaml.SafeLoader).yaml_implicit_resolvers


def is_list(doc: Any) -> bool:
    """A `kind: List` (or `*List` with items): its items are the documents."""
    if not isinstance(doc, dict):
        return False
    kind = doc.get("kind")
    return kind == "List" or (str(kind if kind is not None else "").endswith("List") and "items" in doc)


class _NotSimple(Exception):
    """The fast reader met something outside its subset."""


_FAST_KEY = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_./-]{0,252}):(?:$| +(?:#.*)?$| +(.+))")
_FAST_VALUE = re.compile(r"""(?:"([^"\\]*)"|'([^']*)'|(\[\]|\{\})|([A-Za-z0-9_./~+-](?:[^#]*[^# ])?))(?: +#.*| *)$""")
_FAST_DOCUMENT_START = re.compile(r"--- *(?: #.*)?")
# The most common line, `key: value` with a value of letters, digits and a few marks, in one match (the general
# path reads it the same way, in more steps).
_FAST_KEY_LINE = re.compile(r"( *)([A-Za-z0-9_][A-Za-z0-9_./-]{0,252}):(?: +([A-Za-z0-9_./+~](?:[A-Za-z0-9_./+~ -]*"
                            r"[A-Za-z0-9_./+~-])?))? *$")
_FAST_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
                        "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp"})
_STR_TAG = "tag:yaml.org,2002:str"
_KEY, _ENTRY, _SCALAR = 0, 1, 2  # token kinds: `key:`, `- `, a scalar after `- `
_NO_VALUE = object()
_scalar_constructor = yaml.constructor.SafeConstructor()
_CACHED_ENTRIES, _CACHED_LENGTH = 4096, 200  # the caches below: how many entries, and of what length at most
_scalar_cache: dict[str, tuple[str, Any]] = {}  # plain scalar -> (tag, value)
_line_cache: dict[str, tuple[int, int, Any]] = {}  # `key: value` line -> its token (all of it immutable)


def _fast_plain(text: str) -> Any:
    """A plain scalar's value, as the resolver and constructor of the full parse make it (and `_plain` keeps it)."""
    if (text[0] == "-" and (len(text) == 1 or text[1] == " ")) or ": " in text or text[-1] == ":" \
            or text.startswith(("---", "...")):
        raise _NotSimple  # an indicator, or what YAML reads as a nested mapping or an error
    implicit = _RESOLVERS
    if text[0] not in implicit and None not in implicit:
        return text  # no resolver looks at scalars starting so: a string
    found = _scalar_cache.get(text)
    if found is None:
        tag = _STR_TAG
        for candidate, regexp in implicit.get(text[0], []) + implicit.get(None, []):
            if regexp.match(text):
                tag = candidate
                break
        if tag == _STR_TAG:
            found = (tag, text)
        elif tag in _FAST_TAGS:
            value = _scalar_constructor.yaml_constructors[tag](_scalar_constructor, yaml.ScalarNode(tag, text))
            if not isinstance(value, (str, int, float, bool)) and value is not None:
                value = str(value)  # a timestamp, as `_plain` turns it into a string
            found = (tag, value)
        else:
            raise _NotSimple
        if len(text) <= _CACHED_LENGTH:
            if len(_scalar_cache) >= _CACHED_ENTRIES:
                _scalar_cache.clear()
            _scalar_cache[text] = found
    if found[0] == _STR_TAG:
        return text
    return found[1]


def _fast_key(text: str) -> str:
    """A mapping key that the full parse also makes a string (`true:`, `1:`, `null:` are not)."""
    implicit = _RESOLVERS
    if (text[0] in implicit or None in implicit) and _fast_plain(text) is not text:
        raise _NotSimple
    return text


def _fast_scalar(text: str) -> Any:
    match = _FAST_VALUE.match(text)
    if match is None:
        raise _NotSimple
    double, single, empty, plain = match.groups()
    if plain is not None:
        return _fast_plain(plain)
    if double is not None:
        return double
    if single is not None:
        return single
    return [] if empty == "[]" else {}


def _fast_tokens(text: str) -> list[tuple[int, list[tuple[int, int, Any]]]]:
    """(start line, tokens) of each document; a token is (column, kind, payload)."""
    documents: list[tuple[int, list[tuple[int, int, Any]]]] = []
    tokens: list[tuple[int, int, Any]] = []
    start, explicit = 1, False  # explicit: the current document began with `---`
    for number, line in enumerate(text.split("\n"), 1):
        token = _line_cache.get(line)  # `kind: ConfigMap`, `  namespace: default`: seen in file after file
        if token is None:
            simple = _FAST_KEY_LINE.match(line)
            if simple is not None:
                indent, name, value = simple.groups()
                token = (len(indent), _KEY, (_fast_key(name), _NO_VALUE if value is None else _fast_plain(value)))
                if len(line) <= _CACHED_LENGTH:
                    if len(_line_cache) >= _CACHED_ENTRIES:
                        _line_cache.clear()
                    _line_cache[line] = token
        if token is not None:
            tokens.append(token)
            continue
        content = line.lstrip(" ")
        if not content or content[0] == "#":
            continue
        column = len(line) - len(content)
        first = content[0]
        if column == 0 and (first == "%" or content.startswith(("---", "..."))):
            if not _FAST_DOCUMENT_START.fullmatch(content):
                raise _NotSimple
            if tokens:
                documents.append((start, tokens))
            elif explicit:
                raise _NotSimple  # an empty document: the full parse makes it a null
            tokens, start, explicit = [], number, True
            continue
        if first == "-":
            rest = content[1:].lstrip(" ")
            if len(content) == 1 or content[1] != " " or not rest or rest[0] == "#":
                raise _NotSimple  # `-` alone or with a comment, or a scalar starting with `-` where a key may be
            tokens.append((column, _ENTRY, None))
            column += len(content) - len(rest)
            content = rest
            key = _FAST_KEY.match(content)
            if key is None:
                tokens.append((column, _SCALAR, _fast_scalar(content)))
                continue
        else:
            key = _FAST_KEY.match(content)
            if key is None:
                raise _NotSimple
        name, value = key.groups()
        tokens.append((column, _KEY, (_fast_key(name), _NO_VALUE if value is None else _fast_scalar(value))))
    if tokens:
        documents.append((start, tokens))
    elif explicit:
        raise _NotSimple  # `---` with nothing after it: a null document
    return documents


def _fast_mapping(tokens: list[tuple[int, int, Any]], i: int, column: int, depth: int) -> tuple[dict[str, Any], int]:
    if depth > MAX_DEPTH // 2:
        raise _NotSimple
    mapping: dict[str, Any] = {}
    count = len(tokens)
    while i < count:
        at, kind, payload = tokens[i]
        if at != column or kind != _KEY:
            break
        key, value = payload
        if key in mapping:
            raise _NotSimple  # the full parse says where both are
        i += 1
        if value is _NO_VALUE:
            value = None
            if i < count:
                below, below_kind, _ = tokens[i]
                if below_kind == _KEY and below > column:
                    value, i = _fast_mapping(tokens, i, below, depth + 1)
                elif below_kind == _ENTRY and below >= column:
                    value, i = _fast_sequence(tokens, i, below, depth + 1)
        elif isinstance(value, (list, dict)):
            value = [] if isinstance(value, list) else {}  # `[]` and `{}`: never shared between documents
        mapping[key] = value
    if i < count and tokens[i][0] > column:
        raise _NotSimple  # indented where nothing can start: a YAML error or a multi-line scalar
    return mapping, i


def _fast_sequence(tokens: list[tuple[int, int, Any]], i: int, column: int, depth: int) -> tuple[list[Any], int]:
    if depth > MAX_DEPTH // 2:
        raise _NotSimple
    items: list[Any] = []
    count = len(tokens)
    while i < count:
        at, kind, _ = tokens[i]
        if at != column or kind != _ENTRY:
            break
        at, kind, payload = tokens[i + 1]  # the tokenizer puts something after every `- `
        if kind == _SCALAR:
            items.append([] if isinstance(payload, list) else {} if isinstance(payload, dict) else payload)
            i += 2
        else:
            value, i = _fast_mapping(tokens, i + 1, at, depth + 1)
            items.append(value)
    return items, i


def fast_documents(text: str) -> list[tuple[int, dict[str, Any]]] | None:
    """(start line, object) of each document of a manifest within the fast reader's subset; None for any other."""
    if not (text.isascii() and text.replace("\n", "").isprintable()):
        return None  # tabs, CR, control characters and anything beyond ASCII go to the full parser
    try:
        documents = []
        for start, tokens in _fast_tokens(text):
            if len(tokens) > MAX_NODES_PER_DOCUMENT // 2 or tokens[0][:2] != (0, _KEY):
                raise _NotSimple  # the full parse says what is wrong with it
            obj, end = _fast_mapping(tokens, 0, 0, 0)
            if end != len(tokens) or is_list(obj):
                raise _NotSimple  # List items need their lines, which the full parse gives
            documents.append((start, obj))
        return documents
    except (_NotSimple, RecursionError):
        return None
