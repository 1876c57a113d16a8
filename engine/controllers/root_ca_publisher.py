"""The root CA publisher (`k/k pkg/controller/certificates/rootcacertpublisher/publisher.go`).

Every namespace gets a ConfigMap `kube-root-ca.crt` whose key `ca.crt` holds the cluster's CA bundle, so pods can
verify the API server (the projected service-account volume mounts it). It is created when a namespace appears,
recreated if deleted, and its data and description annotation are put back if someone edits them. A namespace
being deleted gets none (the API server would refuse the create anyway).
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..runtime import register_controller
from ..store import WatchEvent
from .per_namespace import PerNamespaceController

Obj = dict[str, Any]

ROOT_CA_CONFIGMAP = "kube-root-ca.crt"
DESCRIPTION_ANNOTATION = "kubernetes.io/description"
DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
               "such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
               "distributions of Kubernetes clusters.")

# A fixed, fake CA: a self-signed `CN=kubernetes` certificate generated once for the simulator, whose private key
# was thrown away. It only has to look like what a cluster publishes; nothing here verifies TLS with it.
ROOT_CA_PEM = """-----BEGIN CERTIFICATE-----
MIIDGzCCAgOgAwIBAgIUU6d2ZP3upZEhYNiH0e3dIPStyFwwDQYJKoZIhvcNAQEL
BQAwFTETMBEGA1UEAwwKa3ViZXJuZXRlczAeFw0yNjEyMDIwMzU1MTdaFw0zNjEx
MjkwMzU1MTdaMBUxEzARBgNVBAMMCmt1YmVybmV0ZXMwggEiMA0GCSqGSIb3DQEB
AQUAA4IBDwAwggEKAoIBAQC/pMsAMpdS06JlFw2o/qCEFvme0qs9HTZ+Z0A/hG9q
uQWXFFtJrs+Fxto/8XZ1Tbx3OOVRmJeYa1ifzn0vRe8THvDMTa6tA4g0xwj6KSD/
vsnIwf3Dstmi2YTYShGCJNbjNo+UC1/2HM5MGxfiCLdzicBBuHihnAN6aUJd/Dqx
P4fHLE5foRLM5cDzUFUk8AQNGGOBl/RNqhjNMptPPg0yM8VnUztBChCQ/GjzMIv1
EIfaZ5SPinyF9Yc6Axrt0MnAUCm6Fe4DH5F1bVKMI2tBd4N2OhP4z97nRg1sGOY4
j77EnEAUD+qQzDj0eqRy9JsYZKvw0xMj3snbvUBaeMcvAgMBAAGjYzBhMB0GA1Ud
DgQWBBT5qQ1rB22lJQEIsVqdukQOz+GdQzAfBgNVHSMEGDAWgBT5qQ1rB22lJQEI
sVqdukQOz+GdQzAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwICpDANBgkq
hkiG9w0BAQsFAAOCAQEASgJP072sBOm+wLs0rSZWusdFL0CTDyFGaFnwWkMAyRw5
NBTryN5GVcPc5Y5GQeVGsW5Gup2BZujvSCyEOukPJ57IU4012cnbF96AgKZ2Gujp
U+xHJkr2yTwdwOovqkV6V6cYJUVSxDl2D6F8eALumc3fNefO8CbNhOMzv9kYWJDR
9ByvZhIchdws5WBgAcRIk5TMJd4bbbE+TyYvktEmcUcC/BMeorIyoduPR5lS+bsE
h+ticg1j0j0LZ5J6+nED8AdcsLO/LoPHM6AffF8wazD5WJtU34Z7D/6u7HFUFZOu
ICbCxQ7Yu+qsKeN558213vt0uHeqOrk1Kb3sEqHvqg==
-----END CERTIFICATE-----
"""


@register_controller
class RootCACertPublisher(PerNamespaceController):
    name = "root-ca-cert-publisher"
    resources = ("namespaces", "configmaps")

    def needs_sync(self, event: WatchEvent) -> bool:
        # configMapDeleted / configMapUpdated: only the published ConfigMap matters.
        return event.object["metadata"].get("name") == ROOT_CA_CONFIGMAP and event.type != "ADDED"

    def reconcile(self, key: str) -> float | None:
        """syncNamespace: create the ConfigMap, or put back its data and description."""
        ns = self.store.get("namespaces", "", key)
        if ns is None or ns["metadata"].get("deletionTimestamp"):
            return None
        data = {"ca.crt": ROOT_CA_PEM}
        cm = self.store.get("configmaps", key, ROOT_CA_CONFIGMAP)
        if cm is None:
            try:
                self.api.create({"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": ROOT_CA_CONFIGMAP, "namespace": key,
                                              "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION}},
                                 "data": data})
            except ApiError as exc:
                if exc.code not in (403, 409):  # terminating namespace, or created meanwhile
                    raise
            return None
        annotations = cm["metadata"].get("annotations") or {}
        if cm.get("data") == data and annotations.get(DESCRIPTION_ANNOTATION):
            return None
        meta = {**cm["metadata"], "annotations": {**annotations, DESCRIPTION_ANNOTATION: DESCRIPTION}}
        self.api.update({**cm, "metadata": meta, "data": data})
        return None
