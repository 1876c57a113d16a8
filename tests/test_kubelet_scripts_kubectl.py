"""The seed's `kubectl run debug --image=busybox --rm -it --restart=Never -- nslookup web-service`, with the real
kubectl against k9py's API server: the pod's command runs in k9py's simulated shell (engine/kubelet/
shell_behaviour.py), kubectl shows what it printed, deletes the pod, and reports how it ended. busybox (latest) is
1.36: its nslookup asks for the name under each search domain and exits 1 on the NXDOMAIN ones, as on a real
cluster (busybox 1.28, the docs' pinned image, answers in its old format and exits 0)."""

from __future__ import annotations

import asyncio

from network_support import app, service
from test_apiserver_kit import Served, needs_kubectl, served
from test_apiserver_streaming import terminal

pytestmark = needs_kubectl
__all__ = ["served"]


async def _run_nslookup(served: Served, image: str) -> tuple[int, str]:
    async with terminal(served, "run", "debug", f"--image={image}", "--rm", "-it", "--restart=Never", "--",
                        "nslookup", "web-service") as term:
        code = await asyncio.wait_for(term.proc.wait(), 60)
        return code, term.output.decode().replace("\r\n", "\n")


async def test_kubectl_run_nslookup_as_the_seed_writes_it(served: Served) -> None:
    await served.cluster.apply(app("web"))
    await served.cluster.apply(service("web-service", selector={"app": "web"}))
    ip = served.cluster.get("service", "web-service")["spec"]["clusterIP"]
    code, output = await _run_nslookup(served, "busybox")
    assert code == 1
    assert (f"Name:\tweb-service.default.svc.cluster.local\nAddress: {ip}\n\n"
            "** server can't find web-service.svc.cluster.local: NXDOMAIN\n") in output
    assert 'pod "debug" deleted' in output and "pod default/debug terminated (Error)" in output
    await served.wait_for(lambda: served.cluster.get("pod", "debug") is None)

    code, output = await _run_nslookup(served, "busybox:1.28")
    assert code == 0
    assert (f"Name:      web-service\nAddress 1: {ip} web-service.default.svc.cluster.local\n") in output
    assert 'pod "debug" deleted' in output
