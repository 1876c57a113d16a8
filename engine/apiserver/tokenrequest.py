"""`POST /api/v1/namespaces/NS/serviceaccounts/NAME/token`: the TokenRequest subresource (`kubectl create token`),
as pkg/registry/core/serviceaccount/storage/token.go answers it: a signed token for the account, bound to a
Pod, Secret or Node when asked, for the audiences asked (the API server's own by default), 201 with the request
and its status. Stored nowhere.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import errors
from ..clock import Clock
from ..kinds import validation as v
from ..satoken import ISSUER, bound_claims, signer_for
from ..store import Store
from ..timeutil import format_time
from .patching import field_manager
from .resources import read_body
from .status import json_response, method_not_allowed

Obj = dict[str, Any]
GROUP_VERSION = "authentication.k8s.io/v1"
DEFAULT_SECONDS = 3600  # TokenRequestSpec.ExpirationSeconds' default
MIN_SECONDS = 600  # ValidateTokenRequest: "may not specify a duration less than 10 minutes"
_BOUND = {"Pod": ("pods", "v1"), "Secret": ("secrets", "v1"), "Node": ("nodes", "v1")}


def _invalid(field: str, value: Any, message: str) -> errors.ApiError:
    return errors.invalid("TokenRequest", "authentication.k8s.io", "", [v.invalid(field, value, message)])


class TokenRequests:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def register(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token", self.create)

    async def create(self, request: web.Request) -> web.Response:
        if request.method != "POST":
            raise method_not_allowed()
        namespace, name = request.match_info["namespace"], request.match_info["name"]
        body = await read_body(request)
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was not a TokenRequest object")
        spec = dict(body.get("spec") or {})
        sa = self.store.get("serviceaccounts", namespace, name)
        if sa is None:
            raise errors.not_found("serviceaccounts", "", name)
        seconds = spec.get("expirationSeconds") or DEFAULT_SECONDS
        if not isinstance(seconds, int) or seconds < MIN_SECONDS:
            raise _invalid("spec.expirationSeconds", seconds, "may not specify a duration less than 10 minutes")
        audiences = [str(a) for a in spec.get("audiences") or ()] or [ISSUER]
        bound: dict[str, Obj] = {}
        ref = spec.get("boundObjectRef")
        if isinstance(ref, dict) and ref:
            kind = str(ref.get("kind") or "")
            if kind not in _BOUND:
                raise _invalid("spec.boundObjectRef.kind", kind, 'supported values: "Node", "Pod", "Secret"')
            resource, _ = _BOUND[kind]
            found = self.store.get(resource, "" if kind == "Node" else namespace, str(ref.get("name") or ""))
            if found is None:
                raise errors.not_found(resource, "", str(ref.get("name") or ""))
            if ref.get("uid") and ref["uid"] != found["metadata"].get("uid"):
                raise errors.conflict(resource, "", str(ref.get("name") or ""))
            bound[kind.lower()] = found
            if kind == "Pod" and (found.get("spec") or {}).get("nodeName"):
                node = self.store.get("nodes", "", found["spec"]["nodeName"])
                if node is not None:
                    bound["node"] = node  # a pod-bound token names the pod's node too
        now = self.clock.now()
        claims = bound_claims(sa, audiences, int(now), seconds, **bound)
        token = signer_for(self.store).sign(claims)
        meta = {"name": name, "namespace": namespace, "uid": sa["metadata"].get("uid", ""),
                "creationTimestamp": format_time(now),
                "managedFields": [{"manager": field_manager(request.query, request.headers.get("User-Agent")),
                                   "operation": "Update", "apiVersion": GROUP_VERSION, "time": format_time(now),
                                   "fieldsType": "FieldsV1",
                                   "fieldsV1": {"f:spec": {f"f:{k}": {} for k in sorted(spec)}},
                                   "subresource": "token"}]}
        answer_spec = {"audiences": audiences, "expirationSeconds": seconds,
                       "boundObjectRef": spec.get("boundObjectRef") or None}
        return json_response({"kind": "TokenRequest", "apiVersion": GROUP_VERSION, "metadata": meta,
                              "spec": answer_spec,
                              "status": {"token": token, "expirationTimestamp": format_time(now + seconds)}}, 201)
