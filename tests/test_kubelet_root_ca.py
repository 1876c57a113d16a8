"""The kube-root-ca.crt ConfigMap the root CA publisher keeps in every namespace (a control-plane companion of the
kubelet: pods mount it through their projected service-account volume)."""

from __future__ import annotations

from engine.cluster import Cluster
from engine.controllers.root_ca_publisher import DESCRIPTION, ROOT_CA_PEM

NAME = "kube-root-ca.crt"
DESCRIPTION_TEXT = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
                    "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
                    "guaranteed across distributions of Kubernetes clusters.")


async def test_every_namespace_gets_the_root_ca_configmap() -> None:
    """pkg/controller/certificates/rootcacertpublisher/publisher.go syncNamespace: a ConfigMap kube-root-ca.crt
    with key ca.crt (a PEM certificate) and the kubernetes.io/description annotation, in every namespace,
    including the built-in ones and one created later."""
    async with Cluster(nodes=1) as c:
        await c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
        await c.run_for(1)
        namespaces = {cm["metadata"]["namespace"] for cm in c.list("configmaps") if cm["metadata"]["name"] == NAME}
        assert namespaces == {"default", "kube-system", "kube-public", "kube-node-lease", "ingress-nginx", "shop"}
        cm = c.get("configmap", NAME, "shop")
        assert list(cm["data"]) == ["ca.crt"]
        assert cm["data"]["ca.crt"] == ROOT_CA_PEM
        assert cm["data"]["ca.crt"].startswith("-----BEGIN CERTIFICATE-----\n")
        assert cm["data"]["ca.crt"].endswith("-----END CERTIFICATE-----\n")
        assert cm["metadata"]["annotations"] == {"kubernetes.io/description": DESCRIPTION_TEXT}
        assert DESCRIPTION == DESCRIPTION_TEXT
        columns, rows = c.table("configmaps", "shop")
        assert (columns, [r[:2] for r in rows]) == (["NAME", "DATA", "AGE"], [[NAME, "1"]])


async def test_a_deleted_or_edited_root_ca_configmap_is_put_back() -> None:
    """publisher.go configMapDeleted / configMapUpdated → syncNamespace: a deleted kube-root-ca.crt is created
    again; edited data or a removed description annotation is restored."""
    async with Cluster(nodes=1) as c:
        await c.run_for(1)
        first_uid = c.get("configmap", NAME)["metadata"]["uid"]
        await c.delete("configmap", NAME)
        await c.run_for(1)
        again = c.get("configmap", NAME)
        assert again is not None and again["metadata"]["uid"] != first_uid
        await c.patch("configmap", NAME, {"data": {"ca.crt": "tampered", "extra": "x"},
                                          "metadata": {"annotations": {"kubernetes.io/description": None}}})
        await c.run_for(1)
        restored = c.get("configmap", NAME)
        assert restored["data"] == {"ca.crt": ROOT_CA_PEM}
        assert restored["metadata"]["annotations"]["kubernetes.io/description"] == DESCRIPTION_TEXT


async def test_a_deleted_namespace_goes_away_with_its_root_ca() -> None:
    """publisher.go syncNamespace skips a terminating namespace (the create would be forbidden), so namespace
    deletion is not held up by the ConfigMap coming back."""
    async with Cluster(nodes=1) as c:
        await c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}})
        await c.run_for(1)
        await c.delete("namespace", "doomed", None)
        await c.run_for(30)
        assert c.get("namespace", "doomed", None) is None
        assert c.get("configmap", NAME, "doomed") is None
