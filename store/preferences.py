"""What a person wants to learn about, and when their weekly digest should arrive."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from store.db import utc_timestamp

LIST_FIELDS = ("topics", "languages", "types", "providers")
DIGEST_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
ISO_WEEK = re.compile(r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])")


@dataclass(frozen=True)
class Preferences:
    """A person's preferences; the defaults are what someone who set nothing gets.

    `digest_day` counts from Monday = 0; `digest_time` is "HH:MM" in the person's own
    time zone; `snoozed_week` (like "2026-W48") is one ISO week without a digest;
    `explicit` becomes True once the person has saved preferences themselves;
    `learnflow_user_id` is the LearnFlow user id the person gave when enrolling with the
    workspace's LearnFlow token (not a secret: it names them, it does not sign them in).
    `lrs_account` is their own account name in the learning record store, when set.
    """

    topics: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    max_minutes: int | None = None
    digest_day: int = 0
    digest_time: str = "09:00"
    digest_enabled: bool = True
    snoozed_week: str | None = None
    explicit: bool = False
    learnflow_user_id: str | None = None
    lrs_account: str | None = None

    def __post_init__(self) -> None:
        for name in LIST_FIELDS:  # accept lists from callers; keep the dataclass hashable
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not 0 <= self.digest_day <= 6:
            raise ValueError(f"digest_day must be 0 (Monday) to 6 (Sunday), not {self.digest_day}")
        if not DIGEST_TIME.fullmatch(self.digest_time):
            raise ValueError(f"digest_time must be HH:MM, not {self.digest_time!r}")
        if self.snoozed_week is not None and not ISO_WEEK.fullmatch(self.snoozed_week):
            raise ValueError(f"snoozed_week must be an ISO week like 2026-W48, not {self.snoozed_week!r}")
        if self.max_minutes is not None and self.max_minutes <= 0:
            raise ValueError(f"max_minutes must be positive, not {self.max_minutes}")


def get_preferences(db: Database, team_id: str, user_id: str) -> Preferences:
    """The stored preferences, or the defaults when the person never saved any."""
    row = _row(db, team_id, user_id)
    if row is None:
        return Preferences()
    return Preferences(
        **{name: json.loads(row[name]) for name in LIST_FIELDS},
        max_minutes=row["max_minutes"],
        digest_day=row["digest_day"],
        digest_time=row["digest_time"],
        digest_enabled=bool(row["digest_enabled"]),
        snoozed_week=row["snoozed_week"],
        explicit=bool(row["explicit"]),
        learnflow_user_id=row["learnflow_user_id"],
        lrs_account=row.get("lrs_account"),
    )


def save_preferences(
    db: Database, team_id: str, user_id: str, prefs: Preferences, *, now: datetime | None = None
) -> Preferences:
    """Replace the person's preferences with `prefs`, marked as set by them."""
    saved = replace(prefs, explicit=True)
    _write(db, team_id, user_id, saved, now)
    return saved


def remember_learnflow_user_id(
    db: Database, team_id: str, user_id: str, learnflow_user_id: str, *, now: datetime | None = None
) -> Preferences:
    """Keep the person's LearnFlow user id, leaving their other preferences as they are
    (giving it does not count as having set preferences)."""
    kept = replace(get_preferences(db, team_id, user_id), learnflow_user_id=learnflow_user_id)
    _write(db, team_id, user_id, kept, now)
    return kept


def _write(db: Database, team_id: str, user_id: str, saved: Preferences, now: datetime | None) -> None:
    values = asdict(saved)
    row = {
        "team_id": team_id,
        "user_id": user_id,
        **values,
        **{name: json.dumps(values[name]) for name in LIST_FIELDS},
        "digest_enabled": int(saved.digest_enabled),
        "explicit": int(saved.explicit),
        "updated_at": utc_timestamp(now),
    }
    db["preferences"].upsert(row, pk=("team_id", "user_id"))


def has_preferences(db: Database, team_id: str, user_id: str) -> bool:
    """Whether the person has saved preferences themselves (not just the defaults)."""
    row = _row(db, team_id, user_id)
    return bool(row and row["explicit"])


def _row(db: Database, team_id: str, user_id: str) -> dict[str, Any] | None:
    rows = db.query(
        "SELECT * FROM preferences WHERE team_id = ? AND user_id = ?", [team_id, user_id]
    )
    return next(rows, None)
