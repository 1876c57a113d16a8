"""The self reviews: authorization.k8s.io/v1 SelfSubjectAccessReview (`kubectl auth can-i VERB RESOURCE`),
SelfSubjectRulesReview (`kubectl auth can-i --list`) and authentication.k8s.io/v1 SelfSubjectReview
(`kubectl auth whoami`). Create-only and stored nowhere, as in kube-apiserver: the answer is the request with a
status filled in, 201.

kubectl sends these in protobuf (its typed clientset); answers are JSON, which its Accept also allows.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import errors
from ..clock import Clock
from ..kinds import KindInfo
from ..timeutil import format_time
from . import discovery
from .authz import Authorizer, user_of
from .patching import field_manager
from .resources import read_body
from .status import json_response, method_not_allowed

Obj = dict[str, Any]
AUTHORIZATION = "authorization.k8s.io"
AUTHENTICATION = "authentication.k8s.io"

for _kind, _group in (("SelfSubjectAccessReview", AUTHORIZATION), ("SelfSubjectRulesReview", AUTHORIZATION),
                      ("SelfSubjectReview", AUTHENTICATION)):
    discovery.serve_beside(KindInfo(kind=_kind, group=_group, version="v1", plural=f"{_kind.lower()}s",
                                    namespaced=False, has_status=False), ["create"])

async def _spec(request: web.Request, group: str, kind: str) -> Obj:
    if request.method != "POST":
        raise method_not_allowed()
    body = await read_body(request)  # kubectl sends these in protobuf: read_body decodes it as any other
    if not isinstance(body, dict):
        raise errors.bad_request(f"the body of the request was not a {kind} object")
    if (body.get("kind") or kind) != kind or (body.get("apiVersion") or f"{group}/v1") != f"{group}/v1":
        raise errors.bad_request(f"the kind in the data ({body.get('kind')}) does not match the expected kind "
                                 f"({kind})")
    spec = body.get("spec") or {}
    if not isinstance(spec, dict):
        raise errors.bad_request(f"the body of the request was not a {kind} object")
    return spec


def _fields_v1(value: Obj) -> Obj:
    """The FieldsV1 set of a tree of maps and scalars (a review's spec has no lists)."""
    out: Obj = {}
    for key in sorted(value):
        child = value[key]
        out[f"f:{key}"] = {".": {}, **_fields_v1(child)} if isinstance(child, dict) else {}
    return out


class Reviews:
    def __init__(self, authorizer: Authorizer, clock: Clock) -> None:
        self.authorizer = authorizer
        self.clock = clock

    def register(self, app: web.Application) -> None:
        """Routes ahead of the generic resource routes, which would look these up among the stored kinds."""
        add = app.router.add_route
        add("*", f"/apis/{AUTHORIZATION}/v1/selfsubjectaccessreviews", self.access_review)
        add("*", f"/apis/{AUTHORIZATION}/v1/selfsubjectrulesreviews", self.rules_review)
        add("*", f"/apis/{AUTHENTICATION}/v1/selfsubjectreviews", self.self_review)

    async def access_review(self, request: web.Request) -> web.Response:
        kind = "SelfSubjectAccessReview"
        spec = await _spec(request, AUTHORIZATION, kind)
        resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
        if (resource is None) == (non_resource is None):
            message = ("Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be "
                       "specified")
            raise errors.ApiError(422, "Invalid", f'.{AUTHORIZATION} "" is invalid: spec.resourceAttributes: {message}',
                                  group=AUTHORIZATION, causes=[{"reason": "FieldValueInvalid", "message": message,
                                                                "field": "spec.resourceAttributes"}])
        allowed, reason = self.authorizer.authorize(user_of(request), spec)
        status: Obj = {"allowed": allowed}
        if reason:
            status["reason"] = reason
        # kube-apiserver runs even a create it stores nowhere through the field manager: the answer carries
        # the request's managedFields entry.
        managed = {"manager": field_manager(request.query, request.headers.get("User-Agent")), "operation": "Update",
                   "apiVersion": f"{AUTHORIZATION}/v1", "time": format_time(self.clock.now()),
                   "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": _fields_v1(spec)}}
        return json_response({"kind": kind, "apiVersion": f"{AUTHORIZATION}/v1",
                              "metadata": {"managedFields": [managed]}, "spec": spec, "status": status}, 201)

    async def rules_review(self, request: web.Request) -> web.Response:
        kind = "SelfSubjectRulesReview"
        spec = await _spec(request, AUTHORIZATION, kind)
        if not spec.get("namespace"):
            raise errors.bad_request("no namespace on request")
        rules = self.authorizer.rules_for(user_of(request), str(spec["namespace"]))
        status: Obj = {"resourceRules": list(rules.resource_rules), "nonResourceRules": list(rules.non_resource_rules),
                       "incomplete": rules.incomplete}
        if rules.evaluation_error:
            status["evaluationError"] = rules.evaluation_error
        # The answer is a new object with only a status (the REST storage does not echo the spec).
        return json_response({"kind": kind, "apiVersion": f"{AUTHORIZATION}/v1", "metadata": {}, "spec": {},
                              "status": status}, 201)

    async def self_review(self, request: web.Request) -> web.Response:
        if request.method != "POST":
            raise method_not_allowed()
        await request.read()  # the request says nothing: who is asking is the answer
        return json_response({"kind": "SelfSubjectReview", "apiVersion": f"{AUTHENTICATION}/v1",
                              "metadata": {"creationTimestamp": format_time(self.clock.now())},
                              "status": {"userInfo": user_of(request).to_json()}}, 201)
