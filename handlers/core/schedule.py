"""When a person's weekly digest is due, in their own time zone.

A digest belongs to an ISO week; its moment is that week's chosen weekday and local time
in the person's zone. `zoneinfo` does the daylight-saving arithmetic: a local 09:00 stays
09:00 local on both sides of a change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TZ = "UTC"


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def iso_week(moment: datetime, tz: ZoneInfo) -> str:
    """The ISO week ("2026-W48") that `moment` falls in, in the person's zone."""
    return _week_of(moment.astimezone(tz).date())


def week_after(week: str) -> str:
    """The ISO week after `week`, counted on the calendar.

    Not `iso_week(now + timedelta(days=7))`: seven days of elapsed time are a local hour less
    across a spring-forward change, so late on a Sunday that lands in the week after next.
    """
    return _week_of(_monday(week) + timedelta(days=7))


def week_before(week: str) -> str:
    """The ISO week before `week`, counted on the calendar (see `week_after`)."""
    return _week_of(_monday(week) - timedelta(days=7))


def _monday(week: str) -> date:
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def _week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_moment(week: str, day: int, at: str, tz: ZoneInfo) -> datetime:
    """The aware UTC datetime of weekday `day` (Mon=0) at local `at` ("HH:MM") in ISO `week`."""
    local_day = _monday(week) + timedelta(days=day)
    hour, minute = (int(part) for part in at.split(":"))
    local = datetime.combine(local_day, time(hour, minute), tzinfo=tz)
    # A local time skipped by a spring-forward change is normalised by the round trip to UTC.
    return local.astimezone(UTC)


def upcoming_digest(day: int, at: str, tz: ZoneInfo, now: datetime) -> tuple[str, datetime]:
    """The ISO week and moment of the first digest after `now`: this week's while its moment
    is ahead, else next week's. Never a moment in the past."""
    week = iso_week(now, tz)
    moment = digest_moment(week, day, at, tz)
    if moment <= now:
        week = week_after(week)
        moment = digest_moment(week, day, at, tz)
    return week, moment


def next_digest(day: int, at: str, tz_name: str | None, now: datetime,
                sent_this_week: bool = False) -> datetime:
    """The next moment a digest is due: this week's, unless it is past and already sent."""
    tz = zone(tz_name)
    moment = digest_moment(iso_week(now, tz), day, at, tz)
    if moment <= now and sent_this_week:
        return upcoming_digest(day, at, tz, now)[1]
    return moment
