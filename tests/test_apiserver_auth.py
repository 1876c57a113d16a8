"""`kubectl auth can-i` and `kubectl auth whoami` through the self reviews (authorization.k8s.io/v1,
authentication.k8s.io/v1). What is expected was printed by kubectl v1.32 against a real v1.36 kube-apiserver for
its admin (a member of system:masters, like k9py's token)."""

from __future__ import annotations

import json

from test_apiserver_kit import Served, needs_kubectl, served

pytestmark = needs_kubectl
__all__ = ["served"]

# `kubectl auth can-i --list` for a cluster-admin, in any namespace, as kube-apiserver's rules make kubectl print it.
CAN_I_LIST = """\
Resources                                       Non-Resource URLs   Resource Names   Verbs
*.*                                             []                  []               [*]
                                                [*]                 []               [*]
selfsubjectreviews.authentication.k8s.io        []                  []               [create]
selfsubjectaccessreviews.authorization.k8s.io   []                  []               [create]
selfsubjectrulesreviews.authorization.k8s.io    []                  []               [create]
                                                [/.well-known/*]    []               [get]
                                                [/.well-known]      []               [get]
                                                [/api/*]            []               [get]
                                                [/api]              []               [get]
                                                [/apis/*]           []               [get]
                                                [/apis]             []               [get]
                                                [/healthz]          []               [get]
                                                [/healthz]          []               [get]
                                                [/livez]            []               [get]
                                                [/livez]            []               [get]
                                                [/openapi/*]        []               [get]
                                                [/openapi]          []               [get]
                                                [/readyz]           []               [get]
                                                [/readyz]           []               [get]
                                                [/version/]         []               [get]
                                                [/version/]         []               [get]
                                                [/version]          []               [get]
                                                [/version]          []               [get]
"""
SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
SSRR = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"


async def test_can_i_says_yes_to_the_admin(served: Served) -> None:
    assert await served.ok("auth", "can-i", "create", "deployments") == "yes\n"
    assert await served.ok("auth", "can-i", "delete", "pods", "-n", "kube-system") == "yes\n"
    assert await served.ok("auth", "can-i", "get", "pods/log") == "yes\n"
    assert await served.ok("auth", "can-i", "*", "*") == "yes\n"
    assert await served.ok("auth", "can-i", "get", "/logs") == "yes\n"
    # A kind k9py does not serve: kubectl warns (and prints a blank line), RBAC's `*` still allows it.
    code, out, err = await served.kubectl("auth", "can-i", "create", "foos.bar.example")
    assert (code, out, err) == (0, "yes\n", "Warning: the server doesn't have a resource type 'foos' in group "
                                            "'bar.example'\n\n")


async def test_can_i_list_prints_the_cluster_admin_rules(served: Served) -> None:
    assert await served.ok("auth", "can-i", "--list") == CAN_I_LIST
    assert await served.ok("auth", "can-i", "--list", "-n", "kube-system") == CAN_I_LIST


async def test_whoami(served: Served) -> None:
    assert (await served.ok("auth", "whoami")).splitlines() == [
        "ATTRIBUTE   VALUE", "Username    k9py-admin", "UID         k9py-admin",
        "Groups      [system:masters system:authenticated]"]
    review = json.loads(await served.ok("auth", "whoami", "-o", "json"))
    assert review["kind"] == "SelfSubjectReview" and review["apiVersion"] == "authentication.k8s.io/v1"
    assert review["status"] == {"userInfo": {"username": "k9py-admin", "uid": "k9py-admin",
                                             "groups": ["system:masters", "system:authenticated"]}}
    assert set(review["metadata"]) == {"creationTimestamp"}


async def test_discovery_lists_the_reviews_create_only(served: Served) -> None:
    resources = (await served.ok("api-resources")).splitlines()
    assert [line.split() for line in resources if "review" in line] == [
        ["selfsubjectreviews", "authentication.k8s.io/v1", "false", "SelfSubjectReview"],
        ["selfsubjectaccessreviews", "authorization.k8s.io/v1", "false", "SelfSubjectAccessReview"],
        ["selfsubjectrulesreviews", "authorization.k8s.io/v1", "false", "SelfSubjectRulesReview"]]
    _, listed, _ = await served.request("GET", "/apis/authorization.k8s.io/v1")
    assert listed["resources"] == [
        {"name": "selfsubjectaccessreviews", "singularName": "selfsubjectaccessreview", "namespaced": False,
         "kind": "SelfSubjectAccessReview", "verbs": ["create"]},
        {"name": "selfsubjectrulesreviews", "singularName": "selfsubjectrulesreview", "namespaced": False,
         "kind": "SelfSubjectRulesReview", "verbs": ["create"]}]
    _, group, _ = await served.request("GET", "/apis/authentication.k8s.io")
    assert group == {"kind": "APIGroup", "apiVersion": "v1", "name": "authentication.k8s.io",
                     "versions": [{"groupVersion": "authentication.k8s.io/v1", "version": "v1"}],
                     "preferredVersion": {"groupVersion": "authentication.k8s.io/v1", "version": "v1"}}
    _, aggregated, _ = await served.request(
        "GET", "/apis", headers={"Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"})
    [authn] = [item for item in aggregated["items"] if item["metadata"]["name"] == "authentication.k8s.io"]
    assert authn["versions"] == [{"version": "v1", "freshness": "Current", "resources": [
        {"resource": "selfsubjectreviews", "responseKind": {"group": "", "version": "", "kind": "SelfSubjectReview"},
         "scope": "Cluster", "singularResource": "selfsubjectreview", "verbs": ["create"]}]}]
    names = [item["metadata"]["name"] for item in aggregated["items"]]
    assert names.index("apps") < names.index("authentication.k8s.io") < names.index("authorization.k8s.io") \
        < names.index("batch")


async def test_review_bodies_and_errors(served: Served) -> None:
    spec = {"resourceAttributes": {"namespace": "default", "verb": "create", "group": "apps",
                                   "resource": "deployments"}}
    code, body, _ = await served.request("POST", f"{SSAR}?fieldManager=tester", json={
        "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": spec})
    assert code == 201 and body["spec"] == spec and body["status"] == {"allowed": True}
    [managed] = body["metadata"]["managedFields"]
    assert managed["manager"] == "tester" and managed["fieldsV1"] == {"f:spec": {"f:resourceAttributes": {
        ".": {}, "f:group": {}, "f:namespace": {}, "f:resource": {}, "f:verb": {}}}}

    code, body, _ = await served.request("POST", SSAR, json={"kind": "SelfSubjectAccessReview", "spec": {}})
    message = "Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified"
    assert (code, body) == (422, {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f'.authorization.k8s.io "" is invalid: spec.resourceAttributes: {message}', "reason": "Invalid",
        "details": {"group": "authorization.k8s.io", "causes": [
            {"reason": "FieldValueInvalid", "message": message, "field": "spec.resourceAttributes"}]},
        "code": 422})
    code, body, _ = await served.request("POST", SSRR, json={"kind": "SelfSubjectRulesReview", "spec": {}})
    assert (code, body["message"]) == (400, "no namespace on request")
    code, body, _ = await served.request("POST", SSRR, json={"spec": {"namespace": "default"}})
    assert code == 201 and body["spec"] == {} and body["status"]["incomplete"] is False
    code, body, _ = await served.request("GET", SSAR)
    assert (code, body["reason"], body["details"]) == (405, "MethodNotAllowed", {})
    code, body, _ = await served.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", json={})
    assert (code, body["reason"]) == (404, "NotFound")
