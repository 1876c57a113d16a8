"""Secrets: the kubectl columns like any kind, and `x` to read a secret's values decoded (k9s's Decode).

The table and the YAML view show `data` as the API holds it, base64; only `x` decodes, one secret at a time.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, ClassVar

from ruamel.yaml.scalarstring import LiteralScalarString

from ..keys import Key
from .base import EDIT_KEY, MOVE_KEYS, OBJECT_KEYS
from .table import DELETE_KEY, JUMP_OWNER_KEY, LIST_KEYS, MARK_KEYS, NAMESPACE_KEYS, TableView
from .text import TextView
from .yaml import to_yaml

if TYPE_CHECKING:
    from ..actions import Host


class SecretsView(TableView):
    view_name = "secrets"
    FOR_KIND = "Secret"
    KEYS: ClassVar[tuple[Key, ...]] = (
        *MOVE_KEYS, *NAMESPACE_KEYS, *OBJECT_KEYS, Key("x", "decode", "Decode"), JUMP_OWNER_KEY, *MARK_KEYS,
        EDIT_KEY, DELETE_KEY, *LIST_KEYS,
    )

    async def do_decode(self, host: Host, _: Key) -> None:
        await self.open_detail(host, "decode")


def decoded(data: dict[str, str]) -> dict[str, str]:
    """Each value as text; one that is not UTF-8 (a key store, an image) is described, not dumped."""
    out = {}
    for key in sorted(data):
        try:
            raw = base64.b64decode(data[key], validate=True)
        except (binascii.Error, ValueError):
            out[key] = f"<not base64: {data[key]!r}>"
            continue
        try:
            out[key] = raw.decode()
        except UnicodeDecodeError:
            out[key] = f"<binary, {len(raw)} bytes>"
    return out


class DecodeView(TextView):
    view_name = "decode"  # `x` on a secret
    label = "decode"

    def render_body(self) -> str | None:
        secret = self.backend.get(self.kind, self.spec.name, self.spec.namespace)
        if secret is None:
            return None
        data = secret.get("data") or {}
        if not data:
            return "# this secret holds no data"
        # Multi-line values (certificates, config files) as YAML literal blocks, line by line as they are.
        return to_yaml({key: LiteralScalarString(value) if "\n" in value else value
                        for key, value in decoded(data).items()})
