"""Services that will carry no traffic: a selector that matches no pod, a targetPort no selected pod offers.

A Service without a selector is left alone: its endpoints are written by hand (or by another controller), as
kube-linter's dangling-service check learned the hard way (stackrox/kube-linter#746). So is an ExternalName
Service, which is a DNS alias.

targetPort. A named one is resolved by the endpoints controllers among the pod's containerPorts (FindPort); a
pod that declares no port of that name is left out of the Service's endpoints for that port, so the warning is
certain: no selected pod declares the name. A numbered one is sent to as it is, and an app listens wherever it
binds, whatever `ports` says (the field is informational). So the check only warns when every selected pod
declares its ports (a containerPort, or k9py's `sim.k9py.io/listen`) and none of them, nor the port the image is
known to listen on (`engine/network/app.py`), is the targetPort: the classic `port: 80` in front of an app that
declares `containerPort: 8080`. A pod that declares no port at all says nothing about where it listens.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from ..controllers.endpoints_subsets import find_port
from ..kinds.service_spec import ports_of, selector_of, spec_of
from ..network.app import IMAGE_PORTS, LISTEN_ANNOTATION, _annotation_ports, image_name
from .finding import Finding
from .pods import PodIndex, PodShape

Obj = dict[str, Any]
MAX_SUGGESTION_VALUES = 2000  # difflib over more label values than this would cost more than the hint is worth


def selector_text(selector: Mapping[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in selector.items())


def port_text(port: Obj) -> str:
    """`port "http" (80/TCP)`, or `port 80/TCP` for an unnamed one."""
    number = f"{port.get('port')}/{port.get('protocol', 'TCP')}"
    return f'port "{port["name"]}" ({number})' if port.get("name") else f"port {number}"


def _containers(pod: Obj) -> list[Obj]:
    """The containers that serve: app containers and sidecars (restartable init containers), as FindPort."""
    spec = pod.get("spec") or {}
    sidecars = [c for c in spec.get("initContainers") or ()
                if isinstance(c, dict) and c.get("restartPolicy") == "Always"]
    return [c for c in [*(spec.get("containers") or ()), *sidecars] if isinstance(c, dict)]


def _declared_ports(pod: Obj) -> list[Obj]:
    return [p for c in _containers(pod) for p in c.get("ports") or () if isinstance(p, dict)]


def _listen_annotation(pod: Obj) -> dict[int, str]:
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    return _annotation_ports(annotations, "") if LISTEN_ANNOTATION in annotations else {}


def _declares_ports(pod: Obj) -> bool:
    return bool(_declared_ports(pod) or _listen_annotation(pod))


def _offers(pod: Obj, number: int, protocol: str) -> bool:
    """Whether the pod says (or its image is known) to listen on `number`."""
    if any(p.get("containerPort") == number and p.get("protocol", "TCP") == protocol for p in _declared_ports(pod)):
        return True
    if protocol != "TCP":
        return False
    return number in _listen_annotation(pod) or any(
        number in IMAGE_PORTS.get(image_name(str(c.get("image") or "")), ()) for c in _containers(pod))


def _offered(shapes: Iterable[PodShape]) -> str:
    """`http (80/TCP), 9090/TCP`: the ports some pods declare, each once."""
    seen: dict[str, None] = {}
    for shape in shapes:
        for p in _declared_ports(shape.pod):
            number = f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}"
            seen[f"{p['name']} ({number})" if p.get("name") else number] = None
        for number in _listen_annotation(shape.pod):
            seen[f"{number}/TCP"] = None
    return ", ".join(seen) or "none"


def _suggestion(index: PodIndex, namespace: str, selector: Mapping[str, Any]) -> str:
    """A hint at the likely typo: pods with these labels in another namespace, or a close label value."""
    elsewhere = index.namespaces_with(selector)
    if elsewhere:
        return (f" Pods with these labels run in namespace {', '.join(elsewhere[:3])}, but a Service only selects "
                "pods of its own namespace.")
    for key, value in selector.items():
        if index.matching(namespace, {key: value}):
            continue
        values = index.values(namespace, key)
        if not values:
            return f' No pod in namespace {namespace} has a label "{key}".'
        if len(values) <= MAX_SUGGESTION_VALUES:
            close = difflib.get_close_matches(str(value), sorted(values), n=1, cutoff=0.6)
            if close:
                found = index.owners(index.matching(namespace, {key: close[0]}))
                return f" Did you mean {key}={close[0]} (the pods of {found})?"
    return ""


def _no_pods(svc: Obj, selector: Mapping[str, Any], index: PodIndex) -> Finding:
    meta = svc["metadata"]
    namespace = meta.get("namespace", "")
    message = (f"selector {selector_text(selector)} matches no pod in namespace {namespace} (no pod template in "
               "the folder, no running pod): the Service has no endpoints, so connections to it are refused "
               f"(kubectl describe service {meta['name']} lists no Endpoints).{_suggestion(index, namespace, selector)}"
               " Set spec.selector to the labels of the pods it should send traffic to.")
    return Finding("Service", namespace, meta["name"], "SelectorMatchesNoPods", message, "spec.selector")


def _target_problem(port: Obj, declared_port: Obj | None, shapes: list[PodShape], index: PodIndex
                    ) -> str | None:
    """Why no selected pod offers the Service port's targetPort, or None when one does (or may)."""
    target = port.get("targetPort", port.get("port"))
    protocol = str(port.get("protocol", "TCP"))
    pods = index.owners(shapes)
    if isinstance(target, str):
        if any(find_port(shape.pod, port) is not None for shape in shapes):
            return None
        return (f'{port_text(port)} targets the container port named "{target}", but no container of the pods it '
                f"selects ({pods}) declares a {protocol} port of that name, so the Service has no endpoints on "
                f"this port and connections to it are refused. Name the containerPort \"{target}\", or set "
                f"targetPort to a port they declare: {_offered(shapes)}.")
    if not isinstance(target, int) or not all(_declares_ports(s.pod) for s in shapes):
        return None
    if any(_offers(shape.pod, target, protocol) for shape in shapes):
        return None
    defaulted = declared_port is not None and "targetPort" not in declared_port
    sends = (f"has no targetPort, so it sends to the pods' port {target}" if defaulted
             else f"sends to targetPort {target}")
    numbers = {p.get("containerPort") for s in shapes for p in _declared_ports(s.pod)
               if p.get("protocol", "TCP") == protocol}
    fix = f"targetPort: {numbers.pop()}" if len(numbers) == 1 else "targetPort to the port the app listens on"
    return (f"{port_text(port)} {sends}, but the pods it selects ({pods}) declare only {_offered(shapes)}: "
            f"unless the app also listens on {target}, connections are refused. Set {fix}.")


def service_findings(svc: Obj, declared: Obj | None, index: PodIndex) -> list[Finding]:
    """What will keep traffic sent to this Service from reaching a pod. `declared` is the Service as the file
    writes it (to tell a defaulted targetPort from a written one)."""
    selector = selector_of(svc)
    if selector is None or spec_of(svc).get("type") == "ExternalName":
        return []
    meta = svc["metadata"]
    namespace = meta.get("namespace", "")
    shapes = index.matching(namespace, selector)
    if not shapes:
        return [_no_pods(svc, selector, index)]
    declared_ports = ports_of(declared) if declared is not None else []
    out = []
    for i, port in enumerate(ports_of(svc)):
        written = declared_ports[i] if i < len(declared_ports) else None
        problem = _target_problem(port, written, shapes, index)
        if problem is not None:
            field = f"spec.ports[{i}].targetPort" if written and "targetPort" in written else f"spec.ports[{i}]"
            out.append(Finding("Service", namespace, meta["name"], "TargetPortNotExposed", problem, field))
    return out
