"""A container's environment, as the kubelet builds it when the container is created.

`kubelet_pods.go` makeEnvironmentVariables: `envFrom` sources in order (a prefix before each key), then `env` in
order, where a plain `value` has its `$(VAR)` references expanded against what is defined so far and the service
variables, and `valueFrom` reads a ConfigMap or Secret key, a pod field (`fieldRef`) or a container resource
(`resourceFieldRef`); then the service link variables (`envvars.go` FromServices) for every Service of the pod's
namespace (`enableServiceLinks`, default true) and always for `kubernetes` in `default`. `command` and `args` are
expanded against the result (`kuberuntime` ExpandContainerCommandAndArgs). The environment is fixed from then on:
a ConfigMap changed later reaches the container only when it is created again.

Errors (a missing reference that is not optional) are `config_refs.env_error`'s business: the kubelet checks
them before it creates the container, and `resolve_env` skips what it cannot resolve.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..quantity import parse_quantity

Obj = dict[str, Any]

# What every container's `env` shows besides the kubelet's variables: the runtime's defaults (containerd puts
# PATH first and HOSTNAME second, HOME last). An image's own ENV lines are unknown here: there are no images.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HOME = "/root"
MASTER_SERVICES = ("kubernetes",)


@attrs.frozen
class EnvVar:
    name: str
    value: str
    secret: bool = False  # read from a Secret: the dashboard masks it until asked


# Most variables (PATH, HOME, the service links) are the same in every container: one shared object each, so
# 10,000 pods' environments cost a list of references apiece.
_var = functools.lru_cache(maxsize=65536)(EnvVar)


# --- $(VAR) expansion: k8s.io/kubernetes/third_party/forked/golang/expansion/expand.go ---------------------------

def mapping_for(*contexts: Mapping[str, str]) -> Callable[[str], str]:
    """MappingFuncFor: the first context that defines the name wins; an undefined name stays `$(NAME)`."""
    def mapping(name: str) -> str:
        for context in contexts:
            if name in context:
                return context[name]
        return f"$({name})"
    return mapping


def expand(text: str, mapping: Callable[[str], str]) -> str:
    """Expand: `$(VAR)` is replaced, `$$` is one `$`, anything else after `$` is kept as written.

    Go's loop walks bytes, so this does too (a `$` before a multi-byte character is kept with that character's
    first byte read as a rune, exactly as upstream does)."""
    data = text.encode()
    out = bytearray()
    checkpoint = 0
    cursor = 0
    while cursor < len(data):
        if data[cursor] == 0x24 and cursor + 1 < len(data):  # "$"
            out += data[checkpoint:cursor]
            rest = data[cursor + 1:]
            advance = 1
            if rest[0] == 0x24:  # escaped operator
                out += b"$"
            elif rest[0] == 0x28:  # "(": scan to the closer
                close = rest.find(b")", 1)
                if close >= 0:
                    out += mapping(rest[1:close].decode(errors="replace")).encode()
                    advance = close + 1
                else:  # incomplete reference: "$(" is kept, scanning goes on after it
                    out += b"$("
            else:
                out += b"$" + chr(rest[0]).encode()
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    out += data[checkpoint:]
    return out.decode(errors="replace")


# --- sources -----------------------------------------------------------------------------------------------------

def decoded(value: Any) -> str:
    try:
        return base64.b64decode(str(value), validate=False).decode(errors="replace")
    except (binascii.Error, ValueError):
        return ""


def field_value(pod: Obj, path: str) -> str | None:
    """podFieldSelectorRuntimeValue (and the downward API's single-value fields): None for an unknown path."""
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    simple = {
        "metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"), "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName"), "status.hostIP": status.get("hostIP"),
        "status.podIP": status.get("podIP"),
        "status.hostIPs": ",".join(str(i.get("ip", "")) for i in status.get("hostIPs") or ()),
        "status.podIPs": ",".join(str(i.get("ip", "")) for i in status.get("podIPs") or ()),
    }
    if path in simple:
        return str(simple[path] or "")
    for field in ("labels", "annotations"):
        values = meta.get(field) or {}
        prefix = f"metadata.{field}['"
        if path.startswith(prefix) and path.endswith("']"):
            return str(values.get(path[len(prefix):-2], ""))
    return None


def resource_value(ref: Obj, container: Obj | None, allocatable: Mapping[str, Any]) -> str:
    """containerResourceRuntimeValue: a limit (the node's allocatable when none is set) or request, divided by
    the divisor and rounded up."""
    resource = str(ref.get("resource", ""))
    kind, _, name = resource.partition(".")
    resources = (container or {}).get("resources") or {}
    value = (resources.get(kind) or {}).get(name)
    if value is None and kind == "limits":
        value = allocatable.get(name)
    try:
        amount = parse_quantity(str(value)) if value is not None else 0
        divisor = parse_quantity(str(ref.get("divisor") or "1")) or 1
    except ValueError:
        return ""
    if name == "cpu":
        # convertResourceCPUToString: whole millicores first, then divided and rounded up.
        return str(math.ceil(math.ceil(amount * 1000) / max(1, math.ceil(divisor * 1000))))
    return str(math.ceil(math.ceil(amount) / max(1, math.ceil(divisor))))  # Value() rounds up first


# store -> (namespace, links) -> (the store's services stamp, the variables): every container start asks, and
# Services change far less often than pods start.
_ServiceVars = tuple[dict[str, str], list[EnvVar]]
_SERVICE_ENV: weakref.WeakKeyDictionary[Any, dict[tuple[str, bool], tuple[int, _ServiceVars]]] = \
    weakref.WeakKeyDictionary()


def service_env(store: Any, namespace: str, enable_links: bool) -> dict[str, str]:
    """getServiceEnvVarMap + envvars.FromServices, for the Services that have a cluster IP (shared: do not
    modify the mapping returned)."""
    return _service_vars(store, namespace, enable_links)[0]


def _service_vars(store: Any, namespace: str, enable_links: bool) -> _ServiceVars:
    """The service variables as a mapping and as the list a container with no env of its own gets."""
    stamp = store.changed_at("services")
    cache = _SERVICE_ENV.setdefault(store, {})
    hit = cache.get((namespace, enable_links))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    env = _service_env(store, namespace, enable_links)
    entry = (env, [_var(name, value, False) for name, value in env.items()])
    cache[(namespace, enable_links)] = (stamp, entry)
    return entry


def _service_env(store: Any, namespace: str, enable_links: bool) -> dict[str, str]:
    chosen: dict[str, Obj] = {}
    for name in MASTER_SERVICES:
        svc = store.get("services", "default", name)
        if svc is not None:
            chosen[name] = svc
    if enable_links:
        for svc in store.iter("services", namespace):
            name = svc["metadata"]["name"]
            if namespace == "default" and name in MASTER_SERVICES:
                continue
            chosen[name] = svc
    out: dict[str, str] = {}
    for name in sorted(chosen):
        spec = chosen[name].get("spec") or {}
        ip, ports = spec.get("clusterIP"), spec.get("ports") or []
        if not ip or ip == "None" or not ports:
            continue
        prefix = name.upper().replace("-", "_")
        out[f"{prefix}_SERVICE_HOST"] = ip
        out[f"{prefix}_SERVICE_PORT"] = str(ports[0].get("port"))
        for port in ports:
            if port.get("name"):
                out[f"{prefix}_SERVICE_PORT_{str(port['name']).upper().replace('-', '_')}"] = str(port.get("port"))
        host = f"[{ip}]" if ":" in ip else ip
        for i, port in enumerate(ports):
            protocol = str(port.get("protocol") or "TCP")
            url = f"{protocol.lower()}://{host}:{port.get('port')}"
            if i == 0:
                out[f"{prefix}_PORT"] = url
            base = f"{prefix}_PORT_{port.get('port')}_{protocol.upper()}"
            out[base] = url
            out[f"{base}_PROTO"] = protocol.lower()
            out[f"{base}_PORT"] = str(port.get("port"))
            out[f"{base}_ADDR"] = ip
    return out


def resolve_env(store: Any, pod: Obj, container: Obj, allocatable: Mapping[str, Any] | None = None) -> list[EnvVar]:
    """The container's variables in the order they are declared, then the service variables.

    Upstream hands the runtime a list built from a Go map, so a real container's order varies; declaration order
    is what a reader of the manifest expects, and it is stable."""
    namespace = (pod.get("metadata") or {}).get("namespace", "")
    spec = pod.get("spec") or {}
    services, service_vars = _service_vars(store, namespace, spec.get("enableServiceLinks", True) is not False)
    if not container.get("env") and not container.get("envFrom"):
        return list(service_vars)
    values: dict[str, str] = {}
    secret: set[str] = set()

    def lookup(resource: str, name: Any) -> Obj | None:
        return store.get(resource, namespace, str(name))

    for source in container.get("envFrom") or ():
        if not isinstance(source, dict):
            continue
        prefix = str(source.get("prefix") or "")
        for field, resource in (("configMapRef", "configmaps"), ("secretRef", "secrets")):
            ref = source.get(field)
            obj = lookup(resource, ref.get("name")) if isinstance(ref, dict) else None
            if obj is None:
                continue
            for key, value in (obj.get("data") or {}).items():
                values[prefix + key] = decoded(value) if resource == "secrets" else str(value)
                (secret.add if resource == "secrets" else secret.discard)(prefix + key)
    mapping = mapping_for(values, services)
    for env in container.get("env") or ():
        if not isinstance(env, dict) or not env.get("name"):
            continue
        name, value, from_secret = str(env["name"]), env.get("value"), False
        value_from = env.get("valueFrom")
        if value:
            value = expand(str(value), mapping)
        elif isinstance(value_from, dict):
            resolved = _value_from(value_from, pod, container, lookup, allocatable or {})
            if resolved is None:
                continue  # an optional reference that is missing: the variable is not set
            value, from_secret = resolved
        values[name] = str(value or "")
        (secret.add if from_secret else secret.discard)(name)
    out = [_var(name, value, name in secret) for name, value in values.items()]
    out.extend(_var(name, value, False) for name, value in services.items() if name not in values)
    return out


def _value_from(value_from: Obj, pod: Obj, container: Obj, lookup: Callable[[str, Any], Obj | None],
                allocatable: Mapping[str, Any]) -> tuple[str, bool] | None:
    field_ref = value_from.get("fieldRef")
    if isinstance(field_ref, dict):
        return field_value(pod, str(field_ref.get("fieldPath", ""))) or "", False
    resource_ref = value_from.get("resourceFieldRef")
    if isinstance(resource_ref, dict):
        target = container
        if resource_ref.get("containerName"):
            spec = pod.get("spec") or {}
            target = next((c for key in ("initContainers", "containers") for c in spec.get(key) or ()
                           if c.get("name") == resource_ref["containerName"]), container)
        return resource_value(resource_ref, target, allocatable), False
    for field, resource in (("configMapKeyRef", "configmaps"), ("secretKeyRef", "secrets")):
        ref = value_from.get(field)
        if not isinstance(ref, dict):
            continue
        obj = lookup(resource, ref.get("name"))
        data = (obj or {}).get("data") or {}
        if obj is None or ref.get("key") not in data:
            return None
        raw = data[ref["key"]]
        return (decoded(raw), True) if resource == "secrets" else (str(raw), False)
    return None


def process_env(pod: Obj, env: list[EnvVar]) -> list[EnvVar]:
    """What `env` prints inside the container: the runtime's PATH and HOSTNAME, the kubelet's list, HOME."""
    spec = pod.get("spec") or {}
    hostname = str(spec.get("hostname") or (pod.get("metadata") or {}).get("name", ""))[:63]
    names = {e.name for e in env}
    head = [_var(n, v, False) for n, v in (("PATH", DEFAULT_PATH), ("HOSTNAME", hostname)) if n not in names]
    tail = [_var("HOME", HOME, False)] if "HOME" not in names else []
    return [*head, *env, *tail]


def expand_command(container: Obj, env: list[EnvVar]) -> list[str]:
    """command + args with `$(VAR)` expanded against the container's final environment."""
    mapping = mapping_for({e.name: e.value for e in env})
    return [expand(str(arg), mapping) for arg in (container.get("command") or []) + (container.get("args") or [])]
