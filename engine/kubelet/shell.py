"""The programs `kubectl exec` runs in a simulated container, and a small shell to run them.

There is no process and no image behind a k9py container, so an exec runs here, against what k9py knows of the
container (`exec.py` builds it: the environment the kubelet created the container with, its mounted files, its
hostname and user). The set is small and honest; anything else is "not found", as in an image that lacks it:

- programs: `env`, `printenv`, `cat`, `ls`, `echo`, `hostname`, `pwd`, `whoami`, `id`, `date` (the engine's
  clock), `sleep` (on the engine's clock), `true`, `false`, `sh`/`bash` (`-c`, a script file, or interactive,
  with a prompt on a TTY), `test`/`[`, `printf`; `curl`, `wget`, `nslookup` and `nc` go to the network hook.
- the shell: simple commands joined by `;`, `&&`, `||`, `|` and newlines, `!`, `VAR=value` assignments and
  prefixes, `$VAR`/`${VAR}`/`${VAR:-default}`/`$?`/`$#`/`$0..$9`/`$@`, `$(...)` and backquotes, `$((...))`
  (arith.py), single and double quotes, backslashes, `*`/`?` globs, comments, redirections to and from
  `/dev/null` and of one stream to the
  other (`2>&1`, `>&2`), input from a file (`< file`); builtins `cd`, `exit`, `export`, `unset`, `set -e/-x`,
  `:`, `break`, `continue`, `command` (`-v`), `exec`; the compound commands `while`, `until`, `for`, `if` and
  `{ ...; }` (a loop that never sleeps is paced: LOOP_ITERATIONS_PER_SECOND). `case`, functions, subshells,
  background jobs and writing files are not simulated: they fail with a message that says so.

Two flavours of userland, picked from the image: `gnu` (Debian-based images: dash as `sh`, bash, GNU coreutils'
messages) and `busybox` (busybox and Alpine images: ash as `sh`, no bash, busybox's messages).
"""

from __future__ import annotations

import fnmatch
import math
import posixpath
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from .arith import ArithError, evaluate
from .filesystem import DIR, FILE, LINK, FileSystem, FsError, Node, mode_string

PATH_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
NETWORK_PROGRAMS = ("curl", "wget", "nslookup", "nc")
# What Shell._builtins answers, named without a shell at hand (shell_behaviour.py reads scripts ahead of time).
# `exec` and `command` are left out: the program they run is their argument, which that reading does not check.
BUILTIN_NAMES = frozenset({"cd", "exit", "export", "unset", "set", ":", "true", "false", "echo", "pwd", "test", "[",
                           "printf", "break", "continue"})
USER_NAMES = {0: "root", 65534: "nobody"}
GROUP_NAMES = {0: "root", 65534: "nogroup"}
INTERRUPTED = 130


# --- the container and its streams -------------------------------------------------------------------------

class Input:
    """A process's standard input: `read` returns b"" at end of input."""

    async def read(self) -> bytes:
        return b""


class BytesInput(Input):
    def __init__(self, data: bytes) -> None:
        self.data = data

    async def read(self) -> bytes:
        data, self.data = self.data, b""
        return data


class Output:
    async def write(self, data: bytes) -> None:
        pass


class Capture(Output):
    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    async def write(self, data: bytes) -> None:
        self.chunks.append(data)

    def value(self) -> bytes:
        return b"".join(self.chunks)


class LineInput(Input):
    """Buffered input that a shell reads line by line and its commands read as bytes (so `cat` in a script read
    from stdin gets the rest of the script, as in a real shell)."""

    def __init__(self, source: Input) -> None:
        self.source = source
        self.buffer = b""
        self.eof = False

    async def read(self) -> bytes:
        if self.buffer:
            data, self.buffer = self.buffer, b""
            return data
        if self.eof:
            return b""
        data = await self.source.read()
        if not data:
            self.eof = True
        return data

    async def readline(self) -> bytes:
        while b"\n" not in self.buffer and not self.eof:
            data = await self.source.read()
            if not data:
                self.eof = True
                break
            self.buffer += data
        line, sep, rest = self.buffer.partition(b"\n")
        self.buffer = rest
        return line + sep


@attrs.define
class System:
    """What every process in the container sees of it."""

    fs: FileSystem
    hostname: str
    pod_ip: str
    uid: int
    gid: int
    groups: tuple[int, ...]
    flavour: str  # "gnu" | "busybox"
    now: Callable[[], float]
    sleep: Callable[[float], Awaitable[None]]
    # `curl`, `wget`, `nslookup`, `nc`: (process, argv) -> exit code; None: the network is not simulated.
    network: Callable[[Process, list[str]], Awaitable[int]] | None = None


@attrs.define
class Process:
    """One running program: its system, environment, directory and streams."""

    sys: System
    env: dict[str, str]
    cwd: str
    stdin: Input
    stdout: Output
    stderr: Output
    tty: bool = False

    async def out(self, text: str) -> None:
        if text:
            await self.stdout.write(text.encode())

    async def err(self, text: str) -> None:
        if text:
            await self.stderr.write(text.encode())

    def child(self, **changes: Any) -> Process:
        return attrs.evolve(self, **changes)


Program = Callable[[Process, list[str]], Awaitable[int]]


class Interrupted(Exception):
    """^C on the container's terminal: the foreground program gets SIGINT (exit status 130)."""


class NotFound(Exception):
    """The runtime could not start the program: no such executable (what runc reports)."""

    def __init__(self, argv0: str) -> None:
        super().__init__(argv0)
        self.argv0 = argv0

    def runtime_message(self) -> str:
        """runc's words, as `kubectl exec` shows them."""
        if "/" in self.argv0:
            return (f'OCI runtime exec failed: exec failed: unable to start container process: exec: '
                    f'"{self.argv0}": stat {self.argv0}: no such file or directory: unknown')
        return (f'OCI runtime exec failed: exec failed: unable to start container process: exec: '
                f'"{self.argv0}": executable file not found in $PATH: unknown')


def find_program(sys: System, argv0: str) -> Program | None:
    """The program `argv0` names: by name through the standard PATH directories, or by path."""
    programs = PROGRAMS if sys.flavour == "gnu" else {k: v for k, v in PROGRAMS.items() if k != "bash"}
    if "/" in argv0:
        directory, name = posixpath.split(posixpath.normpath(argv0))
        return programs.get(name) if directory in PATH_DIRS else None
    return programs.get(argv0)


async def run_program(proc: Process, argv: list[str]) -> int:
    """Run `argv` as the runtime does for an exec: NotFound when there is no such executable."""
    program = find_program(proc.sys, argv[0])
    if program is None:
        raise NotFound(argv[0])
    return await program(proc, argv)


# --- small helpers -----------------------------------------------------------------------------------------

def _read_file(proc: Process, path: str) -> str:
    """A file's text (FsError when missing; ISDIR for a directory)."""
    node = proc.sys.fs.lookup(path, proc.cwd)
    if node.kind == DIR:
        raise FsError(FsError.ISDIR)
    return node.content


def _escapes(text: str) -> tuple[str, bool]:
    """echo -e / dash's echo: backslash escapes; True when `\\c` stopped the output."""
    out: list[str] = []
    i = 0
    simple = {"a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
    while i < len(text):
        ch = text[i]
        if ch != "\\" or i + 1 >= len(text):
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif nxt == "c":
            return "".join(out), True
        elif nxt == "0":
            digits = re.match(r"[0-7]{0,3}", text[i + 2:])
            out.append(chr(int(digits.group() or "0", 8) & 0xFF))
            i += 2 + len(digits.group())
        elif nxt == "x" and re.match(r"[0-9A-Fa-f]", text[i + 2:i + 3]):
            digits = re.match(r"[0-9A-Fa-f]{1,2}", text[i + 2:])
            out.append(chr(int(digits.group(), 16)))
            i += 2 + len(digits.group())
        else:
            out.append(ch)
            i += 1
    return "".join(out), False


def _user(uid: int) -> str:
    return USER_NAMES.get(uid, "")


def _parse_duration(text: str) -> float | None:
    match = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)", text)
    if match is None:
        return None
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


# --- programs ----------------------------------------------------------------------------------------------

async def prog_true(proc: Process, argv: list[str]) -> int:
    return 0


async def prog_false(proc: Process, argv: list[str]) -> int:
    return 1


async def prog_env(proc: Process, argv: list[str]) -> int:
    env = dict(proc.env)
    args = argv[1:]
    if args and args[0] in ("-i", "-", "--ignore-environment"):
        env, args = {}, args[1:]
    while args and "=" in args[0] and not args[0].startswith("="):
        name, _, value = args.pop(0).partition("=")
        env[name] = value
    if not args:
        await proc.out("".join(f"{k}={v}\n" for k, v in env.items()))
        return 0
    program = find_program(proc.sys, args[0])
    if program is None:
        await proc.err(f"env: '{args[0]}': No such file or directory\n" if proc.sys.flavour == "gnu"
                       else f"env: can't execute '{args[0]}': No such file or directory\n")
        return 127
    return await program(proc.child(env=env), args)


async def prog_printenv(proc: Process, argv: list[str]) -> int:
    names = argv[1:]
    if not names:
        await proc.out("".join(f"{k}={v}\n" for k, v in proc.env.items()))
        return 0
    missing = 0
    for name in names:
        if name in proc.env:
            await proc.out(proc.env[name] + "\n")
        else:
            missing = 1
    return missing


async def prog_echo(proc: Process, argv: list[str]) -> int:
    """/bin/echo (GNU coreutils, busybox): -n, -e, -E; no escapes unless -e."""
    args = argv[1:]
    newline, escapes = True, False
    while args and re.fullmatch(r"-[neE]+", args[0]):
        for flag in args.pop(0)[1:]:
            newline = newline and flag != "n"
            escapes = (escapes or flag == "e") and flag != "E"
    text = " ".join(args)
    stop = False
    if escapes:
        text, stop = _escapes(text)
    await proc.out(text + ("\n" if newline and not stop else ""))
    return 0


async def prog_cat(proc: Process, argv: list[str]) -> int:
    paths = [a for a in argv[1:] if a != "--"] or ["-"]
    status = 0
    for path in paths:
        if path == "-":
            while data := await proc.stdin.read():
                await proc.stdout.write(data)
            continue
        try:
            await proc.out(_read_file(proc, path))
        except FsError as exc:
            status = 1
            if proc.sys.flavour == "busybox":
                await proc.err(f"cat: read error: {exc.message}\n" if exc.message == FsError.ISDIR
                               else f"cat: can't open '{path}': {exc.message}\n")
            else:
                await proc.err(f"cat: {path}: {exc.message}\n")
    return status


def _ls_time(mtime: float, now: float) -> str:
    """GNU ls: `Mon dd HH:MM` within six months, else `Mon dd  YYYY`."""
    t = time.gmtime(mtime)
    day = f"{t.tm_mday:2d}"
    if abs(now - mtime) < 15778476:  # six months of 365.2425 days
        return time.strftime(f"%b {day} %H:%M", t)
    return time.strftime(f"%b {day}  %Y", t)


def _columns(names: list[str], width: int = 80) -> str:
    """`ls` on a terminal: names in columns, filled top to bottom."""
    if not names:
        return ""
    for rows in range(1, len(names) + 1):
        cols = math.ceil(len(names) / rows)
        grid = [names[c * rows:(c + 1) * rows] for c in range(cols)]
        widths = [max(len(n) for n in col) + 2 for col in grid]
        if sum(widths) - 2 <= width or rows == len(names):
            lines = []
            for r in range(rows):
                cells = [grid[c][r] for c in range(cols) if r < len(grid[c])]
                line = "".join(cell.ljust(widths[c]) if c < len(cells) - 1 else cell for c, cell in enumerate(cells))
                lines.append(line)
            return "\n".join(lines) + "\n"
    return ""


async def prog_ls(proc: Process, argv: list[str]) -> int:
    flags: set[str] = set()
    paths: list[str] = []
    for arg in argv[1:]:
        if arg.startswith("-") and len(arg) > 1 and arg != "--":
            unknown = [f for f in arg[1:] if f not in "lAa1dF"]
            if unknown:
                await proc.err(f"ls: invalid option -- '{unknown[0]}'\nTry 'ls --help' for more information.\n"
                               if proc.sys.flavour == "gnu" else f"ls: invalid option -- '{unknown[0]}'\n")
                return 2 if proc.sys.flavour == "gnu" else 1
            flags.update(arg[1:])
        elif arg != "--":
            paths.append(arg)
    fs, now = proc.sys.fs, proc.sys.now()
    long = "l" in flags

    def decorated(name: str, node: Node) -> str:
        if "F" in flags:
            return name + ("/" if node.kind == DIR else "@" if node.kind == LINK else "")
        return name

    def entry(name: str, node: Node) -> str:
        if not long:
            return decorated(name, node)
        links = 2 + sum(1 for c in node.children.values() if c.kind == DIR) if node.kind == DIR else 1
        owner = _user(node.uid) or str(node.uid)
        group = GROUP_NAMES.get(node.gid, str(node.gid))
        target = f" -> {node.target}" if node.kind == LINK else ""
        return (f"{mode_string(node)} {links} {owner} {group} {node.size} {_ls_time(node.mtime, now)} "
                f"{decorated(name, node)}{target}")

    def render(entries: list[tuple[str, Node]]) -> str:
        if not entries:
            return ""
        if long:
            rows = [entry(n, node).split(" ", 5) for n, node in entries]
            widths = [max(len(r[i]) for r in rows) for i in range(5)]
            lines = []
            for r in rows:
                cells = [r[0], r[1].rjust(widths[1]), r[2].ljust(widths[2]), r[3].ljust(widths[3]),
                         r[4].rjust(widths[4])]
                lines.append(" ".join(cells) + " " + r[5])
            return "\n".join(lines) + "\n"
        names = [entry(n, node) for n, node in entries]
        if proc.tty and "1" not in flags:
            return _columns(names)
        return "".join(n + "\n" for n in names)

    status = 0
    files: list[tuple[str, Node]] = []
    dirs: list[tuple[str, Node]] = []
    for path in paths or ["."]:
        try:
            node = fs.lookup(path, proc.cwd, follow=not long or path.endswith("/"))
            if long and node.kind == LINK:
                followed = fs.lookup(path, proc.cwd)
                if followed.kind == DIR and path.endswith("/"):
                    node = followed
        except FsError as exc:
            status = 2 if proc.sys.flavour == "gnu" else 1
            await proc.err(f"ls: cannot access '{path}': {exc.message}\n" if proc.sys.flavour == "gnu"
                           else f"ls: {path}: {exc.message}\n")
            continue
        (dirs if node.kind == DIR and "d" not in flags else files).append((path, node))
    out: list[str] = []
    if files:
        out.append(render(sorted(files)))
    for i, (path, node) in enumerate(sorted(dirs, key=lambda d: d[0])):
        names = sorted(node.children.items())  # byte order: a container's locale is C unless LANG says otherwise
        if "a" in flags:
            names = [(".", node), ("..", fs.lookup(posixpath.join(path, ".."), proc.cwd)), *names]
        elif "A" not in flags:
            names = [(n, c) for n, c in names if not n.startswith(".")]
        body = render(names)
        if long:  # 1K blocks in use: a directory takes 4, a file 4 per started 4 KiB, a symlink none
            blocks = sum(4 * math.ceil(c.size / 4096) for _, c in names if c.kind != LINK)
            body = f"total {blocks}\n" + body
        if len(paths) > 1 or files:
            body = f"{path}:\n" + body
        if out and (i or files):
            out.append("\n")
        out.append(body)
    await proc.out("".join(out))
    return status


async def prog_hostname(proc: Process, argv: list[str]) -> int:
    if "-i" in argv[1:] or "--ip-address" in argv[1:]:
        await proc.out(proc.sys.pod_ip + "\n")
    else:
        await proc.out(proc.sys.hostname + "\n")
    return 0


async def prog_pwd(proc: Process, argv: list[str]) -> int:
    await proc.out(proc.cwd + "\n")
    return 0


async def prog_whoami(proc: Process, argv: list[str]) -> int:
    name = _user(proc.sys.uid)
    if not name:
        await proc.err(f"whoami: cannot find name for user ID {proc.sys.uid}\n" if proc.sys.flavour == "gnu"
                       else f"whoami: unknown uid {proc.sys.uid}\n")
        return 1
    await proc.out(name + "\n")
    return 0


async def prog_id(proc: Process, argv: list[str]) -> int:
    sys = proc.sys
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-"))

    def named(number: int, names: dict[int, str]) -> str:
        return f"{number}({names[number]})" if number in names else str(number)

    if "u" in flags or "g" in flags:
        number = sys.uid if "u" in flags else sys.gid
        names = USER_NAMES if "u" in flags else GROUP_NAMES
        await proc.out((names.get(number, str(number)) if "n" in flags else str(number)) + "\n")
        return 0
    groups = ",".join(named(g, GROUP_NAMES) for g in sys.groups)
    await proc.out(f"uid={named(sys.uid, USER_NAMES)} gid={named(sys.gid, GROUP_NAMES)} groups={groups}\n")
    return 0


async def prog_date(proc: Process, argv: list[str]) -> int:
    now = proc.sys.now()
    fmt = "%a %b %e %H:%M:%S UTC %Y"
    for arg in argv[1:]:
        if arg.startswith("+"):
            fmt = arg[1:]
        elif arg in ("-R", "--rfc-email"):
            fmt = "%a, %d %b %Y %H:%M:%S +0000"
        elif arg in ("-I", "--iso-8601", "-Idate"):
            fmt = "%Y-%m-%d"
        elif arg in ("-Iseconds", "--iso-8601=seconds"):
            fmt = "%Y-%m-%dT%H:%M:%S+00:00"
        elif arg not in ("-u", "--utc", "--universal"):
            await proc.err(f"date: invalid date '{arg}'\n")
            return 1
    t = time.gmtime(now)
    text = fmt.replace("%e", f"{t.tm_mday:2d}").replace("%s", str(int(now))).replace(
        "%N", f"{int((now % 1) * 1e9):09d}")
    await proc.out(time.strftime(text, t) + "\n")
    return 0


async def prog_sleep(proc: Process, argv: list[str]) -> int:
    if len(argv) < 2:
        await proc.err("sleep: missing operand\nTry 'sleep --help' for more information.\n"
                       if proc.sys.flavour == "gnu" else "BusyBox: sleep: missing operand\n")
        return 1
    total = 0.0
    for arg in argv[1:]:
        seconds = _parse_duration(arg)
        if seconds is None:
            await proc.err(f"sleep: invalid time interval '{arg}'\nTry 'sleep --help' for more information.\n"
                           if proc.sys.flavour == "gnu" else f"sleep: invalid number '{arg}'\n")
            return 1
        total += seconds
    await proc.sys.sleep(total)
    return 0


def _test(args: list[str], proc: Process) -> bool | str:
    """test(1) for the common forms; a string is an error message."""
    if not args:
        return False
    if args[0] == "!":
        result = _test(args[1:], proc)
        return result if isinstance(result, str) else not result
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        op, value = args
        if op in ("-n", "-z"):
            return (value != "") == (op == "-n")
        if op in ("-e", "-f", "-d", "-s", "-r", "-L", "-h"):
            try:
                node = proc.sys.fs.lookup(value, proc.cwd, follow=op not in ("-L", "-h"))
            except FsError:
                return False
            return {"-e": True, "-r": True, "-f": node.kind == FILE, "-d": node.kind == DIR,
                    "-s": node.kind != FILE or bool(node.content), "-L": node.kind == LINK,
                    "-h": node.kind == LINK}[op]
        return f"{op}: unary operator expected"
    if len(args) == 3:
        left, op, right = args
        if op in ("=", "=="):
            return left == right
        if op == "!=":
            return left != right
        if op in ("-eq", "-ne", "-lt", "-le", "-gt", "-ge"):
            try:
                a, b = int(left), int(right)
            except ValueError:
                return f"{left if not left.lstrip('-').isdigit() else right}: integer expression expected"
            return {"-eq": a == b, "-ne": a != b, "-lt": a < b, "-le": a <= b, "-gt": a > b, "-ge": a >= b}[op]
        return f"{op}: binary operator expected"
    return "too many arguments"


async def prog_test(proc: Process, argv: list[str]) -> int:
    args = argv[1:]
    if posixpath.basename(argv[0]) == "[":
        if not args or args[-1] != "]":
            await proc.err("[: missing ]\n" if proc.sys.flavour == "gnu" else "sh: missing ]\n")
            return 2
        args = args[:-1]
    result = _test(args, proc)
    if isinstance(result, str):
        await proc.err(f"{posixpath.basename(argv[0])}: {result}\n")
        return 2
    return 0 if result else 1


async def prog_printf(proc: Process, argv: list[str]) -> int:
    if len(argv) < 2:
        await proc.err("printf: missing operand\n")
        return 1
    fmt, args = argv[1], argv[2:]
    out: list[str] = []
    while True:
        used = 0
        pieces = re.split(r"(%[-+ #0]*\d*(?:\.\d+)?[sdiuxXoc%])", fmt)
        for i, piece in enumerate(pieces):
            if i % 2 == 0:
                out.append(_escapes(piece)[0])
                continue
            if piece == "%%":
                out.append("%")
                continue
            value = args[used] if used < len(args) else ""
            used += 1
            conv = piece[-1]
            if conv in "diuxXoc":
                try:
                    number = int(value or "0", 0)
                except ValueError:
                    await proc.err(f"printf: '{value}': expected a numeric value\n")
                    number = 0
                out.append((piece[:-1] + ("d" if conv in "iu" else conv)) % number)
            else:
                out.append(piece % value)
        args = args[used:]
        if not args or not used:
            break
    await proc.out("".join(out))
    return 0


async def prog_network(proc: Process, argv: list[str]) -> int:
    if proc.sys.network is not None:
        return await proc.sys.network(proc, argv)
    name = posixpath.basename(argv[0])
    await proc.err(f"{name}: k9py does not simulate this command yet: there is no simulated network to carry it\n")
    return 127


async def prog_sh(proc: Process, argv: list[str]) -> int:
    kind = "bash" if posixpath.basename(argv[0]) == "bash" else "dash" if proc.sys.flavour == "gnu" else "ash"
    args = argv[1:]
    options: set[str] = set()
    script: str | None = None
    while args and args[0].startswith(("-", "+")) and args[0] not in ("-", "--"):
        arg = args.pop(0)
        if arg in ("--login", "--norc", "--noprofile", "--posix"):
            continue
        if arg == "-o" and args:
            args.pop(0)
            continue
        for flag in arg[1:]:
            if flag == "c":
                if not args:
                    await proc.err(f"{argv[0]}: -c: option requires an argument\n" if kind == "bash"
                                   else f"{argv[0]}: 0: -c requires an argument\n")
                    return 2
                script = args.pop(0)
            else:
                options.add(flag)
    if args and args[0] == "--":
        args.pop(0)
    shell = Shell(proc, argv[0], kind, options)
    if script is not None:
        shell.arg0 = args[0] if args else argv[0]
        shell.positional = args[1:]
        return await shell.run_script(script)
    if args:
        path = args[0]
        try:
            text = _read_file(proc, path)
        except FsError as exc:
            message = {"bash": f"{argv[0]}: {path}: {exc.message}\n",
                       "dash": f"{argv[0]}: 0: cannot open {path}: {exc.message}\n",
                       "ash": f"{argv[0]}: can't open '{path}': {exc.message}\n"}[kind]
            await proc.err(message)
            return 127 if kind == "bash" else 2
        shell.arg0, shell.positional, shell.script_name = path, args[1:], path
        return await shell.run_script(text)
    return await shell.interactive()


PROGRAMS: dict[str, Program] = {
    "sh": prog_sh, "bash": prog_sh, "env": prog_env, "printenv": prog_printenv, "cat": prog_cat, "ls": prog_ls,
    "echo": prog_echo, "hostname": prog_hostname, "pwd": prog_pwd, "whoami": prog_whoami, "id": prog_id,
    "date": prog_date, "sleep": prog_sleep, "true": prog_true, "false": prog_false, "test": prog_test,
    "[": prog_test, "printf": prog_printf, **dict.fromkeys(NETWORK_PROGRAMS, prog_network),
}


# --- the shell: lexer ----------------------------------------------------------------------------------------

RESERVED = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for",
                      "in", "{", "}", "function", "select", "[["})
OPERATORS = ("&&", "||", ";;", ">>", ">&", "<&", "<<", ";", "|", "&", "\n", "(", ")", "<", ">")
# A word is a list of parts: (kind, text, quoted), kind one of lit, var, cmd, arith.
Part = tuple[str, str, bool]
Word = list[Part]


class ShellSyntaxError(Exception):
    def __init__(self, kind: str, token: str = "", expecting: str = "", opener: str = "", line: int = 0) -> None:
        super().__init__(kind)
        self.kind = kind  # "unexpected" | "unterminated" | "unsupported"
        self.token = token
        # Inside a compound command: the reserved word that would have been right, the command's first word and
        # its line (`until` ... `done`: dash says what it expected, bash which command was left open).
        self.expecting = expecting
        self.opener = opener
        self.line = line


@attrs.define
class Token:
    kind: str  # "word" | "op" | "io" (a redirection's fd number)
    text: str = ""
    word: Word = attrs.Factory(list)


def _scan_substitution(src: str, i: int) -> int:
    """The index after the `)` closing a `$(` that starts at src[i] (just after `$(`)."""
    depth = 1
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "'":
            end = src.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("unterminated", "'")
            i = end + 1
            continue
        if ch == '"':
            i = _scan_double(src, i + 1)[1]
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ShellSyntaxError("unterminated", ")")


def _scan_arithmetic(src: str, i: int) -> int | None:
    """The index after the `))` closing a `$((` at src[i]; None when its parentheses pair otherwise (a command
    substitution that starts with a subshell, `$( (cd /; ls) )`)."""
    depth = 0
    for j in range(i + 3, len(src)):
        if src[j] == "(":
            depth += 1
        elif src[j] == ")":
            if depth == 0:
                return j + 2 if src.startswith("))", j) else None
            depth -= 1
    raise ShellSyntaxError("unterminated", ")")


def _scan_variable(src: str, i: int, quoted: bool) -> tuple[Part | None, int]:
    """A `$` expansion starting at src[i] (the `$`): the part and the index after it (None: a literal `$`)."""
    nxt = src[i + 1] if i + 1 < len(src) else ""
    if nxt == "{":
        end = src.find("}", i + 2)
        if end < 0:
            raise ShellSyntaxError("unterminated", "}")
        return ("var", src[i + 2:end], quoted), end + 1
    if nxt == "(":
        end = _scan_arithmetic(src, i) if src.startswith("$((", i) else None
        if end is not None:
            return ("arith", src[i + 3:end - 2], quoted), end
        end = _scan_substitution(src, i + 2)
        return ("cmd", src[i + 2:end - 1], quoted), end
    if nxt and (nxt.isalpha() or nxt == "_"):
        match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", src[i + 1:])
        assert match is not None
        return ("var", match.group(), quoted), i + 1 + match.end()
    if nxt and (nxt.isdigit() or nxt in "?#$@*!-"):
        return ("var", nxt, quoted), i + 2
    return None, i + 1


def _scan_double(src: str, i: int) -> tuple[Word, int]:
    """The inside of double quotes from src[i]; the index after the closing quote."""
    parts: Word = []
    text: list[str] = []

    def flush() -> None:
        if text:
            parts.append(("lit", "".join(text), True))
            text.clear()

    while i < len(src):
        ch = src[i]
        if ch == '"':
            flush()
            return parts, i + 1
        if ch == "\\" and i + 1 < len(src) and src[i + 1] in '$`"\\\n':
            if src[i + 1] != "\n":
                text.append(src[i + 1])
            i += 2
            continue
        if ch == "$":
            part, end = _scan_variable(src, i, True)
            if part is None:
                text.append("$")
            else:
                flush()
                parts.append(part)
            i = end
            continue
        if ch == "`":
            end = src.find("`", i + 1)
            if end < 0:
                raise ShellSyntaxError("unterminated", "`")
            flush()
            parts.append(("cmd", src[i + 1:end], True))
            i = end + 1
            continue
        text.append(ch)
        i += 1
    raise ShellSyntaxError("unterminated", '"')


def lex(src: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    word: Word = []
    in_word = False
    text: list[str] = []

    def flush_text() -> None:
        if text:
            word.append(("lit", "".join(text), False))
            text.clear()

    def end_word() -> None:
        nonlocal word, in_word
        flush_text()
        if in_word:
            tokens.append(Token("word", word=word))
        word, in_word = [], False

    while i < len(src):
        ch = src[i]
        if ch in " \t":
            end_word()
            i += 1
            continue
        if ch == "#" and not in_word:
            while i < len(src) and src[i] != "\n":
                i += 1
            continue
        if ch == "\\":
            if i + 1 < len(src) and src[i + 1] == "\n":
                i += 2
                continue
            flush_text()
            in_word = True
            word.append(("lit", src[i + 1] if i + 1 < len(src) else "", True))
            i += 2
            continue
        if ch == "'":
            end = src.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("unterminated", "'")
            flush_text()
            in_word = True
            word.append(("lit", src[i + 1:end], True))
            i = end + 1
            continue
        if ch == '"':
            flush_text()
            in_word = True
            parts, i = _scan_double(src, i + 1)
            word.extend(parts or [("lit", "", True)])
            continue
        if ch == "$":
            part, end = _scan_variable(src, i, False)
            in_word = True
            if part is None:
                text.append("$")
            else:
                flush_text()
                word.append(part)
            i = end
            continue
        if ch == "`":
            end = src.find("`", i + 1)
            if end < 0:
                raise ShellSyntaxError("unterminated", "`")
            flush_text()
            in_word = True
            word.append(("cmd", src[i + 1:end], False))
            i = end + 1
            continue
        op = next((o for o in OPERATORS if src.startswith(o, i)), None)
        if op is not None:
            if op in ("<", ">", ">>", ">&", "<&", "<<") and text and not word and "".join(text).isdigit():
                tokens.append(Token("io", "".join(text)))
                text.clear()
                in_word = False
            else:
                end_word()
            tokens.append(Token("op", op))
            i += len(op)
            continue
        text.append(ch)
        in_word = True
        i += 1
    end_word()
    return tokens


# --- the shell: parser -----------------------------------------------------------------------------------

@attrs.define
class Simple:
    assigns: list[tuple[str, Word]] = attrs.Factory(list)
    words: list[Word] = attrs.Factory(list)
    redirs: list[tuple[str, str, Word]] = attrs.Factory(list)  # (fd, operator, target)
    line: int = 1


@attrs.define
class Loop:
    """`while LIST; do LIST; done`, or `until` (`until` is true: the body runs while the condition fails)."""

    until: bool
    condition: list[AndOr]
    body: list[AndOr]
    line: int = 1


@attrs.define
class IfClause:
    branches: list[tuple[list[AndOr], list[AndOr]]]  # (condition, body) of `if` and each `elif`
    otherwise: list[AndOr] | None = None
    line: int = 1


@attrs.define
class ForLoop:
    name: str
    items: list[Word] | None  # None: no `in`, the positional parameters
    body: list[AndOr]
    line: int = 1


@attrs.define
class Group:
    """`{ LIST; }`: run in this shell."""

    body: list[AndOr]
    line: int = 1


Compound = Loop | IfClause | ForLoop | Group
Command = Simple | Compound


@attrs.define
class Pipeline:
    commands: list[Command]
    bang: bool = False


@attrs.define
class AndOr:
    first: Pipeline
    rest: list[tuple[str, Pipeline]] = attrs.Factory(list)


def _literal(word: Word) -> str | None:
    """A word's text when it is plain unquoted text (a reserved word or an assignment's name)."""
    if len(word) == 1 and word[0][0] == "lit" and not word[0][2]:
        return word[0][1]
    return None


REDIRECTIONS = ("<", ">", ">>", ">&", "<&", "<<")
# Reserved words that close or continue a compound command: never the start of a command.
CLOSERS = frozenset({"do", "done", "then", "else", "elif", "fi", "}", "in", "esac"})


def parse(tokens: list[Token], first_line: int = 1) -> list[AndOr]:
    """Commands, and-or lists, pipelines and the compound commands `while`, `until`, `for`, `if` and `{ }`.
    Input that stops inside a compound command is "unexpected end of file" (the caller reads another line)."""
    pos = 0
    line = first_line

    def peek() -> Token | None:
        return tokens[pos] if pos < len(tokens) else None

    def reserved() -> str | None:
        tok = peek()
        return _literal(tok.word) if tok is not None and tok.kind == "word" else None

    def newlines() -> None:
        nonlocal pos, line
        while (tok := peek()) is not None and tok.kind == "op" and tok.text == "\n":
            pos += 1
            line += 1

    def expect(word: str, opener: str, start: int) -> None:
        nonlocal pos
        newlines()
        found = reserved()
        if found != word:
            tok = peek()
            if tok is None:
                raise ShellSyntaxError("unexpected", "end of file", word, opener, start)
            raise ShellSyntaxError("unexpected", found or tok.text or "word", word, opener, start)
        pos += 1

    def simple() -> Simple:
        nonlocal pos
        cmd = Simple(line=line)
        while (tok := peek()) is not None:
            if tok.kind == "word":
                name = _literal(tok.word[:1]) if tok.word and tok.word[0][0] == "lit" and not tok.word[0][2] else None
                if not cmd.words and name is not None and re.match(r"[A-Za-z_][A-Za-z0-9_]*=", name):
                    var, _, first = name.partition("=")
                    value: Word = ([("lit", first, False)] if first else []) + tok.word[1:]
                    cmd.assigns.append((var, value))
                elif not cmd.words and _literal(tok.word) in RESERVED:
                    raise ShellSyntaxError("unsupported", _literal(tok.word) or "")
                else:
                    cmd.words.append(tok.word)
                pos += 1
            elif tok.kind == "io" or (tok.kind == "op" and tok.text in REDIRECTIONS):
                fd = ""
                if tok.kind == "io":
                    fd = tok.text
                    pos += 1
                    tok = peek()
                    assert tok is not None
                op = tok.text
                if op == "<<":
                    raise ShellSyntaxError("unsupported", "<<")
                pos += 1
                target = peek()
                if target is None or target.kind != "word":
                    raise ShellSyntaxError("unexpected", target.text if target else "newline")
                pos += 1
                cmd.redirs.append((fd or ("0" if op.startswith("<") else "1"), op, target.word))
            else:
                break
        return cmd

    def compound(word: str) -> Compound:
        nonlocal pos
        start = line
        pos += 1
        if word in ("while", "until"):
            condition = term_list(frozenset({"do"}), "do", word, start)
            expect("do", word, start)
            body = term_list(frozenset({"done"}), "done", word, start)
            expect("done", word, start)
            return Loop(word == "until", condition, body, start)
        if word == "if":
            branches = []
            otherwise = None
            while True:
                condition = term_list(frozenset({"then"}), "then", "if", start)
                expect("then", "if", start)
                body = term_list(frozenset({"elif", "else", "fi"}), "fi", "if", start)
                branches.append((condition, body))
                closer = reserved()
                pos += 1
                if closer == "elif":
                    continue
                if closer == "else":
                    otherwise = term_list(frozenset({"fi"}), "fi", "if", start)
                    expect("fi", "if", start)
                return IfClause(branches, otherwise, start)
        if word == "for":
            tok = peek()
            name = _literal(tok.word) if tok is not None and tok.kind == "word" else None
            if name is None or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ShellSyntaxError("unexpected", "end of file" if tok is None else name or tok.text or "word")
            pos += 1
            items: list[Word] | None = None
            newlines()
            if reserved() == "in":
                pos += 1
                items = []
                while (tok := peek()) is not None and tok.kind == "word":
                    items.append(tok.word)
                    pos += 1
                if (tok := peek()) is not None and tok.kind == "op" and tok.text in (";", "\n"):
                    pos += 1
            elif (tok := peek()) is not None and tok.kind == "op" and tok.text == ";":
                pos += 1
            expect("do", "for", start)
            body = term_list(frozenset({"done"}), "done", "for", start)
            expect("done", "for", start)
            return ForLoop(name, items, body, start)
        body = term_list(frozenset({"}"}), "}", "{", start)
        expect("}", "{", start)
        return Group(body, start)

    def command() -> Command:
        word = reserved()
        if word in ("while", "until", "if", "for", "{"):
            cmd = compound(word)
            tok = peek()
            if tok is not None and (tok.kind == "io" or (tok.kind == "op" and tok.text in REDIRECTIONS)):
                raise ShellSyntaxError("unsupported", f"{word} ... {tok.text}")
            return cmd
        if word in CLOSERS:
            raise ShellSyntaxError("unexpected", word)
        return simple()

    def pipeline() -> Pipeline:
        nonlocal pos
        bang = False
        tok = peek()
        if tok is not None and tok.kind == "word" and _literal(tok.word) == "!":
            bang = True
            pos += 1
        commands = [command()]
        while (tok := peek()) is not None and tok.kind == "op" and tok.text == "|":
            pos += 1
            newlines()
            commands.append(command())
        for cmd in commands:
            if isinstance(cmd, Simple) and not cmd.words and not cmd.assigns and not cmd.redirs:
                tok = peek()
                raise ShellSyntaxError("unexpected", tok.text if tok else "end of file")
        return Pipeline(commands, bang)

    def term_list(stop: frozenset[str] = frozenset(), expecting: str = "", opener: str = "",
                  start: int = 0) -> list[AndOr]:
        """And-or lists up to one of the reserved words `stop` at a command's start. At the top level the end of
        input ends the list; inside a compound command it is an error that more lines may mend."""
        nonlocal pos, line
        items: list[AndOr] = []
        separated = True  # a command may start here
        while True:
            tok = peek()
            if tok is None:
                if stop:
                    raise ShellSyntaxError("unexpected", "end of file", expecting, opener, start)
                return items
            if tok.kind == "op" and tok.text in ("\n", ";"):
                if tok.text == ";" and separated:
                    raise ShellSyntaxError("unexpected", ";")
                if tok.text == "\n":
                    line += 1
                separated = True
                pos += 1
                continue
            word = reserved()
            if word in stop:
                # After a compound command the next reserved word may follow without a separator
                # (`if a; then b; fi done`); after a simple command it would have been an argument.
                if not items:
                    raise ShellSyntaxError("unexpected", word)
                return items
            if not separated:
                raise ShellSyntaxError("unexpected", word or tok.text or "word")
            if tok.kind == "op" and tok.text in ("(", ")"):
                raise ShellSyntaxError("unsupported", "(")
            if tok.kind == "op" and tok.text not in REDIRECTIONS:
                raise ShellSyntaxError("unexpected", tok.text)
            separated = False
            item = AndOr(pipeline())
            while (tok := peek()) is not None and tok.kind == "op" and tok.text in ("&&", "||"):
                pos += 1
                newlines()
                if peek() is None:
                    raise ShellSyntaxError("unexpected", "end of file")
                item.rest.append((tok.text, pipeline()))
            tok = peek()
            if tok is not None and tok.kind == "op" and tok.text == "&":
                raise ShellSyntaxError("unsupported", "&")
            items.append(item)

    return term_list()


# --- the shell: running ------------------------------------------------------------------------------------

class ExitShell(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class ExpansionError(ExitShell):
    """An expansion failed: a script ends (with the status), an interactive shell goes back to its prompt."""


class LoopControl(Exception):
    """`break` (or `continue`) on its way out to the loop it names."""

    def __init__(self, breaks: bool, levels: int) -> None:
        super().__init__(breaks, levels)
        self.breaks = breaks
        self.levels = levels


# A loop that never sleeps (`while true; do :; done`) would hold the engine's one thread for ever, where a real one
# holds one CPU: a loop runs at most LOOP_ITERATIONS_PER_SECOND iterations in a second of engine time and then
# waits for the next second. A loop that sleeps as it goes (`until nc -z db 5432; do sleep 1; done`) never
# meets the cap, so it runs exactly as written.
LOOP_ITERATIONS_PER_SECOND = 100


class Pace:
    """The iteration cap of one running loop."""

    def __init__(self, sys: System) -> None:
        self.sys = sys
        self.window = sys.now()
        self.count = 0

    async def iteration(self) -> None:
        now = self.sys.now()
        if now >= self.window + 1.0:
            self.window, self.count = now, 0
        self.count += 1
        if self.count >= LOOP_ITERATIONS_PER_SECOND:
            await self.sys.sleep(self.window + 1.0 - now)
            self.window, self.count = self.sys.now(), 0


class Shell:
    """One shell process: `kind` is dash (Debian's sh), bash, or ash (busybox's sh); messages follow it."""

    def __init__(self, proc: Process, name: str, kind: str, options: set[str] | None = None) -> None:
        self.proc = proc
        self.name = name
        self.kind = kind
        self.vars = dict(proc.env)
        self.exported = set(proc.env)
        self.cwd = proc.cwd
        self.status = 0
        self.arg0 = name
        self.positional: list[str] = []
        self.options = set(options or ())
        self.interactive_mode = False
        self.script_name: str | None = None
        self.line = 1
        self.loops = 0  # how many loops the running command is in (`break 2`)

    # --- messages --------------------------------------------------------------------------------------

    def _where(self) -> str:
        """The message prefix: `sh: 1: `, `bash: line 1: `, `sh: `."""
        if self.kind == "dash":
            return f"{self.arg0}: {self.line}: "
        if self.kind == "bash":
            if self.interactive_mode:
                return f"{self.name}: "
            return f"{self.arg0}: line {self.line}: "
        return f"{self.arg0}: "

    def _syntax_message(self, error: ShellSyntaxError, source: str) -> str:
        token = error.token
        if error.kind == "unsupported":
            return (f"{self._where()}k9py's shell does not run `{token}` (it runs simple commands joined by ;, &&, "
                    f"|| and |, and while, until, for, if and {{ }})\n")
        shown = "newline" if token == "\n" else token
        # dash and ash name these three bare and quote every other token (their tokname tables)
        named = shown if shown in ("end of file", "newline", "word") else f'"{shown}"'
        if self.kind == "dash":
            if error.kind == "unterminated":
                return f"{self.arg0}: {self.line}: Syntax error: Unterminated quoted string\n"
            expecting = f' (expecting "{error.expecting}")' if error.expecting else ""
            line = self.line + source.count("\n") if shown == "end of file" else self.line
            return f"{self.arg0}: {line}: Syntax error: {named} unexpected{expecting}\n"
        if self.kind == "bash":
            last = self.line + source.count("\n") if shown == "end of file" else self.line
            where = f"{self.name}: -c: line {last}: " if not self.interactive_mode else f"{self.name}: "
            if error.kind == "unterminated":
                return f"{where}unexpected EOF while looking for matching `{token}'\n"
            if shown == "end of file":
                opened = f" from `{error.opener}' command on line {error.line}" if error.opener else ""
                return f"{where}syntax error: unexpected end of file{opened}\n"
            return f"{where}syntax error near unexpected token `{shown}'\n{where}`{source.strip()}'\n"
        if error.kind == "unterminated":
            return f"{self.arg0}: syntax error: unterminated quoted string\n"
        expecting = f' (expecting "{error.expecting}")' if error.expecting else ""
        return f"{self.arg0}: syntax error: unexpected {named}{expecting}\n"

    # --- entry points ----------------------------------------------------------------------------------

    @staticmethod
    def _incomplete(error: ShellSyntaxError) -> bool:
        """The source stops in the middle of a command: an open quote or `$(`, a trailing `&&`, `||` or `|`."""
        return error.kind == "unterminated" or (error.kind == "unexpected" and error.token == "end of file")

    async def run_script(self, source: str) -> int:
        """`sh -c` and script files: parsed and run one line at a time (a syntax error on line 3 comes after lines
        1 and 2 ran, as in dash and bash), a line joined with the next while it is incomplete."""
        lines = source.split("\n")
        start, pending = 1, ""
        for number, line in enumerate(lines, 1):
            if not pending:
                start = number
            pending = pending + "\n" + line if pending else line
            self.line = start
            try:
                items = parse(lex(pending), start)
            except ShellSyntaxError as exc:
                if self._incomplete(exc) and number < len(lines):
                    continue
                await self.proc.err(self._syntax_message(exc, pending))
                return 2
            pending = ""
            try:
                await self._run_items(items)
            except ExitShell as exc:
                return exc.code
        return self.status

    async def interactive(self, prompt_first: bool = True) -> int:
        """Read commands from stdin, one line at a time, until end of input or `exit`; on a terminal, with a
        prompt. `prompt_first=False`: the first prompt was printed before anyone looked (`kubectl attach`)."""
        self.interactive_mode = self.proc.tty
        stdin = self.proc.stdin
        # A terminal hands out whole lines (and its end of input is only for one read); anything else is buffered.
        reader: Any = stdin if hasattr(stdin, "readline") else LineInput(stdin)
        self.proc = self.proc.child(stdin=reader)
        pending = ""
        number = 0
        show = prompt_first
        while True:
            if self.proc.tty and show:
                await self.proc.out(self._prompt() if not pending else "> ")
            show = True
            try:
                raw = await reader.readline()
            except Interrupted:  # ^C at the prompt: the line is dropped, a new prompt
                pending = ""
                self.status = INTERRUPTED
                continue
            if not raw:
                if self.proc.tty:
                    await self.proc.out("exit\n" if self.kind == "bash" else "\n")
                return self.status
            number += 1
            line = raw.decode(errors="replace").rstrip("\n")
            source = pending + "\n" + line if pending else line
            self.line = number
            try:
                items = parse(lex(source), number)
            except ShellSyntaxError as exc:
                if self._incomplete(exc):
                    pending = source
                    continue
                pending = ""
                await self.proc.err(self._syntax_message(exc, source))
                self.status = 2
                continue
            pending = ""
            try:
                await self._run_items(items)
            except ExpansionError as exc:
                self.status = exc.code
            except ExitShell as exc:
                return exc.code
            except Interrupted:  # ^C in a loop: back to the prompt
                self.status = INTERRUPTED

    def _prompt(self) -> str:
        root = self.proc.sys.uid == 0
        if self.kind == "bash":
            user = _user(self.proc.sys.uid) or "I have no name!"
            cwd = self.cwd if self.cwd != self.vars.get("HOME") else "~"
            return f"{user}@{self.proc.sys.hostname}:{cwd}{'#' if root else '$'} "
        if self.kind == "ash":
            return f"{self.cwd} {'#' if root else '$'} "
        return "# " if root else "$ "

    # --- running ---------------------------------------------------------------------------------------

    async def _run_items(self, items: list[AndOr], checked: bool = False) -> None:
        """Run and-or lists; `checked`: they are a condition (of `if`, `while`, `until`), where `set -e` does
        not apply."""
        for item in items:
            status = await self._pipeline(item.first)
            for op, pipeline in item.rest:
                if (op == "&&") == (status == 0):
                    status = await self._pipeline(pipeline)
            self.status = status
            if status != 0 and "e" in self.options and not item.rest and not checked and not item.first.bang:
                raise ExitShell(status)

    async def _pipeline(self, pipeline: Pipeline) -> int:
        stdin: Input = self.proc.stdin
        status = 0
        for i, cmd in enumerate(pipeline.commands):
            last = i == len(pipeline.commands) - 1
            capture = None if last else Capture()
            stdout = capture if capture is not None else self.proc.stdout
            if isinstance(cmd, Simple):
                status = await self._simple(cmd, stdin, stdout, in_pipeline=len(pipeline.commands) > 1)
            else:
                status = await self._compound(cmd, stdin, stdout)
            if capture is not None:
                stdin = BytesInput(capture.value())
        if pipeline.bang:
            status = 0 if status else 1
        return status

    # --- compound commands -----------------------------------------------------------------------------

    async def _compound(self, cmd: Compound, stdin: Input, stdout: Output) -> int:
        """A compound command; its commands read and write the streams it was given (its place in a pipeline).
        It runs in this shell: a variable set in a piped loop stays set (bash and dash run it in a subshell)."""
        saved = self.proc
        if stdin is not saved.stdin or stdout is not saved.stdout:
            self.proc = saved.child(stdin=stdin, stdout=stdout)
        try:
            if isinstance(cmd, Loop):
                return await self._loop(cmd)
            if isinstance(cmd, ForLoop):
                return await self._for(cmd)
            if isinstance(cmd, IfClause):
                return await self._if(cmd)
            await self._run_items(cmd.body)
            return self.status
        finally:
            self.proc = saved

    async def _loop(self, loop: Loop) -> int:
        """`while`/`until`: the status of the body's last command, 0 when the body never ran (POSIX)."""
        status = 0
        pace = Pace(self.proc.sys)
        self.loops += 1
        try:
            while True:
                await self._run_items(loop.condition, checked=True)
                if (self.status == 0) == loop.until:
                    return status
                going = await self._iteration(loop.body)
                status = self.status
                if not going:
                    return status
                await pace.iteration()
        finally:
            self.loops -= 1

    async def _for(self, loop: ForLoop) -> int:
        values = list(self.positional) if loop.items is None else \
            [value for word in loop.items for value in await self._expand_word(word)]
        status = 0
        pace = Pace(self.proc.sys)
        self.loops += 1
        try:
            for value in values:
                self.vars[loop.name] = value
                going = await self._iteration(loop.body)
                status = self.status
                if not going:
                    break
                await pace.iteration()
        finally:
            self.loops -= 1
        return status

    async def _iteration(self, body: list[AndOr]) -> bool:
        """One run of a loop's body; False when `break` ends the loop (`continue` ends only this run). A `break 2`
        goes on out to the next loop."""
        try:
            await self._run_items(body)
        except LoopControl as control:
            self.status = 0
            if control.levels > 1:
                control.levels -= 1
                raise
            return not control.breaks
        return True

    async def _if(self, clause: IfClause) -> int:
        for condition, body in clause.branches:
            await self._run_items(condition, checked=True)
            if self.status == 0:
                await self._run_items(body)
                return self.status
        if clause.otherwise is not None:
            await self._run_items(clause.otherwise)
            return self.status
        return 0

    async def _expand_word(self, word: Word, split: bool = True) -> list[str]:
        """Parameter and command expansion, then (with `split`) field splitting of unquoted results and pathname
        expansion; without `split` (assignments, redirection targets) the word stays one field."""
        fields: list[list[tuple[str, bool]]] = []
        current: list[tuple[str, bool]] = []
        started = False
        for kind, text, quoted in word:
            if kind == "lit":
                current.append((text, quoted or not split))
                started = started or quoted or bool(text)
                continue
            if kind == "var" and text == "@" and quoted and split:
                for k, value in enumerate(self.positional):
                    if k:
                        fields.append(current)
                        current = []
                    current.append((value, True))
                    started = True
                continue
            value = await self._parameter(text) if kind == "var" else await self._arithmetic(text) \
                if kind == "arith" else await self._substitute(text)
            if quoted or not split:
                current.append((value, True))
                started = True
                continue
            for k, piece in enumerate(re.split(r"[ \t\n]+", value)):
                if k and started:
                    fields.append(current)
                    current, started = [], False
                if piece:
                    current.append((piece, False))
                    started = True
        if started:
            fields.append(current)
        out: list[str] = []
        for chunks in fields:
            if split and any(not q and any(c in t for c in "*?[") for t, q in chunks):
                pattern = "".join(t if not q else re.sub(r"([*?\[])", r"[\1]", t) for t, q in chunks)
                matches = self._glob(pattern)
                if matches:
                    out.extend(matches)
                    continue
            out.append("".join(t for t, _ in chunks))
        return out

    async def _expand_text(self, text: str) -> str:
        """Text expanded as inside double quotes (the word of `${VAR:-word}`)."""
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            if text[0] == "'":
                return text[1:-1]
            text = text[1:-1]
        try:
            parts, _ = _scan_double(text + '"', 0)
        except ShellSyntaxError:
            return text
        return "".join(await self._expand_word(parts, split=False))

    def _glob(self, pattern: str) -> list[str]:
        absolute = pattern.startswith("/")
        parts = [p for p in pattern.split("/") if p]
        results = ["/" if absolute else ""]
        for part in parts:
            nxt = []
            for base in results:
                if not any(c in part for c in "*?["):
                    nxt.append(posixpath.join(base, part) if base else part)
                    continue
                try:
                    node = self.proc.sys.fs.lookup(base or ".", self.cwd)
                except FsError:
                    continue
                if node.kind != DIR:
                    continue
                for name in sorted(node.children):
                    if name.startswith(".") and not part.startswith("."):
                        continue
                    if fnmatch.fnmatchcase(name, part):
                        nxt.append(posixpath.join(base, name) if base else name)
            results = nxt
        found = []
        for path in results:
            try:
                self.proc.sys.fs.lookup(path, self.cwd, follow=False)
                found.append(path)
            except FsError:
                pass
        return found

    async def _parameter(self, expr: str) -> str:
        if expr == "?":
            return str(self.status)
        if expr == "$":
            return "7"  # a process id: the exec'd shell is never the container's first process
        if expr == "#":
            return str(len(self.positional))
        if expr in ("@", "*"):
            return " ".join(self.positional)
        if expr == "0":
            return self.arg0
        if expr.isdigit():
            index = int(expr)
            return self.positional[index - 1] if index <= len(self.positional) else ""
        if expr in ("!", "-"):
            return "".join(sorted(self.options)) if expr == "-" else ""
        if expr.startswith("#"):
            return str(len(await self._parameter(expr[1:])))
        match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*|\d+|[?#$@*])(:?[-+=?])?(.*)", expr, re.S)
        if match is None:
            return ""
        name, op, rest = match.groups()
        value = await self._parameter(name) if not re.match(r"[A-Za-z_]", name) else self.vars.get(name)
        unset = value is None or (op is not None and op.startswith(":") and value == "")
        if op is None:
            return value or ""
        default = await self._expand_text(rest)
        if op.endswith("-"):
            return default if unset else (value or "")
        if op.endswith("="):
            if unset:
                self.vars[name] = default
                return default
            return value or ""
        if op.endswith("+"):
            return "" if unset else default
        return value or ""

    async def _arithmetic(self, expression: str) -> str:
        """`$((...))`: its own `$` expansions first, then the arithmetic (arith.py). An error ends a script, as a
        failed expansion ends a non-interactive shell."""
        text = await self._expand_text(expression)
        try:
            return str(evaluate(text, self.vars.get))
        except ArithError as exc:
            if exc.kind == "unsupported":
                message = f"{self._where()}k9py's shell does not simulate `{exc.detail}` in arithmetic\n"
            elif self.kind == "dash":
                what = "division by zero" if exc.kind == "division" else "expecting primary"
                message = f'{self._where()}arithmetic expression: {what}: "{text}"\n'
            elif self.kind == "bash":
                what = "division by 0" if exc.kind == "division" else "syntax error: operand expected"
                message = f'{self._where()}{text}: {what} (error token is "{exc.detail or text}")\n'
            else:
                message = f"{self.arg0}: {'divide by zero' if exc.kind == 'division' else 'arithmetic syntax error'}\n"
            await self.proc.err(message)
            raise ExpansionError(1 if self.kind == "bash" else 2) from None

    async def _substitute(self, source: str) -> str:
        capture = Capture()
        sub = Shell(self.proc.child(stdout=capture, env=self._environment()), self.name, self.kind, self.options)
        sub.vars, sub.exported, sub.cwd = dict(self.vars), set(self.exported), self.cwd
        sub.arg0, sub.positional, sub.line = self.arg0, list(self.positional), self.line
        try:
            items = parse(lex(source), self.line)
            await sub._run_items(items)
        except ShellSyntaxError as exc:
            await self.proc.err(sub._syntax_message(exc, source))
        except ExitShell:
            pass
        return capture.value().decode(errors="replace").rstrip("\n")

    def _environment(self) -> dict[str, str]:
        return {k: v for k, v in self.vars.items() if k in self.exported}

    async def _simple(self, cmd: Simple, stdin: Input, stdout: Output, in_pipeline: bool) -> int:
        self.line = cmd.line
        argv: list[str] = []
        for word in cmd.words:
            argv.extend(await self._expand_word(word))
        assigns = [(name, "".join(await self._expand_word(value, split=False))) for name, value in cmd.assigns]
        stderr = self.proc.stderr
        out, err = stdout, stderr
        for fd, op, target_word in cmd.redirs:
            target = "".join(await self._expand_word(target_word, split=False))
            if op in (">&", "<&") and target in ("1", "2"):
                chosen = out if target == "1" else err
                if fd == "2":
                    err = chosen
                else:
                    out = chosen
                continue
            if target == "/dev/null":
                if op == "<":
                    stdin = BytesInput(b"")
                elif fd == "2":
                    err = Output()
                else:
                    out = Output()
                continue
            if op == "<":
                try:
                    stdin = BytesInput(_read_file(self.proc.child(cwd=self.cwd), target).encode())
                except FsError as exc:
                    await self.proc.err(self._cannot_open(target, exc.message))
                    return 1 if self.kind == "bash" else 2
                continue
            await self.proc.err(f"{self._where()}cannot create {target}: k9py does not simulate writing files\n"
                                if self.kind != "bash" else
                                f"{self._where()}{target}: k9py does not simulate writing files\n")
            return 1 if self.kind == "bash" else 2
        if "x" in self.options and (argv or assigns):
            shown = [f"{n}={v}" for n, v in assigns] + argv
            await err.write(("+ " + " ".join(shown) + "\n").encode())
        if not argv:
            for name, value in assigns:
                self.vars[name] = value
            return 0
        env = self._environment()
        env.update(assigns)
        proc = self.proc.child(env=env, cwd=self.cwd, stdin=stdin, stdout=out, stderr=err)
        program = self._builtins().get(argv[0]) or find_program(self.proc.sys, argv[0])
        if program is None:
            await err.write(self._not_found(argv[0]).encode())
            return 127
        try:
            return await program(proc, argv)
        except Interrupted:
            if self.loops:
                raise  # ^C ends the loop as well (the shell gets SIGINT too), not only the program in it
            return INTERRUPTED

    def _cannot_open(self, path: str, message: str) -> str:
        if self.kind == "bash":
            return f"{self._where()}{path}: {message}\n"
        if self.kind == "dash":
            return f"{self._where()}cannot open {path}: {message}\n"
        return f"{self.arg0}: can't open '{path}': {message}\n"

    def _not_found(self, name: str) -> str:
        if "/" in name:
            if self.kind == "bash":
                return f"{self._where()}{name}: No such file or directory\n"
            return f"{self._where()}{name}: not found\n"
        if self.kind == "bash":
            return f"{self._where()}{name}: command not found\n"
        return f"{self._where()}{name}: not found\n"

    # --- builtins --------------------------------------------------------------------------------------

    def _builtins(self) -> dict[str, Program]:
        return {"cd": self._cd, "exit": self._exit, "export": self._export, "unset": self._unset, "set": self._set,
                ":": prog_true, "true": prog_true, "false": prog_false, "echo": self._echo, "pwd": prog_pwd,
                "test": prog_test, "[": prog_test, "printf": prog_printf, "break": self._loop_control,
                "continue": self._loop_control, "command": self._command, "exec": self._exec}

    def _path_of(self, name: str) -> str | None:
        """What `command -v` prints: a builtin's name, a program's path (merged /usr on Debian, /bin in busybox)."""
        if name in self._builtins():
            return name
        if find_program(self.proc.sys, name) is None:
            return None
        if "/" in name:
            return name
        return f"{'/usr/bin' if self.proc.sys.flavour == 'gnu' else '/bin'}/{name}"

    async def _command(self, proc: Process, argv: list[str]) -> int:
        """`command -v NAME...` says how each name would run; `command NAME ARGS` runs it. k9s opens its shell with
        `sh -c "command -v bash >/dev/null && exec bash || exec sh"`."""
        args = argv[1:]
        if args and args[0] == "-v":
            status = 0
            for name in args[1:]:
                path = self._path_of(name)
                if path is None:
                    status = 1 if self.kind == "bash" else 127  # bash's status; dash and busybox ash say 127
                else:
                    await proc.out(path + "\n")
            return status
        if args and args[0] == "-p":
            args = args[1:]
        if not args:
            return 0
        program = self._builtins().get(args[0]) or find_program(proc.sys, args[0])
        if program is None:
            await proc.err(self._not_found(args[0]))
            return 127
        return await program(proc, args)

    async def _exec(self, proc: Process, argv: list[str]) -> int:
        """`exec PROGRAM ARGS`: the program takes the shell's place; the shell ends with its status."""
        if len(argv) == 1:
            return 0
        program = find_program(proc.sys, argv[1])  # a program, even where a builtin has the name
        if program is None:
            await proc.err(f"{self._where()}exec: {argv[1]}: not found\n")
            raise ExitShell(127)
        raise ExitShell(await program(proc, argv[1:]))

    async def _loop_control(self, proc: Process, argv: list[str]) -> int:
        """`break [n]` and `continue [n]`: leave (or go on with) the n-th enclosing loop."""
        levels = 1
        if len(argv) > 1:
            if not argv[1].isdigit() or int(argv[1]) < 1:
                message = {"dash": f"{self._where()}{argv[0]}: Illegal number: {argv[1]}\n",
                           "bash": f"{self._where()}{argv[0]}: {argv[1]}: loop count out of range\n",
                           "ash": f"{self.arg0}: {argv[0]}: Illegal number: {argv[1]}\n"}[self.kind]
                await proc.err(message)
                return 1 if self.kind == "bash" else 2
            levels = int(argv[1])
        if not self.loops:
            if self.kind == "bash":
                await proc.err(f"{self._where()}{argv[0]}: only meaningful in a `for', `while', or `until' loop\n")
            return 0
        raise LoopControl(argv[0] == "break", min(levels, self.loops))

    async def _cd(self, proc: Process, argv: list[str]) -> int:
        target = argv[1] if len(argv) > 1 else self.vars.get("HOME", "/")
        if target == "-":
            target = self.vars.get("OLDPWD", self.cwd)
        try:
            node = self.proc.sys.fs.lookup(target, self.cwd)
            if node.kind != DIR:
                raise FsError(FsError.NOTDIR)
            new = posixpath.normpath(posixpath.join(self.cwd, target))
        except FsError as exc:
            if self.kind == "dash":
                await proc.err(f"{self._where()}cd: can't cd to {target}\n")
            elif self.kind == "bash":
                await proc.err(f"{self._where()}cd: {target}: {exc.message}\n")
            else:
                await proc.err(f"{self.arg0}: cd: can't cd to {target}: {exc.message}\n")
            return 1 if self.kind == "bash" else 2
        self.vars["OLDPWD"], self.cwd = self.cwd, new
        self.vars["PWD"] = new
        return 0

    async def _exit(self, proc: Process, argv: list[str]) -> int:
        code = self.status
        if len(argv) > 1:
            try:
                code = int(argv[1]) & 0xFF
            except ValueError:
                message = {"dash": f"{self._where()}exit: Illegal number: {argv[1]}\n",
                           "bash": f"{self._where()}exit: {argv[1]}: numeric argument required\n",
                           "ash": f"{self.arg0}: exit: Illegal number: {argv[1]}\n"}[self.kind]
                await proc.err(message)
                code = 2
        if self.interactive_mode and self.kind == "bash":
            await proc.out("exit\n")
        raise ExitShell(code)

    async def _export(self, proc: Process, argv: list[str]) -> int:
        for arg in argv[1:]:
            if arg == "-p":
                continue
            name, eq, value = arg.partition("=")
            if eq:
                self.vars[name] = value
            self.exported.add(name)
        if len(argv) == 1 or argv[1:] == ["-p"]:
            await proc.out("".join(f"export {k}='{v}'\n" for k, v in sorted(self._environment().items())))
        return 0

    async def _unset(self, proc: Process, argv: list[str]) -> int:
        for name in argv[1:]:
            if name.startswith("-"):
                continue
            self.vars.pop(name, None)
            self.exported.discard(name)
        return 0

    async def _set(self, proc: Process, argv: list[str]) -> int:
        for arg in argv[1:]:
            if arg.startswith("-"):
                self.options.update(arg[1:])
            elif arg.startswith("+"):
                self.options.difference_update(arg[1:])
        if len(argv) == 1:
            await proc.out("".join(f"{k}='{v}'\n" for k, v in sorted(self.vars.items())))
        return 0

    async def _echo(self, proc: Process, argv: list[str]) -> int:
        if self.kind != "dash":
            return await prog_echo(proc, argv)
        args = argv[1:]
        newline = True
        if args and args[0] == "-n":
            newline, args = False, args[1:]
        text, stop = _escapes(" ".join(args))
        await proc.out(text + ("\n" if newline and not stop else ""))
        return 0
