"""Sentences about a person's things (preferences, an enrollment, a learning week), shared
by the actions, the App Home and the digest."""

from __future__ import annotations

from handlers.core import grammar as g
from handlers.core.formatting import format_minutes
from handlers.core.replies import Notice
from providers.records import bar_chart
from store import library, preferences


def enrollment_note(row: library.Enrollment) -> str:
    if row.status == "pending":
        return "enrollment on its way"
    if row.status == "unconfirmed":
        return "not confirmed yet: press Enroll again to check (it is safe)"
    if row.progress_total:
        return f"{row.progress_completed or 0}/{row.progress_total} activities done"
    return f"enrolled {row.created_at[:10]}"


def describe_preferences(prefs: preferences.Preferences) -> list[str]:
    day = g.DAYS[prefs.digest_day].capitalize()
    digest = f"{day} {prefs.digest_time}" if prefs.digest_enabled else "off"
    lines = [
        f"• Topics: {', '.join(prefs.topics) or 'none yet'}",
        f"• Languages: {', '.join(prefs.languages) or 'any'}",
        f"• Types: {', '.join(prefs.types) or 'any'}",
        f"• Providers: {', '.join(prefs.providers) or 'all connected'}",
        f"• Longest: {format_minutes(prefs.max_minutes) if prefs.max_minutes else 'any length'}",
        f"• Weekly digest: {digest}",
    ]
    if prefs.lrs_account:
        lines.append(f"• Learning records account: {prefs.lrs_account}")
    return lines


def progress_reply(summary) -> Notice:
    lines = [f"• Time learned: {format_minutes(summary.total_minutes) or '0 min'}"]
    if summary.completed:
        lines.append("• Completed: " + ", ".join(a.label for a in summary.completed[:10]))
    if summary.in_progress:
        lines.append("• In progress: " + ", ".join(a.label for a in summary.in_progress[:10]))
    if not summary.activities:
        lines.append("• No learning activity recorded yet this week.")
    return Notice(f"Your learning week (from {summary.week_start:%A %d %B}):", tuple(lines),
                  chart=bar_chart(summary.minutes_per_day, summary.day_labels))
