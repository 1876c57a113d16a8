"""The cron schedule parser (`engine/cron.py`): robfig/cron v3's ParseStandard and SpecSchedule.Next, which the API
server validates `spec.schedule` with and the CronJob controller computes start times with."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.cron import ConstantDelaySchedule, CronError, format_rfc3339, load_location, parse_standard


def at(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


@pytest.mark.parametrize(("spec", "message"), [
    ("bad", "expected exactly 5 fields, found 1: [bad]"),
    ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
    ("* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"),
    ("61 * * * *", "end of range (61) above maximum (59): 61"),
    ("0 24 * * *", "end of range (24) above maximum (23): 24"),
    ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
    ("0 0 * 13 *", "end of range (13) above maximum (12): 13"),
    ("0 0 * * 7", "end of range (7) above maximum (6): 7"),
    ("*/0 * * * *", "step of range should be a positive number: */0"),
    ("5-2 * * * *", "beginning of range (5) beyond end of range (2): 5-2"),
    ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
    ("1/2/3 * * * *", "too many slashes: 1/2/3"),
    ("0 0 * JAN,FOO *", 'failed to parse int from FOO: strconv.Atoi: parsing "FOO": invalid syntax'),
    ("-1 * * * *", 'failed to parse int from : strconv.Atoi: parsing "": invalid syntax'),
    ("* * * * L", 'failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax'),
    ("@reboot", "unrecognized descriptor: @reboot"),
    ("@DAILY", "unrecognized descriptor: @DAILY"),
    ("@every bad", 'failed to parse duration @every bad: time: invalid duration "bad"'),
    ("@every 5", 'failed to parse duration @every 5: time: missing unit in duration "5"'),
    ("CRON_TZ=Nope/x * * * *", "provided bad location Nope/x: unknown time zone Nope/x"),
    ("TZ=UTC", "invalid schedule format: runtime error: slice bounds out of range [:-1]"),
])
def test_refused_schedules_say_what_the_api_server_says(spec: str, message: str) -> None:
    """robfig/cron parser.go Parse/getRange/parseDescriptor; each text was read off a v1.36 API server."""
    with pytest.raises(CronError) as err:
        parse_standard(spec)
    assert str(err.value) == message


@pytest.mark.parametrize("spec", [
    "? * * * MON-FRI", "0 0 * * sun-sat", "0 0 * jan *", "  0   0 * * *  ", "*/5,*/7 * * * *", "5/15 * * * *",
    "0 0 31 2 *", "*/61 * * * *", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly",
    "@every 1h30m", "@every 0s",
])
def test_accepted_schedules(spec: str) -> None:
    """robfig/cron ParseStandard accepts these (so does the v1.36 API server, `@every` included)."""
    parse_standard(spec)


@pytest.mark.parametrize(("start", "spec", "expected"), [
    ("2012-07-09T14:45:00+00:00", "0/15 * * * *", "2012-07-09T15:00:00+00:00"),
    ("2012-07-09T15:45:00+00:00", "20-35/15 * * * *", "2012-07-09T16:20:00+00:00"),
    ("2012-07-09T23:46:00+00:00", "*/15 * * * *", "2012-07-10T00:00:00+00:00"),
    ("2012-07-09T23:35:00+00:00", "0 0 9 Apr-Oct ?", "2012-08-09T00:00:00+00:00"),
    ("2012-07-09T23:35:00+00:00", "0 0 */5 Apr,Aug,Oct Mon", "2012-08-01T00:00:00+00:00"),
    ("2012-07-09T23:35:00+00:00", "0 0 * Feb Mon/2", "2013-02-01T00:00:00+00:00"),
    ("2012-12-31T23:59:45+00:00", "* * * * *", "2013-01-01T00:00:00+00:00"),
    ("2012-07-09T23:35:00+00:00", "0 0 29 Feb ?", "2016-02-29T00:00:00+00:00"),
    ("2012-07-09T15:00:00+00:00", "@hourly", "2012-07-09T16:00:00+00:00"),
    ("2012-07-09T15:00:00+00:00", "@weekly", "2012-07-15T00:00:00+00:00"),
    ("2012-07-09T15:00:00+00:00", "@monthly", "2012-08-01T00:00:00+00:00"),
    ("2012-07-09T15:00:00+00:00", "@yearly", "2013-01-01T00:00:00+00:00"),
    # Day of month and day of week both restricted: either matches; one of them `*`: both must.
    ("2012-06-14T00:00:00+00:00", "0 0 1,15 * Sun", "2012-06-15T00:00:00+00:00"),
    ("2012-07-09T00:00:00+00:00", "0 0 1,15 * *", "2012-07-15T00:00:00+00:00"),
])
def test_next(start: str, spec: str, expected: str) -> None:
    """robfig/cron spec_test.go TestNext/TestActivation cases (five-field forms)."""
    assert parse_standard(spec).next(at(start)) == at(expected)


@pytest.mark.parametrize(("start", "spec", "expected"), [
    # 2 am EST -> 3 am EDT: a 02:30 start does not exist that night; an hourly schedule skips the hour.
    ("2012-03-11T00:00:00-05:00", "TZ=America/New_York 30 2 11 Mar ?", "2013-03-11T02:30:00-04:00"),
    ("2012-03-11T01:00:00-05:00", "TZ=America/New_York 0 * * * ?", "2012-03-11T03:00:00-04:00"),
    ("2012-03-11T00:00:00-05:00", "TZ=America/New_York 0 2 * * ?", "2012-03-12T02:00:00-04:00"),
    ("2012-03-11T01:00:00-05:00", "TZ=America/New_York 0 1 * * ?", "2012-03-12T01:00:00-04:00"),
    # 2 am EDT -> 1 am EST: the 1 am hour happens twice, and a 1 am nightly job runs twice.
    ("2012-11-04T01:00:00-04:00", "TZ=America/New_York 0 * * * ?", "2012-11-04T01:00:00-05:00"),
    ("2012-11-04T01:00:00-05:00", "TZ=America/New_York 0 * * * ?", "2012-11-04T02:00:00-05:00"),
    ("2012-11-04T01:00:00-04:00", "TZ=America/New_York 0 1 * * ?", "2012-11-04T01:00:00-05:00"),
    ("2012-11-04T01:00:00-05:00", "TZ=America/New_York 0 1 * * ?", "2012-11-05T01:00:00-05:00"),
    ("2012-11-04T01:45:00-04:00", "TZ=America/New_York 30 1 04 Nov ?", "2012-11-04T01:30:00-05:00"),
    ("2012-11-04T00:00:00-04:00", "TZ=America/New_York 0 2 * * ?", "2012-11-04T02:00:00-05:00"),
    ("2012-11-04T00:00:00-04:00", "TZ=America/New_York 0 3 3 * ?", "2012-12-03T03:00:00-05:00"),
    # Midnight that does not exist (Sao Paulo's old DST started at 00:00): robfig/cron issue 157.
    ("2018-10-17T05:00:00-04:00", "TZ=America/Sao_Paulo 0 9 10 * ?", "2018-11-10T06:00:00-05:00"),
    ("2018-02-14T05:00:00-05:00", "TZ=America/Sao_Paulo 0 9 22 * ?", "2018-02-22T07:00:00-05:00"),
])
def test_daylight_saving_as_robfig_cron(start: str, spec: str, expected: str) -> None:
    """robfig/cron spec_test.go TestNext, the daylight-saving cases."""
    assert parse_standard(spec).next(at(start)) == at(expected)


def test_a_schedule_that_never_fires_has_no_next_time() -> None:
    """robfig/cron SpecSchedule.Next: no time within five years is Go's zero time."""
    assert parse_standard("0 0 30 Feb *").next(at("2012-07-09T23:35:00+00:00")) is None
    assert parse_standard("0 0 31 2 *").next(0) is None


def test_every_rounds_to_whole_seconds() -> None:
    """robfig/cron constantdelay.go Every: at least one second, fractions dropped; Next lands on a whole second."""
    assert parse_standard("@every 500ms") == ConstantDelaySchedule(1)
    assert parse_standard("@every 1h30m") == ConstantDelaySchedule(5400)
    assert parse_standard("@every 90s").next(100.7) == 190.0


def test_scheduled_timestamp_in_the_cronjob_time_zone() -> None:
    """cronjob utils.go getJobFromTemplate2: scheduledTime.In(timeZone).Format(time.RFC3339)."""
    instant = at("2026-12-02T03:49:00+00:00")
    assert format_rfc3339(instant, None) == "2026-12-02T03:49:00Z"
    assert format_rfc3339(instant, load_location("Europe/Paris")) == "2026-12-02T04:49:00+01:00"
    assert format_rfc3339(instant, load_location("America/New_York")) == "2026-12-01T22:49:00-05:00"
