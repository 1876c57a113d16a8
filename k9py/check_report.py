"""Plain-text rendering of a `k9py check` report (columns like kubectl, problems and errors below)."""

from __future__ import annotations

from typing import Any

from engine.check import Report
from engine.manifests.loader import shown_path
from engine.printers.duration import human_duration


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    return ["   ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in [header, *rows]]


def _where(entry: dict[str, Any]) -> str:
    """`path:line:column` (line and column when known)."""
    where = shown_path(entry["file"]) + (f":{entry['line']}" if entry.get("line") else "")
    return where + (f":{entry['column']}" if entry.get("column") else "")


def render_text(report: Report) -> str:
    lines: list[str] = []
    if report.objects:
        rows = [[o["kind"], o["namespace"] or "-", o["name"], o["health"], o["message"]] for o in report.objects]
        lines += _table(["KIND", "NAMESPACE", "NAME", "HEALTH", "MESSAGE"], rows)
        lines.append("")
    if report.problems:
        lines.append("Problems:")
        for p in report.problems:
            ns = f"{p['namespace']}/" if p["namespace"] else ""
            # A problem found in a manifest (not in a running pod) says where, as the manifest errors do.
            where = f"{_where(p)}: " if p.get("file") else ""
            lines.append(f"  {p['severity']}: {where}{p['kind']} {ns}{p['name']}: {p['reason']}: {p['message']}")
        lines.append("")
    if report.errors:
        lines.append("Manifest errors:")
        for e in report.errors:
            lines.append(f"  {_where(e)}: {e['message']}")
        lines.append("")
    took = human_duration(report.cluster_seconds)
    if report.applied == 0:
        lines.append("Nothing could be applied." if report.documents or report.errors else "No manifests found.")
    elif report.converged and not report.errors and report.problems:
        what = "warning(s)" if all(p["severity"] == "warning" for p in report.problems) else "problem(s)"
        lines.append(f"Converged with {len(report.problems)} {what}: {report.applied} objects Healthy after {took} "
                     "of cluster time.")
    elif report.converged and not report.errors:
        lines.append(f"Converged: {report.applied} objects Healthy after {took} of cluster time.")
    elif report.converged:
        lines.append(f"Converged with errors: {report.applied} applied objects Healthy after {took}; "
                     f"{len(report.errors)} document(s) rejected.")
    else:
        unhealthy = sum(1 for o in report.objects if o["health"] != "Healthy")
        when = (f": stopped after {report.wall_seconds:.1f} s of wall time ({took} of cluster time)"
                if report.stopped_by_wall_time else f" after {took} of cluster time")
        lines.append(f"Not converged{when}: {unhealthy} of {report.applied} objects "
                     f"not Healthy, {len(report.problems)} problem(s).")
    return "\n".join(lines)
