"""Building one person's weekly digest (no Slack here: `render` and `text` show it).

A digest has a pick of the week and up to five more items that are new to the person
(matching their topics and filters, never shown to them before in a search or an earlier
digest), their last seven days from the learning records, and their enrollments in
progress. Each part is optional; a digest with none of them is empty and is never sent.
A provider that fails leaves its part out and is named at the bottom.

Building happens in three steps so the sweep (`handlers.digest.sweep`) can share work
between people: `draft` reads the store on the caller's thread, `fetch` does the network
work on the provider loop (each distinct search once, everyone's activity concurrently),
and `finish` records progress and assembles the `DigestContent`. `preview` runs the same
steps for one person.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

from handlers.core.connections import PROVIDER_TIMEOUT, Connections
from handlers.core.deps import Deps, Person
from handlers.core.describe import enrollment_note, progress_reply
from handlers.core.errors import UserFacingError, problem_for
from handlers.core.formatting import LANGUAGE_OPTIONS, format_minutes
from handlers.core.learner import learner_for
from handlers.core.replies import Notice, Numbered, Reply
from handlers.core.schedule import digest_moment, iso_week, upcoming_digest, week_after, zone
from handlers.digest.model import (
    Activity,
    ActivityAnswers,
    ActivityRequest,
    DigestContent,
    Draft,
    Interest,
    Sources,
    missing_lines,
)
from providers.errors import NotConfigured, ProviderError
from providers.model import LearningObject, ProgressReporter, Provider, SearchOutcome, SearchQuery
from providers.records import learner_agents
from providers.search import fan_out, merge
from store import credentials, history, ledger, library, preferences, users

MAX_NEW_ITEMS = 5  # besides the pick of the week
MAX_TOPICS = 3  # searches per person and week
MAX_ENROLLMENTS = 5
RECENT_DAYS = 7  # "your week" is the seven days before the digest
FETCH_CONCURRENCY = 32  # searches and activity look-ups in flight at once

CONNECT_RECORDS = "Connect your learning records (`/learn connect lrs`) to see your week here."
NEEDS_EMAIL = ("learnbot needs your email address, or your learning records account "
               "(`/learn prefs set lrs_account=NAME`), to show your learning week.")
QUIET_WEEK = "No learning recorded in the last seven days."


# --- what a digest searches for, and with which credentials ---------------------------------


def interests_of(person: Person, prefs: preferences.Preferences, deps: Deps) -> tuple[Interest, ...]:
    """The person's topics (at most three), or else the words of their last search,
    each with the filters of their preferences."""
    if prefs.topics:
        pairs = [(topic, f"matches your topic *{topic}*") for topic in prefs.topics[:MAX_TOPICS]]
    else:
        last = history.last_search(deps.db, person.team_id, person.user_id)
        words = str(last.query.get("keywords") or "") if last else ""
        pairs = [(words, f"like your search *{normalise_words(words)}*")] if words.strip() else []
    # The filters `actions.with_preferences` adds to a search, from the preferences read already.
    template = SearchQuery(keywords="", types=prefs.types, languages=prefs.languages,
                           providers=prefs.providers, max_minutes=prefs.max_minutes)
    return tuple(Interest(reason, dataclasses.replace(template, keywords=normalise_words(words)))
                 for words, reason in pairs)


def normalise_words(text: str) -> str:
    """Case and spacing do not make a different search: "Data  Analysis" is "data analysis"."""
    return " ".join(text.casefold().split())


def sources_of(person: Person, deps: Deps, connections: Connections) -> Sources:
    providers, _skipped = connections.searchable()
    fingerprints = tuple(sorted((p.key, getattr(p, "credential_fingerprint", "")) for p in providers))
    own = any(connections.owner(p.key) == "personal" for p in providers if p.key in deps.hub.specs)
    return Sources(tuple(providers), (fingerprints, (person.team_id, person.user_id) if own else ()))


class Workspaces:
    """What people of one workspace share during a sweep, worked out once: the workspace's
    credentials, and its providers bound to them for everyone without credentials of their own."""

    def __init__(self, deps: Deps):
        self.deps = deps
        self._shared: dict[str, dict] = {}
        self._sources: dict[str, Sources] = {}

    def connections(self, person: Person) -> Connections:
        """The person's connections, their workspace's credentials decrypted once per sweep."""
        if person.team_id not in self._shared:
            self._shared[person.team_id] = credentials.load_shared(self.deps.db, self.deps.vault, person.team_id)
        return Connections(person, self.deps, shared=self._shared[person.team_id])

    def sources(self, person: Person, connections: Connections) -> Sources:
        if connections.personal:
            return sources_of(person, self.deps, connections)
        if person.team_id not in self._sources:
            self._sources[person.team_id] = sources_of(person, self.deps, connections)
        return self._sources[person.team_id]


# --- the person's own learning -----------------------------------------------------------------


def request_activity(person: Person, deps: Deps, now: datetime, connections: Connections) -> ActivityRequest:
    tz = zone(person.tz)
    since = now.astimezone(tz).date() - timedelta(days=RECENT_DAYS)
    request = ActivityRequest(learner_for(person, deps), tz, since)
    if "lrs" in deps.hub.specs:  # else this installation has no learning records provider at all
        try:
            records = connections.bind("lrs")
        except NotConfigured:
            request.week_note = CONNECT_RECORDS
        else:
            if learner_agents(request.learner, records.account_rule):
                request.records = records
            else:
                request.week_note = NEEDS_EMAIL
    enrolled = [row for row in library.list_enrollments(deps.db, person.team_id, person.user_id)
                if row.status == "enrolled" and not _finished(row.progress_completed, row.progress_total)]
    request.tracked = [(row, _progress_source(row, connections)) for row in enrolled[:MAX_ENROLLMENTS]]
    return request


def _progress_source(row: library.Enrollment, connections: Connections) -> Provider | None:
    """The provider to ask for progress, when it reports progress (the local catalog does not).

    Bound through the person's connections, which store a refreshed token (LearnFlow) where it belongs.
    """
    if not row.external_id:
        return None
    try:
        provider = connections.bind(row.provider)
    except (ProviderError, UserFacingError):
        return None
    return provider if isinstance(provider, ProgressReporter) else None


def _finished(completed: int | None, total: int | None) -> bool:
    return bool(total) and (completed or 0) >= total


async def fetch_activity(request: ActivityRequest) -> ActivityAnswers:
    summary, missing, progress = None, [], {}
    if request.records is not None:
        try:
            summary = await asyncio.wait_for(
                request.records.week(request.learner, request.since, request.tz), PROVIDER_TIMEOUT)
        except Exception as error:
            missing.append(_unavailable(request.records.label, error))
    for row, source in request.tracked:
        if source is None:
            continue
        try:
            progress[row.ref] = await asyncio.wait_for(
                source.progress(row.external_id, request.learner), PROVIDER_TIMEOUT)
        except Exception as error:
            missing.append(_unavailable(source.label, error))
    return ActivityAnswers(summary, progress, tuple(dict.fromkeys(missing)))


def _unavailable(label: str, error: BaseException) -> str:
    """A failed source is named in the digest; one that failed through a bug is also logged."""
    if not isinstance(error, (ProviderError, TimeoutError)):
        problem_for(error)
    return label


def settle_activity(person: Person, deps: Deps, request: ActivityRequest, answers: ActivityAnswers) -> Activity:
    """Store the progress the providers reported and describe the person's learning."""
    enrollments: list[Numbered] = []
    for row, _source in request.tracked:
        progress = answers.progress.get(row.ref)
        if progress is not None:
            library.update_progress(deps.db, person.team_id, person.user_id, row.ref,
                                    progress.completed, progress.total)
            if _finished(progress.completed, progress.total):
                continue
        note = f"{progress.completed}/{progress.total} activities done" if progress and progress.total \
            else enrollment_note(row)
        enrollments.append(Numbered(len(enrollments) + 1, LearningObject.from_dict(row.item), note))
    summary = answers.summary
    learned = summary is not None and (summary.total_minutes > 0 or bool(summary.activities))
    week_note = request.week_note or (QUIET_WEEK if summary is not None and not learned else "")
    return Activity(progress_reply(summary) if learned else None, week_note, tuple(enrollments), answers.missing)


# --- the digest ----------------------------------------------------------------------------------


def draft(person: Person, deps: Deps, now: datetime, week: str, workspaces: Workspaces | None = None) -> Draft:
    workspaces = workspaces or Workspaces(deps)
    prefs = preferences.get_preferences(deps.db, person.team_id, person.user_id)
    connections = workspaces.connections(person)
    return Draft(person, week, prefs, interests_of(person, prefs, deps), workspaces.sources(person, connections),
                 request_activity(person, deps, now, connections),
                 history.seen_refs(deps.db, person.team_id, person.user_id))


Found = list[tuple[LearningObject, Interest]]


class SearchResults:
    """The searches of a sweep (or a preview), each distinct one made once, and the
    interleaved results of each set of interests, worked out once for all who share it.

    `fetch` fills `outcomes` on the provider loop; `searching` (touched only there) holds the
    searches under way, so two fetches running at once never make the same search twice.
    """

    def __init__(self) -> None:
        self.outcomes: dict[tuple, SearchOutcome] = {}
        self.searching: dict[tuple, asyncio.Future] = {}
        self.gate = asyncio.Semaphore(FETCH_CONCURRENCY)  # shared by every fetch
        self._found: dict[tuple, Found] = {}

    def __len__(self) -> int:
        return len(self.outcomes)

    def found(self, person_draft: Draft) -> Found:
        shared_by = (person_draft.interests, person_draft.sources.scope)  # the reasons' wording too
        if shared_by not in self._found:
            outcomes = [self.outcomes[key] for key in person_draft.search_keys()]
            self._found[shared_by] = interleave(person_draft.interests, outcomes)
        return self._found[shared_by]

    def failed(self, person_draft: Draft) -> list[str]:
        """Labels of the providers that did not answer this person's searches."""
        return [status.label for key in person_draft.search_keys() for status in self.outcomes[key].missing]


def interleave(interests: tuple[Interest, ...], outcomes: list[SearchOutcome]) -> Found:
    """All the interests' results, taken in turn by rank without duplicates, each with the
    interest that found it."""
    found_by: dict[str, Interest] = {}
    for interest, outcome in zip(interests, outcomes, strict=True):
        for item in outcome.items:
            found_by.setdefault(item.ref, interest)
    return [(item, found_by[item.ref]) for item in merge([outcome.items for outcome in outcomes])]


async def fetch(drafts: list[Draft], results: SearchResults, *, deadline: float, cache=None) -> list[ActivityAnswers]:
    """Make each search of `drafts` that `results` lacks, once, and ask for each person's
    activity; all at once, at most `FETCH_CONCURRENCY` at a time."""

    async def search(key: tuple, providers: tuple[Provider, ...]) -> None:
        async with results.gate:
            results.outcomes[key] = await fan_out(providers, key[0], deadline=deadline, cache=cache)

    async def activity(request: ActivityRequest) -> ActivityAnswers:
        async with results.gate:
            return await fetch_activity(request)

    for person_draft in drafts:
        for key in person_draft.search_keys():
            if key not in results.outcomes and key not in results.searching:
                results.searching[key] = asyncio.ensure_future(search(key, person_draft.sources.providers))
    keys = {key for person_draft in drafts for key in person_draft.search_keys()}
    await asyncio.gather(*(results.searching[key] for key in keys if key in results.searching))
    return list(await asyncio.gather(*(activity(d.activity) for d in drafts)))


def finish(person_draft: Draft, deps: Deps, results: SearchResults, answers: ActivityAnswers,
           intro: str = "") -> DigestContent:
    activity = settle_activity(person_draft.person, deps, person_draft.activity, answers)
    return compose(person_draft.week, results.found(person_draft), person_draft.seen, person_draft.prefs,
                   activity, results.failed(person_draft), intro)


def compose(week: str, found: Found, seen: set[str], prefs: preferences.Preferences, activity: Activity,
            failed: Sequence[str] = (), intro: str = "") -> DigestContent:
    """The digest: the first new items `found` that meet the filters, and the person's activity.

    The best-ranked new item is the pick of the week; the next five are "new for you".
    """
    fresh = [(item, interest) for item, interest in found
             if item.ref not in seen and interest.query.matches(item)][: MAX_NEW_ITEMS + 1]
    entries = [Numbered(number, item, why_picked(interest.reason, item, prefs))
               for number, (item, interest) in enumerate(fresh, start=1)]
    missing = tuple(dict.fromkeys([*failed, *activity.missing]))
    return DigestContent(week, entries[0] if entries else None, tuple(entries[1:]), activity, missing, intro)


def why_picked(reason: str, item: LearningObject, prefs: preferences.Preferences) -> str:
    """The reason and the filters the item met: "matches your topic *data analysis*, French, under 2 h"."""
    parts = [reason]
    if prefs.languages and item.language in prefs.languages:
        parts.append(LANGUAGE_OPTIONS.get(item.language, item.language))
    if prefs.types and item.type in prefs.types:
        parts.append(item.type)
    if prefs.max_minutes and item.duration_minutes:
        parts.append(f"under {format_minutes(prefs.max_minutes)}")
    return ", ".join(parts)


def preview(person: Person, deps: Deps) -> Reply:
    """The person's next digest, built now (nothing is recorded as sent or seen)."""
    now = deps.now()
    prefs = preferences.get_preferences(deps.db, person.team_id, person.user_id)
    tz = zone(person.tz)
    week, moment = upcoming_digest(prefs.digest_day, prefs.digest_time, tz, now)
    due = "A preview: your next digest is due {when}."
    this_week = iso_week(now, tz)
    if week != this_week and still_owed(person, deps, prefs, this_week, tz):
        week, moment = this_week, digest_moment(this_week, prefs.digest_day, prefs.digest_time, tz)
        due = "A preview: this week's digest is late (it was due {when}); the next digest sweep sends it."
    when = f"{moment.astimezone(tz):%A %d %B at %H:%M} ({tz.key})"
    person_draft = draft(person, deps, now, week)
    results = SearchResults()
    (answers,) = deps.runner.run(fetch([person_draft], results, deadline=deps.deadline, cache=deps.cache))
    content = finish(person_draft, deps, results, answers,
                     intro=due.format(when=when)
                     if prefs.digest_enabled else "A preview: your weekly digests are off (`/learn digest on`).")
    if content.is_empty:
        return Notice("Your next digest has nothing to show yet: set some topics with "
                      "`/learn prefs set topics=python,sql` or search for something first.",
                      tuple(f"• {line}" for line in (content.activity.week_note, *missing_lines(content)) if line))
    return content


def still_owed(person: Person, deps: Deps, prefs: preferences.Preferences, week: str, tz) -> bool:
    """Whether `week`'s digest, its moment passed, is still to be sent: the rule of
    `sweep.due_week` (digests on, not snoozed, not sent, the moment after the person's first use)."""
    user = users.get_user(deps.db, person.team_id, person.user_id)
    moment = digest_moment(week, prefs.digest_day, prefs.digest_time, tz)
    return (prefs.digest_enabled and user is not None and prefs.snoozed_week != week
            and moment >= datetime.fromisoformat(user.created_at)
            and ledger.digest_status(deps.db, person.team_id, person.user_id, week) != "sent")


# --- rendering -----------------------------------------------------------------------------------


# Blocks are made once and shared by every digest that shows them: slack_sdk's validation
# costs about a millisecond a block, which adds up over a workspace.


# --- the digest's buttons ---------------------------------------------------------------------

def snooze(person: Person, deps: Deps, now: datetime) -> Notice:
    """Skip the next digest: this week's if its moment is still ahead, else next week's."""
    prefs = preferences.get_preferences(deps.db, person.team_id, person.user_id)
    tz = zone(person.tz)
    week, skipped = upcoming_digest(prefs.digest_day, prefs.digest_time, tz, now)
    preferences.save_preferences(deps.db, person.team_id, person.user_id,
                                 dataclasses.replace(prefs, snoozed_week=week))
    following = digest_moment(week_after(week), prefs.digest_day, prefs.digest_time, tz)
    return Notice(f"Snoozed: no digest on {skipped.astimezone(tz):%A %d %B}. "
                  f"The next one comes on {following.astimezone(tz):%A %d %B at %H:%M}.")


