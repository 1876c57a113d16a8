"""`sinceTime` and other metav1.Time query parameters: Go's time.Parse(time.RFC3339), errors word for word (each
message below is what kube-apiserver v1.36 answered; tests/test_kube_compare.py checks them against the kit)."""

from __future__ import annotations

import pytest

from engine.timeutil import parse_rfc3339

LAYOUT = '"2006-01-02T15:04:05Z07:00"'


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2026-12-03T00:00:00Z", 1796256000.0),
        ("2026-12-03T00:00:00.25Z", 1796256000.25),
        ("2026-12-03T01:00:00+01:00", 1796256000.0),
        ("2026-12-02T23:00:00-01:00", 1796256000.0),
        ("2026-12-03T0:00:00Z", 1796256000.0),  # the hour alone may have one digit
    ],
)
def test_accepted(value: str, seconds: float) -> None:
    assert parse_rfc3339(value) == seconds


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("bogus", f'parsing time "bogus" as {LAYOUT}: cannot parse "bogus" as "2006"'),
        ("2026-12-03", f'parsing time "2026-12-03" as {LAYOUT}: cannot parse "" as "T"'),
        ("2026-12-3T00:00:00Z", f'parsing time "2026-12-3T00:00:00Z" as {LAYOUT}: cannot parse "3T00:00:00Z" as "02"'),
        ("2026-12-03T00:00:00", f'parsing time "2026-12-03T00:00:00" as {LAYOUT}: cannot parse "" as "Z07:00"'),
        ("2026-12-03T00:00:00.Z", f'parsing time "2026-12-03T00:00:00.Z" as {LAYOUT}: cannot parse ".Z" as "Z07:00"'),
        ("2026-12-03t00:00:00z", f'parsing time "2026-12-03t00:00:00z" as {LAYOUT}: cannot parse "t00:00:00z" as "T"'),
        ("2026-13-03T00:00:00Z", 'parsing time "2026-13-03T00:00:00Z": month out of range'),
        ("2026-12-03T25:00:00Z", 'parsing time "2026-12-03T25:00:00Z": hour out of range'),
        ("2026-02-30T00:00:00Z", 'parsing time "2026-02-30T00:00:00Z": day out of range'),
        ("2026-12-03T00:00:00Zjunk", 'parsing time "2026-12-03T00:00:00Zjunk": extra text: "junk"'),
    ],
)
def test_refused_in_gos_words(value: str, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_rfc3339(value)
    assert str(refused.value) == message
