"""Query parameters as kube-apiserver converts them (apimachinery's query conversion), for every endpoint.

A flag is true once its key is there, whatever the value, unless it is "0" or "false" in any case (`watch=yes` and
`watch=` watch; `watch=FALSE` lists: checked against kube-apiserver v1.36). A number is strconv.ParseInt's, and
its refusal a 400 in ParseInt's words (`strconv.ParseInt: parsing "abc": invalid syntax`), an empty value included.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import bad_request
from ..strconv import parse_int


def flag(query: Mapping[str, str], name: str) -> bool:
    value = query.get(name)
    return value is not None and value.lower() not in ("0", "false")


def int_param(query: Mapping[str, str], name: str) -> int | None:
    value = query.get(name)
    if value is None:
        return None
    try:
        return parse_int(value)
    except ValueError as exc:
        raise bad_request(str(exc)) from None
