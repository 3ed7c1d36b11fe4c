"""A search through Slack reaches every connected provider; a slow or broken one never sinks it."""

import asyncio

import httpx
import pytest
from fakes.slack import all_text

INOKUFU_ANSWER = {"statusCode": 200, "response": {"content": [
    {"title": "Python Basics for Data Science", "url": "https://www.edx.org/course/python-basics",
     "provider": "edX", "type": ["MOOC"], "learningTimeValue": 40, "learningTimeUnit": "h", "level": -1.0,
     "picture": "https://example.org/python.png"},
]}, "metadata": {"page": 0}}


@pytest.fixture
def inokufu(env, transports):
    env["LEARNBOT_INOKUFU_API_KEY"] = "ik-secret-123456"
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(200, json=INOKUFU_ANSWER)

    transports["inokufu"] = httpx.MockTransport(handler)
    return calls


@pytest.fixture
def broken_linkedin_and_slow_learnflow(env, transports):
    env.update({"LEARNBOT_LINKEDIN_CLIENT_ID": "cid", "LEARNBOT_LINKEDIN_CLIENT_SECRET": "csecret-abcdef",
                "LEARNBOT_LEARNFLOW_API_TOKEN": "lf-token-abcdef", "LEARNBOT_SEARCH_DEADLINE": "1"})
    transports["linkedin"] = httpx.MockTransport(
        lambda request: httpx.Response(401, json={"error": "invalid_client"}))

    async def slow(request):
        await asyncio.sleep(5)
        return httpx.Response(200, json={"data": []})

    transports["learnflow"] = httpx.MockTransport(slow)


def test_results_from_the_catalog_and_inokufu_are_merged_with_thumbnails(inokufu, slack, response_urls):
    slack.command("python type:mooc")
    post = response_urls.wait(1)[0]
    text = all_text(post)
    assert "Python Basics for Data Science" in text and "Local catalog" in text and "Inokufu" in text
    images = [b["accessory"]["image_url"] for b in post["blocks"] if b.get("accessory", {}).get("type") == "image"]
    assert "https://example.org/python.png" in images
    assert inokufu[0].headers["x-api-key"] == "ik-secret-123456"
    assert "ik-secret-123456" not in text


def test_a_failing_and_a_slow_provider_are_named_and_the_rest_still_answers(
        inokufu, broken_linkedin_and_slow_learnflow, slack, response_urls):
    slack.command("python")
    post = response_urls.wait(1, timeout=8)[0]
    context = " ".join(e["text"] for b in post["blocks"] if b["type"] == "context" for e in b["elements"])
    assert "LearnFlow timed out" in context
    assert "LinkedIn Learning failed: LinkedIn Learning refused the credentials" in context
    assert "Local catalog" in context and "Inokufu" in context
    assert "Results for “python”" in all_text(post)


def test_inokufu_items_offer_save_but_not_enroll(inokufu, slack, response_urls):
    slack.command("python type:mooc provider:inokufu")
    post = response_urls.wait(1)[0]
    actions = [e["action_id"] for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert "item_save" in actions and "item_enroll" not in actions


def test_providers_command_says_why_a_provider_is_not_searched(slack, response_urls):
    slack.command("providers")
    text = response_urls.wait(1)[0]["blocks"][0]["text"]["text"]
    assert "Inokufu* (`inokufu`) — not connected (needs api_key)" in text
