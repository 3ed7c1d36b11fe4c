"""When a weekly digest is due: ISO weeks, local times across daylight-saving changes, and the
next digest, which is never in the past."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.core.schedule import (
    digest_moment,
    iso_week,
    next_digest,
    upcoming_digest,
    week_after,
    week_before,
    zone,
)

PARIS = ZoneInfo("Europe/Paris")
MONDAY, WEDNESDAY, SUNDAY = 0, 2, 6


def test_on_wednesday_2_december_the_next_monday_digest_is_7_december():
    """The case from issue 12: the preview said "Monday 30 November", two days before."""
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    week, moment = upcoming_digest(MONDAY, "09:00", zone("UTC"), now)
    assert (week, moment) == ("2026-W50", datetime(2026, 12, 7, 9, 0, tzinfo=UTC))


def test_a_digest_still_ahead_this_week_is_the_next_one():
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    assert upcoming_digest(SUNDAY, "18:00", zone("UTC"), now) == ("2026-W49", datetime(2026, 12, 6, 18, 0, tzinfo=UTC))


def test_at_the_very_moment_the_next_digest_is_next_weeks():
    moment = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert upcoming_digest(MONDAY, "09:00", zone("UTC"), moment)[1] == moment + timedelta(days=7)


def test_late_on_sunday_before_spring_forward_the_next_monday_is_the_day_after():
    """Paris moves to summer time on Sunday 29 March 2026. Seven days of elapsed time from
    Sunday 22 March 23:30 end at Monday 30 March 00:30 local: a week too far."""
    now = datetime(2026, 3, 22, 23, 30, tzinfo=PARIS)
    week, moment = upcoming_digest(MONDAY, "09:00", PARIS, now)
    assert week == "2026-W13"
    assert moment.astimezone(PARIS) == datetime(2026, 3, 23, 9, 0, tzinfo=PARIS)


def test_across_a_change_the_local_time_stays_the_chosen_one():
    spring = digest_moment("2026-W14", MONDAY, "09:00", PARIS)
    autumn = digest_moment("2026-W44", MONDAY, "09:00", PARIS)
    assert spring.astimezone(PARIS).hour == autumn.astimezone(PARIS).hour == 9
    assert (spring.hour, autumn.hour) == (7, 8)  # UTC+2 in summer, UTC+1 in winter


def test_a_local_time_skipped_by_spring_forward_becomes_a_real_moment():
    """02:30 does not exist in Paris on 29 March 2026."""
    moment = digest_moment("2026-W13", SUNDAY, "02:30", PARIS)
    assert moment.astimezone(PARIS).date().isoformat() == "2026-03-29"


@pytest.mark.parametrize("week,after", [("2026-W52", "2026-W53"), ("2026-W53", "2027-W01"),
                                        ("2027-W52", "2028-W01"), ("2026-W13", "2026-W14")])
def test_weeks_follow_the_iso_calendar_across_years(week, after):
    assert week_after(week) == after
    assert week_before(after) == week


def test_the_iso_week_is_the_persons_local_week():
    sunday_night_utc = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert iso_week(sunday_night_utc, zone("UTC")) == "2026-W49"
    assert iso_week(sunday_night_utc, PARIS) == "2026-W50"  # already Monday in Paris


@pytest.mark.parametrize("tz_name", ["UTC", "Europe/Paris", "America/New_York", "Pacific/Auckland",
                                     "Asia/Kolkata", "Pacific/Chatham"])
@pytest.mark.parametrize("day", [MONDAY, WEDNESDAY, SUNDAY])
def test_the_next_digest_is_never_in_the_past_and_at_most_a_week_ahead(tz_name, day):
    """Every half hour of 2026, around both daylight-saving changes of each zone."""
    tz = zone(tz_name)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for step in range(0, 365 * 48, 7):
        now = start + timedelta(minutes=30 * step)
        week, moment = upcoming_digest(day, "00:30", tz, now)
        assert now < moment <= now + timedelta(days=7, hours=1), (tz_name, now)
        assert moment.astimezone(tz).weekday() == day and iso_week(moment, tz) == week


def test_next_digest_after_this_weeks_was_sent_is_in_the_future():
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    assert next_digest(MONDAY, "09:00", "UTC", now, sent_this_week=True) == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_an_unknown_zone_is_utc():
    assert zone("Mars/Olympus") == zone(None) == ZoneInfo("UTC")
