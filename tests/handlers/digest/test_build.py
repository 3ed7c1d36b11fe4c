"""One person's digest: what it picks, what it shows, how it fits in Slack, and its buttons."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from handlers.core.deps import Person
from handlers.core.render_text import render_text
from handlers.core.replies import Notice, Numbered
from handlers.digest import build as digest
from handlers.digest import render
from handlers.digest.model import Activity, DigestContent, Interest, Sources
from handlers.slack.render import render_slack
from providers.errors import ProviderDown
from providers.model import (
    LearningObject,
    Progress,
    ProviderStatus,
    SearchOutcome,
    SearchQuery,
)
from store import credentials, history, ledger, library, preferences, users

MONDAY = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)  # Monday of ISO week 2026-W12
EARLY = datetime(2026, 3, 1, tzinfo=UTC)
ADA = Person("T1", "U1", email="ada@example.com", name="Ada", tz="Europe/Paris")


def item(n: int, **fields) -> LearningObject:
    values = {"id": f"i{n}", "provider": "fake", "title": f"Item {n}", "url": f"https://fake.example/{n}",
              "language": "en", "type": "video", "duration_minutes": 30, **fields}
    return LearningObject(**values)


def outcome(*items: LearningObject) -> SearchOutcome:
    return SearchOutcome(list(items), [ProviderStatus("fake", "Fake", "ok", len(items))])


def texts(message: dict) -> str:
    return message.get("text", "") + json.dumps(message.get("blocks", []), ensure_ascii=False)


class FakeProvider:
    """A provider in `hub.extra` that answers every search with items named after the words."""

    key = "fake"
    label = "Fake Learning"
    can_enroll = False

    def __init__(self):
        self.queries: list[SearchQuery] = []

    async def search(self, query: SearchQuery) -> list[LearningObject]:
        self.queries.append(query)
        slug = query.keywords.replace(" ", "-")
        return [item(i, id=f"{slug}-{i}", title=f"{query.keywords} {i}", url=f"https://fake.example/{slug}/{i}")
                for i in range(8)]

    async def enroll(self, item, learner):
        raise AssertionError("not used")


class FakeTracker(FakeProvider):
    """A provider that reports progress on enrollments."""

    key = "tracker"
    label = "Tracker"

    def __init__(self, progress: Progress | None = None, fail: bool = False):
        super().__init__()
        self.progress_answer, self.fail = progress, fail

    async def progress(self, external_id: str, learner) -> Progress | None:
        if self.fail:
            raise ProviderDown(self.label)
        return self.progress_answer


@pytest.fixture
def fake(deps) -> FakeProvider:
    provider = FakeProvider()
    deps.hub.extra.clear()
    deps.hub.extra["fake"] = provider
    deps.now = lambda: MONDAY
    return provider


def newcomer(deps, person: Person = ADA, **prefs) -> None:
    users.upsert_user(deps.db, person.team_id, person.user_id, tz=person.tz, email=person.email,
                      tz_checked_at=MONDAY.isoformat(), now=EARLY)
    if prefs:
        preferences.save_preferences(deps.db, person.team_id, person.user_id, preferences.Preferences(**prefs))


# --- choosing the items ------------------------------------------------------------------------

NO_PREFERENCES = preferences.Preferences()


def choose(searches: list[tuple[Interest, SearchOutcome]], seen: set[str] = frozenset()) -> DigestContent:
    interests = tuple(interest for interest, _ in searches)
    found = digest.interleave(interests, [found for _, found in searches])
    return digest.compose("2026-W12", found, seen, NO_PREFERENCES, Activity())


PYTHON = Interest("matches your topic *python*", SearchQuery("python"))


def test_new_items_leave_out_what_the_person_has_already_seen():
    content = choose([(PYTHON, outcome(*(item(n) for n in range(8))))], seen={"fake:i0", "fake:i2"})
    assert content.shown_refs == ["fake:i1", "fake:i3", "fake:i4", "fake:i5", "fake:i6", "fake:i7"]


def test_the_same_item_from_another_provider_counts_as_seen():
    elsewhere = item(1, provider="other", url="https://fake.example/0")
    content = choose([(PYTHON, outcome(item(0))), (PYTHON, outcome(elsewhere, item(2)))], seen={"fake:i0"})
    assert content.shown_refs == ["fake:i2"]


def test_the_pick_of_the_week_is_the_best_new_item_and_five_more_follow():
    content = choose([(PYTHON, outcome(*(item(n) for n in range(9))))])
    assert content.pick.item.ref == "fake:i0"
    assert [e.item.ref for e in content.new_items] == [f"fake:i{n}" for n in range(1, 6)]


def test_items_that_break_the_persons_filters_are_left_out():
    french = Interest("matches your topic *python*", SearchQuery("python", languages=("fr",)))
    content = choose([(french, outcome(item(1, language="en"), item(2, language="fr")))])
    assert content.shown_refs == ["fake:i2"]


def test_each_interest_gets_its_turn_and_its_reason():
    sql = Interest("matches your topic *sql*", SearchQuery("sql"))
    content = choose([(PYTHON, outcome(item(1), item(2), item(3))), (sql, outcome(item(4), item(5)))])
    assert content.shown_refs[:4] == ["fake:i1", "fake:i4", "fake:i2", "fake:i5"]
    assert "*sql*" in content.new_items[0].note and "*python*" in content.pick.note


def test_sources_that_failed_are_named_once():
    content = digest.compose("2026-W12", [], set(), NO_PREFERENCES,
                             Activity(missing=("Learning records",)), ["Inokufu", "Inokufu"])
    assert content.missing == ("Inokufu", "Learning records")


@pytest.mark.parametrize("prefs,expected", [
    (preferences.Preferences(), "matches your topic *data analysis*"),
    (preferences.Preferences(languages=("fr",), max_minutes=120),
     "matches your topic *data analysis*, French, under 2 h"),
    (preferences.Preferences(types=("video",)), "matches your topic *data analysis*, video"),
    (preferences.Preferences(languages=("de",)), "matches your topic *data analysis*"),
])
def test_each_item_says_why_it_was_picked(prefs, expected):
    assert digest.why_picked("matches your topic *data analysis*", item(1, language="fr"), prefs) == expected


def test_interests_are_the_persons_topics_with_their_filters(deps, fake):
    newcomer(deps, topics=("Data  Analysis", "sql", "python", "rust"), languages=("fr",), max_minutes=90)
    prefs = preferences.get_preferences(deps.db, "T1", "U1")
    found = digest.interests_of(ADA, prefs, deps)
    assert [i.query.keywords for i in found] == ["data analysis", "sql", "python"]
    assert all(i.query.languages == ("fr",) and i.query.max_minutes == 90 for i in found)


def test_without_topics_the_last_search_is_the_interest(deps, fake):
    newcomer(deps)
    history.record_search(deps.db, "T1", "U1", "SQL joins", {"keywords": "SQL joins"}, [], [])
    found = digest.interests_of(ADA, preferences.get_preferences(deps.db, "T1", "U1"), deps)
    assert [(i.reason, i.query.keywords) for i in found] == [("like your search *sql joins*", "sql joins")]


def test_people_on_the_workspace_credentials_share_a_scope_and_own_credentials_do_not(deps):
    deps.hub.env["LEARNBOT_INOKUFU_API_KEY"] = "workspace-inokufu-key-1"

    def sources(user: str) -> Sources:
        person = Person("T1", user)
        return digest.sources_of(person, deps, digest.Workspaces(deps).connections(person))

    shared_one, shared_two = sources("U1"), sources("U2")
    credentials.save_credentials(deps.db, deps.vault, "T1", "U3", "inokufu", {"api_key": "workspace-inokufu-key-1"})
    own = sources("U3")
    assert shared_one.scope == shared_two.scope
    assert own.scope != shared_one.scope
    assert "workspace-inokufu-key-1" not in repr(own.scope)


# --- the person's own learning ---------------------------------------------------------------

@pytest.fixture
def lrs(env, transports):
    """Learning records that hold 45 minutes of Python on the Tuesday before MONDAY."""
    env["LEARNBOT_LRS_USERNAME"] = "lrs-user"
    env["LEARNBOT_LRS_PASSWORD"] = "lrs-password-123"
    statement = {
        "actor": {"mbox": "mailto:ada@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://learn.example/python", "definition": {"name": {"en": "Python basics"}}},
        "result": {"duration": "PT45M"},
        "timestamp": "2026-03-10T09:00:00Z",
    }
    transports["lrs"] = httpx.MockTransport(lambda request: httpx.Response(200, json={"statements": [statement]}))


def test_the_week_comes_from_the_learning_records_as_a_chart(lrs, deps, fake):
    newcomer(deps, topics=("python",))
    content = digest.preview(ADA, deps)
    assert "Python basics" in " ".join(content.activity.week.lines)
    assert "45 min" in content.activity.week.chart
    assert "```" in texts(render_slack(content))


def test_without_learning_records_the_week_is_skipped_with_a_note(deps, fake):
    newcomer(deps, topics=("python",))
    content = digest.preview(ADA, deps)
    assert content.activity.week is None
    assert content.activity.week_note == digest.CONNECT_RECORDS
    assert "learn connect lrs" in texts(render_slack(content))


def enrolled(deps, provider: str, ref_id: str = "c1") -> None:
    entry = item(1, provider=provider, id=ref_id)
    library.claim_enrollment(deps.db, "T1", "U1", entry.ref, provider, entry.to_dict(), "key")
    library.complete_enrollment(deps.db, "T1", "U1", entry.ref, "enrolled", external_id="ext-1")


def test_enrollment_progress_comes_from_the_provider_and_is_kept(deps, fake):
    deps.hub.extra["tracker"] = FakeTracker(Progress(3, 10))
    newcomer(deps, topics=("python",))
    enrolled(deps, "tracker")
    content = digest.preview(ADA, deps)
    assert [e.note for e in content.activity.enrollments] == ["3/10 activities done"]
    row = library.get_enrollment(deps.db, "T1", "U1", "tracker:c1")
    assert (row.progress_completed, row.progress_total) == (3, 10)


def test_finished_enrollments_are_not_in_progress(deps, fake):
    deps.hub.extra["tracker"] = FakeTracker(Progress(10, 10))
    newcomer(deps, topics=("python",))
    enrolled(deps, "tracker")
    assert digest.preview(ADA, deps).activity.enrollments == ()


def test_a_provider_that_cannot_report_progress_shows_the_enrollment_date(deps, fake):
    newcomer(deps, topics=("python",))
    enrolled(deps, "fake")
    (entry,) = digest.preview(ADA, deps).activity.enrollments
    assert entry.note.startswith("enrolled ")


def test_failing_progress_names_the_source_as_missing(deps, fake):
    deps.hub.extra["tracker"] = FakeTracker(fail=True)
    newcomer(deps, topics=("python",))
    enrolled(deps, "tracker")
    content = digest.preview(ADA, deps)
    assert content.missing == ("Tracker",)
    assert "Not included this time: Tracker" in texts(render_slack(content))


# --- Slack's limits and the two renderings ---------------------------------------------------------

def huge_digest() -> DigestContent:
    long = "x" * 5000
    entries = tuple(Numbered(n, item(n, title=long, description=long, image="https://img.example/a.png"),
                             "matches your topic *" + long + "*") for n in range(1, 60))
    week = Notice("Your learning week:", tuple(f"• Completed: {long}" for _ in range(10)), chart=long)
    activity = Activity(week=week, enrollments=tuple(Numbered(n, item(n, title=long), long) for n in range(20)))
    return DigestContent("2026-W12", entries[0], entries[1:], activity, ("Inokufu",), intro=long)


def test_a_huge_digest_stays_within_slack_limits_and_points_to_the_app_home():
    message = render_slack(huge_digest())
    blocks = message["blocks"]
    assert len(blocks) <= 50
    assert render.text_length(blocks) <= 12_000
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert render.MORE_LINE in texts(message)
    assert blocks[-1]["type"] == "actions"
    assert "Not included this time: Inokufu" in texts(message)


def test_an_ordinary_digest_is_not_trimmed():
    entries = tuple(Numbered(n, item(n), "matches your topic *python*") for n in range(1, 7))
    message = render_slack(DigestContent("2026-W12", entries[0], entries[1:]))
    assert render.MORE_LINE not in texts(message)
    buttons = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons.count("item_save") == 6
    assert {"digest_snooze", "digest_schedule", "digest_stop"} <= set(buttons)


def test_the_text_rendering_has_no_slack_markup():
    entries = (Numbered(1, item(1), "matches your topic *python*"),)
    text = render_text(DigestContent("2026-W12", entries[0], missing=("Inokufu",)))
    assert "Pick of the week" in text and "matches your topic python" in text
    assert "*" not in text and "`" not in text
    assert "Inokufu" in text


# --- preview, through Slack and directly -------------------------------------------------------------

def test_preview_through_the_slack_command_shows_the_next_digest(deps, fake, slack, response_urls):
    newcomer(deps, topics=("python",))
    slack.command("digest preview")
    post = response_urls.wait(1)[0]
    assert "Pick of the week" in texts(post) and "python 0" in texts(post)
    assert ("A preview: this week's digest is late (it was due Monday 16 March at 09:00 (Europe/Paris)); "
            "the next digest sweep sends it.") in texts(post)
    assert ledger.digest_status(deps.db, "T1", "U1", "2026-W12") is None
    assert history.seen_refs(deps.db, "T1", "U1") == set()


def test_preview_after_this_weeks_digest_is_about_next_week(deps, fake):
    newcomer(deps, topics=("python",))
    ledger.claim_digest(deps.db, "T1", "U1", "2026-W12", "test")
    ledger.mark_sent(deps.db, "T1", "U1", "2026-W12", "D1", "1.0")
    content = digest.preview(ADA, deps)
    assert content.week == "2026-W13" and "Monday 23 March" in content.intro


def test_preview_with_nothing_to_show_says_how_to_get_a_digest(deps, fake):
    newcomer(deps)
    reply = digest.preview(ADA, deps)
    assert isinstance(reply, Notice) and "topics=" in reply.text


def test_the_first_search_tells_about_the_digest_once(deps, slack, response_urls):
    slack.command("python")
    response_urls.wait(1)
    slack.command("sql")
    first, second = response_urls.wait(2)
    notice = "you will get a short digest"
    assert notice in texts(first) and "digest off" in texts(first)
    assert notice not in texts(second)


# --- the digest's buttons, through signed requests ----------------------------------------------------

def test_snooze_skips_this_weeks_digest_when_it_has_not_gone_yet(deps, fake, slack, response_urls):
    newcomer(deps, topics=("python",))
    deps.now = lambda: MONDAY - timedelta(days=2)
    slack.click("digest_snooze")
    post = response_urls.wait(1)[0]
    assert preferences.get_preferences(deps.db, "T1", "U1").snoozed_week == "2026-W12"
    assert "no digest on Monday 16 March" in texts(post) and "Monday 23 March at 09:00" in texts(post)


def test_snooze_after_this_weeks_moment_skips_next_week(deps, fake, slack, response_urls):
    newcomer(deps, topics=("python",))
    slack.click("digest_snooze")
    response_urls.wait(1)
    assert preferences.get_preferences(deps.db, "T1", "U1").snoozed_week == "2026-W13"


def test_change_schedule_opens_the_preferences_modal(deps, fake, slack, slack_api):
    newcomer(deps, topics=("python",))
    slack.click("digest_schedule")
    (call,) = slack_api.wait_for("views.open")
    view = call.args["view"] if isinstance(call.args["view"], dict) else json.loads(call.args["view"])
    assert view["callback_id"] == "preferences"


def test_stop_turns_digests_off(deps, fake, slack, response_urls):
    newcomer(deps, topics=("python",))
    slack.click("digest_stop")
    assert "Weekly digests are off" in texts(response_urls.wait(1)[0])
    assert preferences.get_preferences(deps.db, "T1", "U1").digest_enabled is False
    assert preferences.get_preferences(deps.db, "T1", "U1").topics == ("python",)



def test_building_a_digest_decrypts_each_credential_set_once(deps, fake, monkeypatch):
    """However many enrollments ask their provider for progress."""
    credentials.save_credentials(deps.db, deps.vault, "T1", "U1", "learnflow", {"access_token": "at-ada"})
    credentials.save_credentials(deps.db, deps.vault, "T1", None, "inokufu", {"api_key": "shared-key"})
    newcomer(deps, topics=("python",))
    for ref_id in ("c1", "c2", "c3"):
        enrolled(deps, "learnflow", ref_id)
    decrypted = []
    decrypt = deps.vault.decrypt
    monkeypatch.setattr(deps.vault, "decrypt", lambda token: decrypted.append(token) or decrypt(token))
    digest.preview(ADA, deps)
    assert len(decrypted) == len(set(decrypted)) == 2  # Ada's row and the workspace's


@pytest.fixture
def account_lrs(env, transports):
    """Learning records naming Ada only by her LMS account, as LMSs write them."""
    env.update({"LEARNBOT_LRS_USERNAME": "lrs-user", "LEARNBOT_LRS_PASSWORD": "lrs-password-123",
                "LEARNBOT_LRS_ACCOUNT_HOMEPAGE": "https://lms.example.org"})
    statement = {
        "id": "0b6e5c2e-1f1a-4c4e-9d0a-1c2b3d4e5f60",
        "actor": {"objectType": "Agent", "account": {"homePage": "https://lms.example.org", "name": "a.lovelace"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"},
        "object": {"id": "https://lms.example.org/python",
                   "definition": {"name": {"en-US": "Python basics", "fr-FR": "Les bases de Python"}}},
        "result": {"duration": "PT45M", "success": True},
        "timestamp": "2026-03-10T09:00:00Z",
    }

    def lrs(request):
        agent = json.loads(request.url.params["agent"])
        found = [statement] if agent.get("account") == statement["actor"]["account"] else []
        return httpx.Response(200, json={"statements": found})

    transports["lrs"] = httpx.MockTransport(lrs)


def test_the_week_finds_the_persons_lrs_account_and_names_in_their_locale(account_lrs, deps, fake):
    newcomer(deps, topics=("python",))
    french = Person("T1", "U1", name="Ada", tz="Europe/Paris", locale="fr-FR")  # no email known
    assert digest.preview(french, deps).activity.week_note == digest.NEEDS_EMAIL
    prefs = preferences.get_preferences(deps.db, "T1", "U1")
    preferences.save_preferences(deps.db, "T1", "U1", dataclasses.replace(prefs, lrs_account="a.lovelace"))
    content = digest.preview(french, deps)
    assert "Completed: Les bases de Python" in " ".join(content.activity.week.lines)
