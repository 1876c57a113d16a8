"""Load manifest folders: every `.yaml`/`.yml`/`.json` file, multi-document, `kind: List` flattened.

Parsing uses the C-backed safe loader; documents keep the file and line they came from so every error can be
reported as file:line. Hostile input (huge files, non-UTF-8 bytes, alias bombs, symlink loops or links that
leave the folder, unreadable or vanishing files) becomes a `LoadError`, never an exception or a hang.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError as RoundTripYAMLError

# libyaml's C parser when PyYAML was built with it (the wheels are), else PyYAML's pure-Python one. PyYAML reads
# YAML 1.1 like Kubernetes' own sigs.k8s.io/yaml does (`on`, `yes` are booleans there too).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES_PER_DOCUMENT = 200_000  # far beyond any real manifest; stops alias bombs from expanding
MAX_DEPTH = 100
EDITOR_DROPPINGS = re.compile(r"(\.swp|\.swx|\.swo|~|\.tmp|\.bak)$|^\.#|^4913$|^#.*#$")
UNSUPPORTED_FILES = {
    "kustomization.yaml": "a Kustomize kustomization",
    "kustomization.yml": "a Kustomize kustomization",
    "Kustomization": "a Kustomize kustomization",
    "Chart.yaml": "a Helm chart",
    "values.yaml": "Helm chart values",
    "helmfile.yaml": "a helmfile",
    "skaffold.yaml": "a Skaffold configuration",
    "docker-compose.yaml": "a Docker Compose file",
    "docker-compose.yml": "a Docker Compose file",
    "compose.yaml": "a Docker Compose file",
}
_DOCUMENT_START = re.compile(r"^---(\s|$)", re.MULTILINE)


@attrs.frozen
class Document:
    """One object from a file: where it came from and what it says."""

    file: str
    index: int  # position of the document in the file (0-based)
    line: int  # 1-based line where the document starts
    obj: dict[str, Any]
    item: int | None = None  # position inside a `kind: List`

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@attrs.frozen
class LoadError:
    file: str
    line: int
    message: str
    column: int = 0

    def __str__(self) -> str:
        location = f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")
        return f"{location}: {self.message}"


class _TooBig(Exception):
    pass


def _plain(value: Any, budget: list[int], depth: int = 0) -> Any:
    """Copy loaded YAML into plain dicts/lists, refusing alias bombs and absurd nesting."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig(f"document expands to more than {MAX_NODES_PER_DOCUMENT} values (a YAML alias bomb?)")
    if depth > MAX_DEPTH:
        raise _TooBig(f"document nests deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, (str, int, float, bool)) or k is None else k:
                _plain(v, budget, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, budget, depth + 1) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)  # dates and other YAML tags become strings, as Kubernetes' JSON would have them


def document_lines(text: str) -> list[int]:
    """1-based start line of each YAML document in `text` (an explicit `---` starts a new one)."""
    starts = [m.start() for m in _DOCUMENT_START.finditer(text)]
    lines = []
    if not starts or (text[: starts[0]].strip(" \t\r\n") and not _only_comments(text[: starts[0]])):
        lines.append(1)
    for offset in starts:
        lines.append(text.count("\n", 0, offset) + 1)
    return lines


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") or line.startswith("%")
               for line in text.splitlines())


def _is_ignored(name: str) -> bool:
    return name.startswith(".") or bool(EDITOR_DROPPINGS.search(name))


def discover(root: Path) -> tuple[list[Path], list[LoadError]]:
    """Manifest files under `root` (or `root` itself), sorted; links leaving the folder or looping are errors."""
    errors: list[LoadError] = []
    if not root.exists():
        return [], [LoadError(str(root), 0, "no such file or directory")]
    if root.is_file():
        return [root], []
    real_root = root.resolve()
    files: list[Path] = []
    seen_dirs: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=lambda e: errors.append(
            LoadError(str(getattr(e, "filename", root)), 0, f"cannot read folder: {e.strerror or e}"))):
        here = Path(dirpath)
        real = here.resolve()
        if real in seen_dirs:
            errors.append(LoadError(str(here), 0, "symbolic link loop: this folder was already read"))
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        kept = []
        for d in sorted(dirnames):
            if _is_ignored(d):
                continue
            target = (here / d).resolve()
            if not target.is_relative_to(real_root):
                errors.append(LoadError(str(here / d), 0, f"symbolic link leads outside the folder (to {target})"))
                continue
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            if _is_ignored(name) or not name.endswith(MANIFEST_SUFFIXES):
                continue
            path = here / name
            if path.is_symlink() and not path.resolve().is_relative_to(real_root):
                errors.append(LoadError(str(path), 0, f"symbolic link leads outside the folder "
                                                      f"(to {path.resolve()})"))
                continue
            files.append(path)
    return sorted(files), errors


def load_file(path: Path, display: str | None = None) -> tuple[list[Document], list[LoadError]]:
    name = display or str(path)
    if path.name in UNSUPPORTED_FILES:
        return [], [LoadError(name, 0, f"{UNSUPPORTED_FILES[path.name]} is not supported: k9py reads plain "
                                       "Kubernetes manifests only")]
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return [], [LoadError(name, 0, f"file is {size / 1048576:.1f} MiB; manifests over "
                                           f"{MAX_FILE_BYTES // 1048576} MiB are refused")]
        raw = path.read_bytes()
    except FileNotFoundError:
        return [], [LoadError(name, 0, "file disappeared while it was being read")]
    except PermissionError:
        return [], [LoadError(name, 0, "permission denied: the file cannot be read")]
    except OSError as exc:
        return [], [LoadError(name, 0, f"cannot read file: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return [], [LoadError(name, line, f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                                          f"{exc.start})")]
    return parse_text(text, name)


def parse_text(text: str, name: str) -> tuple[list[Document], list[LoadError]]:
    text = text.lstrip("\ufeff")
    docs: list[Document] = []
    errors: list[LoadError] = []
    starts = document_lines(text)
    try:
        loaded = list(yaml.load_all(text, Loader=_SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        column = mark.column + 1 if mark else 0
        problem = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        return [], [LoadError(name, line, f"YAML syntax error: {problem}{context}", column)]
    except yaml.YAMLError as exc:
        return [], [LoadError(name, 0, f"YAML error: {exc}")]
    except RecursionError:
        return [], [LoadError(name, 0, "YAML nests too deeply to be a manifest")]
    for index, raw_doc in enumerate(loaded):
        line = starts[index] if index < len(starts) else 1
        if raw_doc is None:
            continue
        try:
            doc = _plain(raw_doc, [MAX_NODES_PER_DOCUMENT])
        except (_TooBig, RecursionError) as exc:
            errors.append(LoadError(name, line, str(exc) if isinstance(exc, _TooBig) else
                                    "document nests too deeply"))
            continue
        if not isinstance(doc, dict):
            errors.append(LoadError(name, line, f"document {index + 1} is a {_yaml_type(doc)}, not a mapping: "
                                                "a manifest must be an object with apiVersion, kind and metadata"))
            continue
        if doc.get("kind") == "List" or (str(doc.get("kind", "")).endswith("List") and "items" in doc):
            items = doc.get("items") or []
            if not isinstance(items, list):
                errors.append(LoadError(name, line, "items: must be a list of objects"))
                continue
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    docs.append(Document(name, index, line, item, item=i))
                else:
                    errors.append(LoadError(name, line, f"items[{i}]: is a {_yaml_type(item)}, not an object"))
            continue
        docs.append(Document(name, index, line, doc))
    return docs, errors


def _yaml_type(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def load_paths(paths: Iterable[str | Path]) -> tuple[list[Document], list[LoadError]]:
    documents: list[Document] = []
    errors: list[LoadError] = []
    for raw in paths:
        root = Path(raw)
        files, discover_errors = discover(root)
        errors.extend(discover_errors)
        for path in files:
            docs, file_errors = load_file(path)
            documents.extend(docs)
            errors.extend(file_errors)
    return documents, errors


def field_position(text: str, document_index: int, field_path: str) -> tuple[int, int] | None:
    """1-based (line, column) of `spec.template.spec.containers[0].image` in a document, or of the deepest part of
    the path that exists (round-trip parse, only done when an error needs placing)."""
    try:
        docs = list(YAML(typ="rt").load_all(text))
    except RoundTripYAMLError:
        return None
    if document_index >= len(docs):
        return None
    node: Any = docs[document_index]
    position: tuple[int, int] | None = None
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", field_path):
        key: Any = int(part[1:-1]) if part.startswith("[") else part
        try:
            line, column = node.lc.item(key)[:2] if isinstance(key, int) else node.lc.key(key)[:2]
            position = (line + 1, column + 1)
            node = node[key]
        except (AttributeError, KeyError, IndexError, TypeError):
            break
    return position
