"""`-n NS` opens that namespace, as k9s's -n does; the manifests' default namespace has its own option."""

from __future__ import annotations

import pytest

from k9py.cli import build_dashboard_parser, start_command


@pytest.mark.parametrize(("command", "namespace", "expected"), [
    ("", None, ""),
    ("", "shop", "po shop"),
    ("deploy", "shop", "deploy shop"),
    ("po /cart", "shop", "po shop /cart"),
    ("dp app=frontend", "shop", "dp shop app=frontend"),
    ("deploy platform", "shop", "deploy platform"),  # -c names its namespace: it wins
])
def test_the_first_view_opens_in_the_namespace_n_names(command: str, namespace: str | None, expected: str) -> None:
    assert start_command(command, namespace) == expected


def test_n_and_default_namespace_are_two_options() -> None:
    args = build_dashboard_parser().parse_args(["-n", "shop", "--default-namespace", "team", "dir"])
    assert (args.namespace, args.default_namespace, args.dirs) == ("shop", "team", ["dir"])
    assert build_dashboard_parser().parse_args([]).default_namespace == "default"
