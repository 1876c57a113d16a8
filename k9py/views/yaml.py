"""`y`: the object as YAML, following live changes."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML

from .text import TextView


def to_yaml(obj: dict[str, Any]) -> str:
    # apiVersion and kind first, as kubectl prints them: a real API server's list items carry neither (the
    # informer adds them after the rest), and the dump keeps the dict's order.
    obj = {key: obj[key] for key in ("apiVersion", "kind") if key in obj} | obj
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 4096  # long strings (messages, annotations) stay on one line, as kubectl prints them
    out = io.StringIO()
    yaml.dump(obj, out)
    return out.getvalue()


class YamlView(TextView):
    view_name = "yaml"
    label = "yaml"

    def render_body(self) -> str | None:
        obj = self.backend.get(self.kind, self.spec.name, self.spec.namespace)
        return to_yaml(obj) if obj is not None else None
