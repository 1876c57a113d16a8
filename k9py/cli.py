"""The `k9py` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from engine.quantity import parse_quantity
from engine.timeutil import parse_go_duration


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
                        help="revert imperative changes to declared objects after a few seconds (Argo CD's selfHeal)")
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
    args = parser.parse_args(argv)
    from .theme import ThemeError, load_theme

    try:
        skin = load_theme(args.theme)
    except ThemeError as exc:
        parser.error(str(exc))
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

    from .app import K9App, write_crash_log
    from .backend import EngineBackend

    cluster = Cluster(nodes=args.nodes, node_cpu=args.node_cpu, node_memory=args.node_memory, clock="real",
                      speed=args.speed)
    backend = EngineBackend(cluster, namespace=args.default_namespace, self_heal=args.self_heal)
    app = K9App(backend, dirs, skin=skin, readonly=args.readonly, confirm_kill=args.confirm_kill,
                command=start_command(args.command, args.namespace))
    try:
        app.run()
    except Exception as exc:  # past Textual's own handler (which ends the app and fills in app.crash)
        return _crashed(exc, write_crash_log(exc))
    if app.crash is not None:
        return _crashed(app.crash, app.crash_log)
    if app.load_problems:
        print(f"{len(app.load_problems)} manifest error(s):", file=sys.stderr)
        for problem in app.load_problems:
            print(f"  {problem}", file=sys.stderr)
    return 1 if app.return_code else 0


CRASH_STATUS = 70  # EX_SOFTWARE: k9py itself failed


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
    # `check` is the one subcommand; anything else (folders, options, nothing) opens the dashboard.
    if not argv or argv[0] != "check":
        return _dashboard(argv)
    args = build_parser().parse_args(argv)
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
