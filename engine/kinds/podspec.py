"""PodSpec and PodTemplateSpec defaulting and validation (`pkg/apis/core/v1/defaults.go`, `validation.go`).

Shared by Pod and by every workload that carries a pod template.
"""

from __future__ import annotations

from typing import Any

from ..quantity import canonical_quantity, parse_quantity
from ..resources import canonicalize_resource_list
from . import validation as v
from .registry import FieldErrors
from .resource_names import container_resource_name

RESTART_POLICIES = ["Always", "OnFailure", "Never"]
PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]  # in the API's order
PROTOCOLS = ["TCP", "UDP", "SCTP"]
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")


def image_has_latest_tag(image: str) -> bool:
    if "@" in image:
        return False
    last = image.rsplit("/", 1)[-1]
    return ":" not in last or last.endswith(":latest")


def _default_probe(probe: dict[str, Any]) -> None:
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    http = probe.get("httpGet")
    if isinstance(http, dict):
        http.setdefault("scheme", "HTTP")
        http.setdefault("path", "/")


def _default_container(container: dict[str, Any]) -> None:
    image = container.get("image")
    if isinstance(image, str):
        container.setdefault("imagePullPolicy", "Always" if image_has_latest_tag(image) else "IfNotPresent")
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    resources = container.setdefault("resources", {})
    _canonicalize_requirements(resources)
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for name in PROBES:
        probe = container.get(name)
        if isinstance(probe, dict):
            _default_probe(probe)


def _canonicalize_requirements(resources: Any) -> None:
    if isinstance(resources, dict):
        canonicalize_resource_list(resources.get("requests"))
        canonicalize_resource_list(resources.get("limits"))


def _canonicalize_quantities(spec: dict[str, Any]) -> None:
    """The pod-wide quantities as the API server stores them (containers' are done per container).

    Decoding into `resource.Quantity` and encoding again stores the canonical form ("0.5" is
    "500m", "1.5Gi" is "1536Mi"); ResourceLists are also rounded up to a milli-unit. Pod
    templates get the same, so a workload's pod-template-hash is taken over stored values.
    """
    _canonicalize_requirements(spec.get("resources"))  # pod-level resources
    canonicalize_resource_list(spec.get("overhead"))
    for volume in spec.get("volumes") or []:
        empty_dir = volume.get("emptyDir") if isinstance(volume, dict) else None
        if isinstance(empty_dir, dict) and "sizeLimit" in empty_dir:
            try:
                empty_dir["sizeLimit"] = canonical_quantity(empty_dir["sizeLimit"])
            except ValueError:
                pass


def default_pod_spec(spec: dict[str, Any]) -> None:
    _canonicalize_quantities(spec)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            if isinstance(container, dict):
                _default_container(container)


def default_pod_template(template: dict[str, Any] | None) -> None:
    if isinstance(template, dict):
        template.setdefault("metadata", {})
        spec = template.get("spec")
        if isinstance(spec, dict):
            default_pod_spec(spec)


def _quantity_errors(path: str, resources: Any) -> tuple[FieldErrors, dict[str, Any]]:
    errors: FieldErrors = []
    parsed: dict[str, Any] = {}
    if resources is None:
        return errors, parsed
    if not isinstance(resources, dict):
        return [v.type_error(path, resources, "object")], parsed
    for name, value in resources.items():
        key = f"{path}[{name}]"  # ValidateResourceRequirements: fldPath.Key(resourceName)
        errors.extend(container_resource_name(key, str(name)))
        try:
            q = parse_quantity(value)
        except (ValueError, TypeError):
            errors.append(v.invalid(key, value, "quantities must match the regular expression "
                                                "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"))
            continue
        if q < 0:
            errors.append(v.invalid(key, value, "must be greater than or equal to 0"))
        parsed[name] = q
    return errors, parsed


def _validate_probe(path: str, probe: Any, kind: str) -> FieldErrors:
    if probe is None:
        return []
    if not isinstance(probe, dict):
        return [v.type_error(path, probe, "object")]
    errors: FieldErrors = []
    handlers = [h for h in PROBE_HANDLERS if h in probe]
    if not handlers:
        errors.append(v.required(path, "must specify a handler type"))
    elif len(handlers) > 1:
        errors.append(v.forbidden(f"{path}.{handlers[1]}", "may not specify more than 1 handler type"))
    for field in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                  "failureThreshold", "terminationGracePeriodSeconds"):
        errors.extend(v.non_negative(f"{path}.{field}", probe.get(field)))
    if kind != "readinessProbe" and probe.get("successThreshold", 1) != 1:
        errors.append(v.invalid(f"{path}.successThreshold", probe.get("successThreshold"), "must be 1"))
    http = probe.get("httpGet")
    if isinstance(http, dict) and "port" not in http:
        errors.append(v.required(f"{path}.httpGet.port"))
    return errors


ENV_SOURCES = ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef")
ENV_FROM_SOURCES = ("configMapRef", "secretRef")


def _one_source(path: str, holder: Any, sources: tuple[str, ...]) -> FieldErrors:
    """An env var's valueFrom or an envFrom entry names exactly one source."""
    given = [s for s in sources if isinstance(holder, dict) and holder.get(s) is not None]
    if not given:
        names = ", ".join(f"`{s}`" for s in sources[:-1]) + f" or `{sources[-1]}`"
        return [v.invalid(path, "", f"must specify one of: {names}")]
    if len(given) > 1:
        return [v.invalid(path, "", "may not have more than one field specified at a time")]
    return []


def _validate_mounts(path: str, mounts: Any, volumes: set[str]) -> FieldErrors:
    """ValidateVolumeMounts: each names a volume of the pod and says where it goes."""
    if not isinstance(mounts, list):
        return v.is_list(path, mounts)
    errors: FieldErrors = []
    for i, mount in enumerate(mounts):
        if not isinstance(mount, dict):
            errors.append(v.type_error(f"{path}[{i}]", mount, "object"))
            continue
        name = mount.get("name")
        if not name:
            errors.append(v.required(f"{path}[{i}].name"))
        elif name not in volumes:
            errors.append((f"{path}[{i}].name", f"Not found: {v.show(name)}"))
        if not mount.get("mountPath"):
            errors.append(v.required(f"{path}[{i}].mountPath"))
    return errors


def _validate_container(path: str, c: Any, seen: set[str], is_init: bool, volumes: set[str]) -> FieldErrors:
    if not isinstance(c, dict):
        return [v.type_error(path, c, "object")]
    errors: FieldErrors = []
    name = c.get("name")
    if name is None or name == "":
        errors.append(v.required(f"{path}.name"))
    else:
        errors.extend(v.dns1123_label(f"{path}.name", name))
        if isinstance(name, str):
            if name in seen:
                errors.append(v.duplicate(f"{path}.name", name))
            seen.add(name)
    image = c.get("image")
    if image is None or (isinstance(image, str) and not image.strip()):
        errors.append(v.required(f"{path}.image"))
    elif not isinstance(image, str):
        errors.append(v.type_error(f"{path}.image", image, "string"))
    policy = c.get("imagePullPolicy")
    if policy is not None and policy not in PULL_POLICIES:
        errors.append(v.unsupported(f"{path}.imagePullPolicy", policy, PULL_POLICIES))
    for field in ("command", "args"):
        value = c.get(field)
        if value is not None and (not isinstance(value, list) or not all(isinstance(x, str) for x in value)):
            errors.append(v.type_error(f"{path}.{field}", value, "array of strings"))
    errors.extend(v.is_list(f"{path}.env", c.get("env")))
    for i, env in enumerate(c.get("env") or [] if isinstance(c.get("env"), list) else []):
        if not isinstance(env, dict) or not env.get("name"):
            errors.append(v.required(f"{path}.env[{i}].name"))
        elif env.get("valueFrom") is not None:
            errors.extend(_one_source(f"{path}.env[{i}].valueFrom", env["valueFrom"], ENV_SOURCES))
            if env.get("value"):
                errors.append(v.invalid(f"{path}.env[{i}].valueFrom", "",
                                        "may not be specified when `value` is not empty"))
    for source in c.get("envFrom") or [] if isinstance(c.get("envFrom"), list) else []:
        # validateEnvFrom reports at envFrom itself, not at the entry's index.
        errors.extend(_one_source(f"{path}.envFrom", source, ENV_FROM_SOURCES))
    if c.get("volumeMounts") is not None:
        errors.extend(_validate_mounts(f"{path}.volumeMounts", c["volumeMounts"], volumes))
    ports = c.get("ports")
    errors.extend(v.is_list(f"{path}.ports", ports))
    for i, port in enumerate(ports if isinstance(ports, list) else []):
        pp = f"{path}.ports[{i}]"
        if not isinstance(port, dict):
            errors.append(v.type_error(pp, port, "object"))
            continue
        number = port.get("containerPort")
        if number is None or number == 0:  # an int32, not a pointer: 0 is no port at all
            errors.append(v.required(f"{pp}.containerPort"))
        elif isinstance(number, bool) or not isinstance(number, int):
            errors.append(v.type_error(f"{pp}.containerPort", number, "integer"))
        elif not 1 <= number <= 65535:
            errors.append(v.invalid(f"{pp}.containerPort", number, "must be between 1 and 65535, inclusive"))
        host_port = port.get("hostPort")
        if host_port is not None and (not isinstance(host_port, int) or not 0 <= host_port <= 65535):
            errors.append(v.invalid(f"{pp}.hostPort", host_port, "must be between 1 and 65535, inclusive"))
        protocol = port.get("protocol")
        if protocol is not None and protocol not in PROTOCOLS:
            errors.append(v.unsupported(f"{pp}.protocol", protocol, PROTOCOLS))
    resources = c.get("resources")
    errors.extend(v.is_mapping(f"{path}.resources", resources))
    if isinstance(resources, dict):
        lim_errors, limits = _quantity_errors(f"{path}.resources.limits", resources.get("limits"))
        req_errors, requests = _quantity_errors(f"{path}.resources.requests", resources.get("requests"))
        errors.extend(lim_errors + req_errors)  # limits first, as upstream walks them
        for res, req in requests.items():
            if res in limits and req > limits[res]:
                errors.append(v.invalid(f"{path}.resources.requests", resources["requests"][res],
                                        f"must be less than or equal to {res} limit of "
                                        f"{resources['limits'][res]}"))
    for probe in PROBES:
        if is_init and probe in c and c.get("restartPolicy") != "Always":
            errors.append(v.forbidden(f"{path}.{probe}", "may not be set for init containers without "
                                                         "restartPolicy=Always"))
            continue
        errors.extend(_validate_probe(f"{path}.{probe}", c.get(probe), probe))
    restart = c.get("restartPolicy")
    if restart is not None and (not is_init or restart != "Always"):
        errors.append(v.unsupported(f"{path}.restartPolicy", restart, ["Always"]) if is_init else
                      v.forbidden(f"{path}.restartPolicy", "may not be set for non-init containers"))
    return errors


def validate_pod_spec(path: str, spec: Any) -> FieldErrors:
    if spec is None:
        return [v.required(path)]
    if not isinstance(spec, dict):
        return [v.type_error(path, spec, "object")]
    errors: FieldErrors = []
    seen: set[str] = set()
    declared = spec.get("volumes")
    volumes: set[str] = set()
    for i, volume in enumerate(declared if isinstance(declared, list) else ()):
        name = volume.get("name") if isinstance(volume, dict) else None
        if not name:
            errors.append(v.required(f"{path}.volumes[{i}].name"))
        elif name in volumes:
            errors.append(v.duplicate(f"{path}.volumes[{i}].name", name))
        else:
            errors.extend(v.dns1123_label(f"{path}.volumes[{i}].name", name))
            volumes.add(str(name))
    containers = spec.get("containers")
    if not containers:
        errors.append(v.required(f"{path}.containers"))
    elif not isinstance(containers, list):
        errors.append(v.type_error(f"{path}.containers", containers, "array"))
    else:
        for i, c in enumerate(containers):
            errors.extend(_validate_container(f"{path}.containers[{i}]", c, seen, False, volumes))
    inits = spec.get("initContainers")
    errors.extend(v.is_list(f"{path}.initContainers", inits))
    for i, c in enumerate(inits if isinstance(inits, list) else []):
        errors.extend(_validate_container(f"{path}.initContainers[{i}]", c, seen, True, volumes))
    restart = spec.get("restartPolicy")
    if restart is not None and restart not in RESTART_POLICIES:
        errors.append(v.unsupported(f"{path}.restartPolicy", restart, RESTART_POLICIES))
    dns_policy = spec.get("dnsPolicy")
    if dns_policy is not None and dns_policy not in DNS_POLICIES:
        errors.append(v.unsupported(f"{path}.dnsPolicy", dns_policy, DNS_POLICIES))
    # A negative terminationGracePeriodSeconds is no error (v1.36 accepts it; a pod created from it gets 1).
    errors.extend(v.non_negative(f"{path}.activeDeadlineSeconds", spec.get("activeDeadlineSeconds")))
    errors.extend(v.labels(f"{path}.nodeSelector", spec.get("nodeSelector")))
    node_name = spec.get("nodeName")
    if node_name:
        errors.extend(v.dns1123_subdomain(f"{path}.nodeName", node_name))
    errors.extend(_validate_tolerations(f"{path}.tolerations", spec.get("tolerations")))
    errors.extend(v.is_mapping(f"{path}.affinity", spec.get("affinity")))
    return errors


def _validate_tolerations(path: str, tolerations: Any) -> FieldErrors:
    if tolerations is None:
        return []
    if not isinstance(tolerations, list):
        return [v.type_error(path, tolerations, "array")]
    errors: FieldErrors = []
    effects = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
    for i, t in enumerate(tolerations):
        p = f"{path}[{i}]"
        if not isinstance(t, dict):
            errors.append(v.type_error(p, t, "object"))
            continue
        op = t.get("operator", "Equal")
        if op not in ("Equal", "Exists"):
            errors.append(v.unsupported(f"{p}.operator", op, ["Equal", "Exists"]))
        if op == "Exists" and t.get("value"):
            errors.append(v.invalid(f"{p}.operator", t.get("value"),
                                    "value must be empty when `operator` is 'Exists'"))
        if not t.get("key") and op != "Exists":
            errors.append(v.invalid(f"{p}.operator", op,
                                    "operator must be Exists when `key` is empty, which means \"match all values "
                                    "and all keys\""))
        effect = t.get("effect")
        if effect and effect not in effects:
            errors.append(v.unsupported(f"{p}.effect", effect, effects))
        seconds = t.get("tolerationSeconds")
        if seconds is not None and effect != "NoExecute":
            errors.append(v.invalid(f"{p}.effect", effect,
                                    "effect must be 'NoExecute' when `tolerationSeconds` is set"))
    return errors


def validate_pod_template(path: str, template: Any, selector: Any = None) -> FieldErrors:
    """A workload's template: metadata labels plus a PodSpec, labels matching the selector."""
    if template is None:
        return [v.required(path)]
    if not isinstance(template, dict):
        return [v.type_error(path, template, "object")]
    errors: FieldErrors = []
    meta = template.get("metadata") or {}
    if not isinstance(meta, dict):
        errors.append(v.type_error(f"{path}.metadata", meta, "object"))
        meta = {}
    # ValidatePodTemplateSpec names them without `metadata` (fldPath.Child("labels")), as the API server says.
    errors.extend(v.labels(f"{path}.labels", meta.get("labels")))
    errors.extend(v.annotations(f"{path}.annotations", meta.get("annotations")))
    # A template's spec is a struct, not a pointer: null or absent is an empty PodSpec, which lacks containers.
    spec = template.get("spec")
    errors.extend(validate_pod_spec(f"{path}.spec", {} if spec is None else spec))
    return errors
