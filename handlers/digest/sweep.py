"""The digest sweep: send the weekly digests that are due, each exactly once.

A person is due when they have used learnbot (searched, or saved preferences), their
digest is on and not snoozed for the week, the moment they chose (weekday and local time,
in their own time zone) has passed in the current ISO week, and the ledger records no
digest sent for that week.

Exactly once: the sweep claims a digest's (person, week) ledger row with one atomic insert
before building it, so of two sweeps only one sends; it marks the row sent once Slack has
accepted the message, which carries the week in its metadata. A process that dies in
between leaves a claimed row behind. A later sweep takes such a claim over once the
process that made it is gone (or its lease has run out) and first looks for the message
in the person's DM, so a digest that did go out is recorded, not sent again.

At workspace scale: people are handled in chunks; identical searches (same words, filters
and credentials) are made once per sweep; a chunk's network work runs concurrently on the
provider loop; a bounded pool of threads posts to Slack and waits out 429s. Only the
sweep's own thread touches the database.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.core.deps import Deps, Person
from handlers.core.errors import problem_for
from handlers.core.schedule import digest_moment, iso_week, week_before, zone
from handlers.digest import build
from handlers.digest.model import DigestContent, Draft, Due, SweepReport
from handlers.digest.outbox import Outbox, Pace, find_sent_digest, record_sent, release, rendered
from handlers.slack.payloads import PROFILE_MAX_AGE, load_person
from store import ledger, workspaces
from store.preferences import Preferences

logger = logging.getLogger(__name__)

CHUNK_SIZE = 200  # people claimed and built together (the first chunks are smaller, see `_chunks`)
FIRST_CHUNK = 25
SENDERS = 8  # chat.postMessage calls in flight for the workspace
SEARCH_DEADLINE = 10.0  # nobody waits on a digest: a slow provider gets longer than in a search
CLAIM_LEASE = timedelta(minutes=15)  # far longer than a live sweep needs from claim to send
LATE_LIMIT = timedelta(days=1)  # how long last week's digest is still owed (see `due_week`)
PROFILE_REFRESHES = 50  # users.info calls per sweep (Slack's Tier 4 allows 100+ a minute)
LOCAL_TEAM = "local"  # people of the terminal chat (`learnbot chat`) have no Slack DM
DEFAULTS = Preferences()


def sweep(deps: Deps, client: WebClient, now: datetime, *, senders: int = SENDERS,
          messages_per_second: float | None = None) -> SweepReport:
    """Send every digest due at `now`; returns what happened.

    Slack publishes no workspace-wide number for chat.postMessage (only one message per
    second per channel, which one digest per person keeps), so by default the sweep sends
    as fast as Slack accepts and waits out its 429s. Where the limit is known, pacing at
    `messages_per_second` avoids the 429s, and the seconds slack_sdk sleeps after each.
    """
    started = deps.now()
    claimer = claimer_id()
    report = SweepReport()
    due = [d for d in find_due(deps, now, client) if d.person.team_id != LOCAL_TEAM]
    report.due = len(due)
    builder = Builder(deps, now)
    outbox = Outbox(client, deps, claimer, report, senders, Pace(messages_per_second), CHUNK_SIZE)

    def send(batch: Batch) -> None:
        for item, content in builder.finish(batch):
            message = rendered(content)
            if message is None:
                release(deps, item, claimer, report, held_back=content is not None and content.is_empty)
            else:
                outbox.send(item, content.shown_refs, message)
        outbox.settle()

    previous = None
    try:
        for chunk in _chunks(due):
            claimed, taken_over = claim(deps, chunk, claimer, started, report)
            claimed += [d for d in taken_over if not recovered(client, deps, d, report)]
            current = builder.start(claimed)  # its searches run while the previous chunk is sent
            if previous:
                send(previous)
            previous = current
        if previous:
            send(previous)
    finally:
        outbox.close()
    report.searches = len(builder.results)
    return report


def dry_run(deps: Deps, now: datetime) -> list[tuple[Due, DigestContent]]:
    """The digests a sweep at `now` would send, built but neither claimed, sent nor recorded:
    the terminal twin of `sweep`."""
    builder = Builder(deps, now)
    built = []
    for chunk in _chunks(find_due(deps, now)):
        built += [(item, content) for item, content in builder.finish(builder.start(chunk))
                  if content is not None and not content.is_empty]
    return built


# --- who is due ------------------------------------------------------------------------------------

def find_due(deps: Deps, now: datetime, client: WebClient | None = None) -> list[Due]:
    """Everyone whose digest is due at `now`, with their time zones refreshed from Slack when
    a `client` is given."""
    gone = workspaces.gone_teams(deps.db)  # uninstalled or tokens revoked: nothing is sent there
    audience = [member for member in ledger.digest_audience(deps.db) if member["team_id"] not in gone]
    if client is not None:
        audience = refresh_profiles(client, deps, audience, now)
    this_weeks = {iso_week(now, zone(member["tz"])) for member in audience}
    weeks = sorted(this_weeks | {week_before(week) for week in this_weeks})
    rows = ledger.rows_for_weeks(deps.db, weeks)
    due = []
    # People with the same interests are taken together: each search is then made shortly
    # before the digests that use it, instead of all of them before the first digest goes.
    for member in sorted(audience, key=lambda member: member["interests"]):
        week = due_week(member, now, rows)
        if week is not None:
            person = Person(member["team_id"], member["user_id"], member["email"], member["name"], member["tz"])
            due.append(Due(person, week, rows.get((person.team_id, person.user_id, week))))
    return due


def due_week(member: dict, now: datetime, rows: dict) -> str | None:
    """The ISO week whose digest `member` (a `ledger.digest_audience` row) should get now, if any.

    That is the current week in the person's zone once their moment has passed. Last
    week's digest is still owed for a day after its moment: someone who moves east across
    the end of a week would otherwise skip it. Moments before the person first used
    learnbot are not owed: their first digest comes at their first moment, not at once.
    """
    if member["digest_enabled"] == 0:
        return None
    tz = zone(member["tz"])
    day = DEFAULTS.digest_day if member["digest_day"] is None else member["digest_day"]
    at = member["digest_time"] or DEFAULTS.digest_time
    first_use = datetime.fromisoformat(member["created_at"])

    def owed(week: str) -> bool:
        moment = digest_moment(week, day, at, tz)
        row = rows.get((member["team_id"], member["user_id"], week))
        return moment >= first_use and member["snoozed_week"] != week and (row or {}).get("status") != "sent"

    this_week = iso_week(now, tz)
    if digest_moment(this_week, day, at, tz) <= now:
        return this_week if owed(this_week) else None
    last_week = week_before(this_week)
    if now - digest_moment(last_week, day, at, tz) <= LATE_LIMIT and owed(last_week):
        return last_week
    return None


def refresh_profiles(client: WebClient, deps: Deps, audience: list[dict], now: datetime) -> list[dict]:
    """Re-read from Slack the time zone of people last checked more than a day ago.

    At most `PROFILE_REFRESHES` a sweep, people who look due first: a workspace's first
    sweep does not flood users.info, and everyone is still refreshed at least daily.
    """
    checked_before = deps.now() - PROFILE_MAX_AGE
    stale = [i for i, member in enumerate(audience)
             if not member["tz_checked_at"] or datetime.fromisoformat(member["tz_checked_at"]) < checked_before]
    stale.sort(key=lambda i: (due_week(audience[i], now, {}) is None, audience[i]["tz_checked_at"] or ""))
    refreshed = list(audience)
    for i in stale[:PROFILE_REFRESHES]:
        member = audience[i]
        person = load_person(client, deps, member["team_id"], member["user_id"])
        refreshed[i] = {**member, "tz": person.tz, "email": person.email, "name": person.name}
    return refreshed


# --- claiming -------------------------------------------------------------------------------------

def claimer_id() -> str:
    """Names this sweep in the ledger: host and process id (to tell a dead claimer), and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(deps: Deps, chunk: list[Due], claimer: str, started: datetime,
          report: SweepReport) -> tuple[list[Due], list[Due]]:
    """Claim each digest of `chunk` in one transaction: (newly claimed, taken over from a dead sweep).

    Each claim is a single atomic statement, so whichever of two sweeps writes first gets it
    and the other one counts it as busy.
    """
    claimed, taken_over = [], []
    with deps.db.atomic():
        for item in chunk:
            team_id, user_id = item.person.team_id, item.person.user_id
            if item.row is None:
                won = ledger.claim_digest(deps.db, team_id, user_id, item.week, claimer, now=deps.now())
                if won:
                    claimed.append(item)
            elif is_abandoned(item.row, started):
                won = ledger.take_over_claim(deps.db, team_id, user_id, item.week, item.row["claimed_by"], claimer,
                                             now=deps.now())
                if won:
                    taken_over.append(item)
            else:
                won = False
            if not won:
                report.busy += 1
    return claimed, taken_over


def is_abandoned(row: dict, started: datetime) -> bool:
    """Whether a claimed, unsent digest was left behind by a sweep that stopped.

    True when the claim is older than the lease, or when it was made before this sweep
    started by a process on this host that no longer runs. (A process id reused after a
    restart only delays the recovery until the lease runs out.)
    """
    claimed_at = datetime.fromisoformat(row["claimed_at"])
    if claimed_at > started:
        return False
    if started - claimed_at > CLAIM_LEASE:
        return True
    host, _, rest = row["claimed_by"].partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and not _process_runs(int(pid))


def _process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it runs, as another user
    return True


def recovered(client: WebClient, deps: Deps, item: Due, report: SweepReport) -> bool:
    """For a claim taken over from a dead sweep: if the digest is already in the person's DM,
    record it as sent and say so; False when it still has to be sent."""
    since = datetime.fromisoformat(item.row["claimed_at"])
    try:
        found = find_sent_digest(client, item.person.user_id, item.week, since)
    except SlackApiError as error:
        logger.warning("could not read the DM of %s to recover a digest: %s",
                       item.person.user_id, error.response.get("error"))
        report.failed += 1
        return True  # unknown: keep the claim; the lease lets a later sweep look again
    if found is None:
        return False
    channel, ts, refs = found
    record_sent(deps, [(item, refs, channel, ts)])
    report.recovered += 1
    return True


# --- building ------------------------------------------------------------------------------------

@dataclass
class Batch:
    """A chunk of people whose digests are being built: drafts, and the network work under way."""

    items: list[Due]
    drafts: dict[int, Draft]  # by position in `items`; a draft that failed (a bug) is missing
    answers: concurrent.futures.Future  # the activity answers, in the order of `drafts`


class Builder:
    """Builds the digests of a sweep chunk by chunk; what chunks share (search results, each
    workspace's credentials) is kept from one chunk to the next."""

    def __init__(self, deps: Deps, now: datetime):
        self.deps, self.now = deps, now
        self.results = build.SearchResults()
        self.workspaces = build.Workspaces(deps)

    def start(self, chunk: list[Due]) -> Batch:
        """Draft each digest (reading the store) and start the searches and activity look-ups."""
        drafts: dict[int, Draft] = {}
        for index, item in enumerate(chunk):
            try:
                drafts[index] = build.draft(item.person, self.deps, self.now, item.week, self.workspaces)
            except Exception as error:
                problem_for(error)
        work = build.fetch(list(drafts.values()), self.results, deadline=SEARCH_DEADLINE)
        return Batch(chunk, drafts, self.deps.runner.submit(work))

    def finish(self, batch: Batch) -> list[tuple[Due, DigestContent | None]]:
        """Each digest's content, or None when building it failed (a bug, logged)."""
        answers = dict(zip(batch.drafts, batch.answers.result(), strict=True))
        built: list[tuple[Due, DigestContent | None]] = []
        for index, item in enumerate(batch.items):
            content = None
            if index in batch.drafts:
                try:
                    content = build.finish(batch.drafts[index], self.deps, self.results, answers[index])
                except Exception as error:
                    problem_for(error)
            built.append((item, content))
        return built


def _chunks(due: list[Due]) -> list[list[Due]]:
    """Chunks of `CHUNK_SIZE` people, after smaller ones (25, 50, 100…), so the first digests go
    out soon."""
    chunks, start, size = [], 0, min(FIRST_CHUNK, CHUNK_SIZE)
    while start < len(due):
        chunks.append(due[start:start + size])
        start, size = start + size, min(size * 2, CHUNK_SIZE)
    return chunks


# --- sending -------------------------------------------------------------------------------------


