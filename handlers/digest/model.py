"""What a weekly digest is made of: the interests it searches, the sources it uses, the
person's own learning, the content it shows, and the sweep's bookkeeping (`Due`, `SweepReport`).

Plain data, no I/O: `build` fills these, `render` and `text` show a `DigestContent`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from handlers.core.deps import Person
from handlers.core.replies import Notice, Numbered
from providers.model import Learner, Progress, Provider, SearchQuery
from store import library, preferences

TITLE = "Your weekly learning digest"


@dataclass(frozen=True)
class Interest:
    """One search a digest makes, and the words that say why its results were picked."""

    reason: str
    query: SearchQuery


@dataclass(frozen=True)
class Sources:
    """The providers a person's digest searches, bound to the credentials in use.

    `scope` says who may share these providers' results: it is the same for everyone on
    the same workspace credentials, and unique to the person as soon as one provider runs
    on their own credentials, so results fetched with one person's account reach no one else.
    """

    providers: tuple[Provider, ...]
    scope: tuple


@dataclass(frozen=True)
class Activity:
    """A person's own learning: their last seven days, and their enrollments in progress."""

    week: Notice | None = None  # `progress_reply` of the learning records, when they show any
    week_note: str = ""  # why there is no week to show
    enrollments: tuple[Numbered, ...] = ()  # the note of each says how far the person is
    missing: tuple[str, ...] = ()


@dataclass
class ActivityRequest:
    """What to ask providers about one person's learning, with the clients already bound."""

    learner: Learner
    tz: ZoneInfo
    since: date
    records: Any = None  # the bound learning-records client, when connected
    week_note: str = ""
    tracked: list[tuple[library.Enrollment, Provider | None]] = field(default_factory=list)


@dataclass(frozen=True)
class ActivityAnswers:
    summary: Any = None  # a providers.records.WeekSummary
    progress: dict[str, Progress | None] = field(default_factory=dict)
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigestContent:
    """Everything one person's digest shows, rendered for Slack and for the terminal."""

    week: str  # the ISO week it belongs to, e.g. "2026-W12"
    pick: Numbered | None = None
    new_items: tuple[Numbered, ...] = ()
    activity: Activity = Activity()
    missing: tuple[str, ...] = ()  # labels of the sources that failed
    intro: str = ""

    @property
    def shown_refs(self) -> list[str]:
        """The items this digest shows, to be marked as seen once it is sent."""
        return [entry.item.ref for entry in (self.pick, *self.new_items) if entry is not None]

    @property
    def is_empty(self) -> bool:
        return self.pick is None and self.activity.week is None and not self.activity.enrollments


@dataclass
class Draft:
    """One person's digest before the providers have answered."""

    person: Person
    week: str
    prefs: preferences.Preferences
    interests: tuple[Interest, ...]
    sources: Sources
    activity: ActivityRequest
    seen: set[str]

    def search_keys(self) -> tuple[tuple, ...]:
        """One key per search: people with equal keys get the same results."""
        return tuple((interest.query, self.sources.scope) for interest in self.interests)


def missing_lines(content: DigestContent) -> list[str]:
    if not content.missing:
        return []
    return [f"Not included this time: {', '.join(content.missing)} did not answer."]


@dataclass(frozen=True)
class Due:
    """A digest to send: whose, for which ISO week, and its ledger row when the sweep began."""

    person: Person
    week: str
    row: dict | None = None


@dataclass
class SweepReport:
    due: int = 0
    sent: int = 0
    recovered: int = 0  # found in the DM after a crash, recorded without sending again
    held_back: int = 0  # nothing could be built: retried at the next sweep
    busy: int = 0  # being sent by another sweep
    failed: int = 0
    searches: int = 0  # distinct searches made

    def __str__(self) -> str:
        return (f"{self.due} due, {self.sent} sent, {self.recovered} recovered after a crash, "
                f"{self.held_back} held back with nothing to show, {self.busy} left to another sweep, "
                f"{self.failed} failed; {self.searches} distinct searches")
