"""ConfigMap (v1): configuration pods read as environment variables or files."""

from __future__ import annotations

from ..printers.describe_services import describe_configmap
from ..printers.services import CONFIGMAP_COLUMNS, configmap_row, decoded_size
from . import configdata
from . import validation as v
from .registry import REGISTRY, DescribeContext, FieldErrors, KindInfo, Obj


def _decode(cm: Obj) -> None:
    configdata.check_base64("ConfigMap", "binaryData", cm)


def _validate(cm: Obj, old: Obj | None) -> FieldErrors:
    data, binary = cm.get("data"), cm.get("binaryData")
    errors = configdata.validate_keys("data", data)
    errors.extend(configdata.validate_keys("binaryData", binary))
    if isinstance(data, dict) and isinstance(binary, dict):
        for key in data:
            if key in binary:
                errors.append(v.invalid(f"data[{key}]", key, "duplicate of key present in binaryData"))
    size = sum(len(str(value)) for value in (data or {}).values() if isinstance(data, dict))
    size += sum(decoded_size(value) for value in (binary or {}).values() if isinstance(binary, dict))
    if size > configdata.MAX_SIZE:
        errors.append(("", f"Too long: may not be more than {configdata.MAX_SIZE} bytes"))
    errors.extend(configdata.immutable_errors(cm, old, ("data", "binaryData")))
    return errors


def _describe(cm: Obj, ctx: DescribeContext) -> str:
    return describe_configmap(cm, ctx.events(cm), ctx.now())


CONFIGMAP = REGISTRY.register(KindInfo(
    kind="ConfigMap", group="", version="v1", plural="configmaps", namespaced=True, short_names=("cm",),
    decode=_decode, validate=_validate, has_status=False, columns=CONFIGMAP_COLUMNS, row=configmap_row,
    describe=_describe,
))
