"""k9s's own resource aliases (`:sec`, `:dp`) open the views a k9s user expects, and ctrl-a lists them."""

from __future__ import annotations

from tui_support import command, dashboard, table, until

from engine.kinds import REGISTRY


async def test_sec_and_dp_open_secrets_and_deployments() -> None:
    async with dashboard() as (app, pilot, screen, _cluster):
        await command(pilot, "sec")
        await until(pilot, lambda: table(screen).kind.kind == "Secret")
        await command(pilot, "dp shop")
        await until(pilot, lambda: table(screen).kind.kind == "Deployment" and table(screen).spec.namespace == "shop")
        assert "sec" in app.backend.resolve("secrets").names


def test_the_api_keeps_kubectls_vocabulary() -> None:
    assert REGISTRY.lookup("sec") is None  # `kubectl get sec` is an error on a real cluster too
    assert REGISTRY.console_lookup("sec") is REGISTRY.by_kind("Secret")
