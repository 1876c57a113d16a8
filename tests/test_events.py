"""Events are recorded as client-go records them: repeats counted, similar ones combined, spam limited."""

import pytest

from engine.cluster import Cluster
from engine.events import EventRecorder


@pytest.fixture
async def cluster():
    async with Cluster(nodes=1) as c:
        yield c


def pod(cluster):
    return cluster.api.get("nodes", "node-1")


async def test_a_repeat_increments_count_and_last_timestamp(cluster):
    recorder = EventRecorder(cluster.api)
    node = pod(cluster)
    recorder.record(node, "Warning", "Flaky", "it happened", "tester")
    await cluster.run_for(60)
    recorder.record(node, "Warning", "Flaky", "it happened", "tester")
    [event] = [e for e in cluster.events() if e["reason"] == "Flaky"]
    assert event["count"] == 2
    assert event["firstTimestamp"] == "2026-01-01T00:00:00Z"
    assert event["lastTimestamp"] == "2026-01-01T00:01:00Z"
    assert event["source"] == {"component": "tester"}
    assert event["involvedObject"]["kind"] == "Node"
    assert event["metadata"]["name"].startswith("node-1.")


async def test_more_than_ten_distinct_messages_are_combined(cluster):
    recorder = EventRecorder(cluster.api)
    node = pod(cluster)
    for i in range(14):
        recorder.record(node, "Normal", "Tick", f"tick {i}", "tester")
    events = [e for e in cluster.events() if e["reason"] == "Tick"]
    plain = [e for e in events if not e["message"].startswith("(combined")]
    combined = [e for e in events if e["message"].startswith("(combined from similar events): ")]
    assert len(plain) == 10
    assert [e["message"] for e in combined] == [f"(combined from similar events): tick {i}" for i in range(10, 14)]


async def test_the_spam_filter_allows_a_burst_then_one_per_five_minutes(cluster):
    recorder = EventRecorder(cluster.api)
    node = pod(cluster)
    for _ in range(30):
        recorder.record(node, "Warning", "Loop", "same", "tester")
    [event] = [e for e in cluster.events() if e["reason"] == "Loop"]
    assert event["count"] == 25
    await cluster.run_for(300)
    recorder.record(node, "Warning", "Loop", "same", "tester")
    recorder.record(node, "Warning", "Loop", "same", "tester")
    [event] = [e for e in cluster.events() if e["reason"] == "Loop"]
    assert event["count"] == 26


async def test_events_are_bounded_oldest_first(cluster):
    recorder = EventRecorder(cluster.api, limit=5)
    node = pod(cluster)
    for i in range(8):
        recorder.record(node, "Normal", f"R{i}", "m", "tester")
    reasons = [e["reason"] for e in cluster.events() if e["source"]["component"] == "tester"]
    assert reasons == ["R3", "R4", "R5", "R6", "R7"]
