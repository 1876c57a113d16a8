"""What a pod needs from ConfigMaps and Secrets before its containers can start, and the kubelet's words when it
is missing (`kubelet_pods.go` makeEnvironmentVariables, the configmap/secret/projected volume plugins).

A container whose environment names a missing ConfigMap or Secret (or key) fails to be created with
`CreateContainerConfigError`; a volume made from one cannot be mounted, and the pod waits in ContainerCreating.
`optional: true` references are skipped when missing, as in Kubernetes.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
SOURCES = {"configMap": ("configmaps", "configmap", "ConfigMap"), "secret": ("secrets", "secret", "Secret")}


def _not_found(kind: str, name: Any) -> str:
    return f'{SOURCES[kind][1]} "{name}" not found'


def _lookup(store: Any, kind: str, namespace: str, name: Any) -> Obj | None:
    return store.get(SOURCES[kind][0], namespace, str(name))


def _keys(obj: Obj) -> set[str]:
    return {*(obj.get("data") or {}), *(obj.get("binaryData") or {})}


def env_error(store: Any, namespace: str, container: Obj) -> str | None:
    """The error building this container's environment runs into, or None. envFrom first, then env, in order."""
    for source in container.get("envFrom") or ():
        for field, kind in (("configMapRef", "configMap"), ("secretRef", "secret")):
            ref = source.get(field)
            if isinstance(ref, dict) and _lookup(store, kind, namespace, ref.get("name")) is None \
                    and not ref.get("optional"):
                return _not_found(kind, ref.get("name"))
    for env in container.get("env") or ():
        value_from = env.get("valueFrom") if isinstance(env, dict) else None
        if not isinstance(value_from, dict):
            continue
        for field, kind in (("configMapKeyRef", "configMap"), ("secretKeyRef", "secret")):
            ref = value_from.get(field)
            if not isinstance(ref, dict) or ref.get("optional"):
                continue
            obj = _lookup(store, kind, namespace, ref.get("name"))
            if obj is None:
                return _not_found(kind, ref.get("name"))
            if ref.get("key") not in _keys(obj):
                return f"couldn't find key {ref.get('key')} in {SOURCES[kind][2]} {namespace}/{ref.get('name')}"
    return None


def _source_error(store: Any, namespace: str, kind: str, source: Obj) -> str | None:
    name = source.get("name") if kind == "configMap" else source.get("secretName", source.get("name"))
    obj = _lookup(store, kind, namespace, name)
    if obj is None:
        return None if source.get("optional") else _not_found(kind, name)
    keys = _keys(obj)
    for item in source.get("items") or ():
        if isinstance(item, dict) and item.get("key") not in keys and not source.get("optional"):
            what = "configmap references non-existent config key" if kind == "configMap" \
                else "references non-existent secret key"
            return f"{what}: {item.get('key')}"
    return None


def volume_error(store: Any, namespace: str, volume: Obj) -> str | None:
    """Why MountVolume.SetUp fails for this volume right now, or None."""
    for kind in SOURCES:
        source = volume.get(kind)
        if isinstance(source, dict):
            return _source_error(store, namespace, kind, source)
    projected = volume.get("projected")
    if isinstance(projected, dict):
        problems = [problem for item in projected.get("sources") or () if isinstance(item, dict)
                    for kind in SOURCES if isinstance(item.get(kind), dict)
                    if (problem := _source_error(store, namespace, kind, item[kind])) is not None]
        if problems:
            return problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]"
    return None


def mounted_volumes(spec: Obj) -> list[Obj]:
    """The volumes some container mounts: the kubelet waits for these before it starts the pod."""
    used = {m.get("name") for key in ("initContainers", "containers") for c in spec.get(key) or ()
            for m in c.get("volumeMounts") or () if isinstance(m, dict)}
    return [v for v in spec.get("volumes") or () if isinstance(v, dict) and v.get("name") in used]


def mount_errors(store: Any, namespace: str, spec: Obj) -> dict[str, str]:
    """Volume name -> why it cannot be mounted, for the volumes the pod waits for."""
    if not spec.get("volumes"):
        return {}
    errors = {}
    for volume in mounted_volumes(spec):
        error = volume_error(store, namespace, volume)
        if error is not None:
            errors[str(volume.get("name"))] = error
    return errors
