"""Mounted ConfigMap, Secret, projected, downward API and emptyDir volumes, as a container's `cat` sees them.

Upstream: pkg/volume/configmap/configmap.go and pkg/volume/secret/secret.go (MakePayload: every key or `items`,
`defaultMode` 0644, Secret values decoded), pkg/volume/projected/projected.go (collectData),
pkg/volume/downwardapi/downwardapi.go (CollectData, fieldpath.FormatMap), pkg/volume/util/subpath; the update
delay: pkg/kubelet/pod_workers.go (resync every syncFrequency, 1m by default) with the Watch change-detection
strategy of pkg/kubelet/configmap (concepts/configuration/configmap.md: "kubelet sync period + cache propagation
delay"); immutability: pkg/apis/core/validation ValidateConfigMapUpdate / ValidateSecretUpdate.
"""

from __future__ import annotations

import base64
import json

import pytest

from engine.cluster import Cluster
from engine.controllers.root_ca_publisher import ROOT_CA_PEM
from engine.errors import ApiError
from engine.kubelet.container_files import SYNC_SECONDS

SEED = """
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data:
  APP_COLOR: blue
  log_level: info
  nginx.conf: |
    server {
    listen 80;
    server_name example.com;
    }
binaryData: {logo.png: iVBORw0=}
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret}
type: Opaque
data: {DB_PASSWORD: czNjcmV0IQ==, API_KEY: c2stYWJjMTIzeHl6, DB_USERNAME: YWRtaW4=}
---
apiVersion: v1
kind: Pod
metadata: {name: files, labels: {app: web, tier: front}, annotations: {team: 'blue "b"'}}
spec:
  containers:
  - name: app
    image: my-app:latest
    resources: {limits: {memory: 64Mi}}
    volumeMounts:
    - {name: config-volume, mountPath: /etc/config}
    - {name: secret-volume, mountPath: /etc/secret, readOnly: true}
    - {name: picked, mountPath: /etc/picked}
    - {name: everything, mountPath: /etc/all}
    - {name: podinfo, mountPath: /etc/podinfo}
    - {name: scratch, mountPath: /cache}
    - {name: config-volume, mountPath: /etc/nginx/nginx.conf, subPath: nginx.conf}
  volumes:
  - {name: config-volume, configMap: {name: app-config}}
  - {name: secret-volume, secret: {secretName: app-secret, defaultMode: 0400}}
  - name: picked
    configMap:
      name: app-config
      items: [{key: log_level, path: levels/level.txt, mode: 0600}, {key: APP_COLOR, path: color}]
  - name: everything
    projected:
      sources:
      - configMap: {name: app-config, items: [{key: APP_COLOR, path: color}]}
      - secret: {name: app-secret, items: [{key: DB_USERNAME, path: user}]}
      - downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}]}
      - configMap: {name: absent, optional: true}
  - name: podinfo
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: annotations, fieldRef: {fieldPath: metadata.annotations}}
      - {path: mem_limit, resourceFieldRef: {containerName: app, resource: limits.memory, divisor: 1Mi}}
  - {name: scratch, emptyDir: {}}
"""


def files(c: Cluster, pod: str = "files") -> dict[str, tuple[str, int]]:
    return {f.path: (f.content, f.mode) for m in c.container_view(pod).mounts for f in m.files}


async def test_each_volume_kind_as_files() -> None:
    """A ConfigMap volume: one file per key (data and binaryData), mode 0644; a Secret's decoded, with its
    defaultMode; `items` pick keys, name paths (subdirectories) and modes; projected merges its sources (a
    missing optional one adds nothing); downward API labels are `key="value"` lines, sorted; emptyDir is empty;
    subPath mounts the one file."""
    async with Cluster(nodes=1) as c:
        await c.apply(SEED)
        await c.run_for(5)
        seen = files(c)
        assert seen["/etc/config/APP_COLOR"] == ("blue", 0o644)
        assert seen["/etc/config/nginx.conf"][0].startswith("server {\nlisten 80;")
        assert seen["/etc/config/logo.png"][0] == base64.b64decode("iVBORw0=").decode(errors="replace")
        assert seen["/etc/secret/DB_PASSWORD"] == ("s3cret!", 0o400)
        assert seen["/etc/secret/API_KEY"] == ("sk-abc123xyz", 0o400)
        assert sorted(p for p in seen if p.startswith("/etc/picked/")) == ["/etc/picked/color",
                                                                          "/etc/picked/levels/level.txt"]
        assert seen["/etc/picked/levels/level.txt"] == ("info", 0o600)
        assert seen["/etc/picked/color"] == ("blue", 0o644)
        assert {p: v[0] for p, v in seen.items() if p.startswith("/etc/all/")} == {
            "/etc/all/color": "blue", "/etc/all/user": "admin", "/etc/all/name": "files"}
        assert seen["/etc/podinfo/labels"][0] == 'app="web"\ntier="front"'
        # Sorted, %q-quoted (the applied configuration's annotation comes first).
        assert seen["/etc/podinfo/annotations"][0].endswith('}"\nteam="blue \\"b\\""')
        assert seen["/etc/podinfo/mem_limit"][0] == "64"
        assert seen["/etc/nginx/nginx.conf"] == seen["/etc/config/nginx.conf"]
        mounts = {m.path: m for m in c.container_view("files").mounts}
        assert mounts["/cache"].files == () and mounts["/cache"].source == "EmptyDir"
        assert mounts["/etc/secret"].read_only and mounts["/etc/secret"].source == "Secret app-secret"
        secret_paths = {f.path for m in mounts.values() for f in m.files if f.secret}
        assert "/etc/secret/DB_PASSWORD" in secret_paths and "/etc/all/user" in secret_paths
        assert "/etc/config/APP_COLOR" not in secret_paths


async def test_mounted_files_follow_an_update_within_the_sync_period_but_subpath_and_env_do_not() -> None:
    """The kubelet re-mounts at its next sync of the pod (every syncFrequency, 60 s, from the first mount): a
    change 10 s after the mount shows at 60 s, not before; the subPath file keeps what the container was created
    with; so does the environment."""
    async with Cluster(nodes=1) as c:
        await c.apply(SEED.replace("- name: app\n    image: my-app:latest\n",
                                   "- name: app\n    image: my-app:latest\n    envFrom: [{configMapRef: "
                                   "{name: app-config}}]\n"))
        await c.run_for(11.1)  # the volumes were mounted with the sandbox, right after scheduling (t=0)
        await c.patch("configmap", "app-config", {"data": {"APP_COLOR": "green", "nginx.conf": "changed\n"}})
        await c.patch("secret", "app-secret", {"stringData": {"DB_PASSWORD": "rotated"}})
        await c.run_for(SYNC_SECONDS - 12)
        before = files(c)
        assert before["/etc/config/APP_COLOR"][0] == "blue" and before["/etc/secret/DB_PASSWORD"][0] == "s3cret!"
        await c.run_for(2)
        after = files(c)
        assert after["/etc/config/APP_COLOR"][0] == "green"
        assert after["/etc/config/nginx.conf"][0] == "changed\n"
        assert after["/etc/secret/DB_PASSWORD"][0] == "rotated"
        assert after["/etc/all/color"][0] == "green"  # projected too
        assert after["/etc/nginx/nginx.conf"][0].startswith("server {")  # subPath: never updated
        env = {e.name: e.value for e in c.container_view("files").env}
        assert env["APP_COLOR"] == "blue"  # environment: fixed at creation
        await c.delete("configmap", "app-config")
        await c.run_for(SYNC_SECONDS * 2)
        assert files(c)["/etc/config/APP_COLOR"][0] == "green"  # a deleted source leaves the files in place


async def test_log_template_reads_env_and_files() -> None:
    """The simulated app prints `{env:NAME}` (as created) and `{file:/path}` (as the line's moment saw it)."""
    async with Cluster(nodes=1) as c:
        await c.apply(SEED.split("---")[0])
        await c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "talker", "annotations": {
            "sim.k9py.io/log": "env={env:APP_COLOR} file={file:/etc/config/APP_COLOR} none={env:NOPE} "
                               "{file:/etc/missing}"}},
            "spec": {"containers": [{"name": "c", "image": "busybox", "envFrom": [{"configMapRef": {
                "name": "app-config"}}], "volumeMounts": [{"name": "cfg", "mountPath": "/etc/config"}]}],
                "volumes": [{"name": "cfg", "configMap": {"name": "app-config"}}]}})
        await c.run_for(20)
        await c.patch("configmap", "app-config", {"data": {"APP_COLOR": "green"}})
        await c.run_for(120)
        lines = c.logs("talker")
        assert lines[1] == "env=blue file=blue none= cat: /etc/missing: No such file or directory"
        assert lines[-1] == "env=blue file=green none= cat: /etc/missing: No such file or directory"
        # The line printed just before the change still says what the file held then.
        assert lines[3].startswith("env=blue file=blue")


async def test_the_service_account_volume_holds_a_token_the_ca_and_the_namespace() -> None:
    """kube-api-access-xxxxx: `token` (a bound token: a JWT naming the pod, its node and its ServiceAccount),
    `ca.crt` from kube-root-ca.crt, `namespace` from the downward API; read-only."""
    async with Cluster(nodes=1) as c:
        await c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                       "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
        await c.run_for(5)
        (mount,) = c.container_view("p").mounts
        assert mount.path == "/var/run/secrets/kubernetes.io/serviceaccount" and mount.read_only
        seen = {f.path.rsplit("/", 1)[1]: f for f in mount.files}
        assert seen["ca.crt"].content == ROOT_CA_PEM and seen["namespace"].content == "default"
        assert seen["token"].secret and not seen["ca.crt"].secret
        claims = json.loads(base64.urlsafe_b64decode(seen["token"].content.split(".")[1] + "=="))
        pod = c.get("pod", "p")
        assert claims["sub"] == "system:serviceaccount:default:default"
        assert claims["kubernetes.io"]["pod"] == {"name": "p", "uid": pod["metadata"]["uid"]}
        assert claims["kubernetes.io"]["serviceaccount"]["uid"] == c.get("sa", "default")["metadata"]["uid"]
        assert claims["kubernetes.io"]["node"]["name"] == "node-1"


@pytest.mark.parametrize(("kind", "field", "value"), [("configmap", "data", {"a": "2"}),
                                                      ("secret", "data", {"a": "Mg=="})])
async def test_immutable_objects_refuse_changes_with_upstreams_message(kind: str, field: str, value: dict) -> None:
    """ValidateConfigMapUpdate / ValidateSecretUpdate, as a v1.36 API server answers a patch:
    `The ConfigMap "imm" is invalid: data: Forbidden: field is immutable when `immutable` is set`."""
    async with Cluster(nodes=0) as c:
        body = {"apiVersion": "v1", "kind": "ConfigMap" if kind == "configmap" else "Secret",
                "metadata": {"name": "imm"}, field: {"a": "1" if kind == "configmap" else "MQ=="}}
        await c.apply(body)
        await c.patch(kind, "imm", {"immutable": True})
        with pytest.raises(ApiError) as caught:
            await c.patch(kind, "imm", {field: value})
        assert caught.value.message == (f'{body["kind"]} "imm" is invalid: data: Forbidden: field is immutable '
                                        "when `immutable` is set")
        with pytest.raises(ApiError) as caught:
            await c.patch(kind, "imm", {"immutable": False})
        assert caught.value.message == (f'{body["kind"]} "imm" is invalid: immutable: Forbidden: field is '
                                        "immutable when `immutable` is set")
