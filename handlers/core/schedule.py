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
    year, week, _ = moment.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def digest_moment(week: str, day: int, at: str, tz: ZoneInfo) -> datetime:
    """The aware UTC datetime of weekday `day` (Mon=0) at local `at` ("HH:MM") in ISO `week`."""
    year, number = week.split("-W")
    local_day = date.fromisocalendar(int(year), int(number), day + 1)
    hour, minute = (int(part) for part in at.split(":"))
    local = datetime.combine(local_day, time(hour, minute), tzinfo=tz)
    # A local time skipped by a spring-forward change is normalised by the round trip to UTC.
    return local.astimezone(UTC)


def next_digest(day: int, at: str, tz_name: str | None, now: datetime,
                sent_this_week: bool = False) -> datetime:
    """The next moment a digest is due: this week's, unless it is past and already sent."""
    tz = zone(tz_name)
    moment = digest_moment(iso_week(now, tz), day, at, tz)
    if moment <= now and sent_this_week:
        moment = digest_moment(iso_week(now + timedelta(days=7), tz), day, at, tz)
    return moment
