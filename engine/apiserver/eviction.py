"""POST pods/{name}/eviction (policy/v1 Eviction): the pod's PodDisruptionBudget is asked, then the pod is marked a
DisruptionTarget and deleted gracefully, through the same `engine.eviction.evict` the dashboard's drain uses.

As kube-apiserver's EvictionREST: the name in the body must be the path's, DeleteOptions come from the body
(its dryRun must agree with the query's), a missing pod is 404, and success is `201` with a bare `Status`
(`{"status": "Success", "code": 201}`, nothing else). The body is read as any other (JSON, YAML or a typed
client's protobuf).

A budget's refusal is a 429 Status as upstream's (a `DisruptionBudget` cause naming the budget); the one that
suggests a delay (`retryAfterSeconds`) also carries the `Retry-After` header, as the API server's error writer adds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .. import errors, eviction
from ..api import Api
from .status import error_response, json_response

Obj = dict[str, Any]
# The Eviction versions EvictionREST accepts (AcceptsGroupVersion); discovery advertises policy/v1.
ACCEPTED_VERSIONS = ("policy/v1", "policy/v1beta1")


def _check(body: Any, namespace: str, name: str) -> Obj:
    if not isinstance(body, dict):
        raise errors.bad_request("the body of the request was not an Eviction object")
    api_version, kind = body.get("apiVersion") or "policy/v1", body.get("kind") or "Eviction"
    if kind != "Eviction" or api_version not in ACCEPTED_VERSIONS:
        version = str(api_version).rpartition("/")[2]
        raise errors.bad_request(f'{kind} in version "{version}" cannot be handled as a Eviction: converting '
                                 f"({version}.{kind}) to (policy.Eviction): unknown conversion")
    meta = body.get("metadata") or {}
    if not isinstance(meta, dict):
        raise errors.bad_request("the body of the request was not an Eviction object")
    if meta.get("namespace") and meta["namespace"] != namespace:
        raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the "
                                 "request")
    if meta.get("name", "") != name:
        raise errors.bad_request("name in URL does not match name in Eviction object")
    options = body.get("deleteOptions") or {}
    if not isinstance(options, dict):
        raise errors.bad_request("the body of the request was not an Eviction object")
    return options


def _dry_run(options: Obj, query: Any) -> bool:
    """propagateDryRun: the body's dryRun, else the query's; both given, they must agree."""
    asked, given = list(query.getall("dryRun", [])), list(options.get("dryRun") or [])
    if asked and given and asked != given:
        raise errors.ApiError(500, "InternalError", "Internal error occurred: Non-matching dry-run options in "
                              f"request and content: [{' '.join(asked)}] and [{' '.join(given)}]")
    for value in given or asked:
        if value != "All":
            raise errors.bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
    return bool(given or asked)


async def serve(request: web.Request, api: Api, namespace: str, name: str,
                read_body: Callable[[web.Request], Awaitable[Any]]) -> web.Response:
    options = _check(await read_body(request), namespace, name)
    dry_run = _dry_run(options, request.query)
    pod = api.get("pods", name, namespace)  # 404 `pods "x" not found` before anything else
    preconditions = options.get("preconditions") or {}
    meta = pod["metadata"]
    if (preconditions.get("uid") and preconditions["uid"] != meta.get("uid")) or (
            preconditions.get("resourceVersion") and preconditions["resourceVersion"] != meta.get("resourceVersion")):
        raise errors.conflict("pods", "", name)
    grace = options.get("gracePeriodSeconds")
    if grace is not None and not isinstance(grace, int):
        raise errors.bad_request("gracePeriodSeconds: must be an integer")
    try:
        eviction.evict(api, pod, grace, dry_run=dry_run)
    except errors.ApiError as exc:
        retry_after = (exc.status.get("details") or {}).get("retryAfterSeconds")
        if not retry_after:
            raise
        response = error_response(exc)
        response.headers["Retry-After"] = str(retry_after)
        return response
    return json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201},
                         201)
