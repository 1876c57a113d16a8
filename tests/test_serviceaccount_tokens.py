"""ServiceAccount tokens against `k9py serve`, with what a v1.36 kube-apiserver answers in the test kit
(`kubectl create token`, `kubectl --token=... auth whoami / get pods`): pkg/serviceaccount/jwt.go and claims.go
(signature, issuer, audience, expiry with a minute's leeway, the account and a bound pod still there),
pkg/registry/core/serviceaccount/storage/token.go (the TokenRequest subresource)."""

from __future__ import annotations

import asyncio
import base64
import json

from test_apiserver_kit import Served, needs_kubectl, served

from engine.satoken import InvalidToken, authenticate, bound_claims, signer_for

__all__ = ["served"]
pytestmark = needs_kubectl

FORBIDDEN = ('Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:default:default" '
             'cannot list resource "pods" in API group "" in the namespace "default"')
UNAUTHORIZED = "error: You must be logged in to the server (Unauthorized)"


def _claims(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def test_create_token_rbac_and_whoami(served: Served) -> None:
    """The kit: a fresh token is denied with the authorizer's wording until a RoleBinding allows, and `auth
    whoami` names the account, its uid, its groups and the token's credential id."""
    token = (await served.ok("create", "token", "default", "--duration=10m")).strip()
    claims = _claims(token)
    assert claims["iss"] == claims["aud"][0] == "https://kubernetes.default.svc.cluster.local"
    assert claims["exp"] - claims["iat"] == 600 and claims["sub"] == "system:serviceaccount:default:default"
    code, _, err = await served.kubectl("--token", token, "get", "pods")
    assert code == 1 and err.strip() == FORBIDDEN
    await served.ok("create", "rolebinding", "sa-view", "--clusterrole=view", "--serviceaccount=default:default")
    code, _, err = await served.kubectl("--token", token, "get", "pods")
    assert code == 0 and "No resources found in default namespace." in err
    whoami = json.loads(await served.ok("--token", token, "auth", "whoami", "-o", "json"))
    uid = served.cluster.get("ServiceAccount", "default")["metadata"]["uid"]
    assert whoami["status"]["userInfo"] == {
        "username": "system:serviceaccount:default:default", "uid": uid,
        "groups": ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"],
        "extra": {"authentication.kubernetes.io/credential-id": [f"JTI={claims['jti']}"]}}
    code, _, err = await served.kubectl("create", "token", "default", "--duration=1m")
    assert code == 1 and err.strip() == ('error: failed to create token: TokenRequest.authentication.k8s.io "" is '
                                         'invalid: spec.expirationSeconds: Invalid value: 60: may not specify a '
                                         'duration less than 10 minutes')


async def test_expired_and_forged_tokens_are_unauthorized(served: Served) -> None:
    """A token past its expiry (and the minute of leeway) gets the kit's 401; so does one signed by another key,
    and one whose ServiceAccount was deleted and made again (another uid)."""
    token = (await served.ok("create", "token", "default", "--duration=10m")).strip()
    assert (await served.kubectl("--token", token, "auth", "whoami"))[0] == 0
    head, body, signature = token.split(".")
    forged = f"{head}.{body}.{signature[::-1]}"
    code, _, err = await served.kubectl("--token", forged, "auth", "whoami")
    assert code == 1 and err.strip() == UNAUTHORIZED
    served.cluster.set_speed(3000)
    await asyncio.sleep(0.3)  # 15 minutes of cluster time
    served.cluster.set_speed(8)
    code, _, err = await served.kubectl("--token", token, "auth", "whoami")
    assert code == 1 and err.strip() == UNAUTHORIZED
    fresh = (await served.ok("create", "token", "default", "--duration=10m")).strip()
    await served.ok("delete", "serviceaccount", "default")
    await asyncio.sleep(1)  # the serviceaccounts controller makes `default` again, with a new uid
    code, _, err = await served.kubectl("--token", fresh, "auth", "whoami")
    assert code == 1 and err.strip() == UNAUTHORIZED


async def test_a_pods_token_works_until_the_pod_is_deleted(served: Served) -> None:
    """The projected token the kubelet mounts at /var/run/secrets/kubernetes.io/serviceaccount/token is one the
    API server takes, naming the pod and its node in `extra`; deleting the pod revokes it (claims.go)."""
    await served.ok("run", "app", "--image=nginx:1.27")
    await served.ok("wait", "--for=condition=Ready", "pod/app", "--timeout=60s")
    token = await served.ok("exec", "app", "--", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/token")
    pod = served.cluster.get("Pod", "app")
    whoami = json.loads(await served.ok("--token", token.strip(), "auth", "whoami", "-o", "json"))
    extra = whoami["status"]["userInfo"]["extra"]
    assert extra["authentication.kubernetes.io/pod-name"] == ["app"]
    assert extra["authentication.kubernetes.io/pod-uid"] == [pod["metadata"]["uid"]]
    assert extra["authentication.kubernetes.io/node-name"] == [pod["spec"]["nodeName"]]
    await served.ok("delete", "pod", "app", "--grace-period=0", "--force")
    code, _, err = await served.kubectl("--token", token.strip(), "auth", "whoami")
    assert code == 1 and err.strip() == UNAUTHORIZED


async def test_audience_and_leeway(served: Served) -> None:
    """A token for another audience is refused (the API server's audience is its issuer); one a few seconds
    past `exp` is still taken (jwt.DefaultLeeway, one minute)."""
    cluster = served.cluster
    sa = cluster.get("ServiceAccount", "default")
    now = int(cluster.now())
    signer = signer_for(cluster.store)
    other = signer.sign(bound_claims(sa, ["vault"], now, 3600))
    try:
        authenticate(cluster.store, other, now)
        raise AssertionError("a token for another audience was taken")
    except InvalidToken:
        pass
    audience = ["https://kubernetes.default.svc.cluster.local"]
    late = signer.sign(bound_claims(sa, audience, now - 630, 600))  # expired 30 s ago
    assert authenticate(cluster.store, late, now).name == "default"
    too_late = signer.sign(bound_claims(sa, audience, now - 700, 600))  # 100 s ago
    try:
        authenticate(cluster.store, too_late, now)
        raise AssertionError("a token expired past the leeway was taken")
    except InvalidToken as exc:
        assert str(exc) == "service account token has expired"


async def test_a_legacy_token_secret_is_filled_and_accepted(served: Served) -> None:
    """The token controller fills a `kubernetes.io/service-account-token` Secret (token, ca.crt, namespace, the
    account's uid annotation); the token authenticates as the account until the Secret is deleted
    (tokens_controller.go, the legacy validator)."""
    await served.ok("create", "-f", "-", stdin=(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: build-robot\n  annotations:\n"
        "    kubernetes.io/service-account.name: default\ntype: kubernetes.io/service-account-token\n"))
    secret: dict = {}
    for _ in range(50):
        secret = json.loads(await served.ok("get", "secret", "build-robot", "-o", "json"))
        if (secret.get("data") or {}).get("token"):
            break
        await asyncio.sleep(0.1)
    assert set(secret["data"]) == {"ca.crt", "namespace", "token"}
    uid = served.cluster.get("ServiceAccount", "default")["metadata"]["uid"]
    assert secret["metadata"]["annotations"]["kubernetes.io/service-account.uid"] == uid
    token = base64.b64decode(secret["data"]["token"]).decode()
    assert _claims(token)["iss"] == "kubernetes/serviceaccount"
    whoami = json.loads(await served.ok("--token", token, "auth", "whoami", "-o", "json"))
    assert whoami["status"]["userInfo"]["username"] == "system:serviceaccount:default:default"
    await served.ok("delete", "secret", "build-robot")
    code, _, err = await served.kubectl("--token", token, "auth", "whoami")
    assert code == 1 and err.strip() == UNAUTHORIZED
