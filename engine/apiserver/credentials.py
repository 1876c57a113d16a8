"""What a client needs to trust and reach the API server: a CA, a serving certificate, an admin token and a
kubeconfig, kept in k9py's state folder.

Generated on first use and reused afterwards, so a kubeconfig written yesterday still works today (only its
port changes when the port does). Private keys, the token and the kubeconfig are written 0600 and atomically:
a reader never sees half a file, and nobody else on the machine can read them.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import ipaddress
import os
import secrets
import tempfile
from pathlib import Path

import attrs
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..satoken import new_key_pem

CLUSTER_NAME = "k9py"
USER_NAME = "k9py-admin"
# The serving certificate names exactly the addresses the server listens on: loopback only.
SERVER_NAMES = ("localhost",)
SERVER_IPS = ("127.0.0.1",)
CA_DAYS = 3650
SERVER_DAYS = 365
RENEW_BEFORE = datetime.timedelta(days=30)


def state_dir() -> Path:
    """$K9PY_STATE_DIR (tests), else $XDG_STATE_HOME/k9py, else ~/.local/state/k9py."""
    override = os.environ.get("K9PY_STATE_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "k9py"


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` with mode 0600, atomically (a temporary file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _new_ca() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "k9py-ca")])
    now = _now()
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)


def _new_serving(ca_cert_pem: bytes, ca_key_pem: bytes) -> tuple[bytes, bytes]:
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem)
    ca_key = serialization.load_pem_private_key(ca_key_pem, password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    san = [x509.DNSName(n) for n in SERVER_NAMES] + [x509.IPAddress(ipaddress.ip_address(i)) for i in SERVER_IPS]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "k9py-apiserver")]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)


def _serving_usable(cert_pem: bytes, ca_cert_pem: bytes) -> bool:
    """Still valid for a while, signed by this CA, and naming every address the server listens on."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        ca = x509.load_pem_x509_certificate(ca_cert_pem)
        cert.verify_directly_issued_by(ca)
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except Exception:  # any doubt about the old certificate: make a new one
        return False
    ips = {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    dns = set(names.get_values_for_type(x509.DNSName))
    return (cert.not_valid_after_utc - _now() > RENEW_BEFORE and set(SERVER_IPS) <= ips
            and set(SERVER_NAMES) <= dns)


@attrs.frozen
class Credentials:
    folder: Path
    ca_cert: Path
    server_cert: Path
    server_key: Path
    token: str
    service_account_key: Path  # signs ServiceAccount tokens (kube-apiserver's --service-account-signing-key-file)

    @property
    def kubeconfig(self) -> Path:
        return self.folder / "kubeconfig"

    def write_kubeconfig(self, server: str) -> Path:
        """The kubeconfig for `server` (https://127.0.0.1:PORT), in k9py's own file: never ~/.kube/config."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": CLUSTER_NAME, "cluster": {
                "server": server,
                "certificate-authority-data": base64.b64encode(self.ca_cert.read_bytes()).decode()}}],
            "users": [{"name": USER_NAME, "user": {"token": self.token}}],
            "contexts": [{"name": CLUSTER_NAME, "context": {"cluster": CLUSTER_NAME, "user": USER_NAME}}],
            "current-context": CLUSTER_NAME,
            "preferences": {},
        }
        write_private(self.kubeconfig, yaml.safe_dump(config, sort_keys=False).encode())
        return self.kubeconfig


def load_or_create(folder: Path | None = None) -> Credentials:
    """The state folder's credentials, creating what is missing (and a serving certificate about to expire)."""
    folder = folder or state_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    ca_cert, ca_key = folder / "ca.crt", folder / "ca.key"
    server_cert, server_key = folder / "apiserver.crt", folder / "apiserver.key"
    token_file = folder / "admin-token"
    if not (ca_cert.is_file() and ca_key.is_file()):
        cert_pem, key_pem = _new_ca()
        write_private(ca_key, key_pem)
        write_private(ca_cert, cert_pem)
        server_cert.unlink(missing_ok=True)  # signed by the old CA: no client would trust it now
    ca_pem = ca_cert.read_bytes()
    if not (server_cert.is_file() and server_key.is_file()) or not _serving_usable(server_cert.read_bytes(), ca_pem):
        cert_pem, key_pem = _new_serving(ca_pem, ca_key.read_bytes())
        write_private(server_key, key_pem)
        write_private(server_cert, cert_pem)
    token = token_file.read_text().strip() if token_file.is_file() else ""
    if len(token) < 32:
        token = secrets.token_urlsafe(32)
        write_private(token_file, (token + "\n").encode())
    sa_key = folder / "service-account.key"
    if not sa_key.is_file():
        write_private(sa_key, new_key_pem())
    return Credentials(folder, ca_cert, server_cert, server_key, token, sa_key)
