"""Plain-text rendering of a `k9py check` report (columns like kubectl, problems and errors below)."""

from __future__ import annotations

from engine.check import Report
from engine.manifests.loader import shown_path
from engine.printers.duration import human_duration


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    return ["   ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in [header, *rows]]


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
            lines.append(f"  {p['severity']}: {p['kind']} {ns}{p['name']}: {p['reason']}: {p['message']}")
        lines.append("")
    if report.errors:
        lines.append("Manifest errors:")
        for e in report.errors:
            where = shown_path(e["file"]) + (f":{e['line']}" if e["line"] else "")
            where += f":{e['column']}" if e.get("column") else ""
            lines.append(f"  {where}: {e['message']}")
        lines.append("")
    took = human_duration(report.cluster_seconds)
    if report.applied == 0:
        lines.append("Nothing could be applied." if report.documents or report.errors else "No manifests found.")
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
