"""The digest sweep against the fake Slack Web API: who is due, exactly once, and at scale."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from fakes.slack import BOT_TOKEN, FakeSlackApi, SlackUser
from slack_sdk import WebClient

from bot.app import slack_client
from bot.config import Settings
from handlers.core.deps import Deps
from handlers.digest import outbox
from handlers.digest import sweep as digest_sweep
from handlers.digest.sweep import sweep
from providers.errors import AuthError
from providers.model import LearningObject, SearchQuery
from providers.registry import ProviderHub, ProviderSpec
from providers.runner import LoopThread
from store import credentials, history, ledger, preferences, users, workspaces
from store.crypto import Vault
from store.pool import ThreadLocalDatabase

UTC = UTC
MONDAY = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)  # Monday of ISO week 2026-W12
EARLY = datetime(2026, 3, 1, tzinfo=UTC)


class FakeProvider:
    """Answers every search with eight items named after the words, in the language asked for
    (new items at each search when `fresh`); counts the searches."""

    key = "fake"
    label = "Fake Learning"
    can_enroll = False

    def __init__(self, fail: bool = False, fresh: bool = False):
        self.queries: list[SearchQuery] = []
        self.fail = fail
        self.fresh = fresh

    async def search(self, query: SearchQuery) -> list[LearningObject]:
        self.queries.append(query)
        if self.fail:
            raise AuthError(self.label)
        slug = query.keywords.replace(" ", "-") + (f"-{len(self.queries)}" if self.fresh else "")
        language = query.languages[0] if query.languages else "en"
        return [LearningObject(id=f"{slug}-{i}", provider=self.key, title=f"{query.keywords} {slug} {i}",
                               url=f"https://fake.example/{slug}/{i}", language=language) for i in range(8)]

    async def enroll(self, item, learner):
        raise AssertionError("not used")


@pytest.fixture
def deps(tmp_path) -> Deps:
    """A fresh database and no providers (tests add fakes): cheaper than the suite's `deps`."""
    deps = Deps(db=ThreadLocalDatabase(tmp_path / "learnbot.db"), vault=Vault([Fernet.generate_key().decode()]),
                hub=ProviderHub([], {}), runner=LoopThread())
    yield deps
    deps.runner.run(deps.hub.aclose())
    deps.runner.stop()
    deps.db.close()


class Clock:
    def __init__(self, now: datetime):
        self.now = now


@pytest.fixture
def clock(deps) -> Clock:
    clock = Clock(MONDAY)
    deps.now = lambda: clock.now
    return clock


@pytest.fixture
def fake(deps) -> FakeProvider:
    provider = FakeProvider()
    deps.hub.extra.clear()
    deps.hub.extra["fake"] = provider
    return provider


@pytest.fixture
def client(env) -> WebClient:
    return slack_client(Settings.from_env(env))


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    """Waits between rate-limited posts are a tenth of a second at most."""
    monkeypatch.setattr(outbox, "_sleep", lambda seconds: time.sleep(min(seconds, 0.1)))


def person(deps, user: str = "U1", tz: str = "Europe/Paris", *, searched: bool = False, checked: datetime = MONDAY,
           since: datetime = EARLY, **prefs) -> None:
    """Someone who started using learnbot `since`, with preferences saved (or only a search)."""
    users.upsert_user(deps.db, "T1", user, tz=tz, tz_checked_at=checked.isoformat(), now=since)
    if searched:
        history.record_search(deps.db, "T1", user, "python", {"keywords": "python"}, [], [], now=since)
    if prefs or not searched:
        preferences.save_preferences(deps.db, "T1", user, preferences.Preferences(**{"topics": ("python",), **prefs}))


def digests(api: FakeSlackApi) -> list[tuple[str, str]]:
    """(channel, week) of every digest message the fake Slack received."""
    with api.lock:
        return [(channel, m["metadata"]["event_payload"]["week"])
                for channel, messages in api.messages.items() for m in messages
                if (m.get("metadata") or {}).get("event_type") == "learnbot_digest"]


# --- who gets a digest, and when -----------------------------------------------------------------

def test_a_due_digest_is_sent_as_a_dm_with_the_week_in_its_metadata(deps, fake, clock, client, slack_api):
    person(deps)
    report = sweep(deps, client, clock.now)
    assert (report.due, report.sent) == (1, 1)
    assert digests(slack_api) == [("U1", "2026-W12")]
    message = slack_api.messages["U1"][0]
    assert "Pick of the week" in str(message["blocks"])
    assert ledger.digest_status(deps.db, "T1", "U1", "2026-W12") == "sent"


def test_the_next_sweep_sends_nothing_more_that_week(deps, fake, clock, client, slack_api):
    person(deps)
    sweep(deps, client, clock.now)
    clock.now += timedelta(hours=5)
    assert sweep(deps, client, clock.now).due == 0
    assert len(digests(slack_api)) == 1


def test_people_who_searched_get_one_too(deps, fake, clock, client, slack_api):
    person(deps, searched=True)
    sweep(deps, client, clock.now)
    assert digests(slack_api) == [("U1", "2026-W12")]


def test_quiet_for_people_who_never_searched_nor_set_preferences(deps, fake, clock, client, slack_api):
    users.upsert_user(deps.db, "T1", "U1", tz="UTC", tz_checked_at=MONDAY.isoformat(), now=EARLY)
    assert sweep(deps, client, clock.now).due == 0
    assert digests(slack_api) == []


@pytest.mark.parametrize("prefs", [{"digest_enabled": False}, {"snoozed_week": "2026-W12"},
                                   {"digest_day": 2}, {"digest_time": "11:30"}])
def test_nothing_goes_when_off_snoozed_or_not_yet_time(deps, fake, clock, client, slack_api, prefs):
    person(deps, **prefs)
    sweep(deps, client, clock.now)
    assert digests(slack_api) == []


def test_the_first_digest_waits_for_the_first_moment_after_the_first_use(deps, fake, clock, client, slack_api):
    users.upsert_user(deps.db, "T1", "U1", tz="UTC", tz_checked_at=MONDAY.isoformat(), now=MONDAY)
    history.record_search(deps.db, "T1", "U1", "python", {"keywords": "python"}, [], [])
    sweep(deps, client, MONDAY + timedelta(hours=1))
    sweep(deps, client, MONDAY + timedelta(days=7))
    assert digests(slack_api) == [("U1", "2026-W13")]


def test_items_sent_once_are_not_sent_again_the_next_week(deps, fake, clock, client, slack_api):
    person(deps)
    sweep(deps, client, clock.now)
    first = set(history.seen_refs(deps.db, "T1", "U1"))
    sweep(deps, client, clock.now + timedelta(days=7))
    assert len(first) == 6
    second = slack_api.messages["U1"][1]["metadata"]["event_payload"]["items"].split(",")
    assert first.isdisjoint(second) and len(second) == 2


# --- daylight saving time and time zones ----------------------------------------------------------

def sweep_every(deps, client, clock: Clock, start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """Sweep from `start` to `end`; the moments at which something was sent."""
    deps.hub.extra["fake"].fresh = True
    sent_at = []
    clock.now = start
    while clock.now < end:
        if sweep(deps, client, clock.now).sent:
            sent_at.append(clock.now)
        clock.now += step
    return sent_at


@pytest.mark.parametrize("tz,monday,expected_utc", [
    ("Europe/Paris", datetime(2026, 3, 30, tzinfo=UTC), [(3, 23, 8), (3, 30, 7)]),  # summer time from 29 March
    ("Europe/Paris", datetime(2026, 10, 26, tzinfo=UTC), [(10, 19, 7), (10, 26, 8)]),  # winter time from 25 Oct
    ("America/New_York", datetime(2026, 3, 9, tzinfo=UTC), [(3, 2, 14), (3, 9, 13)]),  # summer time from 8 March
    ("America/New_York", datetime(2026, 11, 2, tzinfo=UTC), [(10, 26, 13), (11, 2, 14)]),  # winter time from 1 Nov
])
def test_across_a_daylight_saving_change_the_digest_goes_at_local_nine_once_a_week(
        deps, fake, clock, client, slack_api, tz, monday, expected_utc):
    start = monday - timedelta(days=8)
    person(deps, tz=tz, checked=monday + timedelta(days=3), since=start)
    sent_at = sweep_every(deps, client, clock, start, monday + timedelta(days=2), timedelta(hours=1))
    assert sent_at == [datetime(2026, month, day, hour, tzinfo=UTC) for month, day, hour in expected_utc]


@pytest.mark.parametrize("day,at,expected_utc", [
    # 02:30 does not exist in Paris on 29 March 2026: it is read as 03:30 summer time
    (datetime(2026, 3, 29, tzinfo=UTC), "02:30", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
    # 02:30 happens twice on 25 October 2026: the first one counts, and only once
    (datetime(2026, 10, 25, tzinfo=UTC), "02:30", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
])
def test_a_local_time_skipped_or_repeated_by_the_change_sends_once(
        deps, fake, clock, client, slack_api, day, at, expected_utc):
    person(deps, tz="Europe/Paris", digest_day=6, digest_time=at, checked=day + timedelta(days=3))
    sent_at = sweep_every(deps, client, clock, day - timedelta(hours=3), day + timedelta(hours=6),
                          timedelta(minutes=30))
    assert sent_at == [expected_utc]


def test_a_time_zone_change_from_slack_moves_the_digest_without_doubling_or_skipping(
        deps, fake, clock, client, slack_api):
    fake.fresh = True
    start = datetime(2026, 3, 15, tzinfo=UTC)
    person(deps, "U1", tz="Europe/Paris", checked=start - timedelta(days=2), since=start)
    moved = threading.Event()

    def move_after_first_week(now: datetime) -> None:
        if now >= datetime(2026, 3, 18, tzinfo=UTC) and not moved.is_set():
            slack_api.users["U1"] = SlackUser("U1", tz="America/New_York")
            moved.set()

    sent_at = []
    clock.now = start
    while clock.now < datetime(2026, 4, 7, tzinfo=UTC):
        move_after_first_week(clock.now)
        if sweep(deps, client, clock.now).sent:
            sent_at.append(clock.now)
        clock.now += timedelta(hours=1)
    assert [week for _, week in digests(slack_api)] == ["2026-W12", "2026-W13", "2026-W14", "2026-W15"]
    assert sent_at == [datetime(2026, 3, 16, 8, tzinfo=UTC),  # 09:00 in Paris
                       datetime(2026, 3, 23, 13, tzinfo=UTC),  # 09:00 in New York from then on
                       datetime(2026, 3, 30, 13, tzinfo=UTC), datetime(2026, 4, 6, 13, tzinfo=UTC)]


@pytest.mark.parametrize("before,after", [("America/Los_Angeles", "Asia/Tokyo"),
                                          ("Asia/Tokyo", "America/Los_Angeles")])
def test_moving_across_the_end_of_a_week_neither_skips_nor_doubles_a_sunday_digest(
        deps, fake, clock, client, slack_api, before, after):
    fake.fresh = True
    clock.now = datetime(2026, 3, 15, tzinfo=UTC)
    person(deps, tz=before, digest_day=6, digest_time="23:00", checked=datetime(2026, 4, 1, tzinfo=UTC),
           since=clock.now)
    while clock.now < datetime(2026, 3, 31, tzinfo=UTC):
        if clock.now == datetime(2026, 3, 22, 15, tzinfo=UTC):  # Sunday: Monday already in Tokyo
            users.upsert_user(deps.db, "T1", "U1", tz=after)
        sweep(deps, client, clock.now)
        clock.now += timedelta(hours=1)
    assert sorted(week for _, week in digests(slack_api)) == ["2026-W11", "2026-W12", "2026-W13"]


def test_time_zones_are_refreshed_from_slack_once_a_day(deps, fake, clock, client, slack_api):
    person(deps, "U1", tz="UTC", checked=MONDAY - timedelta(days=2))
    person(deps, "U2", tz="UTC", checked=MONDAY - timedelta(hours=2))
    sweep(deps, client, clock.now)
    assert [c.args["user"] for c in slack_api.calls_to("users.info")] == ["U1"]
    assert users.get_user(deps.db, "T1", "U1").tz == "Europe/Paris"


# --- exactly once ------------------------------------------------------------------------------------

class SlowSlack(FakeSlackApi):
    """Takes a few milliseconds to answer chat.postMessage, so concurrent sweeps overlap."""

    def answer(self, method, args, authorization):
        answer = super().answer(method, args, authorization)
        if method == "chat.postMessage":
            time.sleep(0.005)
        return answer


def test_two_sweeps_at_once_never_send_the_same_digest_twice(env, deps, fake, clock, monkeypatch):
    slow = SlowSlack()
    env["SLACK_API_URL"] = slow.api_url
    monkeypatch.setattr(digest_sweep, "CHUNK_SIZE", 4)
    people = [f"U{n}" for n in range(40)]
    for user in people:
        person(deps, user, tz="UTC")
    reports = []

    def one_sweep():
        reports.append(sweep(deps, slack_client(Settings.from_env(env)), clock.now))

    threads = [threading.Thread(target=one_sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    slow.close()
    assert sorted(channel for channel, _ in digests(slow)) == sorted(people)
    assert sum(r.sent for r in reports) == 40


def dead_claimer() -> str:
    """A claimer id naming a process of this host that does not exist."""
    import socket

    return f"{socket.gethostname()}:999999999:deadbeef"


def test_a_digest_claimed_by_a_dead_sweep_and_already_in_the_dm_is_recorded_not_resent(
        deps, fake, clock, client, slack_api):
    person(deps)
    ledger.claim_digest(deps.db, "T1", "U1", "2026-W12", dead_claimer(), now=clock.now - timedelta(minutes=1))
    slack_api.answer("chat.postMessage", {"channel": "U1", "text": "digest", "metadata": {
        "event_type": "learnbot_digest", "event_payload": {"week": "2026-W12", "items": "fake:a,fake:b"}}},
        f"Bearer {BOT_TOKEN}")
    report = sweep(deps, client, clock.now)
    assert (report.recovered, report.sent) == (1, 0)
    assert len(digests(slack_api)) == 1
    assert ledger.digest_status(deps.db, "T1", "U1", "2026-W12") == "sent"
    assert history.seen_refs(deps.db, "T1", "U1") == {"fake:a", "fake:b"}


def test_a_digest_claimed_by_a_dead_sweep_and_not_in_the_dm_is_sent(deps, fake, clock, client, slack_api):
    person(deps)
    ledger.claim_digest(deps.db, "T1", "U1", "2026-W12", dead_claimer(), now=clock.now - timedelta(minutes=1))
    report = sweep(deps, client, clock.now)
    assert (report.recovered, report.sent) == (0, 1)
    assert digests(slack_api) == [("U1", "2026-W12")]


def test_a_fresh_claim_of_a_running_sweep_is_left_to_it(deps, fake, clock, client, slack_api):
    person(deps)
    ledger.claim_digest(deps.db, "T1", "U1", "2026-W12", digest_sweep.claimer_id(),
                        now=clock.now - timedelta(minutes=1))
    report = sweep(deps, client, clock.now)
    assert (report.busy, report.sent) == (1, 0)
    assert slack_api.calls_to("conversations.history") == []


def test_a_claim_older_than_the_lease_is_taken_over(deps, fake, clock, client, slack_api):
    person(deps)
    stale = clock.now - digest_sweep.CLAIM_LEASE - timedelta(minutes=1)
    ledger.claim_digest(deps.db, "T1", "U1", "2026-W12", digest_sweep.claimer_id(), now=stale)
    assert sweep(deps, client, clock.now).sent == 1
    assert len(slack_api.calls_to("conversations.history")) == 1


class RateLimitedSlack(FakeSlackApi):
    """Answers every other chat.postMessage with 429 and `Retry-After: 1`, workspace-wide."""

    def __post_init__(self):
        super().__post_init__()
        self.refused = 0
        self.attempts = 0

    def answer(self, method, args, authorization):
        if method == "chat.postMessage":
            with self.lock:
                self.attempts += 1
                refuse = self.attempts % 2 == 1
                self.refused += refuse
            if refuse:
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
        return super().answer(method, args, authorization)


def test_slack_429s_are_waited_out_and_no_digest_is_dropped(env, deps, fake, clock):
    limited = RateLimitedSlack()
    env["SLACK_API_URL"] = limited.api_url
    people = [f"U{n}" for n in range(12)]
    for user in people:
        person(deps, user, tz="UTC")
    client = WebClient(token=BOT_TOKEN, base_url=limited.api_url)  # no retries of its own: ours are tested
    report = sweep(deps, client, clock.now)
    limited.close()
    assert report.sent == 12 and report.failed == 0
    assert sorted(channel for channel, _ in digests(limited)) == sorted(people)
    assert limited.refused >= 12


def test_one_message_per_second_per_channel_is_respected_by_waiting(env, deps, fake, clock):
    api = FakeSlackApi(per_channel_interval=0.3)
    person(deps, "U1", tz="UTC")
    api.answer("chat.postMessage", {"channel": "U1", "text": "just before"}, f"Bearer {BOT_TOKEN}")
    report = sweep(deps, WebClient(token=BOT_TOKEN, base_url=api.api_url), clock.now)
    api.close()
    assert report.sent == 1 and len(digests(api)) == 1


def test_a_slack_error_gives_the_claim_back_for_the_next_sweep(deps, fake, clock, client, slack_api):
    person(deps, "UGONE", tz="UTC")
    original = slack_api._result
    slack_api._result = lambda method, args: {"ok": False, "error": "user_not_found"} \
        if method == "chat.postMessage" else original(method, args)
    assert sweep(deps, client, clock.now).failed == 1
    assert ledger.digest_status(deps.db, "T1", "UGONE", "2026-W12") is None
    slack_api._result = original
    assert sweep(deps, client, clock.now + timedelta(minutes=5)).sent == 1


# --- what is in it, and when nothing is --------------------------------------------------------------

def test_a_failing_provider_still_lets_the_digest_go_naming_the_missing_source(deps, fake, clock, client,
                                                                              slack_api):
    deps.hub.extra["broken"] = type("Broken", (FakeProvider,), {"key": "broken", "label": "Broken Courses"})(
        fail=True)
    person(deps)
    assert sweep(deps, client, clock.now).sent == 1
    assert "Not included this time: Broken Courses did not answer." in str(slack_api.messages["U1"][0]["blocks"])


def test_with_nothing_to_show_no_digest_goes_and_the_next_sweep_tries_again(deps, fake, clock, client, slack_api):
    fake.fail = True
    person(deps)
    report = sweep(deps, client, clock.now)
    assert (report.held_back, report.sent) == (1, 0)
    assert digests(slack_api) == []
    assert ledger.digest_status(deps.db, "T1", "U1", "2026-W12") is None
    fake.fail = False
    assert sweep(deps, client, clock.now + timedelta(minutes=5)).sent == 1


class RefusingSlack(FakeSlackApi):
    """Refuses every message to U1, the way Slack refuses a call it finds invalid."""

    def answer(self, method, args, authorization):
        if method == "chat.postMessage" and args.get("channel") == "U1":
            return 200, {"ok": False, "error": "invalid_blocks"}, {}
        return super().answer(method, args, authorization)


def test_a_digest_slack_refuses_is_logged_and_holds_up_no_one_else(env, deps, fake, clock, caplog):
    refusing = RefusingSlack()
    person(deps, "U1", tz="UTC", topics=("rust",))
    person(deps, "U2", tz="UTC", topics=("python",))
    report = sweep(deps, WebClient(token=BOT_TOKEN, base_url=refusing.api_url), clock.now)
    refusing.close()
    assert (report.sent, report.failed) == (1, 1)
    assert [channel for channel, _ in digests(refusing)] == ["U2"]
    assert ledger.digest_status(deps.db, "T1", "U1", "2026-W12") is None
    assert "digest for U1 not sent: invalid_blocks" in caplog.text


# --- efficiency -----------------------------------------------------------------------------------

def test_one_provider_call_per_distinct_query_however_many_people(deps, fake, clock, client, slack_api):
    interests = [("python", ()), ("Python ", ()), ("sql", ()), ("python", ("fr",)), ("sql", ())]
    for n, (topic, languages) in enumerate(interests * 4):
        person(deps, f"U{n}", tz="UTC", topics=(topic,), languages=languages)
    report = sweep(deps, client, clock.now)
    assert report.sent == 20
    assert len(fake.queries) == report.searches == 3


def test_people_sharing_a_search_each_get_their_own_reason(deps, fake, clock, client, slack_api):
    person(deps, "U1", tz="UTC", topics=("python",))
    person(deps, "U2", tz="UTC", searched=True)  # no topics: their last search, "python"
    sweep(deps, client, clock.now)
    assert len(fake.queries) == 1
    assert "matches your topic *python*" in str(slack_api.messages["U1"][0]["blocks"])
    assert "like your search *python*" in str(slack_api.messages["U2"][0]["blocks"])


def fake_spec(provider_calls: list) -> ProviderSpec:
    class Keyed(FakeProvider):
        key = "keyed"
        label = "Keyed Courses"

        def __init__(self, http, credentials, env=None, persist=None):
            super().__init__()
            self.secret = credentials["api_key"]

        async def search(self, query):
            provider_calls.append(self.secret)
            return await super().search(query)

    return ProviderSpec(key="keyed", label="Keyed Courses", default_url="https://keyed.example/",
                        url_env="LEARNBOT_KEYED_URL", fields=(), build=Keyed,
                        credential_env={"api_key": "LEARNBOT_KEYED_API_KEY"}, required=("api_key",))


def test_results_fetched_with_private_credentials_are_never_shared(deps, fake, clock, client, slack_api):
    provider_calls: list[str] = []
    deps.hub = ProviderHub([fake_spec(provider_calls)], {"LEARNBOT_KEYED_API_KEY": "workspace-key-000"})
    for user in ("U1", "U2", "U3", "U4"):
        person(deps, user, tz="UTC")
    for user in ("U3", "U4"):  # the same key typed by two people: still two accounts
        credentials.save_credentials(deps.db, deps.vault, "T1", user, "keyed", {"api_key": "private-key-999"})
    sweep(deps, client, clock.now)
    assert sorted(provider_calls) == ["private-key-999", "private-key-999", "workspace-key-000"]
    assert "private-key-999" not in str(slack_api.calls)


def test_nothing_goes_to_a_workspace_that_removed_learnbot_until_it_comes_back(
        deps, fake, clock, client, slack_api):
    person(deps)
    workspaces.mark_gone(deps.db, "T1", "app_uninstalled")
    report = sweep(deps, client, clock.now)
    assert report.due == 0 and digests(slack_api) == [] and slack_api.calls == []
    workspaces.clear_gone(deps.db, "T1")
    assert sweep(deps, client, clock.now).sent == 1
