"""The token controller (`k/k pkg/controller/serviceaccount/tokens_controller.go`): a Secret of type
`kubernetes.io/service-account-token` naming a ServiceAccount (annotation `kubernetes.io/service-account.name`)
gets a signed legacy token, the cluster CA and the namespace in its data, and the account's uid in its
annotations; the API server takes that token for as long as the Secret and the account exist
(engine/satoken.py). A Secret whose account is gone (or was made again, with another uid) is deleted, as are an
account's token Secrets when the account is.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from ..errors import ApiError
from ..kinds.serviceaccount import TOKEN_SECRET_TYPE
from ..runtime import Controller, register_controller
from ..satoken import legacy_claims, signer_for
from ..store import WatchEvent
from .root_ca_publisher import ROOT_CA_PEM

Obj = dict[str, Any]
NAME_ANNOTATION = "kubernetes.io/service-account.name"
UID_ANNOTATION = "kubernetes.io/service-account.uid"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@register_controller
class TokensController(Controller):
    name = "serviceaccount-token-controller"
    resources = ("secrets", "serviceaccounts")

    def keys_for(self, event: WatchEvent) -> Iterable[str]:
        obj = event.object
        meta = obj["metadata"]
        namespace = meta.get("namespace", "")
        if event.resource == "secrets":
            if obj.get("type") == TOKEN_SECRET_TYPE and event.type != "DELETED":
                yield f"{namespace}/{meta['name']}"
            return
        if event.type == "DELETED":  # serviceAccountDeleted: its token Secrets go too
            for secret in self.store.iter("secrets", namespace):
                if secret.get("type") == TOKEN_SECRET_TYPE and (
                        (secret["metadata"].get("annotations") or {}).get(NAME_ANNOTATION) == meta["name"]):
                    yield f"{namespace}/{secret['metadata']['name']}"

    def reconcile(self, key: str) -> float | None:
        """syncSecret: delete a Secret whose account is gone, fill in one that lacks its token."""
        namespace, name = key.split("/", 1)
        secret = self.store.get("secrets", namespace, name)
        if secret is None or secret["metadata"].get("deletionTimestamp"):
            return None
        annotations = secret["metadata"].get("annotations") or {}
        sa = self.store.get("serviceaccounts", namespace, str(annotations.get(NAME_ANNOTATION) or ""))
        wanted_uid = annotations.get(UID_ANNOTATION)
        if sa is None or (wanted_uid and wanted_uid != sa["metadata"].get("uid")):
            try:
                self.api.delete("secrets", name, namespace)
            except ApiError as exc:
                if exc.code != 404:
                    raise
            return None
        data = secret.get("data") or {}
        if data.get("token") and data.get("ca.crt") and data.get("namespace") and wanted_uid:
            return None
        token = signer_for(self.store).sign(legacy_claims(sa, secret))
        filled = {**secret, "data": {**data, "ca.crt": _b64(ROOT_CA_PEM), "namespace": _b64(namespace),
                                     "token": _b64(token)},
                  "metadata": {**secret["metadata"],
                               "annotations": {**annotations, UID_ANNOTATION: sa["metadata"].get("uid", "")}}}
        self.api.update(filled)
        return None

    def object_for_key(self, key: str) -> Obj | None:
        namespace, name = key.split("/", 1)
        return self.store.get("secrets", namespace, name)  # type: ignore[no-any-return]
