"""Reading many files at once: a first load of a large folder shared with a helper process.

A first load of a large folder (a repository of tens of thousands of manifests) is read by this process and a
helper process together, on two cores. The helper is a fresh interpreter (`python -c`, never a fork: the
dashboard has threads), fed chunks of paths through a pipe. It takes a fifth of a second to start, and runs
niced: on a machine whose other cores are busy it gets little done, and then it is a loss for small loads, so
only PARALLEL_MIN_FILES files or more start one (small syncs, a saved file, never do). Chunks are taken from the
front by this process and from the back by the helper; whatever the helper has not answered when the rest is
done (it may be slow to start, starved, or gone) is read here as well, so the helper can only make a load
faster, never fail it. On this project's 2-core machine: 100,000 files read in 2.0-2.5 s instead of 3.3 s when
the other core is free, the same 3.3 s when it is not.
"""

from __future__ import annotations

import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections import deque
from typing import Any

from .loader import Document, LoadError, _load

PARALLEL_MIN_FILES = 20_000
_CHUNK_FILES = 256
_HELPER_AHEAD = 2  # chunks handed to the helper before it answers
# It runs niced: it should use an idle core, not take turns with this process (or anyone's) on a busy one.
# stdout carries the answers: whatever an import might print there goes to stderr (which is /dev/null) instead.
# The `engine` package is entered without running its __init__ (which imports the whole cluster): the helper
# needs this module only, and starts in a third of the time.
_HELPER_CODE = """\
import os, sys, types
os.nice(10)
out = os.dup(1)
os.dup2(2, 1)
package = types.ModuleType("engine")
package.__path__ = [sys.argv[1]]
sys.modules["engine"] = package
from engine.manifests.bulk_read import _serve_reads
_serve_reads(sys.stdin.buffer, out)
"""
_FRAME_HEADER = struct.Struct(">Q")


def _read_frame(stream: Any) -> bytes | None:
    header = stream.read(_FRAME_HEADER.size)
    if len(header) < _FRAME_HEADER.size:
        return None
    (size,) = _FRAME_HEADER.unpack(header)
    body = stream.read(size)
    return body if len(body) == size else None


def _frame(payload: Any) -> bytes:
    body = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return _FRAME_HEADER.pack(len(body)) + body


def _serve_reads(requests: Any, answers_fd: int) -> None:
    """The helper process: (chunk, [(path, listed)]) in, (chunk, what `_load` says of each) out, until EOF."""
    with os.fdopen(answers_fd, "wb") as answers:
        while (frame := _read_frame(requests)) is not None:
            chunk, paths = pickle.loads(frame)
            out: list[Any] = []
            for name, listed in paths:
                loaded = _load(name, listed=listed)
                out.append(None if loaded is None else (
                    [(d.index, d.line, d.obj, d.item) for d in loaded[0]],
                    [(e.file, e.line, e.message, e.column) for e in loaded[1]], loaded[2]))
            answers.write(_frame((chunk, out)))
            answers.flush()


class _Helper:
    """The helper process, seen from here: `send` chunks, `answers` collects what came back."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.answers: queue.SimpleQueue[tuple[int, list[Any]] | None] = queue.SimpleQueue()
        self.alive = True
        threading.Thread(target=self._pump, name="k9py-read-helper", daemon=True).start()

    @classmethod
    def start(cls) -> _Helper | None:
        if not sys.executable:
            return None
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        try:
            # -P: the folder it is started in (the user's manifests, perhaps) is not where modules come from.
            process = subprocess.Popen([sys.executable, "-P", "-c", _HELPER_CODE, package], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except (OSError, ValueError, subprocess.SubprocessError):
            return None
        return cls(process)

    def _pump(self) -> None:
        stream = self.process.stdout
        try:
            while (frame := _read_frame(stream)) is not None:
                self.answers.put(pickle.loads(frame))
        except Exception:  # a helper that died mid-answer, or anything else: its chunks are read here
            pass
        finally:
            self.answers.put(None)
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass

    def send(self, chunk: int, paths: list[tuple[str, bool]]) -> bool:
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(_frame((chunk, paths)))
            self.process.stdin.flush()
        except (OSError, ValueError):
            self.alive = False
        return self.alive

    def received(self) -> list[tuple[int, list[Any]]]:
        out = []
        while True:
            try:
                answer = self.answers.get_nowait()
            except queue.Empty:
                return out
            if answer is None:
                self.alive = False
            else:
                out.append(answer)

    def stop(self) -> None:
        self.alive = False
        try:
            self.process.kill()
            self.process.wait(timeout=5)
        except (OSError, subprocess.SubprocessError):
            pass
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
        except OSError:
            pass


Loaded = tuple[list[Document], list[LoadError], os.stat_result | None]


def load_files(files: list[tuple[str, os.stat_result | None]]) -> list[Loaded | None]:
    """`load_file` of each (path, stat just taken, or None for a file `list_files` listed) in order, with the stat
    of each opened file; None for a listed file that is gone (or a folder) by the time it is opened. Thousands of
    files are read on two cores."""
    if len(files) < PARALLEL_MIN_FILES:
        return [_load(name, info=info, listed=info is None) for name, info in files]
    results: list[Loaded | None] = [None] * len(files)
    chunks = deque(range(0, len(files), _CHUNK_FILES))  # each chunk by its first file's position
    with_helper: set[int] = set()  # chunks the helper has and has not answered yet
    helper = _Helper.start()

    def read_here(start: int) -> None:
        for i in range(start, min(start + _CHUNK_FILES, len(files))):
            name, info = files[i]
            results[i] = _load(name, info=info, listed=info is None)

    def take_answers() -> None:
        assert helper is not None
        for start, answers in helper.received():
            if start not in with_helper:
                continue  # read here meanwhile
            try:
                names = [name for name, _ in files[start:start + _CHUNK_FILES]]
                loaded = [None if answer is None else (
                    [Document(name, index, line, obj, item) for index, line, obj, item in answer[0]],
                    [LoadError(*error) for error in answer[1]], answer[2])
                    for name, answer in zip(names, answers, strict=True)]
            except (TypeError, ValueError, IndexError):
                continue  # not what was asked: left to be read here
            with_helper.discard(start)
            results[start:start + len(loaded)] = loaded

    try:
        while chunks or with_helper:
            if helper is not None:
                take_answers()
                while helper.alive and len(with_helper) < _HELPER_AHEAD and len(chunks) > 1:
                    start = chunks.pop()
                    paths = [(name, info is None) for name, info in files[start:start + _CHUNK_FILES]]
                    if helper.send(start, paths):
                        with_helper.add(start)
                    else:
                        chunks.append(start)
            if chunks:
                read_here(chunks.popleft())
            elif with_helper:
                start = max(with_helper)  # not answered yet: read it here too, whichever is first wins
                with_helper.discard(start)
                read_here(start)
    finally:
        if helper is not None:
            helper.stop()
    return results
