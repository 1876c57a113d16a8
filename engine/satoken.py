"""ServiceAccount tokens: signed JWTs as kube-apiserver issues and checks them (pkg/serviceaccount/jwt.go,
claims.go; pkg/registry/core/serviceaccount/storage/token.go).

One RS256 key per cluster (kube-apiserver's --service-account-signing-key-file / --service-account-key-file):
`k9py serve` keeps it in its state folder beside the CA so tokens outlive a restart (engine/apiserver); a cluster
that is not served signs with a key of its own made on first use. The kubelet's projected tokens and the token
controller's legacy Secret tokens are signed with it too, so a token read from a pod is one the API server takes.

Times are the cluster clock's (virtual in tests), as every other time in the engine.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
import weakref
from typing import TYPE_CHECKING, Any

from .store import Store
from .timeutil import parse_time

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

# cryptography is imported where a key is made, signs or checks (about 30 ms to import, a tenth of the engine's
# imports): a dashboard whose pods mount no token and that serves no API starts without it.

Obj = dict[str, Any]
ISSUER = "https://kubernetes.default.svc.cluster.local"  # --service-account-issuer, kubeadm's and kind's
LEGACY_ISSUER = "kubernetes/serviceaccount"  # the token controller's Secret tokens
LEEWAY = 60  # jwt.DefaultLeeway: expiry, not-before and a bound object's deletion are judged a minute late
CREDENTIAL_ID = "authentication.kubernetes.io/credential-id"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key_pem() -> bytes:
    """A new RSA 2048 signing key (kubeadm's sa.key), PKCS#8 PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class InvalidToken(Exception):
    """Why a token was refused; the client only ever sees 401 Unauthorized."""


class Signer:
    def __init__(self) -> None:
        self._key: rsa.RSAPrivateKey | None = None
        self._kid = ""

    def use_key(self, pem: bytes) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the service account signing key must be an RSA key")
        self._key = key
        # keyIDFromPublicKey: the unpadded base64url SHA-256 of the public key's DER (PKIX) form.
        der = key.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        self._kid = _b64(hashlib.sha256(der).digest())

    @property
    def key(self) -> rsa.RSAPrivateKey:
        if self._key is None:
            self.use_key(new_key_pem())
        assert self._key is not None
        return self._key

    @property
    def kid(self) -> str:
        """The key's id (the JWT header's `kid`), the key made first if there is none yet."""
        return self._kid if self._key is not None else (self.key and self._kid)

    def sign(self, claims: Obj) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        key = self.key
        head = _b64(json.dumps({"alg": "RS256", "kid": self.kid}, separators=(",", ":")).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{head}.{body}.{_b64(signature)}"

    def claims_of(self, token: str) -> Obj:
        """The claims of a token this key signed; InvalidToken otherwise."""
        parts = token.split(".")
        if len(parts) != 3:
            raise InvalidToken("not a JWT")
        try:
            header = json.loads(_unb64(parts[0]))
            claims = json.loads(_unb64(parts[1]))
            signature = _unb64(parts[2])
        except ValueError:
            raise InvalidToken("malformed") from None
        if not isinstance(header, dict) or header.get("alg") != "RS256" or not isinstance(claims, dict):
            raise InvalidToken("unexpected header")
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            self.key.public_key().verify(signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(),
                                         hashes.SHA256())
        except InvalidSignature:
            raise InvalidToken("invalid signature") from None
        return claims


_SIGNERS: weakref.WeakKeyDictionary[Store, Signer] = weakref.WeakKeyDictionary()


def signer_for(store: Store) -> Signer:
    """The cluster's one signer (the API server gives it its kept key before anything is signed)."""
    found = _SIGNERS.get(store)
    if found is None:
        found = _SIGNERS[store] = Signer()
    return found


def _ref(obj: Obj) -> Obj:
    return {"name": obj["metadata"]["name"], "uid": obj["metadata"].get("uid", "")}


def bound_claims(sa: Obj, audiences: list[str], now: int, expiration: int, *, pod: Obj | None = None,
                 node: Obj | None = None, secret: Obj | None = None, warn_after: int | None = None,
                 jti: str | None = None) -> Obj:
    """A bound token's claims (claims.go Claims), keys in encoding/json's order."""
    private: Obj = {"namespace": sa["metadata"].get("namespace", "")}
    if node is not None:
        private["node"] = _ref(node)
    if pod is not None:
        private["pod"] = _ref(pod)
    if secret is not None:
        private["secret"] = _ref(secret)
    private["serviceaccount"] = _ref(sa)
    if warn_after is not None:
        private["warnafter"] = warn_after
    return {"aud": audiences, "exp": now + expiration, "iat": now, "iss": ISSUER,
            "jti": jti or str(uuid.uuid4()), "kubernetes.io": private, "nbf": now,
            "sub": f"system:serviceaccount:{private['namespace']}:{sa['metadata']['name']}"}


def legacy_claims(sa: Obj, secret: Obj) -> Obj:
    """LegacyClaims: what the token controller puts in a `kubernetes.io/service-account-token` Secret."""
    namespace, name = sa["metadata"].get("namespace", ""), sa["metadata"]["name"]
    return {"iss": LEGACY_ISSUER, "kubernetes.io/serviceaccount/namespace": namespace,
            "kubernetes.io/serviceaccount/secret.name": secret["metadata"]["name"],
            "kubernetes.io/serviceaccount/service-account.name": name,
            "kubernetes.io/serviceaccount/service-account.uid": sa["metadata"].get("uid", ""),
            "sub": f"system:serviceaccount:{namespace}:{name}"}


class Authenticated:
    """Who a valid token names: the account, and the extra a bound token carries (user.Info's Extra)."""

    __slots__ = ("extra", "name", "namespace", "uid")

    def __init__(self, namespace: str, name: str, uid: str, extra: dict[str, list[str]]) -> None:
        self.namespace, self.name, self.uid, self.extra = namespace, name, uid, extra


def _gone(obj: Obj | None, uid: str, now: float) -> bool:
    """The bound object was deleted (or replaced by one of the same name) over a minute ago."""
    if obj is None or obj["metadata"].get("uid") != uid:
        return True
    deleted = obj["metadata"].get("deletionTimestamp")
    return bool(deleted) and parse_time(deleted) < now - LEEWAY


def authenticate(store: Store, token: str, now: float, audiences: tuple[str, ...] = (ISSUER,)) -> Authenticated:
    """Validate a ServiceAccount token as kube-apiserver's authenticator does: the signature, the issuer, the
    audience, the times (with a minute's leeway), the account and any bound object still there."""
    claims = signer_for(store).claims_of(token)
    if claims.get("iss") == LEGACY_ISSUER:
        return _legacy(store, claims, token)
    if claims.get("iss") != ISSUER:
        raise InvalidToken("unknown issuer")
    aud = claims.get("aud")
    aud = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not set(aud) & set(audiences):
        raise InvalidToken("token audiences do not match")
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if isinstance(exp, int | float) and now > exp + LEEWAY:
        raise InvalidToken("service account token has expired")
    if isinstance(nbf, int | float) and now < nbf - LEEWAY:
        raise InvalidToken("service account token is not valid yet")
    private = claims.get("kubernetes.io")
    if not isinstance(private, dict) or not isinstance(private.get("serviceaccount"), dict):
        raise InvalidToken("no service account")
    namespace = str(private.get("namespace") or "")
    account = private["serviceaccount"]
    sa = store.get("serviceaccounts", namespace, str(account.get("name") or ""))
    if _gone(sa, str(account.get("uid") or ""), now):
        raise InvalidToken("service account has been deleted")
    extra: dict[str, list[str]] = {}
    for kind, resource in (("secret", "secrets"), ("pod", "pods"), ("node", "nodes")):
        ref = private.get(kind)
        if not isinstance(ref, dict):
            continue
        found = store.get(resource, "" if kind == "node" else namespace, str(ref.get("name") or ""))
        if kind != "node" and _gone(found, str(ref.get("uid") or ""), now):
            raise InvalidToken("service account token has been invalidated")
        if kind != "secret":
            extra[f"authentication.kubernetes.io/{kind}-name"] = [str(ref.get("name") or "")]
            extra[f"authentication.kubernetes.io/{kind}-uid"] = [str(ref.get("uid") or "")]
    if claims.get("jti"):
        extra[CREDENTIAL_ID] = [f"JTI={claims['jti']}"]
    assert sa is not None
    return Authenticated(namespace, sa["metadata"]["name"], sa["metadata"].get("uid", ""), dict(sorted(extra.items())))


def _legacy(store: Store, claims: Obj, token: str) -> Authenticated:
    """legacyValidator: the Secret must still exist and hold this very token."""
    prefix = "kubernetes.io/serviceaccount/"
    namespace = str(claims.get(prefix + "namespace") or "")
    sa = store.get("serviceaccounts", namespace, str(claims.get(prefix + "service-account.name") or ""))
    if sa is None or sa["metadata"].get("uid") != claims.get(prefix + "service-account.uid"):
        raise InvalidToken("service account has been deleted")
    secret = store.get("secrets", namespace, str(claims.get(prefix + "secret.name") or ""))
    if secret is None or secret["metadata"].get("deletionTimestamp"):
        raise InvalidToken("secret has been deleted")
    held = str((secret.get("data") or {}).get("token") or "")
    try:
        matches = base64.b64decode(held) == token.encode()
    except ValueError:
        matches = False
    if not matches:
        raise InvalidToken("token does not match the secret's")
    return Authenticated(namespace, sa["metadata"]["name"], sa["metadata"].get("uid", ""), {})
