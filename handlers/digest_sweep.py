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

import asyncio
import concurrent.futures
import logging
import os
import queue
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from tenacity import Retrying, retry_if_exception, stop_after_attempt

from handlers import digest
from handlers.deps import Deps, Person
from handlers.render_slack import render_slack
from handlers.schedule import digest_moment, iso_week, zone
from handlers.slack import PROFILE_MAX_AGE, load_person, problem_for
from store import history, ledger
from store.preferences import Preferences

logger = logging.getLogger(__name__)

EVENT_TYPE = "learnbot_digest"  # the metadata event type every digest message carries
CHUNK_SIZE = 200  # people claimed and built together (the first chunks are smaller, see `_chunks`)
FIRST_CHUNK = 25
RECORD_BATCH = 50  # sent digests recorded per transaction
SENDERS = 8  # chat.postMessage calls in flight for the workspace
RATE_LIMIT_ATTEMPTS = 12  # posts of one digest while Slack answers 429, after slack_sdk's own retries
SEARCH_DEADLINE = 10.0  # nobody waits on a digest: a slow provider gets longer than in a search
CLAIM_LEASE = timedelta(minutes=15)  # far longer than a live sweep needs from claim to send
LATE_LIMIT = timedelta(days=1)  # how long last week's digest is still owed (see `due_week`)
PROFILE_REFRESHES = 50  # users.info calls per sweep (Slack's Tier 4 allows 100+ a minute)
HISTORY_PAGES = 5  # DM history pages read when looking for a digest after a crash
CLOCK_SKEW = 600  # seconds of leeway between our clock and Slack's message timestamps
LOCAL_TEAM = "local"  # people of the terminal chat (`learnbot chat`) have no Slack DM
DEFAULTS = Preferences()


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


def sweep(deps: Deps, client: WebClient, now: datetime, *, senders: int = SENDERS,
          messages_per_second: float | None = None) -> SweepReport:
    """Send every digest due at `now`; returns what happened.

    Slack publishes no workspace-wide number for chat.postMessage (only one message per
    second per channel, which one digest per person keeps), so by default the sweep sends
    as fast as Slack accepts and waits out its 429s. Where the limit is known, pacing at
    `messages_per_second` avoids the 429s, and the seconds slack_sdk sleeps after each.
    """
    started = datetime.now(timezone.utc)
    claimer = claimer_id()
    report = SweepReport()
    due = [d for d in find_due(deps, now, client) if d.person.team_id != LOCAL_TEAM]
    report.due = len(due)
    builder = Builder(deps, now)
    outbox = Outbox(client, deps, claimer, report, senders, Pace(messages_per_second))

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


def dry_run(deps: Deps, now: datetime) -> list[tuple[Due, digest.DigestContent]]:
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
    audience = ledger.digest_audience(deps.db)
    if client is not None:
        audience = refresh_profiles(client, deps, audience, now)
    weeks = sorted({iso_week(now - timedelta(days=days), zone(member["tz"]))
                    for member in audience for days in (0, 7)})
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
    last_week = iso_week(now - timedelta(days=7), tz)
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
                won = ledger.claim_digest(deps.db, team_id, user_id, item.week, claimer)
                if won:
                    claimed.append(item)
            elif is_abandoned(item.row, started):
                won = ledger.take_over_claim(deps.db, team_id, user_id, item.week, item.row["claimed_by"], claimer)
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


def find_sent_digest(client: WebClient, user_id: str, week: str,
                     since: datetime) -> tuple[str, str, list[str]] | None:
    """(channel, ts, item refs) of the digest for `week` in the person's DM, or None."""
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    cursor = None
    for _ in range(HISTORY_PAGES):
        page = client.conversations_history(channel=channel, oldest=f"{since.timestamp() - CLOCK_SKEW:.6f}",
                                            include_all_metadata=True, limit=200, cursor=cursor)
        for message in page.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == EVENT_TYPE and payload.get("week") == week:
                refs = [ref for ref in str(payload.get("items") or "").split(",") if ref]
                return channel, message["ts"], refs
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return None


def release(deps: Deps, item: Due, claimer: str, report: SweepReport, *, held_back: bool) -> None:
    """Give the claim back so the next sweep tries again."""
    ledger.release_claim(deps.db, item.person.team_id, item.person.user_id, item.week, claimer)
    if held_back:
        report.held_back += 1
    else:
        report.failed += 1


def record_sent(deps: Deps, sent: list[tuple[Due, list[str], str, str]]) -> None:
    """Mark digests sent and their items seen, all in one transaction."""
    with deps.db.atomic():
        for item, refs, channel, ts in sent:
            person = item.person
            ledger.mark_sent(deps.db, person.team_id, person.user_id, item.week, channel, ts)
            history.mark_seen(deps.db, person.team_id, person.user_id, refs, via="digest")


# --- building ------------------------------------------------------------------------------------

@dataclass
class Batch:
    """A chunk of people whose digests are being built: drafts, and the network work under way."""

    items: list[Due]
    drafts: dict[int, digest.Draft]  # by position in `items`; a draft that failed (a bug) is missing
    answers: concurrent.futures.Future  # the activity answers, in the order of `drafts`


class Builder:
    """Builds the digests of a sweep chunk by chunk; what chunks share (search results, each
    workspace's credentials) is kept from one chunk to the next."""

    def __init__(self, deps: Deps, now: datetime):
        self.deps, self.now = deps, now
        self.results = digest.SearchResults()
        self.workspaces = digest.Workspaces(deps)

    def start(self, chunk: list[Due]) -> Batch:
        """Draft each digest (reading the store) and start the searches and activity look-ups."""
        drafts: dict[int, digest.Draft] = {}
        for index, item in enumerate(chunk):
            try:
                drafts[index] = digest.draft(item.person, self.deps, self.now, item.week, self.workspaces)
            except Exception as error:
                problem_for(error)
        work = digest.fetch(list(drafts.values()), self.results, deadline=SEARCH_DEADLINE)
        return Batch(chunk, drafts, asyncio.run_coroutine_threadsafe(work, self.deps.runner.loop))

    def finish(self, batch: Batch) -> list[tuple[Due, digest.DigestContent | None]]:
        """Each digest's content, or None when building it failed (a bug, logged)."""
        answers = dict(zip(batch.drafts, batch.answers.result(), strict=True))
        built: list[tuple[Due, digest.DigestContent | None]] = []
        for index, item in enumerate(batch.items):
            content = None
            if index in batch.drafts:
                try:
                    content = digest.finish(batch.drafts[index], self.deps, self.results, answers[index])
                except Exception as error:
                    problem_for(error)
            built.append((item, content))
        return built


def rendered(content: digest.DigestContent | None) -> dict | None:
    """The Slack message of a digest; None when there is nothing to send, or when rendering
    failed (a bug, logged): one digest Slack would refuse never holds up the others."""
    if content is None or content.is_empty:
        return None
    try:
        return render_slack(content)
    except Exception as error:
        problem_for(error)
        return None


def _chunks(due: list[Due]) -> list[list[Due]]:
    """Chunks of `CHUNK_SIZE` people, after smaller ones (25, 50, 100…), so the first digests go
    out soon."""
    chunks, start, size = [], 0, min(FIRST_CHUNK, CHUNK_SIZE)
    while start < len(due):
        chunks.append(due[start:start + size])
        start, size = start + size, min(size * 2, CHUNK_SIZE)
    return chunks


# --- sending -------------------------------------------------------------------------------------

class Outbox:
    """Posts digests from a bounded pool of threads and records them as sent in batches.

    The pool's threads only talk to Slack and hand back what happened; the sweep's thread
    records it. Up to a chunk of digests wait their turn, so sending goes on while the next
    chunk is built.
    """

    def __init__(self, client: WebClient, deps: Deps, claimer: str, report: SweepReport, senders: int,
                 pace: Pace):
        self.client, self.deps, self.claimer, self.report, self.pace = client, deps, claimer, report, pace
        self.pool = ThreadPoolExecutor(max_workers=senders, thread_name_prefix="digest-send")
        self.room = threading.BoundedSemaphore(CHUNK_SIZE)  # digests waiting or being posted
        self.finished: queue.SimpleQueue = queue.SimpleQueue()  # (item, refs, response or error)

    def send(self, item: Due, refs: list[str], message: dict) -> None:
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"week": item.week, "items": ",".join(refs)}}
        self.room.acquire()
        self.pool.submit(self._post, item, refs, message, metadata)
        if self.finished.qsize() >= RECORD_BATCH:
            self.settle()

    def _post(self, item: Due, refs: list[str], message: dict, metadata: dict) -> None:
        """On a pool thread: post, and hand the response (or the error) to the sweep's thread."""
        try:
            outcome = post_digest(self.client, item.person.user_id, message, metadata, self.pace)
        except Exception as error:
            outcome = error
        self.finished.put((item, refs, outcome))
        self.room.release()

    def settle(self) -> None:
        """Record every post that has finished."""
        sent = []
        while not self.finished.empty():
            item, refs, outcome = self.finished.get()
            if isinstance(outcome, SlackApiError):
                # Slack answered with an error: nothing was posted, so the next sweep may retry.
                logger.warning("digest for %s not sent: %s", item.person.user_id, outcome.response.get("error"))
                release(self.deps, item, self.claimer, self.report, held_back=False)
            elif isinstance(outcome, Exception):
                # Perhaps posted, perhaps not: the claim stays, and the recovery path finds out.
                problem_for(outcome)
                self.report.failed += 1
            else:
                sent.append((item, refs, outcome["channel"], outcome["ts"]))
        if sent:
            record_sent(self.deps, sent)
            self.report.sent += len(sent)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.settle()


def post_digest(client: WebClient, channel: str, message: dict, metadata: dict, pace: Pace):
    """chat.postMessage at the sweep's pace, retried after Slack's `Retry-After` for as long as
    Slack answers 429."""
    for attempt in Retrying(retry=retry_if_exception(_rate_limited), wait=_retry_after,
                            stop=stop_after_attempt(RATE_LIMIT_ATTEMPTS), sleep=_sleep, reraise=True):
        with attempt:
            pace.wait()
            return client.chat_postMessage(channel=channel, metadata=metadata, **message)


def _rate_limited(error: BaseException) -> bool:
    return isinstance(error, SlackApiError) and error.response.status_code == 429


def _retry_after(state) -> float:
    headers = state.outcome.exception().response.headers or {}
    try:
        return max(1.0, float(headers.get("Retry-After") or headers.get("retry-after") or 1))
    except (TypeError, ValueError):
        return 1.0


def _sleep(seconds: float) -> None:
    """The wait between posts while rate limited (tests replace it to skip the waiting)."""
    time.sleep(seconds)


class Pace:
    """At most `per_second` posts a second on average, whichever thread makes them (no limit
    when None).

    Each caller waits for the next free slot; a caller that comes late (a slow post) may
    catch up within `catch_up` seconds' worth of slots, which keeps the average without
    bursting more. (aiolimiter does this for coroutines; the senders are threads.)
    """

    def __init__(self, per_second: float | None, catch_up: float = 0.02):
        self.interval = 1.0 / per_second if per_second else 0.0
        self.tolerance = catch_up
        self.lock = threading.Lock()
        self.next_slot = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            slot = max(now - self.tolerance, self.next_slot)
            self.next_slot = slot + self.interval
        if slot > now:
            _sleep(slot - now)
