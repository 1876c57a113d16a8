"""Sessions and their steps, run on both sides at once, and the line-by-line comparison of what they printed."""

from __future__ import annotations

import asyncio
import difflib
import json
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import yaml

from .allow import apply_allowed, drop_fields
from .normalise import Normaliser
from .sides import Side

Transcript = list[tuple[str, list[str]]]  # (step title, normalised output lines)


class Step:
    """Runs on one side; returns the text to compare, or None when the step only moves the session along."""

    title: str = ""
    sort: bool = False  # rows of generated names: kubectl sorts by name, so their order differs per side

    async def run(self, side: Side) -> str | None:
        raise NotImplementedError

    def arrange(self, text: str) -> str:
        """The normalised output in a comparable order."""
        return _sorted_blocks(text) if self.sort else text


def _sorted_blocks(text: str) -> str:
    """kubectl sorts rows by name, and generated names sort differently on each side: compare each table's rows
    as a sorted list (the header stays first)."""
    blocks = []
    for block in text.split("\n\n"):
        lines = block.splitlines()
        blocks.append("\n".join(lines[:1] + sorted(lines[1:])))
    return "\n\n".join(blocks)


def _sorted_events(text: str) -> str:
    """describe's Events table is in timestamp order, and events of the same second tie differently per side."""
    head, found, events = text.partition("\nEvents:\n")
    if not found:
        return text
    lines = events.splitlines()
    return head + found + "\n".join(lines[:2] + sorted(lines[2:]))


class Run(Step):
    """A kubectl command as a user types it (the namespace is the kubeconfig context's)."""

    def __init__(self, *args: str, stdin: str | None = None, sort: bool = False, compare: bool = True,
                 check: bool = False) -> None:
        self.args = args
        self.stdin = stdin
        self.sort = sort
        self.compare = compare
        self.check = check      # fail at once if the command fails (setup steps)

    @property
    def title(self) -> str:
        return "kubectl " + " ".join(self.args)

    async def run(self, side: Side) -> str | None:
        code, out, err = await side.kubectl(*self.args, stdin=self.stdin)
        if self.check:
            assert code == 0, f"{side.name}: {self.title} failed ({code}): {err}"
        if not self.compare:
            return None
        lines = out.splitlines() + [f"stderr: {line}" for line in err.splitlines()]
        if code:
            lines.append(f"exit: {code}")
        return "\n".join(lines)


@attrs.define
class Raw(Step):
    """An HTTP request as a client library makes it; `view` picks what clients depend on from the answer."""

    method: str
    path: str
    body: Any = None
    content_type: str = "application/json"
    view: Callable[[Any], Any] | None = None

    @property
    def title(self) -> str:
        return f"{self.method} {self.path}"

    async def run(self, side: Side) -> str | None:
        path = self.path.replace("{ns}", side.namespace)
        status, body = await side.request(self.method, path, self.body, self.content_type)
        shown = self.view(body) if self.view is not None else body
        if isinstance(shown, list) and all(isinstance(line, str) for line in shown):
            return f"status: {status}\n" + "\n".join(shown)
        return f"status: {status}\n" + json.dumps(shown, indent=1, sort_keys=True)


@attrs.define
class Wait(Step):
    """Poll a kubectl command until its output satisfies `done`: the two clusters get to the same state at
    different speeds (kwok's pods are Running at once), and only settled states are compared."""

    args: tuple[str, ...]
    done: Callable[[str], bool]
    timeout: float = 60.0

    @property
    def title(self) -> str:
        return "wait: kubectl " + " ".join(self.args)

    async def run(self, side: Side) -> str | None:
        deadline = time.monotonic() + self.timeout
        out = ""
        while time.monotonic() < deadline:
            code, out, _ = await side.kubectl(*self.args)
            if code == 0 and self.done(out):
                return None
            await asyncio.sleep(0.2)
        raise AssertionError(f"{side.name}: {self.title} not done after {self.timeout}s; last output:\n{out}")


@attrs.define
class Write(Step):
    """A file in the side's working folder (where kubectl runs), for `apply -f`."""

    path: str
    text: str

    @property
    def title(self) -> str:
        return f"write {self.path}"

    async def run(self, side: Side) -> str | None:
        target = side.workdir / self.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.text)
        return None


@attrs.define
class Remove(Step):
    path: str

    @property
    def title(self) -> str:
        return f"rm {self.path}"

    async def run(self, side: Side) -> str | None:
        (side.workdir / self.path).unlink()
        return None


@attrs.define
class Watch(Step):
    """A raw watch held open while `during` runs; shown as each object's event types in order (consecutive
    repeats folded: how many status updates a kubelet makes is not the API's behaviour), objects in the order
    their first event came, and the kind and apiVersion each event carried."""

    path: str
    during: Sequence[Step]
    settle: float = 1.0  # seconds to keep reading after `during`, for the last deletions
    sort: bool = False   # objects in name order rather than by first event (pods of one rollout start together)

    @property
    def title(self) -> str:
        return f"watch {self.path}"

    def arrange(self, text: str) -> str:
        if not self.sort:
            return text
        printed, _, watched = text.partition("\nkinds: ")
        kinds, *objects = watched.splitlines()
        return "\n".join([printed, f"kinds: {kinds}", *sorted(objects)])

    async def run(self, side: Side) -> str | None:
        path = self.path.replace("{ns}", side.namespace)
        events: list[tuple[str, str, str]] = []
        printed: list[str] = []  # what the steps run during the watch printed, compared too
        async with side.stream(path) as response:
            assert response.status == 200, f"{side.name}: watch {path}: {response.status}"

            async def read() -> None:
                async for raw in response.content:
                    if raw.strip():
                        event = json.loads(raw)
                        obj = event["object"]
                        kind = f"{obj.get('kind')}({obj.get('apiVersion')})"
                        events.append((event["type"], kind, obj.get("metadata", {}).get("name", "")))

            reader = asyncio.create_task(read())
            try:
                for step in self.during:
                    out = await step.run(side)
                    if out is not None:
                        printed += [f"$ {step.title}", *out.splitlines()]
                await asyncio.sleep(self.settle)
            finally:
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)
        per_object: dict[str, list[str]] = {}
        kinds: list[str] = []
        for kind_type, kind, name in events:
            types = per_object.setdefault(name, [])
            if not types or types[-1] != kind_type:
                types.append(kind_type)
            if kind not in kinds:
                kinds.append(kind)
        watched = [f"{name}: {' '.join(t)}" for name, t in per_object.items()]
        return "\n".join([*printed, f"kinds: {' '.join(kinds)}", *watched])


@attrs.define
class Expect(Step):
    """A check on one side's raw answer that is not a comparison (e.g. the watch really saw the rollout)."""

    step: Step
    check: Callable[[str], bool]
    what: str

    @property
    def title(self) -> str:
        return self.step.title

    async def run(self, side: Side) -> str | None:
        out = await self.step.run(side)
        assert out is not None and self.check(out), f"{side.name}: {self.what}:\n{out}"
        return out


@attrs.define
class Session:
    name: str
    steps: Sequence[Step]
    notes: str = ""


@attrs.define
class Diff:
    title: str
    text: str


async def run_side(session: Session, side: Side) -> Transcript:
    normalise = Normaliser(side.namespace)
    transcript: Transcript = []
    await side.create_namespace()
    try:
        for step in session.steps:
            out = await step.run(side)
            if out is not None:
                text = normalise(out)
                if step.title.startswith("kubectl describe"):
                    # a continuation line is aligned to the widest field name of its block, which differs with
                    # content that is allowed to differ (e.g. kwok's empty container IDs)
                    text = _sorted_events(re.sub(r"^ {10,}", "    ", text, flags=re.M))
                transcript.append((step.title, step.arrange(text).splitlines()))
    finally:
        await side.delete_namespace()
    return transcript


async def run_both(session: Session, real: Side, ours: Side) -> tuple[Transcript, Transcript]:
    """Both sides at once: the k9py side's server answers in this loop while the real side's kubectl waits."""
    theirs, mine = await asyncio.gather(run_side(session, real), run_side(session, ours))
    return theirs, mine


def _yaml_allowed(title: str, lines: list[str], used: set[int]) -> list[str]:
    """A YAML answer without the allowed fields, dumped again in kubectl's layout (keys sorted, as kubectl's)."""
    try:
        document = yaml.safe_load("\n".join(lines))
    except yaml.YAMLError:
        return lines
    if not isinstance(document, dict):
        return lines
    drop_fields(title, document, used)
    return yaml.safe_dump(document, sort_keys=True, default_flow_style=False, width=10_000).splitlines()


def compare(real: Transcript, ours: Transcript, used: set[int]) -> list[Diff]:
    """The steps whose outputs differ after the allow-list, as unified diffs (real first)."""
    diffs: list[Diff] = []
    assert [t for t, _ in real] == [t for t, _ in ours]
    for (title, theirs), (_, mine) in zip(real, ours, strict=True):
        if " -o yaml" in title:
            theirs, mine = _yaml_allowed(title, theirs, used), _yaml_allowed(title, mine, used)
        theirs = apply_allowed(title, theirs, used)
        mine = apply_allowed(title, mine, used)
        if theirs != mine:
            text = "\n".join(difflib.unified_diff(theirs, mine, "kube-apiserver", "k9py", lineterm="", n=2))
            diffs.append(Diff(title, text))
    return diffs
