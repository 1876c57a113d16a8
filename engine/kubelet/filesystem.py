"""A container's file tree as `kubectl exec -- ls`/`cat` find it: only what k9py knows is there.

k9py has no images, so the image's own files (`/bin`, `/etc/os-release`, ...) are unknown and absent. What is
known is what the kubelet puts into every container: its mounted volumes (ConfigMap, Secret, projected, downward
API files as `container_files` computes them, empty directories for `emptyDir`, claims and host paths) and the
files it writes itself (`/etc/hosts`, `/etc/hostname`, `/etc/resolv.conf`, `/dev/termination-log`).

ConfigMap, Secret, projected and downward API volumes are laid out as the kubelet's atomic writer lays them out
(`pkg/volume/util/atomic_writer.go`): the files live in a timestamped directory `..2026_01_02_15_04_05.123456789`,
`..data` is a symlink to it, and each key at the top of the volume is a symlink `key -> ..data/key`; `ls -la`
shows that as on a real node.
"""

from __future__ import annotations

import posixpath
import time
import zlib
from collections.abc import Iterator

import attrs

DIR, FILE, LINK = "dir", "file", "link"
MAX_LINKS = 40  # ELOOP after this many symlinks in one lookup, as Linux's MAXSYMLINKS


@attrs.define(eq=False)
class Node:
    kind: str
    mode: int
    mtime: float
    uid: int = 0
    gid: int = 0
    content: str = ""  # a file's text
    target: str = ""  # a symlink's target, as written
    children: dict[str, Node] = attrs.Factory(dict)

    @property
    def size(self) -> int:
        if self.kind == FILE:
            return len(self.content.encode())
        if self.kind == LINK:
            return len(self.target.encode())
        return 4096


class FsError(Exception):
    """errno's message, as `strerror` words it."""

    NOENT = "No such file or directory"
    NOTDIR = "Not a directory"
    ISDIR = "Is a directory"
    LOOP = "Too many levels of symbolic links"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FileSystem:
    def __init__(self, now: float) -> None:
        self.root = Node(DIR, 0o755, now)

    # --- building ------------------------------------------------------------------------------------------

    def mkdirs(self, path: str, mtime: float, mode: int = 0o755, uid: int = 0, gid: int = 0) -> Node:
        node = self.root
        for part in _parts(path):
            child = node.children.get(part)
            if child is None or child.kind != DIR:
                child = node.children[part] = Node(DIR, mode, mtime, uid, gid)
            node = child
        return node

    def add_file(self, path: str, content: str, mtime: float, mode: int = 0o644, uid: int = 0, gid: int = 0) -> None:
        parent, name = posixpath.split(posixpath.normpath("/" + path))
        self.mkdirs(parent, mtime).children[name] = Node(FILE, mode, mtime, uid, gid, content=content)

    def add_link(self, path: str, target: str, mtime: float) -> None:
        parent, name = posixpath.split(posixpath.normpath("/" + path))
        self.mkdirs(parent, mtime).children[name] = Node(LINK, 0o777, mtime, target=target)

    def add_atomic_volume(self, path: str, files: list[tuple[str, str, int]], synced: float, uid: int = 0,
                          gid: int = 0) -> None:
        """A volume the atomic writer fills: (relative path, content, mode) under a timestamped directory."""
        top = self.mkdirs(path, synced, 0o777, 0, gid)
        top.mode = 0o2777 if gid else 0o777  # fsGroup: the volume's group owns it, setgid
        # The writer names the directory after the moment of the write, to the nanosecond.
        nanos = round((synced % 1) * 1e9) or zlib.crc32(path.encode()) % 1_000_000_000
        stamp = f"..{time.strftime('%Y_%m_%d_%H_%M_%S', time.gmtime(synced))}.{nanos:09d}"
        data = Node(DIR, 0o755, synced, 0, gid)
        top.children[stamp] = data
        top.children["..data"] = Node(LINK, 0o777, synced, target=stamp)
        for rel, content, mode in files:
            parts = _parts(rel)
            node = data
            for part in parts[:-1]:
                node = node.children.setdefault(part, Node(DIR, 0o755, synced, 0, gid))
            node.children[parts[-1]] = Node(FILE, mode, synced, uid, gid, content=content)
            top.children.setdefault(parts[0], Node(LINK, 0o777, synced, target=f"..data/{parts[0]}"))

    # --- lookup --------------------------------------------------------------------------------------------

    def lookup(self, path: str, cwd: str = "/", follow: bool = True) -> Node:
        """The node at `path` (relative to `cwd`); FsError when it is missing. `follow`: resolve a symlink at
        the end of the path too (stat, not lstat)."""
        return self._walk(posixpath.join(cwd, path), follow, 0)[0]

    def resolve(self, path: str, cwd: str = "/") -> str:
        """The canonical absolute path of a directory (for `cd`)."""
        return self._walk(posixpath.join(cwd, path), True, 0)[1]

    def _walk(self, path: str, follow: bool, links: int) -> tuple[Node, str]:
        pending = list(reversed(path.split("/")))
        names: list[str] = []  # the canonical path so far
        nodes = [self.root]  # the directories along it
        while pending:
            part = pending.pop()
            if part in ("", "."):
                continue
            if part == "..":
                if names:
                    names.pop()
                    nodes.pop()
                continue
            node = nodes[-1]
            if node.kind != DIR:
                raise FsError(FsError.NOTDIR)
            child = node.children.get(part)
            if child is None:
                raise FsError(FsError.NOENT)
            if child.kind == LINK and (follow or any(p not in ("", ".") for p in pending)):
                links += 1
                if links > MAX_LINKS:
                    raise FsError(FsError.LOOP)
                if child.target.startswith("/"):
                    names, nodes = [], [self.root]
                pending.extend(reversed(child.target.split("/")))
                continue
            names.append(part)
            nodes.append(child)
        return nodes[-1], "/" + "/".join(names)

    def walk(self, node: Node, prefix: str) -> Iterator[tuple[str, Node]]:
        for name in sorted(node.children):
            child = node.children[name]
            path = posixpath.join(prefix, name)
            yield path, child
            if child.kind == DIR:
                yield from self.walk(child, path)


def _parts(path: str) -> list[str]:
    return [p for p in path.split("/") if p not in ("", ".")]


def mode_string(node: Node) -> str:
    """`ls -l`'s first column: `drwxr-xr-x`, `lrwxrwxrwx`, `-rw-r--r--` (sticky and setuid bits included)."""
    kind = {DIR: "d", LINK: "l"}.get(node.kind, "-")
    bits = ""
    for shift, special, letter in ((6, 0o4000, "s"), (3, 0o2000, "s"), (0, 0o1000, "t")):
        triple = (node.mode >> shift) & 7
        x = bool(triple & 1)
        exec_char = "x" if x else "-"
        if node.mode & special:
            exec_char = letter if x else letter.upper()
        bits += ("r" if triple & 4 else "-") + ("w" if triple & 2 else "-") + exec_char
    return kind + bits
