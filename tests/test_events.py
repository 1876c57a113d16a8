"""Events are recorded as client-go records them: repeats counted, similar ones combined, spam limited."""

import re

import pytest

from engine.cluster import Cluster
from engine.events import EventRecorder
from tests.test_kubelet_scenarios import pod_manifest


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


async def test_ten_distinct_messages_fold_into_one_combined_event(cluster):
    """client-go tools/record/events_cache.go EventAggregator.EventAggregate: from the 10th distinct message of
    the same source, object, type and reason within 10 minutes, events go to one Event keyed without the message
    (`(combined from similar events): <latest>`) whose count grows."""
    recorder = EventRecorder(cluster.api)
    node = pod(cluster)
    for i in range(14):
        recorder.record(node, "Normal", "Tick", f"tick {i}", "tester")
    events = [e for e in cluster.events() if e["reason"] == "Tick"]
    plain = [e for e in events if not e["message"].startswith("(combined")]
    combined = [e for e in events if e["message"].startswith("(combined from similar events): ")]
    assert [e["message"] for e in plain] == [f"tick {i}" for i in range(9)]
    assert [(e["message"], e["count"]) for e in combined] == [("(combined from similar events): tick 13", 5)]


async def test_the_spam_filter_allows_a_burst_then_one_per_five_minutes(cluster):
    """events_cache.go EventSourceObjectSpamFilter (getSpamKey: source and object only) after eventObserve:
    25 writes, then one per 5 minutes; the dropped repeats are still counted, so the next write shows them."""
    recorder = EventRecorder(cluster.api)
    node = pod(cluster)
    for _ in range(30):
        recorder.record(node, "Warning", "Loop", "same", "tester")
    [event] = [e for e in cluster.events() if e["reason"] == "Loop"]
    assert event["count"] == 25
    # The bucket is per source and object: another reason from the same source is dropped too.
    recorder.record(node, "Normal", "Other", "different", "tester")
    assert not [e for e in cluster.events() if e["reason"] == "Other"]
    await cluster.run_for(300)
    recorder.record(node, "Warning", "Loop", "same", "tester")
    recorder.record(node, "Warning", "Loop", "same", "tester")
    [event] = [e for e in cluster.events() if e["reason"] == "Loop"]
    assert event["count"] == 31
    assert event["lastTimestamp"] == "2026-01-01T00:05:00Z"


async def test_the_same_message_about_two_containers_is_two_events(cluster):
    """events_cache.go getEventKey includes involvedObject.fieldPath: one Event per container."""
    recorder = EventRecorder(cluster.api)
    node = pod(cluster)
    for field in ("spec.containers{a}", "spec.containers{b}", "spec.containers{a}"):
        recorder.record(node, "Normal", "Pulled", "already present", "tester", field_path=field)
    events = [e for e in cluster.events() if e["reason"] == "Pulled" and e["source"]["component"] == "tester"]
    assert sorted((e["involvedObject"]["fieldPath"], e["count"]) for e in events) == [
        ("spec.containers{a}", 2), ("spec.containers{b}", 1)]


def _event_rows(text: str, reason: str) -> list[str]:
    return [line for line in text[text.index("Events:"):].splitlines() if f" {reason} " in line]


async def test_a_crash_looping_pod_shows_one_growing_backoff_row():
    """client-go events_cache.go EventLogger.eventObserve (a repeat patches count and lastTimestamp of one Event)
    and kubectl pkg/describe/describe.go DescribeEvents (`<age> (x<count> over <first seen>)`): a crash-looping
    pod's describe has a single BackOff row whose count climbs."""
    async with Cluster(nodes=1) as c:
        await c.apply(pod_manifest("crash", command="exit 1"))
        await c.run_for(60)
        [first] = _event_rows(c.describe("pod", "crash"), "BackOff")
        await c.run_for(60)
        [later] = _event_rows(c.describe("pod", "crash"), "BackOff")
        counts = []
        for row in (first, later):
            match = re.search(r"\(x(\d+) over (\S+)\)", row)
            assert match, row
            counts.append(int(match.group(1)))
        assert first.split()[:2] == ["Warning", "BackOff"]
        assert "(x6 over 58s)" in first
        assert "(x9 over 118s)" in later
        assert counts[1] > counts[0]
        backoffs = [e for e in c.events("default") if e["reason"] == "BackOff"]
        assert len(backoffs) == 1


async def test_events_are_bounded_oldest_first(cluster):
    recorder = EventRecorder(cluster.api, limit=5)
    node = pod(cluster)
    for i in range(8):
        recorder.record(node, "Normal", f"R{i}", "m", "tester")
    reasons = [e["reason"] for e in cluster.events() if e["source"]["component"] == "tester"]
    assert reasons == ["R3", "R4", "R5", "R6", "R7"]
