"""The API server's contract: versions, conflicts, errors in Kubernetes' words, validation, watch."""

import re

import pytest

from engine.cluster import Cluster
from engine.errors import ApiError

DEPLOY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}},
                     "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}},
    },
}


@pytest.fixture
async def cluster():
    async with Cluster(nodes=1) as c:
        yield c


async def test_resource_version_is_a_global_counter_and_generation_tracks_spec_only(cluster):
    created = await cluster.create(DEPLOY)
    assert created["metadata"]["generation"] == 1
    rv1 = int(created["metadata"]["resourceVersion"])
    labelled = {**created, "metadata": {**created["metadata"], "labels": {"team": "a"}}}
    updated = await cluster.update(labelled)
    assert int(updated["metadata"]["resourceVersion"]) > rv1
    assert updated["metadata"]["generation"] == 1  # metadata change: no new generation
    scaled = await cluster.scale("deployment", "web", 5)
    assert scaled["metadata"]["generation"] == 2
    assert re.fullmatch(r"[0-9a-f-]{36}", created["metadata"]["uid"])
    assert created["metadata"]["creationTimestamp"] == "2026-01-01T00:00:00Z"


async def test_stale_update_is_a_conflict_with_the_real_message(cluster):
    created = await cluster.create(DEPLOY)
    await cluster.scale("deploy", "web", 3)
    with pytest.raises(ApiError) as err:
        await cluster.update({**created, "spec": {**created["spec"], "replicas": 9}})
    assert err.value.code == 409
    assert err.value.message == (
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; '
        "please apply your changes to the latest version and try again")


async def test_errors_use_kubernetes_wording_and_status_objects(cluster):
    with pytest.raises(ApiError) as err:
        await cluster.delete("pods", "x")
    assert err.value.message == 'pods "x" not found'
    assert err.value.status["reason"] == "NotFound" and err.value.status["code"] == 404
    await cluster.create(DEPLOY)
    with pytest.raises(ApiError) as err:
        await cluster.create(DEPLOY)
    assert err.value.message == 'deployments.apps "web" already exists'
    assert err.value.status["kind"] == "Status"
    with pytest.raises(ApiError) as err:
        cluster.get("flurb", "x")
    assert err.value.message == 'the server doesn\'t have a resource type "flurb"'


async def test_kind_lookup_accepts_every_name_kubectl_does(cluster):
    await cluster.create(DEPLOY)
    for name in ("deploy", "deployment", "deployments", "Deployment", "deployments.apps"):
        assert cluster.get(name, "web")["metadata"]["name"] == "web"
    assert cluster.get("no", "node-1")["kind"] == "Node"
    assert cluster.get("ns", "kube-system")["status"]["phase"] == "Active"


async def test_generate_name_appends_five_safe_characters(cluster):
    pod = await cluster.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-"},
                                "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    assert re.fullmatch(r"web-[bcdfghjklmnpqrstvwxz2456789]{5}", pod["metadata"]["name"])


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["metadata"].update(name="Web_1"),
     'Deployment.apps "Web_1" is invalid: metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain '
     "must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
     "character (e.g. 'example.com', regex used for validation is "
     "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
    (lambda d: d["spec"]["template"]["metadata"].update(labels={"app": "other"}),
     'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
     '{"app":"other"}: `selector` does not match template `labels`'),
    (lambda d: d["spec"].update(replicas=-1),
     'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'),
    (lambda d: d["spec"].update(replicas="three"),
     'Deployment.apps "web" is invalid: spec.replicas: Invalid value: "three": must be of type integer'),
    (lambda d: d["spec"]["template"]["spec"]["containers"][0].pop("image"),
     'Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value'),
    (lambda d: d["spec"].pop("selector"),
     # No selector selects nothing, so the template's labels do not match it either (kube-apiserver v1.36).
     'Deployment.apps "web" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid '
     'value: {"app":"web"}: `selector` does not match template `labels`]'),
    (lambda d: d["spec"].update(strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}),
     'Deployment.apps "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: '
     "may not be 0 when `maxSurge` is 0"),
    (lambda d: d["metadata"].update(labels={"bad key!": "x"}),
     'Deployment.apps "web" is invalid: metadata.labels: Invalid value: "bad key!": name part must consist of '
     "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
     "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
     "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"),
])
async def test_validation_messages_match_the_api_server(cluster, mutate, message):
    import copy

    bad = copy.deepcopy(DEPLOY)
    mutate(bad)
    with pytest.raises(ApiError) as err:
        await cluster.create(bad)
    assert err.value.code == 422
    assert err.value.message == message
    assert cluster.list("deploy", "default") == []


async def test_unknown_kind_and_wrong_version(cluster):
    with pytest.raises(ApiError) as err:
        await cluster.create({**DEPLOY, "apiVersion": "apps/v1beta1"})
    assert err.value.message.startswith('no matches for kind "Deployment" in version "apps/v1beta1"')
    with pytest.raises(ApiError) as err:
        await cluster.create({**DEPLOY, "kind": "Deploymnet"})
    assert err.value.message == 'no matches for kind "Deploymnet" in version "apps/v1" (did you mean "Deployment"?)'


async def test_defaults_are_filled_in(cluster):
    d = await cluster.create(DEPLOY)
    assert d["spec"]["strategy"] == {"type": "RollingUpdate",
                                     "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert d["spec"]["revisionHistoryLimit"] == 10 and d["spec"]["progressDeadlineSeconds"] == 600
    container = d["spec"]["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert d["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    pod = await cluster.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                                "spec": {"containers": [{"name": "c", "image": "nginx",
                                                         "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}})
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == "Always"  # no tag means :latest
    assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    assert pod["status"]["qosClass"] == "Guaranteed"
    assert {t["key"] for t in pod["spec"]["tolerations"]} == {"node.kubernetes.io/not-ready",
                                                             "node.kubernetes.io/unreachable"}


async def test_label_and_field_selectors(cluster):
    for name, labels in (("a", {"app": "web", "tier": "db"}), ("b", {"app": "web"}), ("c", {"app": "api"})):
        await cluster.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}})

    def names(**kw):
        return [p["metadata"]["name"] for p in cluster.list("pods", "default", **kw)]

    assert names(selector="app=web") == ["a", "b"]
    assert names(selector="app=web,tier notin (db)") == ["b"]
    assert names(selector="app in (web, api),!tier") == ["b", "c"]
    assert names(selector="tier") == ["a"]
    assert names(selector="app!=web") == ["c"]
    assert names(field_selector="metadata.name=c") == ["c"]
    assert names(field_selector="status.phase=Pending,metadata.name!=a") == ["b", "c"]
    with pytest.raises(ApiError, match="unable to parse requirement"):
        names(selector="app in web")


async def test_watch_resumes_from_a_resource_version_and_reports_expiry(cluster):
    created = await cluster.create(DEPLOY)
    rv = created["metadata"]["resourceVersion"]
    await cluster.scale("deploy", "web", 4)
    stream = cluster.watch("deployments", "default", resource_version=rv)
    first = await anext(stream)
    assert first["type"] == "MODIFIED" and first["object"]["spec"]["replicas"] == 4
    await stream.aclose()

    fresh = cluster.watch("deployments", "default")
    added = await anext(fresh)
    assert added["type"] == "ADDED" and added["object"]["metadata"]["name"] == "web"
    await fresh.aclose()

    cluster.store._history.clear()
    cluster.store._history.append(type("E", (), {"resource_version": cluster.store.resource_version})())
    expired = cluster.watch("deployments", resource_version="1")
    event = await anext(expired)
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"
    assert event["object"]["message"].startswith("too old resource version: 1 (")


async def test_scale_subresource_and_its_errors(cluster):
    await cluster.create(DEPLOY)
    scale = cluster.api.get_scale("deploy", "web", "default")
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 2
    assert scale["status"]["selector"] == "app=web"
    with pytest.raises(ApiError):
        await cluster.scale("deploy", "web", -1)
    with pytest.raises(ApiError, match="could not find the requested resource"):
        await cluster.scale("ns", "default", 2)


async def test_builtin_namespaces_exist_and_default_cannot_be_deleted(cluster):
    names = [n["metadata"]["name"] for n in cluster.list("namespaces")]
    # ingress-nginx: the add-on's own (engine/addons_ingress.py), as its cloud manifest creates it.
    assert names == ["default", "ingress-nginx", "kube-node-lease", "kube-public", "kube-system"]
    with pytest.raises(ApiError) as err:
        await cluster.delete("namespace", "default")
    assert err.value.message == 'namespaces "default" is forbidden: this namespace may not be deleted'


async def test_create_in_a_missing_namespace_is_refused(cluster):
    with pytest.raises(ApiError) as err:
        await cluster.create({**DEPLOY, "metadata": {"name": "web", "namespace": "nope"}})
    assert err.value.message == 'namespaces "nope" not found'


async def test_apply_is_declarative(cluster):
    await cluster.apply(DEPLOY)
    await cluster.scale("deploy", "web", 7)  # imperative drift
    labelled = {**DEPLOY, "metadata": {"name": "web", "labels": {"team": "a"}}}
    await cluster.apply(labelled)
    live = cluster.get("deploy", "web")
    assert live["spec"]["replicas"] == 2  # the file's value wins
    assert live["metadata"]["labels"] == {"team": "a"}
    await cluster.apply(DEPLOY)  # the label is removed from the file
    assert "labels" not in cluster.get("deploy", "web")["metadata"] or \
        cluster.get("deploy", "web")["metadata"]["labels"] == {}


async def test_logs_follow_kubectl_and_refuse_like_it(cluster):
    await cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "two"},
                         "spec": {"containers": [{"name": "a", "image": "nginx:1.25"},
                                                 {"name": "b", "image": "redis:7"}]}})
    with pytest.raises(ApiError) as err:
        cluster.logs("two", container="a")
    assert err.value.message == 'container "a" in pod "two" is waiting to start: ContainerCreating'
    await cluster.run_for(30)
    with pytest.raises(ApiError) as err:
        cluster.logs("two")
    assert err.value.message == "a container name must be specified for pod two, choose one of: [a b]"
    lines = cluster.logs("two", container="a")
    assert lines[0] == "Starting nginx:1.25" and len(lines) > 3
    assert cluster.logs("two", container="a", tail=2) == lines[-2:]
    assert cluster.logs("two", container="b", timestamps=True)[0].startswith("2026-01-01T00:00:0")
    with pytest.raises(ApiError) as err:
        cluster.logs("two", container="a", previous=True)
    assert err.value.message == 'previous terminated container "a" in pod "two" not found'
    with pytest.raises(ApiError, match="container c is not valid for pod two"):
        cluster.logs("two", container="c")
