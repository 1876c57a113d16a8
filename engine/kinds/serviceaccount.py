"""ServiceAccount (v1): the identity a pod's processes have towards the API server.

Also the ServiceAccount admission plugin (`plugin/pkg/admission/serviceaccount/admission.go`, Admit), which the
Pod kind runs when a pod is created: the pod gets `default` when it names none, a pod naming a ServiceAccount
that does not exist is refused, and unless `automountServiceAccountToken: false` (the pod's word first, then the
ServiceAccount's) the `kube-api-access-<5>` projected volume (a bound token, the cluster CA from
`kube-root-ca.crt`, the namespace) is added and mounted read-only at `/var/run/secrets/kubernetes.io/serviceaccount`
in every container that does not mount something there already.
"""

from __future__ import annotations

import random
from typing import Any

from .. import errors
from ..printers.describe import _annotations_multiline, _describe_events, _labels_multiline, _Writer
from ..printers.services import _age
from ..quoting import go_quote
from .registry import REGISTRY, DescribeContext, KindInfo, Obj

DEFAULT = "default"
VOLUME_PREFIX = "kube-api-access-"
MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
# serviceaccount.WarnOnlyBoundTokenExpirationSeconds: 1 h + 7 s, so the API server can tell the admission
# plugin's tokens (which it extends, warning when they are used past an hour) from tokens asked for explicitly.
TOKEN_EXPIRATION_SECONDS = 3607
PROJECTED_DEFAULT_MODE = 420  # 0644, set explicitly by the plugin (kubernetes#104464)
# names.SimpleNameGenerator's alphabet: no vowels or look-alike digits, as for generateName.
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token"


def _row(sa: Obj, now: float) -> list[str]:
    return [str(sa["metadata"].get("name", "")), _age(sa, now)]


def _describe(sa: Obj, ctx: DescribeContext) -> str:
    """describeServiceAccount: the three secret lists under headers kubectl sorts by name, `(not found)` for a
    named Secret that does not exist; tokens are the legacy token Secrets that belong to the account."""
    meta = sa["metadata"]
    namespace = meta.get("namespace", "")
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{namespace}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    tokens = sorted(s["metadata"]["name"] for s in ctx.list("secrets", namespace)
                    if s.get("type") == TOKEN_SECRET_TYPE
                    and (s["metadata"].get("annotations") or {}).get("kubernetes.io/service-account.name")
                    == meta.get("name"))
    sections = (("Image pull secrets:", [str(r.get("name", "")) for r in sa.get("imagePullSecrets") or ()]),
                ("Mountable secrets: ", [str(r.get("name", "")) for r in sa.get("secrets") or ()]),
                ("Tokens:            ", tokens))
    for header, names in sections:
        if not names:
            w.write(0, f"{header}\t<none>\n")
        for i, name in enumerate(names):
            missing = ctx.get("secrets", namespace, name) is None
            w.write(0, f"{header if i == 0 else ' ' * 19}\t{name}{' (not found)' if missing else ''}\n")
    _describe_events(w, ctx.events(sa), ctx.now())
    return w.text()


SERVICE_ACCOUNT = REGISTRY.register(KindInfo(
    kind="ServiceAccount", group="", version="v1", plural="serviceaccounts", namespaced=True, short_names=("sa",),
    has_status=False, columns=("NAME", "AGE"), row=_row, describe=_describe,
))


# --- admission ---------------------------------------------------------------------------------------------------

def token_volume_source() -> Obj:
    """TokenVolumeSource."""
    return {"defaultMode": PROJECTED_DEFAULT_MODE, "sources": [
        {"serviceAccountToken": {"expirationSeconds": TOKEN_EXPIRATION_SECONDS, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace",
                                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
    ]}


def _request_name(meta: Obj) -> str:
    """The name admission errors use: the pod's, or its generateName while the name is still to be generated
    (the API server generates it after admission; here it was generated just before)."""
    name, base = str(meta.get("name", "")), meta.get("generateName")
    if base and len(name) == len(str(base)[:58]) + 5 and name.startswith(str(base)[:58]):
        return str(base)
    return name


def _volume_name(api: Any, pod: Obj) -> str:
    """A random suffix that does not draw from the cluster's seeded sequence (pod names, uids and cluster IPs
    stay what they were), yet is the same from run to run: seeded by the pod and the store's revision."""
    meta = pod["metadata"]
    rng = random.Random(f"{meta.get('namespace')}/{meta.get('name')}/{api.store.resource_version}")
    return VOLUME_PREFIX + "".join(rng.choice(_ALPHABET) for _ in range(5))


def _mount_token(api: Any, pod: Obj) -> None:
    """mountServiceAccountToken."""
    spec = pod["spec"]
    volumes = spec.get("volumes") or []
    existing = next((v.get("name") for v in volumes if str(v.get("name", "")).startswith(VOLUME_PREFIX)), None)
    name = existing or _volume_name(api, pod)
    needed = False
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or ():
            mounts = c.get("volumeMounts") or []
            if any(m.get("mountPath") == MOUNT_PATH for m in mounts):
                continue  # an existing mount at the path prevents the token's
            c["volumeMounts"] = [*mounts, {"name": name, "readOnly": True, "mountPath": MOUNT_PATH}]
            needed = True
    if existing is None and needed:
        spec["volumes"] = [*volumes, {"name": name, "projected": token_volume_source()}]


def ensure_default(api: Any, namespace: str) -> Obj | None:
    """The `default` ServiceAccount, created if the namespace is active and lacks it (the controller's create)."""
    found = api.store.get("serviceaccounts", namespace, DEFAULT)
    if found is not None:
        return found  # type: ignore[no-any-return]
    ns = api.store.get("namespaces", "", namespace)
    if ns is None or ns["metadata"].get("deletionTimestamp"):
        return None
    try:
        with api.own_random(f"serviceaccount/{namespace}/{api.store.resource_version}"):
            return api.create({"apiVersion": "v1", "kind": "ServiceAccount",  # type: ignore[no-any-return]
                               "metadata": {"name": DEFAULT, "namespace": namespace}})
    except errors.ApiError as exc:
        if exc.code not in (403, 409):  # terminating namespace, or created meanwhile
            raise
        return api.store.get("serviceaccounts", namespace, DEFAULT)  # type: ignore[no-any-return]


def admit_pod(api: Any, pod: Obj, old: Obj | None) -> list[tuple[str, str]]:
    """Admit for pods (create only; the Pod kind's allocate hook, which runs where admission does)."""
    spec = pod.get("spec")
    if old is not None or not isinstance(spec, dict):
        return []
    meta = pod["metadata"]
    if "kubernetes.io/config.mirror" in (meta.get("annotations") or {}):
        return []  # mirror pods are the kubelet's: left as they are
    namespace = meta.get("namespace", "")
    name = str(spec.get("serviceAccountName") or DEFAULT)
    spec["serviceAccountName"] = name
    sa = api.store.get("serviceaccounts", namespace, name)
    if sa is None and name == DEFAULT:
        # getServiceAccount retries `default` ten times, 100-200 ms apart, because the serviceaccounts controller
        # creates it a few milliseconds after the namespace. The simulator cannot wait inside a request, and its
        # controller runs only when the request is over: a manifest folder with a Namespace and a Pod (or a
        # Deployment whose ReplicaSet acts in the same round) would be refused where a real cluster accepts it.
        # So the wait is settled here by doing the controller's create now; the object is the one it makes.
        sa = ensure_default(api, namespace)
    if sa is None:
        raise errors.forbidden("pods", "", _request_name(meta),
                               f"error looking up service account {namespace}/{name}: "
                               f"serviceaccount {go_quote(name)} not found")
    automount = spec.get("automountServiceAccountToken")
    if automount is None:
        automount = sa.get("automountServiceAccountToken")
    if automount is not False:
        _mount_token(api, pod)
    if not spec.get("imagePullSecrets") and sa.get("imagePullSecrets"):
        spec["imagePullSecrets"] = [{"name": r.get("name")} for r in sa["imagePullSecrets"]]
    return []
