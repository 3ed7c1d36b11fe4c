"""The sweep's Slack side: posting digests from a bounded pool of threads at a pace, waiting
out 429s, recording what was sent, and finding a digest already in a DM after a crash."""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from tenacity import Retrying, retry_if_exception, stop_after_attempt

from handlers.core.deps import Deps
from handlers.core.errors import problem_for
from handlers.digest import render  # noqa: F401 - registers the digest's Slack renderer
from handlers.digest.model import DigestContent, Due, SweepReport
from handlers.slack.render import render_slack
from store import history, ledger

logger = logging.getLogger(__name__)


EVENT_TYPE = "learnbot_digest"  # the metadata event type every digest message carries
RECORD_BATCH = 50  # sent digests recorded per transaction
RATE_LIMIT_ATTEMPTS = 12  # posts of one digest while Slack answers 429, after slack_sdk's own retries
HISTORY_PAGES = 5  # DM history pages read when looking for a digest after a crash
CLOCK_SKEW = 600  # seconds of leeway between our clock and Slack's message timestamps


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
            ledger.mark_sent(deps.db, person.team_id, person.user_id, item.week, channel, ts, now=deps.now())
            history.mark_seen(deps.db, person.team_id, person.user_id, refs, via="digest")


def rendered(content: DigestContent | None) -> dict | None:
    """The Slack message of a digest; None when there is nothing to send, or when rendering
    failed (a bug, logged): one digest Slack would refuse never holds up the others."""
    if content is None or content.is_empty:
        return None
    try:
        return render_slack(content)
    except Exception as error:
        problem_for(error)
        return None


class Outbox:
    """Posts digests from a bounded pool of threads and records them as sent in batches.

    The pool's threads only talk to Slack and hand back what happened; the sweep's thread
    records it. Up to `capacity` digests (a chunk) wait their turn, so sending goes on while the next
    chunk is built.
    """

    def __init__(self, client: WebClient, deps: Deps, claimer: str, report: SweepReport, senders: int,
                 pace: Pace, capacity: int):
        self.client, self.deps, self.claimer, self.report, self.pace = client, deps, claimer, report, pace
        self.pool = ThreadPoolExecutor(max_workers=senders, thread_name_prefix="digest-send")
        self.room = threading.BoundedSemaphore(capacity)  # digests waiting or being posted
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
