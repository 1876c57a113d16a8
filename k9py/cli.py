"""The `k9py` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.quantity import parse_quantity
from engine.timeutil import parse_go_duration

if TYPE_CHECKING:
    from engine import Cluster
    from engine.apiserver import ApiServer

    from .backend import EngineBackend


def _duration(text: str) -> float:
    try:
        seconds = parse_go_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (use Go syntax like 90s, 10m, 1h30m)") from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f'duration must be positive, got "{text}"')
    return seconds


def _quantity(text: str) -> str:
    try:
        if parse_quantity(text) <= 0:
            raise ValueError("must be positive")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f'invalid quantity "{text}": {exc}') from None
    return text


def _node_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'invalid node count "{text}": must be a whole number') from None
    if not 1 <= value <= 5000:
        raise argparse.ArgumentTypeError(f"node count must be between 1 and 5000, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="k9py", description="A Kubernetes cluster in your terminal.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = sub.add_parser(
        "check", help="apply manifest folders to a simulated cluster and report whether they converge",
        description="Load every .yaml/.yml/.json file under DIR (multi-document), apply it to a simulated "
                    "cluster on a virtual clock, run until it settles, and report health, problems and "
                    "manifest errors. Exit 0: everything Healthy; 1: problems; 2: unusable input.")
    check.add_argument("dirs", nargs="+", metavar="DIR", help="manifest folders or files")
    check.add_argument("--nodes", type=_node_count, default=3, help="number of nodes (default 3)")
    check.add_argument("--node-cpu", type=_quantity, default="4", help="CPU per node (default 4)")
    check.add_argument("--node-memory", type=_quantity, default="16Gi", help="memory per node (default 16Gi)")
    check.add_argument("--for", dest="duration", type=_duration, default=600.0,
                       help="cluster time to run at most (default 10m)")
    check.add_argument("--namespace", "-n", default=None, help="namespace for objects that name none")
    check.add_argument("--output", "-o", choices=("text", "json"), default="text", help="report format")
    check.add_argument("--kubeconfig", default=None, metavar="PATH",
                       help="validate against this kubeconfig's real API server instead, by server-side dry-run "
                            "apply (nothing is changed)")
    check.add_argument("--context", default=None, metavar="NAME", help="the kubeconfig context (with --kubeconfig)")
    return parser


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'invalid port "{text}": must be a whole number') from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 (any free port) and 65535, got {value}")
    return value


# engine.apiserver.DEFAULT_PORT, not imported for --help and the dashboard's start (aiohttp loads slowly);
# tests/test_apiserver_cli.py keeps the two equal.
API_PORT = 16443


def _add_serving_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=_port, default=API_PORT,
                        help=f"API server port on 127.0.0.1 (default {API_PORT}; 0: any free port)")


def build_serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="k9py serve",
        description="Run the simulated cluster headless on the real clock and serve the Kubernetes API over HTTPS "
                    "on 127.0.0.1, for kubectl and client libraries. Manifest folders are applied and watched as "
                    "the dashboard does. Prints the `export KUBECONFIG=...` line to paste.")
    parser.add_argument("dirs", nargs="*", metavar="DIR", help="manifest folders or files to apply and watch "
                                                                "(default: none, an empty cluster)")
    parser.add_argument("--speed", type=_speed, default=1.0, help="cluster clock speed, 0.25 to 64 (default 1)")
    parser.add_argument("--nodes", type=_node_count, default=3, help="number of nodes (default 3)")
    parser.add_argument("--node-cpu", type=_quantity, default="4", help="CPU per node (default 4)")
    parser.add_argument("--node-memory", type=_quantity, default="16Gi", help="memory per node (default 16Gi)")
    parser.add_argument("--default-namespace", default="default", metavar="NS",
                        help="namespace for manifest objects that name none (default: default)")
    parser.add_argument("--self-heal", action="store_true",
                        help="revert imperative changes to declared objects after a few seconds (Argo CD's selfHeal)")
    _add_serving_options(parser)
    return parser


def _speed(text: str) -> float:
    try:
        value = float(text.rstrip("xX"))
    except ValueError:
        raise argparse.ArgumentTypeError(f'invalid speed "{text}": use a number like 1, 4 or 0.5') from None
    if not 0.25 <= value <= 64:
        raise argparse.ArgumentTypeError(f"speed must be between 0.25 and 64, got {text}")
    return value


def build_dashboard_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="k9py", description="A Kubernetes cluster in your terminal: load manifest folders into a simulated "
                                 "cluster running on a real clock and open a k9s-style dashboard on it.",
        epilog="Other command: `k9py check DIR...` applies folders on a virtual clock and reports whether they "
               "converge (see `k9py check --help`).")
    parser.add_argument("dirs", nargs="*", metavar="DIR",
                        help="manifest folders or files (default: the bundled sample-manifests)")
    parser.add_argument("-c", "--command", default="", metavar="CMD",
                        help="the view to open first, as typed after `:` (e.g. -c deploy, -c 'po shop'; "
                             "default: pods in all namespaces)")
    parser.add_argument("--theme", default="default", help="skin name or path to a skin YAML (default: default)")
    parser.add_argument("--readonly", action="store_true", help="hide and disable every key that changes the cluster")
    parser.add_argument("--no-confirm-kill", dest="confirm_kill", action="store_false",
                        help="ctrl-k kills at once, without asking (delete still asks)")
    parser.add_argument("--speed", type=_speed, default=1.0, help="cluster clock speed, 0.25 to 64 (default 1)")
    parser.add_argument("--nodes", type=_node_count, default=3, help="number of nodes (default 3)")
    parser.add_argument("--node-cpu", type=_quantity, default="4", help="CPU per node (default 4)")
    parser.add_argument("--node-memory", type=_quantity, default="16Gi", help="memory per node (default 16Gi)")
    parser.add_argument("--namespace", "-n", default=None, metavar="NS",
                        help="the namespace to open, as k9s's -n (default: all namespaces)")
    parser.add_argument("--default-namespace", default="default", metavar="NS",
                        help="namespace for manifest objects that name none (default: default)")
    parser.add_argument("--self-heal", action="store_true",
                        help="revert imperative changes to declared objects after a few seconds (Argo CD's selfHeal); "
                             "on a real cluster it must name the context: --self-heal=CONTEXT")
    parser.add_argument("--self-heal-context", default=None, help=argparse.SUPPRESS)  # --self-heal=CONTEXT
    parser.add_argument("--serve", action="store_true",
                        help="also serve the Kubernetes API for kubectl (as `k9py serve`, in the same process)")
    parser.add_argument("--as", dest="as_user", default=None, metavar="USER",
                        help="act as this user (or system:serviceaccount:NS:NAME): the dashboard's actions are "
                             "authorized by RBAC and refused as the API server refuses them, as kubectl --as")
    parser.add_argument("--as-group", dest="as_groups", action="append", default=[], metavar="GROUP",
                        help="a group to act as, with --as (repeat for more), as kubectl --as-group")
    parser.add_argument("--kubeconfig", default=None, metavar="PATH",
                        help="open the dashboard on a real cluster, through this kubeconfig's API server "
                             "(authenticated as kubectl is: certificates, tokens, exec plugins); DIRs are applied to "
                             "it by server-side apply under an ApplySet, and pruned only after you confirm once")
    parser.add_argument("--context", default=None, metavar="NAME",
                        help="the kubeconfig context to use (default: its current context); without --kubeconfig, "
                             "the kubeconfig kubectl reads ($KUBECONFIG, else ~/.kube/config)")
    _add_serving_options(parser)
    return parser


def start_command(command: str, namespace: str | None) -> str:
    """The first view's command: -c as given, in the namespace -n names unless -c names one itself."""
    if not namespace:
        return command
    words = command.split() or ["po"]
    if len(words) == 1 or words[1].startswith("/") or "=" in words[1]:  # `po`, `po /cart`, `dp app=web`
        words.insert(1, namespace)
    return " ".join(words)


def _dashboard(argv: Sequence[str]) -> int:
    parser = build_dashboard_parser()
    # `--self-heal=CONTEXT` names the real cluster it may heal; a bare `--self-heal` stays a flag (a folder after it
    # is not its value).
    args = parser.parse_args([f"--self-heal-context={a.split('=', 1)[1]}" if a.startswith("--self-heal=") else a
                              for a in argv])
    from .theme import ThemeError, load_theme

    try:
        skin = load_theme(args.theme)
    except ThemeError as exc:
        parser.error(str(exc))
    if args.kubeconfig is not None or args.context is not None:
        return _real_dashboard(parser, args, skin)
    dirs = list(args.dirs)
    if not dirs:
        from .app import sample_manifests

        sample = sample_manifests()
        if sample is None:
            parser.error("no DIR given and the bundled sample-manifests folder was not found")
        dirs = [str(sample)]
    missing = [d for d in dirs if not Path(d).exists()]
    if missing:
        parser.error(f"no such file or folder: {', '.join(missing)}")

    from engine import Cluster

    from .app import K9App
    from .backend import EngineBackend

    if args.as_groups and not args.as_user:
        parser.error("--as-group needs --as (kubectl: requesting groups without impersonating a user)")
    if args.self_heal_context is not None:
        parser.error("--self-heal=CONTEXT names a real cluster's context: use it with --kubeconfig or --context "
                     "(the simulated cluster takes a bare --self-heal)")
    cluster = Cluster(nodes=args.nodes, node_cpu=args.node_cpu, node_memory=args.node_memory, clock="real",
                      speed=args.speed, user=args.as_user, groups=args.as_groups)
    if args.serve:
        # Bound now, before the dashboard takes the terminal: a taken port is an error here, and the address
        # and the export line are printed where they stay readable once the dashboard ends.
        server = _api_server(parser, cluster, args.port)
        backend: EngineBackend = _serving_backend(server, cluster, namespace=args.default_namespace,
                                                  self_heal=args.self_heal)
        _announce(server)
    else:
        backend = EngineBackend(cluster, namespace=args.default_namespace, self_heal=args.self_heal)
    app = K9App(backend, dirs, skin=skin, readonly=args.readonly, confirm_kill=args.confirm_kill,
                command=start_command(args.command, args.namespace))
    code = _run_app(app)
    if code:
        return code
    if app.load_problems:
        print(f"{len(app.load_problems)} manifest error(s):", file=sys.stderr)
        for problem in app.load_problems:
            print(f"  {problem}", file=sys.stderr)
    return 1 if app.return_code else 0


def _run_app(app: Any) -> int:
    """Run the dashboard; its exit status (a crash named with its log, as `_crashed` says)."""
    try:
        app.run()
    except Exception as exc:  # past Textual's own handler (which ends the app and fills in app.crash)
        return _crashed(exc, write_crash_log(exc))
    if app.crash is not None:
        return _crashed(app.crash, app.crash_log)
    return 0


def _real_dashboard(parser: argparse.ArgumentParser, args: argparse.Namespace, skin: Any) -> int:
    """`k9py --kubeconfig PATH [--context NAME]`: the dashboard on a real cluster."""
    from .app import K9App
    from .kube_backend import KubeBackend
    from .kube_client import KubeClient, contexts, kubeconfig_path

    if args.as_groups and not args.as_user:
        parser.error("--as-group needs --as (kubectl: requesting groups without impersonating a user)")
    path = kubeconfig_path(args.kubeconfig)
    if not Path(path).is_file():
        parser.error(f"no kubeconfig at {path}")
    missing = [d for d in args.dirs if not Path(d).exists()]
    if missing:
        parser.error(f"no such file or folder: {', '.join(missing)}")
    context = args.context or next((c.name for c in contexts(path) if c.current), "")
    if args.self_heal:
        parser.error(f"on a real cluster --self-heal must name the context it may change: --self-heal={context}")
    if args.self_heal_context is not None and args.self_heal_context != context:
        parser.error(f"--self-heal={args.self_heal_context} names another context than the one in use ({context}): "
                     "nothing is healed on a cluster you did not name")
    client = KubeClient(path, args.context, as_user=args.as_user, as_groups=tuple(args.as_groups))
    backend = KubeBackend(client, self_heal=args.self_heal_context is not None)
    app = K9App(backend, list(args.dirs), skin=skin, readonly=args.readonly, confirm_kill=args.confirm_kill,
                command=start_command(args.command, args.namespace))
    code = _run_app(app)
    if app.start_error:
        print(f"k9py: {app.start_error}", file=sys.stderr)
        return 1
    if not code and app.load_problems:
        print(f"{len(app.load_problems)} manifest error(s):", file=sys.stderr)
        for problem in app.load_problems:
            print(f"  {problem}", file=sys.stderr)
    return code or (1 if app.return_code else 0)


def _api_server(parser: argparse.ArgumentParser, cluster: Cluster, port: int) -> ApiServer:
    from engine.apiserver import ApiServer, bind_socket

    try:
        sock = bind_socket(port)
    except OSError as exc:
        parser.exit(2, f"k9py: cannot listen on 127.0.0.1:{port}: {exc.strerror or exc} "
                       "(choose another with --port, or --port 0 for any free port)\n")
    try:
        return ApiServer(cluster, sock=sock)
    except OSError as exc:  # the state folder cannot be written
        sock.close()
        parser.exit(2, f"k9py: cannot keep the API server's credentials: {exc}\n")


def _announce(server: ApiServer) -> None:
    from engine.apiserver import GIT_VERSION

    print(f"k9py: serving the Kubernetes API ({GIT_VERSION}) on {server.url}; kubeconfig for kubectl:",
          file=sys.stderr)
    print(f"export KUBECONFIG={server.kubeconfig}", flush=True)


def _serving_backend(server: ApiServer, cluster: Cluster, **options: Any) -> EngineBackend:
    """An EngineBackend that also runs the API server in its loop, started after and stopped before the cluster."""
    from .backend import EngineBackend

    class ServingBackend(EngineBackend):
        async def start(self) -> None:
            await super().start()
            await server.start()

        async def stop(self) -> None:
            await server.stop()
            await super().stop()

    return ServingBackend(cluster, **options)


def _serve(argv: Sequence[str]) -> int:
    parser = build_serve_parser()
    args = parser.parse_args(argv)
    missing = [d for d in args.dirs if not Path(d).exists()]
    if missing:
        parser.error(f"no such file or folder: {', '.join(missing)}")
    from engine import Cluster

    cluster = Cluster(nodes=args.nodes, node_cpu=args.node_cpu, node_memory=args.node_memory, clock="real",
                      speed=args.speed, seed=None)
    server = _api_server(parser, cluster, args.port)
    backend = _serving_backend(server, cluster, namespace=args.default_namespace, self_heal=args.self_heal)
    return asyncio.run(_serve_until_stopped(backend, server, args.dirs))


async def _serve_until_stopped(backend: EngineBackend, server: ApiServer, dirs: list[str]) -> int:
    """Run until SIGINT or SIGTERM; manifest errors and what each save did go to stderr, as a log."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await backend.start()
    try:
        problems = await backend.load(dirs) if dirs else []
        for problem in problems:
            print(f"k9py: manifest error: {problem}", file=sys.stderr)
        backend.on_sync = lambda message, level: print(f"k9py: {message}", file=sys.stderr, flush=True)
        _announce(server)
        await stop.wait()
    finally:
        await backend.stop()
    return 0


CRASH_STATUS = 70  # EX_SOFTWARE: k9py itself failed


def write_crash_log(error: BaseException) -> Path | None:
    from .app import write_crash_log as write

    return write(error)


def _crashed(error: BaseException, log: Path | None) -> int:
    """After an exception ended the dashboard (the terminal is restored by then, and Textual printed the
    traceback): say where its log is, drop the keys typed since (they were meant for the dashboard, not the
    shell) and return CRASH_STATUS."""
    where = f"the traceback is in {log}" if log is not None else "no crash log could be written"
    print(f"k9py stopped on an unexpected error: {type(error).__name__}: {error}\n{where}", file=sys.stderr)
    try:
        import termios

        if sys.stdin.isatty():
            termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)
    except (ImportError, OSError, ValueError):
        pass
    return CRASH_STATUS


def main(argv: Sequence[str] | None = None) -> int:
    from engine import tune_gc

    tune_gc()
    argv = list(sys.argv[1:] if argv is None else argv)
    # `check` and `serve` are the subcommands; anything else (folders, options, nothing) opens the dashboard.
    if argv and argv[0] == "serve":
        return _serve(argv[1:])
    if not argv or argv[0] != "check":
        return _dashboard(argv)
    args = build_parser().parse_args(argv)
    if args.command == "check" and (args.kubeconfig is not None or args.context is not None):
        from .kube_check import run_kube_check

        return run_kube_check(args.dirs, args.kubeconfig, args.context, args.namespace, args.output)
    if args.command == "check":
        from engine.check import run_check

        from .check_report import render_text

        report = asyncio.run(run_check(args.dirs, nodes=args.nodes, node_cpu=args.node_cpu,
                                       node_memory=args.node_memory, duration=args.duration,
                                       namespace=args.namespace))
        if args.output == "json":
            print(json.dumps(report.as_json(), indent=2))
        else:
            print(render_text(report))
        return report.exit_code
    return 2


if __name__ == "__main__":
    sys.exit(main())
