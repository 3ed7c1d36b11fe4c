"""`/learn progress`: this week's learning records, with a bar chart of minutes per day."""

import json
from datetime import UTC, datetime

import httpx
import pytest
from fakes.slack import SlackUser

from store import preferences


def statement(day: datetime, minutes: int, verb: str, name: str) -> dict:
    return {"id": f"s-{name}-{day:%d}", "actor": {"mbox": "mailto:ada@example.com"},
            "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
            "object": {"id": f"https://lms.example/{name}", "definition": {"name": {"en-US": name}}},
            "result": {"duration": f"PT{minutes}M", **({"completion": True} if verb == "completed" else {})},
            "timestamp": day.isoformat(), "stored": day.isoformat()}


@pytest.fixture
def lrs(env, transports):
    env.update({"LEARNBOT_LRS_URL": "https://lrs.test/xAPI", "LEARNBOT_LRS_USERNAME": "learnbot",
                "LEARNBOT_LRS_PASSWORD": "lrs-password-123"})
    today = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    week = [statement(today, 45, "completed", "SQL basics"), statement(today, 20, "progressed", "Pandas")]
    requests = []

    def handler(request):
        requests.append(request)
        return httpx.Response(200, json={"statements": week, "more": ""})

    transports["lrs"] = httpx.MockTransport(handler)
    return requests


def test_progress_shows_time_completions_in_progress_and_a_chart(lrs, slack, response_urls):
    slack.command("progress")
    post = response_urls.wait(1)[0]
    text = json.dumps(post, ensure_ascii=False)
    assert "Time learned: 1 h 05" in text
    assert "Completed: SQL basics" in text and "In progress: Pandas" in text
    assert "```" in text and "65 min" in text
    agent = json.loads(lrs[0].url.params["agent"])
    assert agent["mbox"] == "mailto:ada@example.com"
    assert lrs[0].headers["X-Experience-API-Version"] == "1.0.3"
    assert "lrs-password-123" not in text


def test_progress_without_an_lrs_says_how_to_connect_one(slack, response_urls):
    slack.command("progress")
    text = json.dumps(response_urls.wait(1)[0])
    assert "/learn connect" in text


# --- who: the person's LRS account, named in their Slack locale (issue 11) ------------------------

LMS = "https://lms.example.org"
PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"


def identifier(agent: dict) -> tuple:
    """An agent's one inverse functional identifier, as the `agent` filter matches it exactly."""
    found = [(key, json.dumps(agent[key], sort_keys=True)) for key in ("mbox", "mbox_sha1sum", "openid", "account")
             if key in agent]
    return found[0] if len(found) == 1 else ()


def lms_statement(day: datetime, actor: dict, verb: str, names: dict, **result) -> dict:
    """A statement as an LMS writes it (REFERENCE.md §2.4): the learner by `account`,
    activity names as a language map."""
    return {"id": f"s-{verb}-{len(json.dumps(names))}", "actor": {"objectType": "Agent", **actor},
            "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
            "object": {"objectType": "Activity", "id": f"{LMS}/activities/{verb}",
                       "definition": {"name": names}},
            "result": result, "timestamp": day.isoformat(), "stored": day.isoformat()}


@pytest.fixture
def account_lrs(env, transports):
    """An LRS answering `GET statements?agent=…` with the statements of exactly that identifier."""
    env.update({"LEARNBOT_LRS_URL": "https://lrs.test/xAPI", "LEARNBOT_LRS_USERNAME": "learnbot",
                "LEARNBOT_LRS_PASSWORD": "lrs-password-123", "LEARNBOT_LRS_ACCOUNT_HOMEPAGE": LMS})
    today = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    account = {"account": {"homePage": LMS, "name": "a.lovelace"}}
    stored = [
        lms_statement(today, account, "passed", {"en-US": "SQL basics", "fr-FR": "Les bases de SQL"},
                      duration="PT45M", success=True),
        lms_statement(today, account, "progressed", {"en-US": "Pandas"}, duration="PT20M",
                      extensions={PROGRESS: 65}),
    ]
    asked = []

    def handler(request):
        agent = json.loads(request.url.params.get("agent", "null") or "null")
        if not isinstance(agent, dict) or not identifier(agent):
            return httpx.Response(400, json={"detail": "agent must carry exactly one identifier"})
        asked.append(agent)
        mine = [s for s in stored if identifier(s["actor"]) == identifier(agent)]
        return httpx.Response(200, json={"statements": mine, "more": ""})

    transports["lrs"] = httpx.MockTransport(handler)
    return asked


def test_the_persons_own_lrs_account_finds_their_week_named_in_their_locale(account_lrs, slack, deps,
                                                                            response_urls):
    slack.command("prefs set lrs_account=a.lovelace")
    assert "Learning records account: a.lovelace" in json.dumps(response_urls.wait(1)[0], ensure_ascii=False)
    assert preferences.get_preferences(deps.db, "T1", "U1").lrs_account == "a.lovelace"

    slack.command("progress")  # U1's Slack locale is fr-FR
    text = json.dumps(response_urls.wait(2)[1], ensure_ascii=False)
    assert "Completed: Les bases de SQL" in text and "In progress: Pandas (65%)" in text
    assert {"homePage": LMS, "name": "a.lovelace"} in [agent.get("account") for agent in account_lrs]


def test_without_the_account_the_same_lrs_shows_no_learning(account_lrs, slack, response_urls):
    slack.command("progress")
    text = json.dumps(response_urls.wait(1)[0], ensure_ascii=False)
    assert "No learning activity recorded" in text
    assert all(agent.get("account", {}).get("name") != "a.lovelace" for agent in account_lrs)


def test_no_email_is_fine_when_the_person_gave_their_account(account_lrs, slack, slack_api, deps, response_urls):
    slack_api.users["U7"] = SlackUser("U7", tz="UTC", email=None)
    slack.command("progress", user="U7")
    assert "lrs_account=NAME" in json.dumps(response_urls.wait(1)[0])
    slack.command("prefs set lrs_account=a.lovelace", user="U7")
    slack.command("progress", user="U7")
    text = json.dumps(response_urls.wait(3)[2], ensure_ascii=False)
    assert "Completed: SQL basics" in text  # an English locale: the English name
    assert all("mbox" not in agent for agent in account_lrs)


def test_an_lrs_account_with_spaces_is_refused_and_nothing_changes(slack, deps):
    response = slack.command("prefs set lrs_account=\"a lovelace\"")
    assert "without spaces" in json.dumps(response.json())
    assert preferences.get_preferences(deps.db, "T1", "U1").lrs_account is None
