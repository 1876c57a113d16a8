"""`b` and `:request` in the dashboard (issue 14 §3): a learner sends a request to the sample shop's frontend from
outside the cluster and sees it land on a pod, sends more and sees kube-proxy spread them, and sends one from a pod
to another Service through DNS."""

from __future__ import annotations

import re
from functools import partial

import tui_support
from tui_support import command, dashboard, filter_by, screen_lines

from k9py.views.request import RequestView, request_spec
from k9py.widgets.dialogs import RequestDialog

until = partial(tui_support.until, timeout=10.0)


def _ready(cluster, app: str, count: int) -> bool:
    pods = [p for p in cluster.list("Pod", "shop") if (p["metadata"].get("labels") or {}).get("app") == app]
    return sum(1 for p in pods if any(c.get("type") == "Ready" and c.get("status") == "True"
                                      for c in (p.get("status") or {}).get("conditions") or ())) >= count


def _text(app) -> str:
    return "\n".join(screen_lines(app))


async def test_b_on_the_frontend_service_sends_a_request_from_outside_through_its_node_port() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await until(pilot, lambda: _ready(cluster, "frontend", 3))
        await command(pilot, "svc shop")
        await until(pilot, lambda: screen.view_title.strip() == "services(shop)[3]")
        await filter_by(pilot, "frontend")
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, RequestDialog))
        dialog = app.screen
        assert isinstance(dialog, RequestDialog)
        # A NodePort Service: offered from outside, to a node's address and the node port.
        assert dialog.source == "outside"
        assert re.fullmatch(r"http://[\d.]+:30080/", dialog.url), dialog.url
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(screen.view, RequestView))
        view = screen.view
        assert isinstance(view, RequestView) and view.last is not None
        assert view.last.ok, view.last.render()
        assert view.last.endpoint.startswith("shop/frontend-")
        text = _text(app)
        assert "from outside" in text and "→ 200 OK" in text
        assert re.search(r"shop/frontend-\w+-\w+ +1 █", text), text
        # Ten more: kube-proxy spreads them over the three ready pods.
        await pilot.press("R")
        await until(pilot, lambda: sum(view.tally.values()) == 11)
        landed = {place for place in view.tally if place.startswith("shop/frontend-")}
        assert len(landed) >= 2, view.tally
        assert "Sent 11, landed on:" in _text(app)


async def test_a_request_from_a_pod_goes_through_dns_and_u_changes_it() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await until(pilot, lambda: _ready(cluster, "frontend", 3) and _ready(cluster, "cart", 1))
        pod = next(p["metadata"]["name"] for p in cluster.list("Pod", "shop")
                   if p["metadata"]["name"].startswith("frontend-"))
        await command(pilot, f"request shop/{pod} http://redis:6379/")
        await until(pilot, lambda: isinstance(screen.view, RequestView))
        await pilot.press("u")  # change the URL: the dialog offers the current source and URL
        await until(pilot, lambda: isinstance(app.screen, RequestDialog))
        dialog = app.screen
        assert isinstance(dialog, RequestDialog)
        assert (dialog.source, dialog.url) == (f"shop/{pod}", "http://redis:6379/")
        await pilot.press(*["backspace"] * len("redis:6379/"), *"cart/", "enter")
        await until(pilot, lambda: isinstance(screen.view, RequestView) and screen.view.spec.url == "http://cart/")
        text = _text(app)
        assert "dns" in text and "cart.shop.svc.cluster.local" in text, text


async def test_request_command_reports_a_name_that_does_not_resolve() -> None:
    async with dashboard() as (app, pilot, screen, cluster):
        await until(pilot, lambda: _ready(cluster, "cart", 1))
        pod = next(p["metadata"]["name"] for p in cluster.list("Pod", "shop")
                   if p["metadata"]["name"].startswith("cart-"))
        await command(pilot, f"request shop/{pod} http://nosuch/")
        await until(pilot, lambda: isinstance(screen.view, RequestView))
        view = screen.view
        assert isinstance(view, RequestView) and view.last is not None
        assert not view.last.ok
        assert "Could not resolve host: nosuch" in _text(app)
        assert view.tally == {"unresolved": 1}


def test_request_command_forms() -> None:
    assert request_spec(["http://x/"], "shop").source == "outside"
    spec = request_spec(["from", "shop/cart-1", "http://redis:6379/"], None)
    assert (spec.source, spec.url) == ("shop/cart-1", "http://redis:6379/")
    try:
        request_spec([], None)
    except ValueError as exc:
        assert "usage: request" in str(exc)
    else:
        raise AssertionError("an empty :request is refused")


async def test_request_view_keys_move_resend_and_wrap() -> None:
    async with dashboard(size=(80, 24)) as (app, pilot, screen, cluster):
        await until(pilot, lambda: _ready(cluster, "frontend", 3))
        await command(pilot, "svc shop")
        await filter_by(pilot, "frontend")
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, RequestDialog))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(screen.view, RequestView))
        view = screen.view
        assert isinstance(view, RequestView)
        await pilot.press("r")  # once more
        await until(pilot, lambda: sum(view.tally.values()) == 2)
        await pilot.press("R")
        await until(pilot, lambda: sum(view.tally.values()) == 12)
        assert "Sent 12, landed on:" in _text(app)
        # 80 columns are too few for the trace: G scrolls to its end, g back to the top, j and k a line.
        await pilot.press("G")
        await until(pilot, lambda: view.scroll_y > 0)
        bottom = view.scroll_y
        await pilot.press("k")
        await until(pilot, lambda: view.scroll_y == bottom - 1)
        await pilot.press("j")
        await until(pilot, lambda: view.scroll_y == bottom)
        await pilot.press("g")
        await until(pilot, lambda: view.scroll_y == 0)
        await pilot.press("w")
        await until(pilot, lambda: view.wrap and screen.flash_line.message == "wrap on")
        await filter_by(pilot, "frontend")  # a trace has no rows to filter
        await until(pilot, lambda: screen.flash_line.message == "request view cannot be filtered")
        await pilot.press("escape")  # back to the services view it was sent from
        await until(pilot, lambda: screen.view_name == "services")
