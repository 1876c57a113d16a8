"""ServiceAccounts: the kind, the serviceaccounts controller's `default`, and the ServiceAccount admission plugin.

Upstream: pkg/controller/serviceaccount/serviceaccounts_controller.go (syncNamespace), plugin/pkg/admission/
serviceaccount/admission.go (Admit, getServiceAccount, shouldAutomount, mountServiceAccountToken,
TokenVolumeSource), pkg/printers/internalversion/printers.go (serviceaccounts: NAME AGE, as a v1.36 server's
Table), kubectl pkg/describe/describe.go describeServiceAccount. Checked against a v1.36 API server.
"""

from __future__ import annotations

import re

import pytest

from engine.cluster import Cluster
from engine.errors import ApiError

TOKEN_VOLUME = {
    "defaultMode": 420,
    "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace",
                                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
    ],
}
MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


async def test_every_active_namespace_has_a_default_service_account() -> None:
    """syncNamespace: `default` in each namespace, the built-in ones and new ones; created again when deleted;
    none in a terminating namespace. `kubectl get sa` prints NAME AGE; describe as kubectl does."""
    async with Cluster(nodes=0) as c:
        await c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
        await c.run_for(1)
        assert {(sa["metadata"]["namespace"], sa["metadata"]["name"]) for sa in c.list("sa")} == {
            ("default", "default"), ("kube-system", "default"), ("kube-public", "default"),
            ("kube-node-lease", "default"), ("shop", "default"), ("kube-system", "kube-proxy"),
            ("kube-system", "coredns"), ("ingress-nginx", "default"), ("ingress-nginx", "ingress-nginx")}
        columns, rows = c.table("serviceaccounts", "shop")
        assert (columns, rows) == (["NAME", "AGE"], [["default", "1s"]])
        uid = c.get("sa", "default", "shop")["metadata"]["uid"]
        await c.delete("serviceaccount", "default", "shop")
        await c.run_for(1)
        assert c.get("sa", "default", "shop")["metadata"]["uid"] != uid
        assert c.describe("sa", "default", "shop") == (
            "Name:                default\n"
            "Namespace:           shop\n"
            "Labels:              <none>\n"
            "Annotations:         <none>\n"
            "Image pull secrets:  <none>\n"
            "Mountable secrets:   <none>\n"
            "Tokens:              <none>\n"
            "Events:              <none>\n")
        await c.delete("namespace", "shop", None)
        await c.run_for(30)
        assert c.get("namespace", "shop", None) is None and c.get("sa", "default", "shop") is None


async def test_a_pod_gets_the_kube_api_access_volume_in_every_container() -> None:
    """mountServiceAccountToken: kube-api-access-<5 random> with TokenVolumeSource (as `kubectl get pod -o yaml`
    shows it), mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount after the container's own
    mounts, in init and app containers, except one that mounts something there itself."""
    async with Cluster(nodes=0) as c:
        await c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
            "initContainers": [{"name": "init", "image": "busybox"}],
            "containers": [{"name": "a", "image": "nginx", "volumeMounts": [{"name": "s", "mountPath": "/s"}]},
                           {"name": "b", "image": "nginx", "volumeMounts": [{"name": "own", "mountPath": MOUNT_PATH}]}],
            "volumes": [{"name": "s", "emptyDir": {}}, {"name": "own", "emptyDir": {}}]}})
        spec = c.get("pod", "p")["spec"]
        assert spec["serviceAccountName"] == spec["serviceAccount"] == "default"
        volume = spec["volumes"][-1]
        assert re.fullmatch(r"kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}", volume["name"])
        assert volume["projected"] == TOKEN_VOLUME
        mount = {"name": volume["name"], "readOnly": True, "mountPath": MOUNT_PATH}
        assert spec["initContainers"][0]["volumeMounts"] == [mount]
        assert spec["containers"][0]["volumeMounts"] == [{"name": "s", "mountPath": "/s"}, mount]
        assert spec["containers"][1]["volumeMounts"] == [{"name": "own", "mountPath": MOUNT_PATH}]
        describe = c.describe("pod", "p")
        assert f"      {MOUNT_PATH} from {volume['name']} (ro)\n" in describe
        assert (f"  {volume['name']}:\n"
                "    Type:                    Projected (a volume that contains injected data from multiple sources)\n"
                "    TokenExpirationSeconds:  3607\n"
                "    ConfigMapName:           kube-root-ca.crt\n"
                "    ConfigMapOptional:       <nil>\n"
                "    DownwardAPI:             true\n") in describe


@pytest.mark.parametrize(("pod_says", "sa_says", "mounted"), [
    (None, False, False), (True, False, True), (False, None, False), (None, None, True), (False, True, False)])
async def test_automount_the_pods_word_first_then_the_service_accounts(pod_says: bool | None, sa_says: bool | None,
                                                                      mounted: bool) -> None:
    """shouldAutomount: the pod's automountServiceAccountToken wins, then the ServiceAccount's, else true."""
    async with Cluster(nodes=0) as c:
        sa: dict = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}}
        if sa_says is not None:
            sa["automountServiceAccountToken"] = sa_says
        spec: dict = {"serviceAccountName": "robot", "containers": [{"name": "c", "image": "nginx"}]}
        if pod_says is not None:
            spec["automountServiceAccountToken"] = pod_says
        await c.apply([sa, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}])
        pod = c.get("pod", "p")
        assert bool(pod["spec"].get("volumes")) is mounted
        assert bool(pod["spec"]["containers"][0].get("volumeMounts")) is mounted


async def test_a_pod_naming_a_missing_service_account_is_forbidden() -> None:
    """Admit → getServiceAccount → admission.NewForbidden, word for word as a v1.36 API server; a ReplicaSet's
    FailedCreate names the pod by its generateName, as there."""
    async with Cluster(nodes=1) as c:
        with pytest.raises(ApiError) as caught:
            await c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p2"}, "spec": {
                "serviceAccountName": "nope", "containers": [{"name": "c", "image": "nginx"}]}})
        assert caught.value.code == 403 and caught.value.reason == "Forbidden"
        assert caught.value.message == ('pods "p2" is forbidden: error looking up service account default/nope: '
                                        'serviceaccount "nope" not found')
        await c.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "dnope"}, "spec": {
            "selector": {"matchLabels": {"app": "dnope"}}, "template": {"metadata": {"labels": {"app": "dnope"}},
                "spec": {"serviceAccountName": "nope", "containers": [{"name": "c", "image": "nginx"}]}}}})
        await c.run_for(2)
        rs = c.list("rs", "default")[0]["metadata"]["name"]
        failed = [e["message"] for e in c.events("default") if e["reason"] == "FailedCreate"]
        assert failed and failed[0] == (f'Error creating: pods "{rs}-" is forbidden: error looking up service '
                                        'account default/nope: serviceaccount "nope" not found')
        await c.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "nope"}})
        await c.run_for(20)  # the ReplicaSet controller retries (its work queue's back-off) and succeeds
        assert len(c.list("pods", "default")) == 1


async def test_a_folder_with_a_namespace_and_a_deployment_makes_no_noise() -> None:
    """A real admission plugin waits for `default` (10 tries, 100-200 ms apart) while the controller creates it;
    here a Namespace and a Deployment (and a bare Pod) applied together start with no FailedCreate and no
    Warning at all."""
    async with Cluster(nodes=1) as c:
        await c.apply([
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fresh"}},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare", "namespace": "fresh"},
             "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "fresh"},
             "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                      "template": {"metadata": {"labels": {"app": "web"}},
                                   "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}])
        await c.run_for(10)
        assert [e["message"] for e in c.events() if e["type"] == "Warning"] == []
        assert [p["status"]["phase"] for p in c.list("pods", "fresh")] == ["Running"] * 3
