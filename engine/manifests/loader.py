"""Load manifest folders: every `.yaml`/`.yml`/`.json` file, multi-document, `kind: List` flattened.

Parsing uses the C-backed safe loader, after a fast reader for the plain block YAML most manifests are written in
(it reads them exactly as the loader would, and leaves anything else to it); documents keep the file and line they
came from so every error can be reported as file:line. Hostile input (huge files, non-UTF-8 bytes, NUL bytes,
duplicate keys, alias bombs, symlink loops, dangling links or links that leave the folder, named pipes and
devices, unreadable or vanishing files) becomes a `LoadError`, never an exception or a hang. A first read of
thousands of files is shared with a helper process (`bulk_read.load_files`); the fast reader is `fast_yaml`.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError as RoundTripYAMLError

from ..quoting import go_quote
from .fast_yaml import MAX_DEPTH, MAX_NODES_PER_DOCUMENT, fast_documents, is_list

# libyaml's C parser when PyYAML was built with it (the wheels are), else PyYAML's pure-Python one. PyYAML reads
# YAML 1.1 like Kubernetes' own sigs.k8s.io/yaml does (`on`, `yes` are booleans there too).
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_C_PARSER = _SafeLoader is not yaml.SafeLoader

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 5 * 1024 * 1024
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
        location = f"{shown_path(self.file)}:{self.line}" + (f":{self.column}" if self.column else "")
        return f"{location}: {self.message}"


class _TooBig(Exception):
    pass


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping sets a key twice. PyYAML keeps the last value silently; the API server's strict decoding of YAML
    refuses it (`yaml: unmarshal errors: line 7: key "replicas" already set in map`), and so does k9py, since
    which of the two values the author meant is anyone's guess."""


class _Loader(_SafeLoader):  # type: ignore[misc,valid-type]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # flatten_mapping (run by the parent) deletes `<<` merge entries from this very list and puts the merged
        # entries in a new one: after the call it holds exactly the keys written in this mapping.
        own = node.value
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if len(mapping) < len(node.value):  # fewer keys than entries: a duplicate, or a merged key overridden
            self._refuse_duplicates(own)
        return mapping

    def _refuse_duplicates(self, entries: list[tuple[yaml.Node, yaml.Node]]) -> None:
        seen: dict[tuple[type, Any], yaml.Node] = {}
        for key_node, _ in entries:
            key = self.construct_object(key_node)  # already built, so this is a cache lookup
            # The type is part of the identity: 1, "1" and true are three keys in YAML, though equal in Python.
            identity = (type(key), key)
            first = seen.get(identity)
            if first is not None:
                shown = go_quote(key) if isinstance(key, str) else str(key).lower() if isinstance(key, bool) \
                    else str(key)
                raise DuplicateKeyError(
                    problem=f"key {shown} already set in map (first set at line {first.start_mark.line + 1})",
                    problem_mark=key_node.start_mark)
            seen[identity] = key_node


def duplicate_key(text: str | bytes) -> str | None:
    """The first key a YAML text sets twice in one mapping, as go-yaml's strict decoding words it (`line 9: key
    "replicas" already set in map`), or None; the text is taken to be valid YAML (the caller parsed it)."""
    loader = _Loader(text)
    try:
        while loader.check_node():
            loader.construct_document(loader.get_node())
    except DuplicateKeyError as exc:
        return f"line {exc.problem_mark.line + 1}: {str(exc.problem).split(' (first set')[0]}"
    except (yaml.YAMLError, RecursionError):
        return None
    finally:
        loader.dispose()
    return None


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


def shown_path(path: object) -> str:
    """A path for a message: as it is, unless it holds control characters, which are escaped as Go's %q does (a
    file name is user text too, and must not reach a terminal raw)."""
    text = str(path)
    return text if text.isprintable() else go_quote(text)[1:-1]


def _is_ignored(name: str) -> bool:
    return name.startswith(".") or bool(EDITOR_DROPPINGS.search(name))


def discover(root: Path) -> tuple[list[Path], list[LoadError]]:
    """Manifest files under `root` (or `root` itself), sorted; links leaving the folder or looping, dangling links
    and anything that is not a regular file (a named pipe would block the reader forever) are errors. Never raises,
    whatever the filesystem holds."""
    found, errors = discover_stats(root)
    return [Path(name) for name, _ in found], errors


def discover_stats(root: str | Path) -> tuple[list[tuple[str, os.stat_result]], list[LoadError]]:
    """What `discover` finds, as (path, stat) pairs: each path a string as `str()` of discover's Path would be,
    in the same order, with the stat its type was checked on (one stat a file: `load_file` and ManifestSource's
    change detection take it from here instead of asking again)."""
    return _discover_safely(Path(root), stat_files=True)  # type: ignore[return-value]


def list_files(root: str | Path) -> tuple[list[tuple[str, os.stat_result | None]], list[LoadError]]:
    """`discover_stats` for a first read of a folder: a file the folder's listing itself says is a regular file
    (not a link) is not asked again, and comes with None for its stat. `load_files` reads such a file without a
    stat first and takes one from the opened file; one system call a file fewer, a tenth of a second for 25,000
    files here. Only for files nothing is known of yet: a changed file is found by its stat."""
    return _discover_safely(Path(root), stat_files=False)


def _discover_safely(root: Path, stat_files: bool) -> tuple[list[tuple[str, os.stat_result | None]],
                                                              list[LoadError]]:
    try:
        return _discover(root, stat_files)
    except (OSError, RuntimeError, ValueError) as exc:  # a race or an odd path the checks below did not foresee
        return [], [LoadError(str(root), 0, f"cannot read folder: {_why(exc)}")]


def _join(folder: str, name: str) -> str:
    """`str(Path(folder) / name)` for a normalized `folder`, without making a Path (a file's worth of time)."""
    if folder == ".":
        return name
    return folder + name if folder.endswith("/") else f"{folder}/{name}"


def _discover(root: Path, stat_files: bool) -> tuple[list[tuple[str, os.stat_result | None]], list[LoadError]]:
    kind, problem, info = _stat_type(root)
    if kind == "missing":
        return [], [LoadError(str(root), 0, "no such file or directory")]
    if problem is not None:
        return [], [LoadError(str(root), 0, problem)]
    if kind == "file":
        assert info is not None
        return [(str(root), info)], []
    errors: list[LoadError] = []
    real_root = _resolve(root) or root
    files: list[tuple[tuple[str, ...], str, os.stat_result | None]] = []
    seen_dirs: set[Path] = set()
    pending = [str(root)]  # what os.walk(followlinks=True) would visit, in its order (top-down, depth first)
    while pending:
        dirpath = pending.pop()
        dirnames: list[str] = []
        filenames: list[os.DirEntry[str]] = []
        try:
            with os.scandir(dirpath) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir()  # follows links, as os.walk does
                    except OSError:
                        is_dir = False
                    if is_dir:
                        dirnames.append(entry.name)
                    else:
                        filenames.append(entry)
        except OSError as e:
            errors.append(LoadError(str(getattr(e, "filename", root)), 0, f"cannot read folder: {e.strerror or e}"))
            continue
        here = Path(dirpath)
        real = _resolve(here)
        if real is None or real in seen_dirs:
            errors.append(LoadError(str(here), 0, "symbolic link loop: this folder was already read"))
            continue
        seen_dirs.add(real)
        kept = []
        for d in sorted(dirnames):
            if _is_ignored(d):
                continue
            target = _resolve(here / d)
            if target is None:
                errors.append(LoadError(str(here / d), 0, "symbolic link loop: the link never reaches a folder"))
                continue
            if not target.is_relative_to(real_root):
                errors.append(LoadError(str(here / d), 0, "symbolic link leads outside the folder "
                                                           f"(to {shown_path(target)})"))
                continue
            kept.append(_join(dirpath, d))
        pending.extend(reversed(kept))
        # Everything that is not a folder here: dangling and looping links, pipes, sockets, devices.
        folder = str(here)
        prefix = "" if folder == "." else folder if folder.endswith("/") else folder + "/"
        order = tuple(prefix.split("/")[:-1])  # Path's order is part by part: a file sorts by these + its name
        for entry in sorted(filenames, key=_entry_name):
            name = entry.name
            if not name.endswith(MANIFEST_SUFFIXES) or _is_ignored(name):
                continue
            path = prefix + name
            if not stat_files:
                try:
                    listed_regular = entry.is_file(follow_symlinks=False)  # from the listing: no system call
                except OSError:
                    listed_regular = False
                if listed_regular:
                    files.append(((*order, name), path, None))
                    continue
            try:
                info: os.stat_result | None = os.stat(path)
            except (OSError, ValueError):
                info = None
            if info is not None and stat.S_ISREG(info.st_mode) and not entry.is_symlink():
                files.append(((*order, name), path, info))  # the common case, settled by one stat
                continue
            kind, problem, info = _stat_type(path)
            if kind == "missing":
                continue  # deleted since the folder was listed: nothing to read, nothing to report
            if problem is not None:
                errors.append(LoadError(path, 0, problem))
                continue
            if kind != "file":
                continue  # turned into a folder since it was listed; the next sync walks it
            if entry.is_symlink():
                target = _resolve(Path(path))
                if target is None or not target.is_relative_to(real_root):
                    errors.append(LoadError(path, 0, "symbolic link leads outside the folder "
                                                     f"(to {shown_path(target)})"))
                    continue
            assert info is not None
            files.append(((*order, name), path, info))
    files.sort(key=_first)
    return [(path, info) for _, path, info in files], errors


def _entry_name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _first(item: tuple[Any, ...]) -> Any:
    return item[0]


_SPECIAL_FILES = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _file_type(path: str | Path) -> tuple[str | None, str | None]:
    """("file" | "dir" | "missing" | None, problem): what `path` is once links are followed, from stat alone
    (opening a named pipe to find out would block)."""
    kind, problem, _ = _stat_type(path)
    return kind, problem


def _stat_type(path: str | Path) -> tuple[str | None, str | None, os.stat_result | None]:
    """`_file_type`, and the stat it was read from (None when there is none)."""
    try:
        info = os.stat(path)
    except ValueError:
        return None, "invalid file name (it contains a NUL byte)", None
    except OSError as exc:
        try:
            is_link = stat.S_ISLNK(os.lstat(path).st_mode)
        except (OSError, ValueError):
            is_link = False
        if is_link and exc.errno == errno.ELOOP:
            return None, "symbolic link loop: the link never reaches a file", None
        if is_link and exc.errno in (errno.ENOENT, errno.ENOTDIR):
            try:
                target = os.readlink(path)
            except OSError:
                target = "?"
            return None, f"symbolic link points to a missing file ({shown_path(target)})", None
        if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
            return "missing", None, None
        if isinstance(exc, PermissionError):
            return None, "permission denied: the file cannot be read", None
        return None, f"cannot read file: {_why(exc)}", None
    return (*_mode_type(info.st_mode), info)


def _mode_type(mode: int) -> tuple[str | None, str | None]:
    if stat.S_ISREG(mode):
        return "file", None
    if stat.S_ISDIR(mode):
        return "dir", None
    return None, _not_regular(mode)


def _not_regular(mode: int) -> str:
    what = next((name for test, name in _SPECIAL_FILES if test(mode)), "a special file")
    return f"not a regular file ({what}): only regular files are read"


def _resolve(path: Path) -> Path | None:
    """The real path, or None for a symbolic link loop (Path.resolve raises RuntimeError for one in 3.11)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def _why(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__


def load_file(path: str | Path, display: str | None = None, info: os.stat_result | None = None
              ) -> tuple[list[Document], list[LoadError]]:
    """The documents of one file, or why there are none; never raises and never blocks (only a regular file is
    opened, non-blocking, and at most MAX_FILE_BYTES + 1 bytes are read from it). `info` is a stat of `path` just
    taken (as `discover_stats` gives it), so that the file is not asked again what it is."""
    loaded = _load(path, display, info)
    assert loaded is not None
    return loaded[0], loaded[1]


class _Vanished(Exception):
    """A listed file that is no longer a file to read (gone, or a folder now)."""


def _load(path: str | Path, display: str | None = None, info: os.stat_result | None = None, listed: bool = False
          ) -> tuple[list[Document], list[LoadError], os.stat_result | None] | None:
    """`load_file`, and the stat of the opened file. `listed`: `path` is a regular file by its folder's listing
    (`list_files`), so it is opened without asking first; if it is gone, or a folder now, by then, the result is
    None, as `discover` would have left it out."""
    name = display or str(path)
    base = os.path.basename(path)
    if base in UNSUPPORTED_FILES:
        return [], [LoadError(name, 0, f"{UNSUPPORTED_FILES[base]} is not supported: k9py reads plain "
                                       "Kubernetes manifests only")], info
    opened: list[os.stat_result] = []
    try:
        raw, problem = _read(path, info, listed, opened)
    except _Vanished:
        return None
    except FileNotFoundError:
        if listed and not opened:
            return None
        return [], [LoadError(name, 0, "file disappeared while it was being read")], None
    except PermissionError:
        return [], [LoadError(name, 0, "permission denied: the file cannot be read")], None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return [], [LoadError(name, 0, "symbolic link loop: the link never reaches a file")], None
        return [], [LoadError(name, 0, f"cannot read file: {_why(exc)}")], None
    except ValueError as exc:
        return [], [LoadError(name, 0, f"cannot read file: {exc}")], None
    info = opened[0] if opened else info
    if problem is not None:
        return [], [LoadError(name, 0, problem)], info
    assert raw is not None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return [], [LoadError(name, line, f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                                          f"{exc.start})")], info
    docs, errors = parse_text(text, name)
    return docs, errors, info


def _too_big(size: float) -> str:
    return f"file is {size / 1048576:.1f} MiB; manifests over {MAX_FILE_BYTES // 1048576} MiB are refused"


_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _read(path: str | Path, info: os.stat_result | None = None, listed: bool = False,
          opened: list[os.stat_result] | None = None) -> tuple[bytes | None, str | None]:
    """(content, None) or (None, why not). The type is checked before opening (a named pipe blocks in open; `info`
    is a stat just taken; `listed`: the folder's listing said it is a regular file) and again on the open
    descriptor (the path may have been replaced meanwhile), whose stat goes into `opened`."""
    if not listed:
        kind, problem = _file_type(path) if info is None else _mode_type(info.st_mode)
        if kind == "missing":
            raise FileNotFoundError(errno.ENOENT, "file disappeared while it was being read", str(path))
        if problem is not None:
            return None, problem
        if kind != "file":
            return None, "is a folder, not a file"
    try:
        # A listed file was no link when listed: if one has taken its place, the next sync looks at where it leads.
        fd = os.open(path, _OPEN_FLAGS | _NO_FOLLOW if listed else _OPEN_FLAGS)
    except OSError as exc:
        if listed and exc.errno == errno.ELOOP:
            raise _Vanished from exc
        raise
    try:
        info = os.fstat(fd)
        if opened is not None:
            opened.append(info)
        if not stat.S_ISREG(info.st_mode):
            if listed and stat.S_ISDIR(info.st_mode):
                raise _Vanished  # a folder now: the next sync walks it, as discover would have left it to
            return None, _not_regular(info.st_mode)
        if info.st_size > MAX_FILE_BYTES:
            return None, _too_big(info.st_size)
        chunks: list[bytes] = []
        total = 0
        while total <= MAX_FILE_BYTES:  # at most one byte past the limit, however the file grows meanwhile
            # The whole file in one read: asking for the limit would allocate 5 MiB each time.
            want = min(MAX_FILE_BYTES + 1 - total, max(info.st_size + 1, 65536))
            chunk = os.read(fd, want)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total == info.st_size and len(chunk) < want:
                break  # all fstat said there was, and a short read: the end (one read call fewer a file)
        if total > MAX_FILE_BYTES:
            return None, (f"file grew past {MAX_FILE_BYTES // 1048576} MiB while it was read; manifests over "
                          f"{MAX_FILE_BYTES // 1048576} MiB are refused")
        return b"".join(chunks), None
    finally:
        os.close(fd)


def parse_text(text: str, name: str) -> tuple[list[Document], list[LoadError]]:
    text = text.lstrip("\ufeff")
    fast = fast_documents(text)
    if fast is not None:
        return [Document(name, index, line, obj) for index, (line, obj) in enumerate(fast)], []
    return _parse_full(text, name)


def _parse_full(text: str, name: str) -> tuple[list[Document], list[LoadError]]:
    """What `parse_text` does for any text: the full YAML parse."""
    docs: list[Document] = []
    errors: list[LoadError] = []
    starts = document_lines(text)
    loaded: list[tuple[Any, list[int] | None]] = []  # each document, with its List items' lines
    loader = _Loader(text)
    try:
        # What yaml.load_all does, keeping each document's node for as long as it takes to place List items.
        while loader.check_node():
            node = loader.get_node()
            data = loader.construct_document(node)
            loaded.append((data, _item_lines(node) if is_list(data) else None))
    except DuplicateKeyError as exc:
        mark = exc.problem_mark
        return [], [LoadError(name, mark.line + 1, exc.problem, mark.column + 1)]
    except yaml.MarkedYAMLError as exc:
        return [], [_syntax_error(name, text, exc)]
    except yaml.reader.ReaderError as exc:
        line, column = _text_position(text, exc.position)
        return [], [LoadError(name, line, f"YAML syntax error: unacceptable character #x{exc.character:04x}: "
                                          f"{exc.reason}", column)]
    except yaml.YAMLError as exc:
        return [], [LoadError(name, 0, f"YAML error: {exc}")]
    except RecursionError:
        return [], [LoadError(name, 0, "YAML nests too deeply to be a manifest")]
    finally:
        loader.dispose()
    for index, (raw_doc, item_lines) in enumerate(loaded):
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
            errors.append(LoadError(name, line, f"document {index + 1} is {yaml_type(doc)}, not a mapping: "
                                                "a manifest must be an object with apiVersion, kind and metadata"))
            continue
        if is_list(doc):
            items = doc.get("items") or []
            if not isinstance(items, list):
                errors.append(LoadError(name, line, "items: must be a list of objects"))
                continue
            for i, item in enumerate(items):
                # Each item is placed at its own line: an error in it must not send the reader to the List's top.
                item_line = item_lines[i] if item_lines and i < len(item_lines) else line
                if isinstance(item, dict):
                    docs.append(Document(name, index, item_line, item, item=i))
                else:
                    errors.append(LoadError(name, item_line, f"items[{i}] is {yaml_type(item)}, not a mapping: a "
                                                              "manifest must be an object with apiVersion, kind and "
                                                              "metadata"))
            continue
        docs.append(Document(name, index, line, doc))
    return docs, errors


def _syntax_error(name: str, text: str, exc: yaml.MarkedYAMLError) -> LoadError:
    """A YAML syntax error at the line to fix. When the parser ran out of text inside a construct (a flow
    sequence never closed), the end of the file is no place to look: the error points where the construct opens,
    the line kubectl's parser names too (`yaml: line 6: did not find expected ',' or ']'`)."""
    problem = exc.problem or "invalid YAML"
    mark, context = exc.problem_mark or exc.context_mark, f" ({exc.context})" if exc.context else ""
    at_end = exc.problem_mark is not None and exc.problem_mark.index >= len(text.rstrip())
    if at_end and exc.context and exc.context_mark is not None and exc.context_mark.index < exc.problem_mark.index:
        mark = exc.context_mark
        context = f" ({exc.context} that starts here; the file ends before it is closed)"
    line = mark.line + 1 if mark else 0
    column = mark.column + 1 if mark else 0
    return LoadError(name, line, f"YAML syntax error: {problem}{context}", column)


def _item_lines(node: yaml.Node) -> list[int] | None:
    """1-based line of each entry of a List document's `items` sequence."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "items" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return None


def _text_position(text: str, position: int) -> tuple[int, int]:
    """1-based (line, column) of a reader error's position: libyaml counts bytes of UTF-8, PyYAML characters."""
    if _C_PARSER:
        position = len(text.encode("utf-8")[:position].decode("utf-8", errors="ignore"))
    line_start = text.rfind("\n", 0, position) + 1
    return text.count("\n", 0, position) + 1, position - line_start + 1


def yaml_type(value: Any) -> str:
    """`a list`, `null`: what a value that should have been an object is, in a sentence."""
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return f"a {type(value).__name__}"


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


def placed_error(doc: Document, field: str | None, message: str) -> LoadError:
    """An API server's refusal of `doc` at the line and column of the field it names (`spec.replicas`), else at the
    document's start; an item of a `kind: List` is placed at the item."""
    position = None
    if field and doc.item is None:
        try:
            position = field_position(Path(doc.file).read_text(encoding="utf-8"), doc.index, field)
        except (OSError, UnicodeDecodeError):
            position = None
    line, column = position or (doc.line, 0)
    return LoadError(doc.file, line, message, column)
