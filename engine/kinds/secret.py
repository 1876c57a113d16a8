"""Secret (v1): like a ConfigMap, but base64 `data`, a `type`, and write-only `stringData`."""

from __future__ import annotations

import base64

from ..printers.describe_services import describe_secret
from ..printers.services import SECRET_COLUMNS, decoded_size, secret_row
from . import configdata
from . import validation as v
from .registry import REGISTRY, DescribeContext, FieldErrors, KindInfo, Obj

# Keys a typed Secret must carry (core/v1 types.go); basic-auth needs at least one of its two.
REQUIRED_KEYS = {
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/dockercfg": (".dockercfg",),
}
BASIC_AUTH = "kubernetes.io/basic-auth"


def _decode(secret: Obj) -> None:
    """stringData is a write-only convenience: the decoder merges it into data, base64-encoded, and drops it."""
    configdata.check_base64("Secret", "data", secret)
    string_data = secret.get("stringData")
    if isinstance(string_data, dict):
        data = secret.get("data")
        if not isinstance(data, dict):
            secret["data"] = data = {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        del secret["stringData"]


def _default(secret: Obj) -> None:
    if not secret.get("type"):
        secret["type"] = "Opaque"


def _validate(secret: Obj, old: Obj | None) -> FieldErrors:
    data = secret.get("data")
    errors = configdata.validate_keys("data", data)
    data = data if isinstance(data, dict) else {}
    if sum(decoded_size(value) for value in data.values()) > configdata.MAX_SIZE:
        errors.append(("data", f"Too long: may not be more than {configdata.MAX_SIZE} bytes"))
    kind = secret.get("type")
    for key in REQUIRED_KEYS.get(str(kind), ()):
        if key not in data:
            errors.append(v.required(f"data[{key}]"))
    if kind == BASIC_AUTH and "username" not in data and "password" not in data:
        errors += [v.required("data[username]"), v.required("data[password]")]
    if old is not None:
        errors.extend(v.immutable("type", kind, old.get("type")))
    errors.extend(configdata.immutable_errors(secret, old, ("data",)))
    return errors


def _describe(secret: Obj, ctx: DescribeContext) -> str:
    return describe_secret(secret)


SECRET = REGISTRY.register(KindInfo(
    kind="Secret", group="", version="v1", plural="secrets", namespaced=True, console_aliases=("sec",),
    decode=_decode, default=_default, validate=_validate, has_status=False, columns=SECRET_COLUMNS, row=secret_row,
    describe=_describe,
))
