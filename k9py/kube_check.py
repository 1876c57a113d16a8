"""`k9py check DIR... --kubeconfig PATH`: manifest folders validated by a real API server, through server-side
dry-run apply (`kubectl apply --server-side --dry-run=server`): nothing is changed on the cluster. The report
reads as `k9py check`'s (a table of the objects, then the manifest errors at file:line:column, then one line);
exit 0 when every document is accepted, 1 when any is refused, 2 when nothing could be checked."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from engine.manifests.loader import LoadError, shown_path

from .kube_client import KubeClient, KubeError, kubeconfig_path
from .kube_folder import KubeFolder, ObjKey


def _where(error: LoadError) -> str:
    return f"{shown_path(error.file)}:{error.line}" + (f":{error.column}" if error.column else "")


def render(accepted: list[ObjKey], errors: list[LoadError], server: str) -> str:
    lines: list[str] = []
    if accepted:
        rows = [["KIND", "NAMESPACE", "NAME", "RESULT"]] + [
            [kind, namespace or "-", name, "accepted"] for kind, namespace, name in accepted
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines += ["   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
        lines.append("")
    if errors:
        lines.append("Manifest errors:")
        lines += [f"  {_where(e)}: {e.message}" for e in errors]
        lines.append("")
    if not accepted and not errors:
        lines.append("No manifests found.")
    elif errors:
        lines.append(
            f"Rejected: {len(errors)} error(s); {len(accepted)} object(s) accepted by {server} "
            "(server-side dry run: nothing was changed)."
        )
    else:
        done = "(server-side dry run: nothing was changed)"
        lines.append(f"Valid: {len(accepted)} object(s) accepted by {server} {done}.")
    return "\n".join(lines)


async def check(
    dirs: list[str], kubeconfig: str | None, context: str | None, namespace: str | None
) -> tuple[list[ObjKey], list[LoadError], str]:
    client = KubeClient(kubeconfig_path(kubeconfig), context)
    await client.open()
    try:
        version = str((await client.request("GET", "/version")).get("gitVersion", ""))
        accepted: list[ObjKey] = []
        errors: list[LoadError] = []
        for folder in dirs:
            found, problems = await KubeFolder(client, folder, namespace=namespace or client.namespace).check()
            accepted += found
            errors += problems
        return accepted, errors, f"{client.context} {version}".strip()
    finally:
        await client.close()


def run_kube_check(
    dirs: list[str], kubeconfig: str | None, context: str | None, namespace: str | None, output: str
) -> int:
    missing = [d for d in dirs if not Path(d).exists()]
    if missing:
        print(f"k9py check: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        accepted, errors, server = asyncio.run(check(dirs, kubeconfig, context, namespace))
    except KubeError as exc:
        print(f"k9py check: {exc.message}", file=sys.stderr)
        return 2
    if output == "json":
        print(
            json.dumps(
                {
                    "server": server,
                    "accepted": [list(k) for k in accepted],
                    "errors": [
                        {"file": e.file, "line": e.line, "column": e.column, "message": e.message} for e in errors
                    ],
                },
                indent=2,
            )
        )
    else:
        print(render(accepted, errors, server))
    if errors:
        return 1
    return 0 if accepted else 2
