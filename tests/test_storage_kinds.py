"""StorageClass, PersistentVolume and PersistentVolumeClaim as the API server serves them: validation messages,
defaults, admission, columns and describe. Expected texts were taken from a real v1.36 control plane (kubectl
apply / get / describe of the same manifests; kubectl 1.32's describers)."""

from __future__ import annotations

from typing import Any

import pytest

from engine import ApiError
from engine.cluster import Cluster

Obj = dict[str, Any]


def sc(name: str, provisioner: str = "example.com/fast", **fields: Any) -> Obj:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
            "provisioner": provisioner, **fields}


def pv(name: str, size: str = "1Gi", modes: tuple[str, ...] = ("ReadWriteOnce",), **spec: Any) -> Obj:
    body: Obj = {"capacity": {"storage": size}, "accessModes": list(modes)}
    body.update(spec)
    if not any(k in body for k in ("hostPath", "nfs", "local", "csi")):
        body["hostPath"] = {"path": f"/tmp/{name}"}
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name}, "spec": body}


def pvc(name: str, size: str = "1Gi", cls: str | None = None, modes: tuple[str, ...] = ("ReadWriteOnce",),
        **spec: Any) -> Obj:
    body: Obj = {"accessModes": list(modes), "resources": {"requests": {"storage": size}}, **spec}
    if cls is not None:
        body["storageClassName"] = cls
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": "default"},
            "spec": body}


def refused(c: Cluster, obj: Obj) -> str:
    with pytest.raises(ApiError) as info:
        c.api.create(obj)
    return info.value.message


async def test_validation_messages_match_the_api_server() -> None:
    """pkg/apis/core/validation ValidatePersistentVolumeClaimSpec, ValidatePersistentVolumeSpec and
    pkg/apis/storage/validation ValidateStorageClass, in the API server's words."""
    async with Cluster(nodes=1) as c:
        empty_claim = {**pvc("bad1"), "spec": {}}
        assert refused(c, empty_claim) == (
            'PersistentVolumeClaim "bad1" is invalid: [spec.accessModes: Required value: at least 1 access mode is '
            "required, spec.resources[storage]: Required value]")
        bad = pvc("bad2", "0", modes=("Foo",), volumeMode="X")
        assert refused(c, bad) == (
            'PersistentVolumeClaim "bad2" is invalid: [spec.accessModes: Unsupported value: "Foo": supported values: '
            '"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod", spec.resources[storage]: Invalid '
            'value: "0": must be greater than zero, spec.volumeMode: Unsupported value: "X": supported values: '
            '"Block", "Filesystem"]')
        assert refused(c, pvc("bad3", modes=("ReadWriteOncePod", "ReadWriteOnce"))) == (
            'PersistentVolumeClaim "bad3" is invalid: spec.accessModes: Forbidden: may not use ReadWriteOncePod with '
            "other access modes")
        assert refused(c, {**pv("bad1"), "spec": {}}) == (
            'PersistentVolume "bad1" is invalid: [spec.accessModes: Required value, spec.capacity: Required value, '
            'spec.capacity: Unsupported value: null: supported values: "storage", spec: Required value: must '
            "specify a volume type]")
        two = pv("bad2", hostPath={"path": "/a"}, nfs={"server": "x", "path": "/b"},
                 persistentVolumeReclaimPolicy="Keep")
        assert refused(c, two) == (
            'PersistentVolume "bad2" is invalid: [spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": '
            'supported values: "Delete", "Recycle", "Retain", spec.nfs: Forbidden: may not specify more than 1 '
            "volume type]")
        no_provisioner = {**sc("bad"), "reclaimPolicy": "Keep", "volumeBindingMode": "Later"}
        del no_provisioner["provisioner"]
        assert refused(c, no_provisioner) == (
            'StorageClass.storage.k8s.io "bad" is invalid: [provisioner: Required value, reclaimPolicy: Unsupported '
            'value: "Keep": supported values: "Delete", "Retain", volumeBindingMode: Unsupported value: "Later": '
            'supported values: "Immediate", "WaitForFirstConsumer"]')
        c.api.create(sc("fast", volumeBindingMode="Immediate", allowVolumeExpansion=True))
        changed = {**c.api.get("sc", "fast"), "provisioner": "other.com/x", "reclaimPolicy": "Retain"}
        with pytest.raises(ApiError) as info:
            c.api.update(changed)
        assert info.value.message == ('StorageClass.storage.k8s.io "fast" is invalid: [provisioner: Invalid value: '
                                      '"other.com/x": field is immutable, reclaimPolicy: Invalid value: "Retain": '
                                      "field is immutable]")


async def test_defaults_admission_and_the_default_class() -> None:
    """SetDefaults_PersistentVolume / SetDefaults_PersistentVolumeClaim / SetDefaults_StorageClass; the
    DefaultStorageClass admission plugin (setdefault/admission.go) names kind's `standard` class (engine/addons.py)
    on a claim naming none, and StorageObjectInUseProtection adds the protection finalizers."""
    async with Cluster(nodes=1) as c:
        standard = c.api.get("sc", "standard")
        assert standard["provisioner"] == "rancher.io/local-path"
        assert standard["volumeBindingMode"] == "WaitForFirstConsumer" and standard["reclaimPolicy"] == "Delete"
        assert c.api.create(sc("plain"))["volumeBindingMode"] == "Immediate"
        claim = c.api.create(pvc("data", "1024Mi"))
        assert claim["spec"]["storageClassName"] == "standard"
        assert claim["spec"]["volumeMode"] == "Filesystem"
        assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
        assert claim["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
        assert claim["status"] == {"phase": "Pending"}
        assert c.api.create(pvc("none", cls=""))["spec"]["storageClassName"] == ""
        volume = c.api.create(pv("vol"))
        assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
        assert volume["spec"]["volumeMode"] == "Filesystem" and volume["spec"]["hostPath"]["type"] == ""
        assert volume["metadata"]["finalizers"] == ["kubernetes.io/pv-protection"]
        assert volume["status"]["phase"] == "Pending"


async def test_columns_and_describe_as_kubectl_prints_them() -> None:
    """printers.go printPersistentVolume / printPersistentVolumeClaim / printStorageClass (v1.36 columns with
    VOLUMEATTRIBUTESCLASS) and describe.go's PersistentVolume, PersistentVolumeClaim and StorageClass describers,
    for a static volume bound by pv_controller.go syncUnboundClaim (the smallest volume that fits)."""
    async with Cluster(nodes=1) as c:
        c.api.create({**pv("pv1", "5Gi", storageClassName=""), "metadata": {"name": "pv1", "labels": {"tier": "gold"}}})
        c.api.create(pv("pv2", "1Gi", ("ReadWriteOnce", "ReadOnlyMany"), storageClassName="manual",
                        persistentVolumeReclaimPolicy="Delete"))
        c.api.create(pv("pv3", "10Gi", storageClassName=""))
        c.api.create(pvc("c-static", "2Gi", cls=""))
        c.api.create(pvc("c-manual", "1Gi", cls="manual"))
        c.api.create(sc("fast", volumeBindingMode="Immediate", allowVolumeExpansion=True))
        await c.run_for(3)
        assert c.table("pv") == (
            ["NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM", "STORAGECLASS",
             "VOLUMEATTRIBUTESCLASS", "REASON", "AGE"],
            [["pv1", "5Gi", "RWO", "Retain", "Bound", "default/c-static", "", "<unset>", "", "3s"],
             ["pv2", "1Gi", "RWO,ROX", "Delete", "Bound", "default/c-manual", "manual", "<unset>", "", "3s"],
             ["pv3", "10Gi", "RWO", "Retain", "Available", "", "", "<unset>", "", "3s"]])
        assert c.table("pvc", "default", wide=True) == (
            ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE",
             "VOLUMEMODE"],
            [["c-manual", "Bound", "pv2", "1Gi", "RWO,ROX", "manual", "<unset>", "3s", "Filesystem"],
             ["c-static", "Bound", "pv1", "5Gi", "RWO", "", "<unset>", "3s", "Filesystem"]])
        assert c.table("sc") == (
            ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"],
            [["fast", "example.com/fast", "Delete", "Immediate", "true", "3s"],
             ["standard (default)", "rancher.io/local-path", "Delete", "WaitForFirstConsumer", "false", "3s"]])
        assert c.describe("pvc", "c-static") == (
            "Name:          c-static\n"
            "Namespace:     default\n"
            "StorageClass:  \n"
            "Status:        Bound\n"
            "Volume:        pv1\n"
            "Labels:        <none>\n"
            "Annotations:   pv.kubernetes.io/bind-completed: yes\n"
            "               pv.kubernetes.io/bound-by-controller: yes\n"
            "Finalizers:    [kubernetes.io/pvc-protection]\n"
            "Capacity:      5Gi\n"
            "Access Modes:  RWO\n"
            "VolumeMode:    Filesystem\n"
            "Used By:       <none>\n"
            "Events:        <none>\n")
        assert c.describe("pv", "pv1", None) == (
            "Name:            pv1\n"
            "Labels:          tier=gold\n"
            "Annotations:     pv.kubernetes.io/bound-by-controller: yes\n"
            "Finalizers:      [kubernetes.io/pv-protection]\n"
            "StorageClass:    \n"
            "Status:          Bound\n"
            "Claim:           default/c-static\n"
            "Reclaim Policy:  Retain\n"
            "Access Modes:    RWO\n"
            "VolumeMode:      Filesystem\n"
            "Capacity:        5Gi\n"
            "Node Affinity:   <none>\n"
            "Message:         \n"
            "Source:\n"
            "    Type:          HostPath (bare host directory volume)\n"
            "    Path:          /tmp/pv1\n"
            "    HostPathType:  \n"
            "Events:            <none>\n")
        assert c.describe("sc", "fast", None) == (
            "Name:                  fast\n"
            "IsDefaultClass:        No\n"
            "Annotations:           <none>\n"
            "Provisioner:           example.com/fast\n"
            "Parameters:            <none>\n"
            "AllowVolumeExpansion:  True\n"
            "MountOptions:          <none>\n"
            "ReclaimPolicy:         Delete\n"
            "VolumeBindingMode:     Immediate\n"
            "Events:                <none>\n")
        assert c.health("pvc", "c-static") == ("Healthy", "")


async def test_local_volume_describes_its_node_affinity() -> None:
    """describe.go printVolumeNodeAffinity and the LocalVolume source, as kubectl describe pv prints them."""
    async with Cluster(nodes=1) as c:
        c.api.create(pv("local", local={"path": "/mnt/x"}, storageClassName="aff", nodeAffinity={"required": {
            "nodeSelectorTerms": [{"matchExpressions": [
                {"key": "kubernetes.io/hostname", "operator": "In", "values": ["node-1"]}]}]}}))
        text = c.describe("pv", "local", None)
        assert ("Node Affinity:     \n"
                "  Required Terms:  \n"
                "    Term 0:        kubernetes.io/hostname in [node-1]\n"
                "Message:           \n"
                "Source:\n"
                "    Type:  LocalVolume (a persistent volume backed by local storage on a node)\n"
                "    Path:  /mnt/x\n"
                "Events:    <none>\n") in text
        assert refused(c, pv("nolocal", local={"path": "/mnt/x"})) == (
            'PersistentVolume "nolocal" is invalid: spec.nodeAffinity: Required value: Local volume requires node '
            "affinity")


async def test_claim_updates_immutable_spec_and_resize_admission() -> None:
    """ValidatePersistentVolumeClaimUpdate (spec immutable but requests of bound claims; never below
    status.capacity) and the PersistentVolumeClaimResize admission plugin (resize/admission.go)."""
    async with Cluster(nodes=1) as c:
        c.api.create(pv("pv2", "1Gi", storageClassName="manual"))
        c.api.create(pvc("c-manual", "1Gi", cls="manual"))
        await c.run_for(2)
        claim = c.api.get("pvc", "c-manual", "default")
        modes = {**claim, "spec": {**claim["spec"], "accessModes": ["ReadWriteMany"]}}
        with pytest.raises(ApiError) as info:
            c.api.update(modes)
        assert info.value.message.startswith(
            'PersistentVolumeClaim "c-manual" is invalid: spec: Forbidden: spec is immutable after creation except '
            "resources.requests and volumeAttributesClassName for bound claims")
        grow = {**claim, "spec": {**claim["spec"], "resources": {"requests": {"storage": "2Gi"}}}}
        with pytest.raises(ApiError) as info:
            c.api.update(grow)
        assert info.value.code == 403
        assert info.value.message == (
            'persistentvolumeclaims "c-manual" is forbidden: only dynamically provisioned pvc can be resized and the '
            "storageclass that provisions the pvc must support resize")
        shrink = {**claim, "spec": {**claim["spec"], "resources": {"requests": {"storage": "500Mi"}}}}
        with pytest.raises(ApiError) as info:
            c.api.update(shrink)
        assert info.value.message == ('PersistentVolumeClaim "c-manual" is invalid: '
                                      "spec.resources.requests.storage: Forbidden: field can not be less than "
                                      "status.capacity")


async def test_csi_volume_source_and_driver_name() -> None:
    """describe.go printCSIPersistentVolumeSource (its LEVEL_2 attribute lines) and ValidateCSIDriverName."""
    async with Cluster(nodes=1) as c:
        csi = {"driver": "fast.example.com", "volumeHandle": "pvc-1", "fsType": "ext4",
               "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": "k9py"}}
        c.api.create(pv("csi", storageClassName="fast", csi=csi))
        assert c.describe("pv", "csi", None).endswith(
            "Source:\n"
            "    Type:              CSI (a Container Storage Interface (CSI) volume source)\n"
            "    Driver:            fast.example.com\n"
            "    FSType:            ext4\n"
            "    VolumeHandle:      pvc-1\n"
            "    ReadOnly:          false\n"
            "    VolumeAttributes:      storage.kubernetes.io/csiProvisionerIdentity=k9py\n"
            "Events:                <none>\n")
        assert refused(c, pv("bad", csi={**csi, "driver": "example.com/fast"})) == (
            'PersistentVolume "bad" is invalid: spec.csi.driver: Invalid value: "example.com/fast": a lowercase RFC '
            "1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end "
            "with an alphanumeric character (e.g. 'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
