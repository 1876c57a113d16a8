"""Keep a `ManifestSource` in step with its files, whatever happens to the folder.

The operating system's watch is tied to a directory's inode, so it silently stops seeing anything when the
watched folder is deleted and re-created (a fresh clone), swapped in by rename, or when a watched single file is
replaced by an editor's save-by-rename. So:

- a single file is watched through its folder;
- a missing folder is watched through its nearest existing parent until it comes back;
- every `TICK_MS` the watch checks that the folder is still the one it watches, and starts again on the new one;
- a watch that fails (the OS's watch limit, a permission change) is reported, retried with back-off, and falls
  back to polling; it never ends while the source is wanted.

The tick also lets a pending prune happen once its file has stayed quiet long enough (see `PRUNE_QUIET_SECONDS`).
Delays here are wall-clock: they measure the file system, not the cluster.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .source import ManifestSource

TICK_MS = 500
WATCH_STEP_MS = 30  # a burst of file events ends after this much quiet (an editor's write-rename save)
WATCH_DEBOUNCE_MS = 400  # …but a long burst (a git checkout) is applied at least this often
RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)

log = logging.getLogger("engine.manifests")


def watch_target(root: Path) -> tuple[Path, bool]:
    """The directory to hand to the OS watcher, and whether to watch below it."""
    if root.is_dir():
        return root, True
    parent = Path(os.path.abspath(root)).parent
    while not parent.is_dir():
        parent = parent.parent
    return parent, False


def identity(root: Path) -> tuple[int, int] | None:
    """Which folder `root` names now: a deleted and re-created or renamed-in folder is another one."""
    try:
        info = root.stat()
    except (OSError, RuntimeError):
        return None
    return info.st_dev, info.st_ino


async def watch_source(source: ManifestSource, stop: asyncio.Event) -> None:
    from watchfiles import awatch

    source.sync()
    failures = 0
    polling = False
    while not stop.is_set():
        root = source.root
        target, recursive = watch_target(root)
        watched = identity(root) if root.is_dir() else identity(target)
        fresh = True  # files may have changed while the watch was being set up: re-read on its first report
        try:
            async for changes in awatch(target, debounce=WATCH_DEBOUNCE_MS, step=WATCH_STEP_MS, stop_event=stop,
                                        recursive=recursive, ignore_permission_denied=True, rust_timeout=TICK_MS,
                                        yield_on_timeout=True, force_polling=polling or None):
                if failures:
                    failures = 0
                    source.report_watch_problem(None)
                if changes or fresh or source.pending_prune:
                    source.sync({path for _, path in changes})
                fresh = False
                now = identity(root) if root.is_dir() else identity(target)
                if now != watched or root.is_dir() != recursive:
                    break  # the folder was deleted, re-created or replaced: watch what is there now
        except Exception as exc:  # never let the watch end: say why it stopped, then try again
            log.warning("watching %s failed: %s", root, exc)
            delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
            failures += 1
            polling = True
            source.report_watch_problem(f"not watching for changes ({type(exc).__name__}: {exc}); "
                                        f"trying again in {delay:g}s")
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                pass
