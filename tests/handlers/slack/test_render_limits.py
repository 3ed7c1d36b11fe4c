"""Every message and view stays within Slack's limits, whatever the content."""

import pytest
from slack_sdk.models.blocks import ActionsBlock

from handlers.core.render_text import render_text
from handlers.core.replies import Confirm, ItemList, Notice, Numbered, Problem, ResultsPage
from handlers.slack.render import render_slack
from handlers.slack.views import HomeSnapshot, connect_view, home_view, prefs_view
from providers.model import LearningObject, Price, ProviderStatus
from store.preferences import Preferences

HUGE = "x" * 10_000


def item(n: int) -> LearningObject:
    return LearningObject(id=f"{n}" * 50, provider="learnflow", title=f"Title {n} " + HUGE,
                          url=f"https://example.org/{n}", description=HUGE, source="S" * 500, type="course",
                          language="en", duration_minutes=90, level="beginner", image="https://example.org/i.png",
                          price=Price(12345.678, "EUR"), enrollable=True)


def check_message(message: dict) -> None:
    blocks = message["blocks"]
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        for element in block.get("elements", []):
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= 75


REPLIES = [
    Notice(HUGE, tuple(HUGE for _ in range(5)), chart=HUGE),
    Problem(HUGE),
    ResultsPage(1, HUGE, tuple(Numbered(n, item(n)) for n in range(1, 6)), 0, 3, 15,
                tuple(ProviderStatus(f"p{n}", "P" * 200, "error", reason=HUGE) for n in range(12)),
                skipped=(HUGE,), notes=(HUGE,)),
    ItemList("Saved", tuple(Numbered(n, item(n), note=HUGE) for n in range(1, 200)), "empty"),
    Confirm(HUGE, HUGE, "enroll", "learnflow:1", danger=True),
]


@pytest.mark.parametrize("reply", REPLIES, ids=lambda r: type(r).__name__)
def test_messages_respect_slacks_limits(reply):
    check_message(render_slack(reply))
    assert render_text(reply)


def test_a_message_over_fifty_blocks_is_refused_where_it_is_made():
    from handlers.slack.render import message

    with pytest.raises(ValueError, match="50"):
        message([ActionsBlock(elements=[])] * 51, "x")


def test_views_respect_slacks_limits():
    snapshot = HomeSnapshot(tuple(HUGE for _ in range(6)), tuple(HUGE for _ in range(6)),
                            tuple((HUGE, "https://example.org", "catalog:x") for _ in range(300)),
                            tuple((HUGE, "https://example.org", HUGE) for _ in range(300)), "soon")
    for view in (home_view(snapshot), prefs_view(Preferences(), {"catalog": "Local catalog"})):
        payload = view.to_dict()
        assert len(payload["blocks"]) <= 100
        for block in payload["blocks"]:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000


def test_connect_view_validates(deps):
    payload = connect_view(deps.hub.specs, "learnifier", can_share=True).to_dict()
    assert len(payload["blocks"]) <= 100


def test_notice_lines_and_charts_keep_their_line_breaks():
    rendered = render_slack(Notice("Title", ("• one", "• two"), chart="Mon ██ 10 min\nTue █ 5 min"))
    assert rendered["blocks"][0]["text"]["text"] == "Title\n• one\n• two"
    assert rendered["blocks"][1]["text"]["text"] == "```Mon ██ 10 min\nTue █ 5 min```"
