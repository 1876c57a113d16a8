"""One warning of the network checks, before it is placed at its file and line."""

from __future__ import annotations

import attrs

# An object whose annotation lists a warning's reason (comma-separated) does not get that warning.
IGNORE_ANNOTATION = "check.k9py.io/ignore"


@attrs.frozen
class Finding:
    kind: str
    namespace: str
    name: str
    reason: str
    message: str
    # Where in the declared object the mistake is (`spec.ports[0].targetPort`): the report points at its line.
    # A path the file does not spell out points at the deepest part it does; "" at the document itself.
    field: str = ""
