"""`/learn progress`: this week's learning records, with a bar chart of minutes per day."""

import json
from datetime import UTC, datetime

import httpx
import pytest


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
