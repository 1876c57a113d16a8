"""`curl`, `wget`, `nslookup` and `nc -z` inside a simulated container, carried by the simulated data plane
(`engine.network`: /etc/hosts and cluster DNS, Services through kube-proxy's choice, NetworkPolicy, the pod's
app). What each prints follows the real program: curl's `curl: (7) Failed to connect ...` with its exit code,
busybox wget's `wget: bad address 'x'`, nslookup's `** server can't find x: NXDOMAIN` (busybox's two nslookups
are in nslookup.py), nc's `open`/`Connection refused`. A connection that times out (a NetworkPolicy drop, a
Service port with no rule) waits as the client would, on the engine's clock: `-m`/`--connect-timeout` for curl,
`-T` for wget, `-w` for nc, else the kernel's SYN retries (127 s).

k9py does not know an image's contents, so these four are found in every container, busybox's or not.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from ..network.trace import ANSWERED, NO_ROUTE, REFUSED, TIMEOUT, UNRESOLVED, Trace
from .nslookup import busybox_nslookup
from .shell import Process

Obj = dict[str, Any]
SYN_TIMEOUT = 127.0  # Linux's tcp_syn_retries=6: 1+2+4+8+16+32+64 seconds before connect() gives up
_CURL_VALUES = ("-X", "--request", "-H", "--header", "-m", "--max-time", "--connect-timeout", "-o", "--output",
                "-w", "--write-out", "-A", "--user-agent", "-d", "--data", "--data-raw", "-u", "--user")
_CURL_LONG = {"--silent": "s", "--show-error": "S", "--fail": "f", "--include": "i", "--head": "I",
              "--verbose": "v", "--location": "L", "--insecure": "k"}


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _seconds(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value > 0 else None


def _address(trace: Trace, host: str) -> str:
    """The address the client connected to: what the name resolved to (/etc/hosts or DNS), or the host itself."""
    for hop in trace.hops:
        match = re.match(r"\S+ → (\S+) ", hop.title + " ") if hop.step == "dns" else None
        if match is not None:
            return match.group(1)
    return host


def _host_port(url: str) -> tuple[str, int]:
    match = re.match(r"^(?:[a-z]+://)?(?:[^@/]*@)?(\[[^\]]+\]|[^:/?#]+)(?::(\d+))?", url)
    if match is None:
        return url, 80
    return match.group(1).strip("[]"), int(match.group(2) or (443 if url.startswith("https:") else 80))


class Network:
    """The programs of one container: requests leave from its pod."""

    def __init__(self, plane: Any, pod: Obj, image: str = "") -> None:
        self.plane = plane  # the cluster's DataPlane
        self.pod = pod
        self.image = image  # the container's: which busybox nslookup it has
        self.source = f"{pod['metadata'].get('namespace', 'default')}/{pod['metadata']['name']}"

    async def __call__(self, proc: Process, argv: list[str]) -> int:
        name = posixpath.basename(argv[0])
        program: Callable[[Process, list[str]], Awaitable[int]] = {
            "curl": self.curl, "wget": self.wget, "nslookup": self.nslookup, "nc": self.nc}[name]
        return await program(proc, argv)

    def _request(self, url: str, method: str = "GET", headers: dict[str, str] | None = None) -> Trace:
        return self.plane.request(self.source, url, method, headers)

    async def _wait(self, proc: Process, trace: Trace, timeout: float | None) -> None:
        if trace.outcome == TIMEOUT:
            await proc.sys.sleep(timeout or SYN_TIMEOUT)

    # --- curl ----------------------------------------------------------------------------------------------

    async def curl(self, proc: Process, argv: list[str]) -> int:
        url, method, headers, flags, timeout, write_out = "", "GET", {}, "", None, ""
        args = argv[1:]
        i = 0
        while i < len(args):
            arg = args[i]
            if arg in _CURL_VALUES:
                if i + 1 >= len(args):
                    await proc.err(f"curl: option {arg}: requires parameter\n"
                                   "curl: try 'curl --help' or 'curl --manual' for more information\n")
                    return 2
                value = args[i + 1]
                if arg in ("-X", "--request"):
                    method = value.upper()
                elif arg in ("-H", "--header"):
                    key, _, val = value.partition(":")
                    headers[key.strip()] = val.strip()
                elif arg in ("-A", "--user-agent"):
                    headers["User-Agent"] = value
                elif arg in ("-d", "--data", "--data-raw") and method == "GET":
                    method = "POST"
                elif arg in ("-m", "--max-time", "--connect-timeout"):
                    timeout = _seconds(value) if timeout is None else min(timeout, _seconds(value) or timeout)
                elif arg in ("-w", "--write-out"):
                    write_out = value
                elif arg in ("-o", "--output") and value != "/dev/null":
                    await proc.err("curl: k9py does not simulate writing files: use -o /dev/null, or no -o\n")
                    return 23
                i += 2
                continue
            if arg in _CURL_LONG:
                flags += _CURL_LONG[arg]
            elif arg.startswith("--"):
                pass  # other long options change nothing here
            elif arg.startswith("-") and len(arg) > 1:
                flags += arg[1:]
            else:
                url = arg
            i += 1
        if not url:
            await proc.err("curl: no URL specified\ncurl: try 'curl --help' or 'curl --manual' for more information\n")
            return 2
        if "I" in flags:
            method = "HEAD"
        quiet = "s" in flags and "S" not in flags
        trace = self._request(url, method, headers)
        await self._wait(proc, trace, timeout)
        if trace.outcome != ANSWERED or trace.response is None:
            message = trace.message
            if trace.outcome == TIMEOUT and timeout is not None:
                message = f"curl: (28) Connection timed out after {int(timeout * 1000)} milliseconds"
            if not quiet:
                await proc.err(message + "\n")
            code = re.match(r"curl: \((\d+)\)", message)
            if write_out:
                await proc.out(self._write_out(write_out, 0))
            return int(code.group(1)) if code else 7
        response = trace.response
        if "f" in flags and response.status >= 400:
            if not quiet:
                await proc.err(f"curl: (22) The requested URL returned error: {response.status}\n")
            if write_out:
                await proc.out(self._write_out(write_out, response.status))
            return 22
        if "i" in flags or "I" in flags:
            head = f"HTTP/1.1 {response.status} {_reason(response.status)}\r\n" + "".join(
                f"{k}: {v}\r\n" for k, v in response.headers.items()) + "\r\n"
            await proc.out(head)
        if method != "HEAD" and "o" not in flags:
            await proc.out(response.body)
        if write_out:
            await proc.out(self._write_out(write_out, response.status))
        return 0

    @staticmethod
    def _write_out(template: str, status: int) -> str:
        text = template.replace("%{http_code}", f"{status:03d}").replace("%{response_code}", f"{status:03d}")
        return text.replace("\\n", "\n")

    # --- wget (busybox's) ----------------------------------------------------------------------------------

    async def wget(self, proc: Process, argv: list[str]) -> int:
        url, quiet, to_stdout, timeout, spider, discard = "", False, False, None, False, False
        args = argv[1:]
        i = 0
        while i < len(args):
            arg = args[i]
            value = args[i + 1] if i + 1 < len(args) else None
            if arg in ("-O", "-T", "--timeout", "-U", "--header", "-Y"):
                if arg == "-O":
                    to_stdout = value == "-"
                    discard = value == "/dev/null"  # a readiness check's `wget -q -O /dev/null URL`
                elif arg in ("-T", "--timeout") and value:
                    timeout = _seconds(value)
                i += 2
                continue
            if arg in ("--spider",):
                spider = True
            elif arg.startswith("-") and not arg.startswith("--") and len(arg) > 1:
                body = arg[1:]
                if "O" in body:
                    to_stdout = body.endswith("O-")
                    body = body.split("O", 1)[0]
                quiet = quiet or "q" in body
                spider = spider or "s" in body
            elif not arg.startswith("-"):
                url = arg
            i += 1
        if not url:
            await proc.err("BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: wget [-cqS] "
                           "[--spider] [-O FILE] [-o LOGFILE] [--header STR] [--post-data STR | --post-file FILE] "
                           "[-Y on/off] [-P DIR] [-U AGENT] [-T SEC] URL...\n")
            return 1
        if not to_stdout and not spider and not discard:
            await proc.err("wget: k9py does not simulate writing files: use -qO- (or -O -) to print the page\n")
            return 1
        host, _ = _host_port(url)
        trace = self._request(url, "HEAD" if spider else "GET")
        await self._wait(proc, trace, timeout)
        address = _address(trace, host)
        if trace.outcome == UNRESOLVED:
            await proc.err(f"wget: bad address '{host}'\n")
            return 1
        if trace.outcome != ANSWERED or trace.response is None:
            if trace.outcome == TIMEOUT and timeout is not None:
                await proc.err("wget: download timed out\n")
                return 1
            why = {REFUSED: "Connection refused", NO_ROUTE: "No route to host",
                   TIMEOUT: "Connection timed out"}.get(trace.outcome, trace.message)
            if not quiet:
                await proc.err(f"Connecting to {host} ({address}:{_host_port(url)[1]})\n")
            await proc.err(f"wget: can't connect to remote host ({address}): {why}\n")
            return 1
        response = trace.response
        if not quiet:
            await proc.err(f"Connecting to {host} ({address}:{_host_port(url)[1]})\n")
        if response.status >= 400:
            await proc.err(f"wget: server returned error: HTTP/1.1 {response.status} {_reason(response.status)}\n")
            return 1
        if spider:
            if not quiet:
                await proc.err("remote file exists\n")
            return 0
        if not quiet:
            await proc.err("writing to stdout\n" if not discard else "saving to '/dev/null'\n")
        if not discard:
            await proc.out(response.body)
        if not quiet:
            size = len(response.body.encode())
            await proc.err(f"{'-' if not discard else 'null':<20} 100% |********************************| {size:>5}  "
                           f"0:00:00 ETA\n" + ("written to stdout\n" if not discard else "'/dev/null' saved\n"))
        return 0

    # --- nslookup ------------------------------------------------------------------------------------------

    async def nslookup(self, proc: Process, argv: list[str]) -> int:
        names = [a for a in argv[1:] if not a.startswith("-")]
        busybox = proc.sys.flavour == "busybox"
        if not names:
            await proc.err("Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n" if busybox
                           else "nslookup: interactive mode is not simulated: give a name to look up\n")
            return 1
        name = names[0]
        plane = self.plane
        source = plane.source(self.source)
        if isinstance(source, str):
            await proc.err(f"nslookup: {source}\n")
            return 1
        if busybox:
            return await busybox_nslookup(proc, plane, source, name, self.image)
        conf = plane.resolv_conf(source)
        resolution, _ = plane.resolve(source, name)
        server = conf.nameservers[0] if conf.nameservers else "127.0.0.1"
        if resolution is None:
            await proc.sys.sleep(15.0)  # three tries of five seconds
            await proc.out(";; connection timed out; no servers could be reached\n\n")
            return 1
        head = f"Server:\t\t{server}\nAddress:\t{server}#53\n\n"  # bind9's nslookup (Debian's dnsutils)
        if not resolution.addresses:
            await proc.out(head + f"** server can't find {name}: NXDOMAIN\n\n")
            return 1
        lines = [head]
        found = resolution.answer.name if resolution.answer is not None else name
        for answer in (resolution.answer, *resolution.chain):
            if answer is None:
                continue
            for record in answer.records:
                if record.type == "CNAME":
                    lines.append(f"{record.name}\tcanonical name = {record.data.rstrip('.')}.\n")
        final = resolution.chain[-1].name if resolution.chain else found
        for ip in resolution.addresses:
            lines.append(f"Name:\t{final}\nAddress: {ip}\n")
        lines.append("\n")
        await proc.out("".join(lines))
        return 0

    # --- nc -z ---------------------------------------------------------------------------------------------

    async def nc(self, proc: Process, argv: list[str]) -> int:
        flags, rest, timeout = "", [], None
        args = argv[1:]
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "-w" and i + 1 < len(args):
                timeout = _seconds(args[i + 1])
                i += 2
                continue
            if arg.startswith("-") and len(arg) > 1:
                flags += arg[1:]
            else:
                rest.append(arg)
            i += 1
        if "z" not in flags or len(rest) != 2 or not rest[1].isdigit():
            await proc.err("nc: k9py simulates only a connection check: nc -z [-v] [-w SECONDS] HOST PORT\n")
            return 1
        host, port = rest[0], int(rest[1])
        trace = self._request(f"http://{host}:{port}/")
        await self._wait(proc, trace, timeout)
        address = _address(trace, host)
        busybox = proc.sys.flavour == "busybox"
        verbose = "v" in flags
        if trace.outcome == UNRESOLVED:
            await proc.err(f"nc: bad address '{host}'\n" if busybox
                           else f"nc: getaddrinfo for host \"{host}\" port {port}: Name or service not known\n")
            return 1
        if trace.outcome == ANSWERED:
            if verbose:
                await proc.err(f"{host} ({address}:{port}) open\n" if busybox
                               else f"Connection to {host} ({address}) {port} port [tcp/*] succeeded!\n")
            return 0
        why = {REFUSED: "Connection refused", NO_ROUTE: "No route to host",
               TIMEOUT: "Connection timed out"}.get(trace.outcome, trace.message)
        if busybox:
            # nc_bloaty.c: "if we're scanning at a "one -v" verbosity level, don't print refusals".
            if flags.count("v") > 1 or (verbose and trace.outcome != REFUSED):
                await proc.err(f"nc: {host} ({address}:{port}): {why}\n")
        else:
            await proc.err(f"nc: connect to {host} ({address}) port {port} (tcp) failed: {why}\n")
        return 1
