"""Node heartbeats on the virtual clock: the Lease renewed every 10 s, the node status re-posted every 5 min,
and the Lease section of `kubectl describe node`."""

from __future__ import annotations

from engine.cluster import Cluster
from engine.timeutil import format_time, parse_time

LEASE_NS = "kube-node-lease"


def ready(c: Cluster, node: str = "node-1") -> dict:
    obj = c.get("node", node, None)
    return next(x for x in obj["status"]["conditions"] if x["type"] == "Ready")


async def test_the_node_lease_is_renewed_every_ten_seconds() -> None:
    """component-helpers apimachinery/lease/controller.go (renewInterval = 0.25 x leaseDuration) and
    pkg/kubelet/nodelease setNodeOwnerFunc: the Lease kube-node-lease/<node>, held by the node, 40 s long,
    renewed every 10 s, owned by its Node; the lease strategy keeps no metadata.generation."""
    async with Cluster(nodes=1) as c:
        t0 = c.now()
        await c.run_for(35)
        lease = c.get("lease", "node-1", LEASE_NS)
        assert lease["spec"]["holderIdentity"] == "node-1"
        assert lease["spec"]["leaseDurationSeconds"] == 40
        assert parse_time(lease["spec"]["renewTime"]) == t0 + 30
        assert lease["spec"]["renewTime"].endswith(".000000Z")  # a MicroTime
        assert "acquireTime" not in lease["spec"]
        node = c.get("node", "node-1", None)
        assert lease["metadata"]["ownerReferences"] == [
            {"apiVersion": "v1", "kind": "Node", "name": "node-1", "uid": node["metadata"]["uid"]}]
        assert "generation" not in lease["metadata"]
        assert c.table("leases", LEASE_NS) == (["NAME", "HOLDER", "AGE"], [["node-1", "node-1", "35s"]])


async def test_a_deleted_lease_is_recreated_on_the_next_renewal() -> None:
    """apimachinery/lease/controller.go backoffEnsureLease/ensureLease: a missing Lease is created again."""
    async with Cluster(nodes=1) as c:
        await c.run_for(5)
        await c.delete("lease", "node-1", LEASE_NS)
        assert c.get("lease", "node-1", LEASE_NS) is None
        await c.run_for(5)
        assert c.get("lease", "node-1", LEASE_NS) is not None


async def test_the_node_status_heartbeat_comes_every_five_minutes() -> None:
    """pkg/kubelet/kubelet_node_status.go tryUpdateNodeStatus: with nothing changed, the status is posted again
    only after nodeStatusReportFrequency (5 min); every condition's lastHeartbeatTime moves, lastTransitionTime
    does not."""
    async with Cluster(nodes=1) as c:
        t0 = c.now()
        await c.run_for(299)
        assert ready(c)["lastHeartbeatTime"] == format_time(t0)
        await c.run_for(1)
        assert ready(c)["lastHeartbeatTime"] == format_time(t0 + 300)
        assert ready(c)["lastTransitionTime"] == format_time(t0)
        await c.run_for(300)
        conditions = c.get("node", "node-1", None)["status"]["conditions"]
        assert {x["lastHeartbeatTime"] for x in conditions} == {format_time(t0 + 600)}


async def test_a_node_back_from_failure_reports_at_once_and_renews_again() -> None:
    """kubelet_node_status.go / nodelease: a kubelet that comes back posts its status and renews its Lease at
    once, then keeps the usual rhythm."""
    async with Cluster(nodes=1) as c:
        await c.run_for(20)
        await c.set_node_ready("node-1", False)
        await c.run_for(100)
        stale = parse_time(c.get("lease", "node-1", LEASE_NS)["spec"]["renewTime"])
        assert c.now() - stale == 100
        await c.set_node_ready("node-1", True)
        back = c.now()
        await c.run_for(15)
        assert parse_time(c.get("lease", "node-1", LEASE_NS)["spec"]["renewTime"]) == back + 10
        assert ready(c)["status"] == "True"
        await c.run_for(300)
        assert ready(c)["lastHeartbeatTime"] == format_time(back + 300)


async def test_describe_node_shows_the_lease() -> None:
    """kubectl pkg/describe/describe.go describeNode: a `Lease:` section after Unschedulable with HolderIdentity,
    AcquireTime (`<unset>`, the kubelet never sets it) and RenewTime in RFC1123Z."""
    async with Cluster(nodes=1) as c:
        await c.run_for(25)
        text = c.describe("node", "node-1", None)
        lines = text.splitlines()
        at = lines.index("Lease:")
        assert lines[at - 1].startswith("Unschedulable:")
        assert lines[at + 1:at + 4] == [
            "  HolderIdentity:  node-1",
            "  AcquireTime:     <unset>",
            "  RenewTime:       Thu, 01 Jan 2026 00:00:20 +0000",
        ]
        assert lines[at + 4].startswith("Conditions:")
