"""`kubectl describe` text for Kubernetes-shaped dicts.

The layout follows kubectl `pkg/describe/describe.go`: text is written with tab-separated cells
through a port of Go's text/tabwriter (minwidth 0, padding 2, space padding), so column
alignment matches kubectl byte for byte. Times use RFC 1123Z in UTC (kubectl uses the local
zone; UTC keeps the output independent of the machine).

Every describe function takes the object's events (core/v1 Event dicts). `None` means "events
not requested" and omits the section, like `--show-events=false`; an empty list prints
`Events:  <none>`.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from engine.printers.duration import age, timestamp
from engine.printers.tables import (
    event_interval,
    format_label_selector,
    node_roles,
    selector_string,
)
from engine.quantity import Quantity
from engine.resources import (
    container_limits,
    container_requests,
    get_pod_qos,
    pod_limits,
    pod_requests,
    resource_list,
)

Obj = Mapping[str, Any]
Events = Sequence[Obj] | None

NONE = "<none>"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
POD_TEMPLATE_HASH = "pod-template-hash"
MAX_ANNOTATION_LEN = 140


# =========================================================================== tabwriter


def _format_block(lines: list[list[str]], widths: list[int], line0: int, line1: int, out: list[str]) -> None:
    """Go text/tabwriter `format`: a column's width is set per block of consecutive lines having it."""
    column = len(widths)
    this = line0
    while this < line1:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        _write_lines(lines, widths, line0, this, out)
        line0 = this
        width = 0
        while this < line1 and column < len(lines[this]) - 1:
            width = max(width, len(lines[this][column]) + 2)
            this += 1
        widths.append(width)
        _format_block(lines, widths, line0, this, out)
        widths.pop()
        line0 = this
    _write_lines(lines, widths, line0, line1, out)


def _write_lines(lines: list[list[str]], widths: list[int], line0: int, line1: int, out: list[str]) -> None:
    for i in range(line0, line1):
        for j, cell in enumerate(lines[i]):
            out.append(cell)
            if j < len(widths):
                out.append(" " * (widths[j] - len(cell)))
        # The last line has no newline of its own: it is whatever followed the final "\n".
        if i + 1 < len(lines):
            out.append("\n")


def tabwrite(text: str) -> str:
    """Align tab-separated cells like Go's `tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)`."""
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = []
    _format_block(lines, [], 0, len(lines), out)
    return "".join(out)


class _Writer:
    """kubectl's PrefixWriter: `write(level, text)` indents by two spaces per level."""

    def __init__(self) -> None:
        self._pending: list[str] = []
        self._done: list[str] = []

    def write(self, level: int, text: str) -> None:
        self._pending.append("  " * level + text)

    def flush(self) -> None:
        # kubectl flushes before the Events table so that its columns are sized on their own.
        if self._pending:
            self._done.append(tabwrite("".join(self._pending)))
            self._pending.clear()

    def raw(self, text: str) -> None:
        """Append text untouched by column alignment."""
        self.flush()
        self._done.append(text)

    def text(self) -> str:
        self.flush()
        return "".join(self._done)


# =========================================================================== value formatting

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc1123z(value: Any) -> str:
    """Go's time.RFC1123Z in UTC; a missing time prints as Go's zero time, as kubectl does."""
    t = timestamp(value)
    if t is None:
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    d = _dt.datetime.fromtimestamp(t, _dt.UTC)
    return f"{_DAYS[d.weekday()]}, {d.day:02d} {_MONTHS[d.month - 1]} {d.year} {d:%H:%M:%S} +0000"


def _go_bool(value: Any) -> str:
    return "true" if value else "false"


def _title_bool(value: Any) -> str:
    # kubectl's printBool, used for container readiness.
    return "True" if value else "False"


def _go_float(value: float) -> str:
    """Go's %v for float64: shortest digits, exponent form outside [1e-4, 1e21) like strconv 'g'."""
    if math.isinf(value) or math.isnan(value):
        return {math.inf: "+Inf", -math.inf: "-Inf"}.get(value, "NaN")
    if value == 0:
        return "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    point = len(text) + int(exponent)
    exp = point - 1
    prefix = "-" if sign else ""
    # fmt's %v switches to exponent form at 1e6 (`1e+06`), unlike JSON.
    if exp < -4 or exp >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{text}"
    if point >= len(text):
        return prefix + text + "0" * (point - len(text))
    return f"{prefix}{text[:point]}.{text[point:]}"


def _go_value(value: Any) -> str:
    """Go's %v for a decoded JSON value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return _go_bool(value)
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def _intstr(value: Any, default: str) -> str:
    return default if value is None else str(value)


# =========================================================================== quantities

# Quantities, pod requests/limits and QoS come from engine.quantity and engine.resources, the
# same helpers the API defaulting, the scheduler and the kubelet use.
ResourceList = dict[str, Quantity]
_ZERO = Quantity()


# =========================================================================== shared sections


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def _labels_multiline(w: _Writer, title: str, labels: Obj | None) -> None:
    w.write(0, f"{title}:\t")
    if not labels:
        w.write(0, f"{NONE}\n")
        return
    for i, key in enumerate(sorted(labels)):
        if i:
            w.write(0, "\t")
        w.write(0, f"{key}={labels[key]}\n")


def _annotations_multiline(w: _Writer, title: str, annotations: Obj | None) -> None:
    w.write(0, f"{title}:\t")
    annotations = annotations or {}
    keys = sorted(k for k in annotations if k != LAST_APPLIED)
    if not keys:
        w.write(0, f"{NONE}\n")
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, "\t")
        value = str(annotations[key]).removesuffix("\n")
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{key}:\n")
            for line in value.split("\n"):
                w.write(0, f"\t  {_shorten(line, MAX_ANNOTATION_LEN - 2)}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def _shorten(text: str, limit: int) -> str:
    return text[:limit] + "..." if len(text) > limit else text


def _toleration_text(tol: Obj) -> str:
    key, value, effect = tol.get("key") or "", tol.get("value") or "", tol.get("effect") or ""
    text = str(key)
    if value:
        text += f"={value}"
    if effect:
        text += f":{effect}"
    # An Exists toleration without key and effect tolerates everything.
    if tol.get("operator") == "Exists" and not value:
        text += " op=Exists" if key or effect else "op=Exists"
    if tol.get("tolerationSeconds") is not None:
        text += f" for {int(tol['tolerationSeconds'])}s"
    return text


def _tolerations_multiline(w: _Writer, title: str, tolerations: Sequence[Obj] | None) -> None:
    w.write(0, f"{title}:\t")
    if not tolerations:
        w.write(0, f"{NONE}\n")
        return
    ordered = sorted(tolerations, key=lambda t: str(t.get("key") or ""))
    for i, tol in enumerate(ordered):
        if i:
            w.write(0, "\t")
        w.write(0, _toleration_text(tol) + "\n")


def _taint_text(taint: Obj) -> str:
    key, value, effect = taint.get("key") or "", taint.get("value") or "", taint.get("effect") or ""
    if not effect:
        return f"{key}={value}:" if value else str(key)
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"


def _taints_multiline(w: _Writer, title: str, taints: Sequence[Obj] | None) -> None:
    w.write(0, f"{title}:\t")
    if not taints:
        w.write(0, f"{NONE}\n")
        return
    ordered = sorted(taints, key=lambda t: f"{t.get('effect') or ''},{t.get('key') or ''}")
    for i, taint in enumerate(ordered):
        if i:
            w.write(0, "\t")
        w.write(0, _taint_text(taint) + "\n")


def _controlled_by(obj: Obj) -> str:
    for ref in _meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return f"{ref.get('kind')}/{ref.get('name')}"
    return ""


def _describe_events(w: _Writer, events: Events, now: float) -> None:
    if events is None:
        return
    if not events:
        w.write(0, f"Events:\t{NONE}\n")
        return
    w.flush()
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    # Stable sort by lastTimestamp, like kubectl's SortableEvents (a missing time sorts first).
    ordered = sorted(events, key=lambda e: timestamp(e.get("lastTimestamp")) or float("-inf"))
    for event in ordered:
        w.write(1, "\t".join(_event_cells(event, now)) + "\n")


def _event_cells(event: Obj, now: float) -> list[str]:
    source = (event.get("source") or {}).get("component") or event.get("reportingController") or ""
    message = str(event.get("message") or "").strip()
    field_path = (event.get("involvedObject") or {}).get("fieldPath")
    if field_path:
        message = f"{field_path}: {message}"
    return [
        str(event.get("type") or ""),
        str(event.get("reason") or ""),
        event_interval(event, now),
        str(source),
        message,
    ]


# =========================================================================== containers


def _ports_text(ports: Sequence[Obj], key: str) -> str:
    parts = []
    for port in ports:
        text = f"{_intstr(port.get(key), '0')}/{port.get('protocol') or 'TCP'}"
        if port.get("name"):
            text += f" ({port['name']})"
        parts.append(text)
    return ", ".join(parts)


def _describe_ports(w: _Writer, container: Obj) -> None:
    ports = container.get("ports") or []
    for label, key in (("Port", "containerPort"), ("Host Port", "hostPort")):
        text = _ports_text(ports, key)
        if "," in text:
            w.write(2, f"{label}s:\t{text}\n")
        else:
            w.write(2, f"{label}:\t{text or NONE}\n")


def _describe_command(w: _Writer, container: Obj) -> None:
    for label, key in (("Command", "command"), ("Args", "args")):
        values = container.get(key) or []
        if not values:
            continue
        w.write(2, f"{label}:\n")
        for value in values:
            for line in str(value).split("\n"):
                w.write(3, f"{line}\n")


def _describe_state(w: _Writer, label: str, state: Obj) -> None:
    running, waiting, term = state.get("running"), state.get("waiting"), state.get("terminated")
    if running is not None:
        w.write(2, f"{label}:\tRunning\n")
        w.write(3, f"Started:\t{rfc1123z(running.get('startedAt'))}\n")
    elif waiting is not None:
        w.write(2, f"{label}:\tWaiting\n")
        if waiting.get("reason"):
            w.write(3, f"Reason:\t{waiting['reason']}\n")
    elif term is not None:
        _describe_terminated(w, label, term)
    else:
        w.write(2, f"{label}:\tWaiting\n")


def _describe_terminated(w: _Writer, label: str, term: Obj) -> None:
    w.write(2, f"{label}:\tTerminated\n")
    if term.get("reason"):
        w.write(3, f"Reason:\t{term['reason']}\n")
    if term.get("message"):
        w.write(3, f"Message:\t{term['message']}\n")
    w.write(3, f"Exit Code:\t{int(term.get('exitCode') or 0)}\n")
    if int(term.get("signal") or 0) > 0:
        w.write(3, f"Signal:\t{int(term['signal'])}\n")
    w.write(3, f"Started:\t{rfc1123z(term.get('startedAt'))}\n")
    w.write(3, f"Finished:\t{rfc1123z(term.get('finishedAt'))}\n")


def _describe_container_status(w: _Writer, status: Obj) -> None:
    _describe_state(w, "State", status.get("state") or {})
    last = status.get("lastState") or {}
    if last.get("terminated") is not None:
        _describe_state(w, "Last State", last)
    w.write(2, f"Ready:\t{_title_bool(status.get('ready'))}\n")
    w.write(2, f"Restart Count:\t{int(status.get('restartCount') or 0)}\n")


def _quantity_text(value: Any) -> str:
    """`Quantity.String()`: the stored text for a stored object, canonical for a raw manifest's value."""
    try:
        return str(Quantity.parse(value))
    except ValueError:
        return _go_value(value)


def _describe_resources(w: _Writer, resources: Obj | None, level: int) -> None:
    for label, key in (("Limits", "limits"), ("Requests", "requests")):
        values = (resources or {}).get(key) or {}
        if values:
            w.write(level, f"{label}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{_quantity_text(values[name])}\n")


def describe_probe(probe: Obj) -> str:
    """kubectl's DescribeProbe, e.g. `http-get http://:8080/healthz delay=0s timeout=1s period=10s …`."""
    attrs = (
        f"delay={int(probe.get('initialDelaySeconds') or 0)}s "
        f"timeout={int(probe.get('timeoutSeconds') or 1)}s "
        f"period={int(probe.get('periodSeconds') or 10)}s "
        f"successThreshold={int(probe.get('successThreshold') or 1)} "
        f"failureThreshold={int(probe.get('failureThreshold') or 3)}"
    )
    if probe.get("exec") is not None:
        command = " ".join(str(c) for c in probe["exec"].get("command") or [])
        return f"exec [{command}] {attrs}"
    if probe.get("httpGet") is not None:
        return f"http-get {_probe_url(probe['httpGet'])} {attrs}"
    if probe.get("tcpSocket") is not None:
        sock = probe["tcpSocket"]
        return f"tcp-socket {sock.get('host') or ''}:{_intstr(sock.get('port'), '')} {attrs}"
    if probe.get("grpc") is not None:
        grpc = probe["grpc"]
        return f"grpc <pod>:{_intstr(grpc.get('port'), '0')} {grpc.get('service') or ''} {attrs}"
    return f"unknown {attrs}"


def _probe_url(http_get: Obj) -> str:
    scheme = str(http_get.get("scheme") or "HTTP").lower()
    host = str(http_get.get("host") or "")
    port = _intstr(http_get.get("port"), "")
    if port:
        # net.JoinHostPort brackets IPv6 literals.
        host = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return f"{scheme}://{host}{http_get.get('path') or ''}"


def _describe_probes(w: _Writer, container: Obj) -> None:
    for label, key in (
        ("Liveness", "livenessProbe"),
        ("Readiness", "readinessProbe"),
        ("Startup", "startupProbe"),
    ):
        if container.get(key) is not None:
            w.write(2, f"{label}:\t{describe_probe(container[key])}\n")


def _describe_env_from(w: _Writer, container: Obj) -> None:
    sources = container.get("envFrom") or []
    if not sources:
        return
    w.write(2, "Environment Variables from:\n")
    for source in sources:
        kind = "ConfigMap" if source.get("configMapRef") else "Secret"
        ref = source.get("configMapRef") or source.get("secretRef") or {}
        optional = _go_bool(ref.get("optional"))
        name = ref.get("name") or ""
        prefix = source.get("prefix")
        origin = f"{kind} with prefix '{prefix}'" if prefix else kind
        w.write(3, f"{name}\t{origin}\tOptional: {optional}\n")


def _field_value(pod: Obj | None, path: str) -> str:
    """The downward-API value of a fieldRef path, as kubectl resolves it for describe."""
    if pod is None:
        return ""
    meta, spec, status = _meta(pod), pod.get("spec") or {}, pod.get("status") or {}
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName"),
        "status.podIP": status.get("podIP"),
        "status.hostIP": status.get("hostIP"),
    }
    if path in simple:
        return str(simple[path] or "")
    match = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if match:
        return str((meta.get(match.group(1)) or {}).get(match.group(2)) or "")
    return ""


def _resource_field_value(container: Obj, ref: Obj) -> str:
    """`resourcehelper.ExtractContainerResourceValue`, with kubectl describe's "node allocatable"."""
    resource = str(ref.get("resource") or "")
    field, _, name = resource.partition(".")
    amounts = container_requests(container) if field == "requests" else container_limits(container)
    quantity = amounts.get(name, _ZERO)
    try:
        divisor = Quantity.parse(ref.get("divisor") or "1")
    except ValueError:
        divisor = _ZERO
    if divisor.is_zero():
        divisor = Quantity(1)
    if name == "cpu":
        value = math.ceil(Fraction(quantity.milli_value(), divisor.milli_value() or 1))
    else:
        value = math.ceil(Fraction(quantity.int_value(), divisor.int_value() or 1))
    # A zero limit means "no limit": the container may use up to the node's allocatable.
    if value == 0 and resource in ("limits.cpu", "limits.memory"):
        return "node allocatable"
    return str(value)


def _env_line(env: Obj, container: Obj, pod: Obj | None) -> str:
    name, source = env.get("name") or "", env.get("valueFrom") or {}
    if source.get("fieldRef") is not None:
        ref = source["fieldRef"]
        path = ref.get("fieldPath") or ""
        return f"{name}:\t{_field_value(pod, path)} ({ref.get('apiVersion') or 'v1'}:{path})\n"
    if source.get("resourceFieldRef") is not None:
        ref = source["resourceFieldRef"]
        return f"{name}:\t{_resource_field_value(container, ref)} ({ref.get('resource')})\n"
    if source.get("secretKeyRef") is not None:
        ref = source["secretKeyRef"]
        where = f"<set to the key '{ref.get('key')}' in secret '{ref.get('name')}'>"
        return f"{name}:\t{where}\tOptional: {_go_bool(ref.get('optional'))}\n"
    if source.get("configMapKeyRef") is not None:
        ref = source["configMapKeyRef"]
        where = f"<set to the key '{ref.get('key')}' of config map '{ref.get('name')}'>"
        return f"{name}:\t{where}\tOptional: {_go_bool(ref.get('optional'))}\n"
    return ""


def _describe_env(w: _Writer, container: Obj, pod: Obj | None) -> None:
    env = container.get("env") or []
    w.write(2, "Environment:" + ("" if env else f"\t{NONE}") + "\n")
    for item in env:
        if item.get("valueFrom") is None:
            for i, line in enumerate(str(item.get("value") or "").split("\n")):
                w.write(3, f"{item.get('name')}:\t{line}\n" if i == 0 else f"\t{line}\n")
            continue
        line = _env_line(item, container, pod)
        if line:
            w.write(3, line)


def _describe_mounts(w: _Writer, container: Obj) -> None:
    mounts = container.get("volumeMounts") or []
    none = "" if mounts else f"\t{NONE}"
    w.write(2, f"Mounts:{none}\n")
    for mount in sorted(mounts, key=lambda m: str(m.get("mountPath") or "")):
        flags = ["ro" if mount.get("readOnly") else "rw"]
        if mount.get("subPath"):
            flags.append(f'path="{mount["subPath"]}"')
        w.write(3, f"{mount.get('mountPath')} from {mount.get('name')} ({','.join(flags)})\n")
    devices = container.get("volumeDevices") or []
    if devices:
        w.write(2, f"Devices:{none}\n")
        for device in sorted(devices, key=lambda d: str(d.get("devicePath") or "")):
            w.write(3, f"{device.get('devicePath')} from {device.get('name')}\n")


def _describe_containers(
    w: _Writer,
    label: str,
    containers: Sequence[Obj],
    statuses: Sequence[Obj] | None,
    pod: Obj | None,
    space: str = "",
) -> None:
    w.write(0, f"{space}{label}:{'' if containers else ' ' + NONE}\n")
    by_name = {s.get("name"): s for s in statuses or []}
    for container in containers:
        status = by_name.get(container.get("name"))
        _describe_container(w, container, status, pod, space)


def _describe_container(w: _Writer, container: Obj, status: Obj | None, pod: Obj | None, space: str) -> None:
    w.write(1, f"{' ' if space else ''}{container.get('name')}:\n")
    if status is not None:
        w.write(2, f"Container ID:\t{status.get('containerID') or ''}\n")
    w.write(2, f"Image:\t{container.get('image') or ''}\n")
    if status is not None:
        w.write(2, f"Image ID:\t{status.get('imageID') or ''}\n")
    _describe_ports(w, container)
    _describe_command(w, container)
    if status is not None:
        _describe_container_status(w, status)
    _describe_resources(w, container.get("resources"), 2)
    _describe_probes(w, container)
    _describe_env_from(w, container)
    _describe_env(w, container, pod)
    _describe_mounts(w, container)


# =========================================================================== volumes

_VOLUME_TYPES: dict[str, Callable[[Obj], list[str]]] = {
    "hostPath": lambda v: [
        "Type:\tHostPath (bare host directory volume)",
        f"Path:\t{v.get('path') or ''}",
        f"HostPathType:\t{v.get('type') or NONE}",
    ],
    "emptyDir": lambda v: [
        "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)",
        f"Medium:\t{v.get('medium') or ''}",
        f"SizeLimit:\t{v.get('sizeLimit') or '<unset>'}",
    ],
    "secret": lambda v: [
        "Type:\tSecret (a volume populated by a Secret)",
        f"SecretName:\t{v.get('secretName') or ''}",
        f"Optional:\t{_go_bool(v.get('optional'))}",
    ],
    "configMap": lambda v: [
        "Type:\tConfigMap (a volume populated by a ConfigMap)",
        f"Name:\t{v.get('name') or ''}",
        f"Optional:\t{_go_bool(v.get('optional'))}",
    ],
    "persistentVolumeClaim": lambda v: [
        "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)",
        f"ClaimName:\t{v.get('claimName') or ''}",
        f"ReadOnly:\t{_go_bool(v.get('readOnly'))}",
    ],
    "projected": lambda v: _projected_lines(v),
    "downwardAPI": lambda v: _downward_lines(v),
}


def _optional_pointer(value: Any) -> str:
    """printProjectedVolumeSource prints the `*bool` itself: `<nil>` when unset (set, Go prints an address;
    the value says more)."""
    return "<nil>" if value is None else _go_bool(value)


def _projected_lines(projected: Obj) -> list[str]:
    lines = ["Type:\tProjected (a volume that contains injected data from multiple sources)"]
    for source in projected.get("sources") or []:
        if source.get("secret") is not None:
            lines += [
                f"SecretName:\t{source['secret'].get('name') or ''}",
                f"SecretOptionalName:\t{_optional_pointer(source['secret'].get('optional'))}",
            ]
        elif source.get("downwardAPI") is not None:
            lines.append("DownwardAPI:\ttrue")
        elif source.get("configMap") is not None:
            lines += [
                f"ConfigMapName:\t{source['configMap'].get('name') or ''}",
                f"ConfigMapOptional:\t{_optional_pointer(source['configMap'].get('optional'))}",
            ]
        elif source.get("serviceAccountToken") is not None:
            seconds = source["serviceAccountToken"].get("expirationSeconds") or 3600
            lines.append(f"TokenExpirationSeconds:\t{int(seconds)}")
    return lines


def _downward_lines(downward: Obj) -> list[str]:
    lines = ["Type:\tDownwardAPI (a volume populated by information about the pod)", "Items:"]
    for item in downward.get("items") or []:
        ref = item.get("fieldRef") or {}
        if ref:
            lines.append(f"  {ref.get('fieldPath')} -> {item.get('path')}")
        res = item.get("resourceFieldRef") or {}
        if res:
            lines.append(f"  {res.get('resource')} -> {item.get('path')}")
    return lines


def _describe_volumes(w: _Writer, volumes: Sequence[Obj] | None, space: str = "") -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t{NONE}\n")
        return
    w.write(0, f"{space}Volumes:\n")
    for volume in volumes:
        w.write(1, f"{' ' if space else ''}{volume.get('name')}:\n")
        kind = next((k for k in _VOLUME_TYPES if volume.get(k) is not None), None)
        if kind is None:
            w.write(1, "<unknown>\n")
            continue
        for line in _VOLUME_TYPES[kind](volume[kind]):
            w.write(2, line + "\n")


# =========================================================================== pods


def qos_class(pod: Obj) -> str:
    """kubectl's `qos.GetPodQOS`: status.qosClass, else computed from the spec."""
    return get_pod_qos(pod)


def _describe_pod_header(w: _Writer, pod: Obj, now: float) -> None:
    meta, spec, status = _meta(pod), pod.get("spec") or {}, pod.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name') or ''}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace') or ''}\n")
    if spec.get("priority") is not None:
        w.write(0, f"Priority:\t{int(spec['priority'])}\n")
    for label, key in (
        ("Priority Class Name", "priorityClassName"),
        ("Runtime Class Name", "runtimeClassName"),
        ("Service Account", "serviceAccountName"),
    ):
        if spec.get(key):
            w.write(0, f"{label}:\t{spec[key]}\n")
    node = spec.get("nodeName")
    w.write(0, f"Node:\t{node}/{status.get('hostIP') or ''}\n" if node else f"Node:\t{NONE}\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{rfc1123z(status['startTime'])}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    _describe_pod_status(w, pod, now)


def _describe_pod_status(w: _Writer, pod: Obj, now: float) -> None:
    meta, status = _meta(pod), pod.get("status") or {}
    phase = status.get("phase") or ""
    if meta.get("deletionTimestamp") and phase not in ("Failed", "Succeeded"):
        # deletionTimestamp lies in the future during the grace period, hence kubectl's `<invalid>`.
        w.write(0, f"Status:\tTerminating (lasts {age(meta['deletionTimestamp'], now)})\n")
        grace = meta.get("deletionGracePeriodSeconds")
        w.write(0, f"Termination Grace Period:\t{int(30 if grace is None else grace)}s\n")
    else:
        w.write(0, f"Status:\t{phase}\n")
    for label in ("Reason", "Message"):
        if status.get(label.lower()):
            w.write(0, f"{label}:\t{status[label.lower()]}\n")
    w.write(0, f"IP:\t{status.get('podIP') or ''}\n")
    ips = status.get("podIPs") or []
    if not ips:
        w.write(0, f"IPs:\t{NONE}\n")
    else:
        w.write(0, "IPs:\n")
        for ip in ips:
            w.write(1, f"IP:\t{ip.get('ip')}\n")
    if _controlled_by(pod):
        w.write(0, f"Controlled By:\t{_controlled_by(pod)}\n")
    if status.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{status['nominatedNodeName']}\n")


def _describe_pod_conditions(w: _Writer, pod: Obj) -> None:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    conditions = status.get("conditions") or []
    gates = spec.get("readinessGates") or []
    if gates:
        w.write(0, "Readiness Gates:\n  Type\tStatus\n")
        for gate in gates:
            ctype = gate.get("conditionType")
            found = next((c.get("status") for c in conditions if c.get("type") == ctype), NONE)
            w.write(1, f"{ctype} \t{found} \n")
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for cond in conditions:
            w.write(1, f"{cond.get('type')} \t{cond.get('status')} \n")


def _describe_scheduling(w: _Writer, decision_text: str | None) -> None:
    # k9py's own section: the scheduler's explanation for a Pending pod, kept out of column alignment.
    if not decision_text:
        return
    body = "".join(f"  {line}\n" if line else "\n" for line in decision_text.rstrip("\n").split("\n"))
    w.raw("Scheduling:\n" + body)


def describe_pod(pod: Obj, events: Events, now: float, decision_text: str | None = None) -> str:
    """`kubectl describe pod`; `decision_text` adds a `Scheduling:` block before Events."""
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    w = _Writer()
    _describe_pod_header(w, pod, now)
    if spec.get("resources"):
        w.write(0, "Resources:\n")
        _describe_resources(w, spec["resources"], 1)
    if spec.get("initContainers"):
        _describe_containers(
            w, "Init Containers", spec["initContainers"], status.get("initContainerStatuses"), pod
        )
    _describe_containers(w, "Containers", spec.get("containers") or [], status.get("containerStatuses"), pod)
    _describe_pod_conditions(w, pod)
    _describe_volumes(w, spec.get("volumes"))
    w.write(0, f"QoS Class:\t{qos_class(pod)}\n")
    _labels_multiline(w, "Node-Selectors", spec.get("nodeSelector"))
    _tolerations_multiline(w, "Tolerations", spec.get("tolerations"))
    _describe_scheduling(w, decision_text)
    _describe_events(w, events, now)
    return w.text()


# =========================================================================== workloads


def _describe_pod_template(w: _Writer, template: Obj | None) -> None:
    w.write(0, "Pod Template:\n")
    if template is None:
        w.write(1, "<unset>")
        return
    meta, spec = _meta(template), template.get("spec") or {}
    _labels_multiline(w, "  Labels", meta.get("labels"))
    if meta.get("annotations"):
        _annotations_multiline(w, "  Annotations", meta["annotations"])
    if spec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        _describe_containers(w, "Init Containers", spec["initContainers"], None, None, "  ")
    _describe_containers(w, "Containers", spec.get("containers") or [], None, None, "  ")
    _describe_volumes(w, spec.get("volumes"), "  ")
    if spec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    _labels_multiline(w, "  Node-Selectors", spec.get("nodeSelector"))
    _tolerations_multiline(w, "  Tolerations", spec.get("tolerations"))


def _describe_workload_conditions(w: _Writer, obj: Obj) -> None:
    conditions = (obj.get("status") or {}).get("conditions") or []
    if not conditions:
        return
    w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
    w.write(1, "----\t------\t------\n")
    for cond in conditions:
        w.write(1, f"{cond.get('type')} \t{cond.get('status')}\t{cond.get('reason') or ''}\n")


def _replicas(obj: Obj) -> int:
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def _status_int(obj: Obj, key: str) -> int:
    return int((obj.get("status") or {}).get(key) or 0)


def _strip_empty(value: Any) -> Any:
    # apimachinery's semantic equality treats nil and empty maps/slices alike.
    if isinstance(value, Mapping):
        cleaned = {k: _strip_empty(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_strip_empty(v) for v in value]
    return value


def _template_without_hash(template: Obj | None) -> Any:
    cleaned = _strip_empty(template or {})
    labels = (cleaned.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(POD_TEMPLATE_HASH, None)
    return _strip_empty(cleaned)


def _split_replicasets(deploy: Obj, replicasets: Iterable[Obj]) -> tuple[list[Obj], Obj | None]:
    """kubectl's deploymentutil: owned RSs oldest first; "new" is the oldest whose template matches."""
    uid = _meta(deploy).get("uid")
    owned = [rs for rs in replicasets if not uid or _controller_uid(rs) in (None, uid)]
    owned.sort(
        key=lambda rs: (timestamp(_meta(rs).get("creationTimestamp")) or 0.0, _meta(rs).get("name") or "")
    )
    wanted = _template_without_hash((deploy.get("spec") or {}).get("template"))
    new = next(
        (rs for rs in owned if _template_without_hash((rs.get("spec") or {}).get("template")) == wanted), None
    )
    return [rs for rs in owned if rs is not new], new


def _controller_uid(obj: Obj) -> str | None:
    for ref in _meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


def _replicasets_text(replicasets: Iterable[Obj]) -> str:
    parts = [
        f"{_meta(rs).get('name')} ({_status_int(rs, 'replicas')}/{_replicas(rs)} replicas created)"
        for rs in replicasets
    ]
    return ", ".join(parts) or NONE


def _describe_rollout(w: _Writer, deploy: Obj) -> None:
    spec, status = deploy.get("spec") or {}, deploy.get("status") or {}
    counts = (
        f"{_replicas(deploy)} desired | {int(status.get('updatedReplicas') or 0)} updated | "
        f"{int(status.get('replicas') or 0)} total | {int(status.get('availableReplicas') or 0)} available | "
        f"{int(status.get('unavailableReplicas') or 0)} unavailable"
    )
    w.write(0, f"Replicas:\t{counts}\n")
    strategy = spec.get("strategy") or {}
    kind = strategy.get("type") or "RollingUpdate"
    w.write(0, f"StrategyType:\t{kind}\n")
    w.write(0, f"MinReadySeconds:\t{int(spec.get('minReadySeconds') or 0)}\n")
    rolling = strategy.get("rollingUpdate")
    if rolling is None and kind == "RollingUpdate":
        rolling = {}  # the API defaults both bounds to 25%
    if rolling is not None:
        unavailable = _intstr(rolling.get("maxUnavailable"), "25%")
        surge = _intstr(rolling.get("maxSurge"), "25%")
        w.write(0, f"RollingUpdateStrategy:\t{unavailable} max unavailable, {surge} max surge\n")


def describe_deployment(deploy: Obj, replicasets: Iterable[Obj], events: Events, now: float) -> str:
    """`kubectl describe deployment`; `replicasets` may be all RSs of the namespace (filtered by owner)."""
    meta, spec = _meta(deploy), deploy.get("spec") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name') or ''}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace') or ''}\n")
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    _describe_rollout(w, deploy)
    _describe_pod_template(w, spec.get("template"))
    _describe_workload_conditions(w, deploy)
    old, new = _split_replicasets(deploy, replicasets)
    if old or new is not None:
        w.write(0, f"OldReplicaSets:\t{_replicasets_text(old)}\n")
        w.write(0, f"NewReplicaSet:\t{_replicasets_text([new] if new is not None else [])}\n")
    _describe_events(w, events, now)
    return w.text()


def _pod_phase_counts(rs: Obj, pods: Iterable[Obj]) -> str:
    uid = _meta(rs).get("uid")
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for pod in pods:
        # Like kubectl, only pods this ReplicaSet controls count.
        if uid and _controller_uid(pod) != uid:
            continue
        phase = (pod.get("status") or {}).get("phase")
        if phase in counts:
            counts[phase] += 1
    return (
        f"{counts['Running']} Running / {counts['Pending']} Waiting / "
        f"{counts['Succeeded']} Succeeded / {counts['Failed']} Failed"
    )


def describe_replicaset(rs: Obj, pods: Iterable[Obj], events: Events, now: float) -> str:
    """`kubectl describe replicaset`; `pods` may include foreign pods (filtered by controller uid)."""
    meta, spec = _meta(rs), rs.get("spec") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name') or ''}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace') or ''}\n")
    w.write(0, f"Selector:\t{format_label_selector(spec.get('selector'))}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    if _controlled_by(rs):
        w.write(0, f"Controlled By:\t{_controlled_by(rs)}\n")
    w.write(0, f"Replicas:\t{_status_int(rs, 'replicas')} current / {_replicas(rs)} desired\n")
    w.write(0, f"Pods Status:\t{_pod_phase_counts(rs, pods)}\n")
    _describe_pod_template(w, spec.get("template"))
    _describe_workload_conditions(w, rs)
    _describe_events(w, events, now)
    return w.text()


# =========================================================================== nodes


def _describe_node_conditions(w: _Writer, node: Obj) -> None:
    conditions = (node.get("status") or {}).get("conditions") or []
    if not conditions:
        return
    w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
    w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
    for c in conditions:
        cells = [
            f"{c.get('type')} ",
            f"{c.get('status')} ",
            f"{rfc1123z(c.get('lastHeartbeatTime'))} ",
            f"{rfc1123z(c.get('lastTransitionTime'))} ",
            f"{c.get('reason') or ''} ",
            str(c.get("message") or ""),
        ]
        w.write(1, "\t".join(cells) + "\n")


def _describe_node_resources(w: _Writer, label: str, resources: Obj | None) -> None:
    if not resources:
        return
    w.write(0, f"{label}:\n")
    for name in sorted(resources):
        w.write(0, f"  {name}:\t{_quantity_text(resources[name])}\n")


def _describe_system_info(w: _Writer, node: Obj) -> None:
    info = (node.get("status") or {}).get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    fields = (
        ("Machine ID", "machineID"),
        ("System UUID", "systemUUID"),
        ("Boot ID", "bootID"),
        ("Kernel Version", "kernelVersion"),
        ("OS Image", "osImage"),
        ("Operating System", "operatingSystem"),
        ("Architecture", "architecture"),
        ("Container Runtime Version", "containerRuntimeVersion"),
        ("Kubelet Version", "kubeletVersion"),
    )
    for label, key in fields:
        w.write(0, f"  {label}:\t{info.get(key) or ''}\n")


def _percent(part: Quantity, whole: Quantity, milli: bool) -> int:
    denominator = whole.milli_value() if milli else whole.int_value()
    if denominator == 0:
        return 0
    numerator = part.milli_value() if milli else part.int_value()
    # Go converts the float percentage with int64(), which truncates toward zero.
    return int(numerator / denominator * 100)


def _usage(part: Quantity, whole: Quantity, milli: bool) -> str:
    return f"{part} ({_percent(part, whole, milli)}%)"


def _node_pod_line(pod: Obj, allocatable: ResourceList, now: float) -> str:
    reqs, limits = pod_requests(pod), pod_limits(pod)
    cpu, mem = allocatable.get("cpu", _ZERO), allocatable.get("memory", _ZERO)
    cells = [
        str(_meta(pod).get("namespace") or ""),
        str(_meta(pod).get("name") or ""),
        "",
        _usage(reqs.get("cpu", _ZERO), cpu, True),
        _usage(limits.get("cpu", _ZERO), cpu, True),
        _usage(reqs.get("memory", _ZERO), mem, False),
        _usage(limits.get("memory", _ZERO), mem, False),
        age(_meta(pod).get("creationTimestamp"), now),
    ]
    return "\t".join(cells) + "\n"


def _is_hugepages(name: str) -> bool:
    return name.startswith("hugepages-")


def _describe_allocated(w: _Writer, pods: Sequence[Obj], allocatable: ResourceList) -> None:
    reqs: ResourceList = {}
    limits: ResourceList = {}
    for pod in pods:
        # kubectl's getPodsTotalRequestsAndLimits: a new name takes the pod's amount, then Quantity.Add.
        for total, amounts in ((reqs, pod_requests(pod)), (limits, pod_limits(pod))):
            for name, amount in amounts.items():
                total[name] = total[name] + amount if name in total else amount
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    zero = _ZERO
    names = ["cpu", "memory", "ephemeral-storage", *sorted(n for n in allocatable if _is_hugepages(n))]
    for name in names:
        whole, milli = allocatable.get(name, zero), name == "cpu"
        req, lim = reqs.get(name, zero), limits.get(name, zero)
        w.write(1, f"{name}\t{_usage(req, whole, milli)}\t{_usage(lim, whole, milli)}\n")
    standard = {"cpu", "memory", "ephemeral-storage", "pods"}
    for name in sorted(n for n in allocatable if n not in standard and not _is_hugepages(n)):
        w.write(1, f"{name}\t{reqs.get(name, zero)}\t{limits.get(name, zero)}\n")


def _describe_node_pods(w: _Writer, node: Obj, pods: Iterable[Obj], now: float) -> None:
    status = node.get("status") or {}
    allocatable = resource_list(status.get("allocatable") or status.get("capacity"))
    running = [p for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    running.sort(key=lambda p: (_meta(p).get("namespace") or "", _meta(p).get("name") or ""))
    w.write(0, f"Non-terminated Pods:\t({len(running)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    for pod in running:
        w.write(1, _node_pod_line(pod, allocatable, now))
    _describe_allocated(w, running, allocatable)


def describe_node(node: Obj, pods_on_node: Iterable[Obj], events: Events, now: float,
                  lease: Obj | None = None) -> str:
    """`kubectl describe node`; terminated pods are left out of the tables. `lease` is the node's Lease in
    kube-node-lease (describeNode prints its section only when the Lease exists)."""
    meta, spec, status = _meta(node), node.get("spec") or {}, node.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name') or ''}\n")
    w.write(0, f"Roles:\t{','.join(node_roles(node)) or NONE}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    _taints_multiline(w, "Taints", spec.get("taints"))
    w.write(0, f"Unschedulable:\t{_go_bool(spec.get('unschedulable'))}\n")
    if lease is not None:
        lease_spec = lease.get("spec") or {}
        w.write(0, "Lease:\n")
        # Each field is `<unset>` when absent; the times in RFC1123Z like every describe timestamp.
        w.write(1, f"HolderIdentity:\t{lease_spec.get('holderIdentity') or '<unset>'}\n")
        for label, field in (("AcquireTime", "acquireTime"), ("RenewTime", "renewTime")):
            value = lease_spec.get(field)
            w.write(1, f"{label}:\t{rfc1123z(value) if value else '<unset>'}\n")
    _describe_node_conditions(w, node)
    w.write(0, "Addresses:\n")
    for address in status.get("addresses") or []:
        w.write(1, f"{address.get('type')}:\t{address.get('address')}\n")
    _describe_node_resources(w, "Capacity", status.get("capacity"))
    _describe_node_resources(w, "Allocatable", status.get("allocatable"))
    _describe_system_info(w, node)
    if spec.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{spec['podCIDR']}\n")
    if spec.get("podCIDRs"):
        w.write(0, f"PodCIDRs:\t{','.join(spec['podCIDRs'])}\n")
    if spec.get("providerID"):
        w.write(0, f"ProviderID:\t{spec['providerID']}\n")
    _describe_node_pods(w, node, pods_on_node, now)
    _describe_events(w, events, now)
    return w.text()


# =========================================================================== namespaces


def describe_namespace(ns: Obj, now: float, quotas: Sequence[str] = ("No resource quota.",),
                       limits: Sequence[str] = ("No LimitRange resource.",)) -> str:
    """`kubectl describe namespace`; `quotas` and `limits` are the lines of its ResourceQuota and LimitRange
    sections (their kinds write them), aligned with the rest by the one tabwriter, as kubectl's are."""
    del now  # namespaces show no ages; kept for a uniform signature
    meta, status = _meta(ns), ns.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name') or ''}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Status:\t{status.get('phase') or ''}\n")
    conditions = status.get("conditions") or []
    if conditions:
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t------------------\t------\t-------\n")
        for c in conditions:
            cells = [
                c.get("type"),
                c.get("status"),
                rfc1123z(c.get("lastTransitionTime")),
                c.get("reason"),
                c.get("message"),
            ]
            w.write(1, "\t".join(str(x or "") for x in cells) + "\n")
    w.write(0, "\n" + "".join(f"{line}\n" for line in quotas))
    w.write(0, "\n" + "".join(f"{line}\n" for line in limits))
    return w.text()


# =========================================================================== anything else

_ACRONYMS = ("API", "URL", "UID", "GUID")
_GENERIC_SKIP = (
    ".metadata.managedFields",
    ".metadata.name",
    ".metadata.namespace",
    ".metadata.labels",
    ".metadata.annotations",
)


def _char_class(ch: str) -> int:
    if ch.islower():
        return 1
    if ch.isupper():
        return 2
    return 3 if ch.isdigit() else 4


def _camel_split(text: str) -> list[str]:
    """fatih/camelcase.Split: runs of one character class, `HTTPServer` → `HTTP`, `Server`."""
    runs: list[list[Any]] = []
    for ch in text:
        cls = _char_class(ch)
        if runs and runs[-1][0] == cls:
            runs[-1][1] += ch
        else:
            runs.append([cls, ch])
    for i in range(len(runs) - 1):
        if runs[i][0] == 2 and runs[i + 1][0] == 1:
            runs[i + 1][1] = runs[i][1][-1] + runs[i + 1][1]
            runs[i][1] = runs[i][1][:-1]
    return [str(run[1]) for run in runs if run[1]]


def _merge_acronym_runs(parts: list[str]) -> list[str]:
    merged: list[str] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        nxt = parts[i + 1] if i + 1 < len(parts) else ""
        all_upper = all(not c.isalpha() or c.isupper() for c in part)
        if len(part) >= 2 and all_upper and nxt[:1].isupper():
            merged.append(part + nxt)
            i += 2
            continue
        merged.append(part)
        i += 1
    return merged


def smart_label(field: str) -> str:
    """kubectl's smartLabelFor: `creationTimestamp` → `Creation Timestamp`, `apiVersion` → `API Version`."""
    if any(not (c.isalpha() or c == "-") for c in field):
        return field
    words = []
    for part in _merge_acronym_runs(_camel_split(field)):
        if part == "_":
            continue
        if part.upper() in _ACRONYMS:
            part = part.upper()
        elif part.lower() == part:
            part = part[:1].upper() + part[1:]
        words.append(part)
    return " ".join(words)


def _unstructured(w: _Writer, level: int, content: Obj, prefix: str) -> None:
    for key in sorted(content):
        path = f"{prefix}.{key}"
        if path in _GENERIC_SKIP:
            continue
        value = content[key]
        if isinstance(value, Mapping):
            w.write(level, f"{smart_label(key)}:\n")
            _unstructured(w, level + 1, value, path)
        elif isinstance(value, list):
            w.write(level, f"{smart_label(key)}:\n")
            for child in value:
                if isinstance(child, Mapping):
                    _unstructured(w, level + 1, child, path)
                else:
                    w.write(level + 1, f"{_go_value(child)}\n")
        else:
            w.write(level, f"{smart_label(key)}:\t{_go_value(value)}\n")


def describe_generic(obj: Obj, events: Events, now: float) -> str:
    """kubectl's generic describer for kinds without a dedicated one: every field, camel case split."""
    meta = _meta(obj)
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name') or ''}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace') or ''}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    _unstructured(w, 0, obj, "")
    _describe_events(w, events, now)
    return w.text()
