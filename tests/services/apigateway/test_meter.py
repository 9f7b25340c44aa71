"""Usage plans' throttle and quota (``services/apigateway/keys.py``: ``Meter``), with the clock
given: a token bucket of ``burstLimit`` refilled at ``rateLimit`` a second, and ``limit``
requests per UTC day, week (from Sunday) or month, ``offset`` fewer in the period the plan was
created in (``API_QuotaSettings``: "The number of requests subtracted from the given limit in
the initial time period"; ``API_ThrottleSettings``)."""

from __future__ import annotations

import datetime as dt

from localiam.services.apigateway.keys import Meter, UsableKey


def _at(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


def _key(throttle=None, quota=None, plan: str = "plan1", created: str = "2026-11-01T00:00:00") -> UsableKey:
    return UsableKey("key1", "v" * 20, plan, throttle, quota, _at(created))


def test_the_bucket_holds_the_burst_and_refills_at_the_rate() -> None:
    meter, key = Meter(), _key(throttle={"burstLimit": 2, "rateLimit": 1.0})
    t = _at("2026-12-06T10:00:00")
    assert [meter.admit(key, t) for _ in range(3)] == [None, None, "throttled"]
    assert meter.admit(key, t + 0.5) == "throttled"  # half a token
    assert meter.admit(key, t + 1.0) is None
    assert [meter.admit(key, t + 10) for _ in range(3)] == [None, None, "throttled"]  # never more than the burst


def test_a_daily_quota_starts_again_at_midnight_utc() -> None:
    meter, key = Meter(), _key(quota={"limit": 2, "period": "DAY", "offset": 0})
    assert [meter.admit(key, _at("2026-12-06T23:59:00")) for _ in range(3)] == [None, None, "quota"]
    assert meter.admit(key, _at("2026-12-07T00:00:01")) is None


def test_weeks_start_on_sunday_and_months_on_the_first() -> None:
    week = _key(quota={"limit": 1, "period": "WEEK", "offset": 0})
    meter = Meter()
    assert meter.admit(week, _at("2026-12-05T12:00:00")) is None  # a Saturday
    assert meter.admit(week, _at("2026-12-05T23:59:00")) == "quota"
    assert meter.admit(week, _at("2026-12-06T00:00:01")) is None  # Sunday: a new week
    month = _key(quota={"limit": 1, "period": "MONTH", "offset": 0}, plan="plan2")
    assert meter.admit(month, _at("2026-12-01T00:00:01")) is None
    assert meter.admit(month, _at("2026-12-31T23:00:00")) == "quota"
    assert meter.admit(month, _at("2027-01-01T00:00:01")) is None


def test_the_offset_is_taken_from_the_limit_in_the_period_the_plan_was_made_in() -> None:
    meter = Meter()
    key = _key(quota={"limit": 3, "period": "DAY", "offset": 2}, created="2026-12-06T09:00:00")
    assert [meter.admit(key, _at("2026-12-06T10:00:00")) for _ in range(2)] == [None, "quota"]
    assert [meter.admit(key, _at("2026-12-07T10:00:00")) for _ in range(4)] == [None, None, None, "quota"]


def test_keys_and_plans_are_counted_apart() -> None:
    meter = Meter()
    quota = {"limit": 1, "period": "DAY", "offset": 0}
    t = _at("2026-12-06T10:00:00")
    assert meter.admit(_key(quota=quota), t) is None
    assert meter.admit(_key(quota=quota, plan="other"), t) is None
    assert meter.admit(UsableKey("key2", "w" * 20, "plan1", None, quota, 0.0), t) is None
    assert meter.admit(_key(quota=quota), t) == "quota"
