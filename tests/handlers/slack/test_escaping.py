"""Outside text reaches Slack's mrkdwn escaped, links are made only from web addresses, and
cutting a text never splits a link or an escape sequence (handlers.slack.render)."""

import json
import re

import pytest

from handlers.core.replies import Confirm, ItemList, Notice, Numbered, OpenForm, Problem, ResultsPage
from handlers.slack.render import escape, link, render_slack, truncate, unescape, web_url, whole_lines
from handlers.slack.views import HomeSnapshot, home_view
from providers.model import LearningObject, ProviderStatus

HOSTILE = "<!everyone> <https://evil.example|x> *y*"
SHOWN = "&lt;!everyone&gt; &lt;https://evil.example|x&gt; *y*"


def mrkdwn_texts(payload) -> list[str]:
    """Every "text" string of a payload (fallback text, mrkdwn and plain_text objects), however deep."""
    if isinstance(payload, list):
        return [text for value in payload for text in mrkdwn_texts(value)]
    if isinstance(payload, dict):
        return [text for key, value in payload.items()
                for text in ([value] if key == "text" and isinstance(value, str) else mrkdwn_texts(value))]
    return []


def control_sequences(payload) -> list[str]:
    """The `<…>` sequences Slack would act on: links, mentions, channel and user references."""
    return [sequence for text in mrkdwn_texts(payload) for sequence in re.findall(r"<([^>]*)>", text)]


def assert_inert(payload, *, allowed_host: str = "example.org") -> None:
    """No mention and no link except to the item's own host."""
    for sequence in control_sequences(payload):
        assert not sequence.startswith(("!", "@", "#")), sequence
        url = sequence.split("|", 1)[0]
        assert re.match(rf"https?://{re.escape(allowed_host)}[/?]", url), sequence


def hostile_item(**changes) -> LearningObject:
    fields = dict(id="evil", provider="learnflow", title=HOSTILE, url="https://example.org/course",
                  description=HOSTILE, source=HOSTILE, enrollable=True)
    return LearningObject(**{**fields, **changes})


def test_escape_turns_the_three_control_characters_into_entities():
    assert escape("a & b <!here> c > d") == "a &amp; b &lt;!here&gt; c &gt; d"


def test_unescape_reads_slacks_encoding_of_what_people_type_and_escape_restores_it():
    sent = "R&amp;D &lt;b&gt; &amp;lt;"  # Slack's encoding of `R&D <b> &lt;`
    assert unescape(sent) == "R&D <b> &lt;"
    assert escape(unescape(sent)) == sent


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>x</b>", "ftp://example.org/a",
                                 "//example.org/a", "https:///nohost", "https://example.org/a b", "", None])
def test_only_web_addresses_make_links(url):
    assert web_url(url) is None
    assert link(url, HOSTILE) == SHOWN


def test_a_pipe_or_angle_bracket_in_a_url_is_percent_encoded_so_the_label_cannot_be_spoofed():
    url = "https://example.org/a|<https://evil.example>"
    assert web_url(url) == "https://example.org/a%7C%3Chttps://evil.example%3E"
    assert link(url, "Guide") == "<https://example.org/a%7C%3Chttps://evil.example%3E|Guide>"


def test_a_url_too_long_for_a_link_leaves_the_label_as_text():
    assert link("https://example.org/" + "a" * 3500, "Guide") == "Guide"


@pytest.mark.parametrize("text", [
    "x" * 2990 + " <https://example.org/a-long-page|the page>",
    "x" * 2997 + " &amp; more",
    "x" * 2995 + "&lt;!everyone&gt;",
])
def test_truncation_never_cuts_a_link_or_an_escape_sequence(text):
    cut = truncate(text, 3000)
    assert len(cut) <= 3000 and cut.endswith("…")
    assert re.search(r"<[^>]*$|&[a-z]*…$", cut) is None


def test_whole_lines_keeps_only_lines_that_fit_whole():
    lines = ["<https://example.org/1|one>", "<https://example.org/2|two>", "<https://example.org/3|three>"]
    assert whole_lines(lines, 60) == lines[:2]
    assert whole_lines(lines, 1000) == lines


REPLIES = {
    "save answer": Notice(f"Saved “{HOSTILE}”. `/learn saved` lists your saved items."),
    "progress": Notice("Your learning week:", (f"• Completed: {HOSTILE}", f"• In progress: {HOSTILE}")),
    "providers": Notice("Learning providers for you:", (f"• *LearnFlow* — not connected ({HOSTILE})",)),
    "error quoting input": Problem(f"`{HOSTILE}` is not a learnbot command."),
    "price question": Confirm(f"“{HOSTILE}” costs 10 EUR. Enroll?", "Enroll", "enroll", "learnflow:1", danger=True),
    "saved list": ItemList(HOSTILE, (Numbered(1, hostile_item(), note=HOSTILE),), HOSTILE),
    "empty list": ItemList(HOSTILE, (), HOSTILE),
    "form fallback": OpenForm("connect", HOSTILE),
    "results": ResultsPage(1, HOSTILE, (Numbered(1, hostile_item(), note=HOSTILE),), 0, 1, 1,
                           (ProviderStatus("inokufu", "Inokufu", "error", reason=HOSTILE),),
                           skipped=(HOSTILE,), notes=(HOSTILE,)),
}


@pytest.mark.parametrize("reply", REPLIES.values(), ids=REPLIES.keys())
def test_every_reply_shows_outside_text_escaped_in_its_blocks_and_its_fallback(reply):
    payload = render_slack(reply)
    assert_inert(payload)
    assert "&lt;!everyone&gt;" in json.dumps(payload["blocks"], ensure_ascii=False)
    assert "<!everyone>" not in payload["text"] and "<https://evil" not in payload["text"]


def buttons(payload: dict) -> list[dict]:
    return [e for b in payload["blocks"] if b["type"] == "actions" for e in b["elements"] if e["type"] == "button"]


def test_an_item_with_a_javascript_url_has_no_link_and_no_open_button_but_can_be_saved():
    payload = render_slack(ItemList("Saved", (Numbered(1, hostile_item(url="javascript:alert(1)",
                                                                        image="javascript:alert(2)")),), ""))
    assert control_sequences(payload) == []
    assert [b["action_id"] for b in buttons(payload)] == ["item_save", "item_enroll"]
    assert "javascript:" not in json.dumps(payload)


def test_a_3500_character_url_still_renders_the_page_within_slacks_limits():
    long_url = "https://example.org/course?" + "a" * 3500
    page = ResultsPage(1, "python", (Numbered(1, hostile_item(url=long_url, title="Python")),
                                     Numbered(2, hostile_item(id="ok", title="Python 2"))), 0, 1, 2, ())
    payload = render_slack(page)
    assert all(len(b["text"]["text"]) <= 3000 for b in payload["blocks"] if b["type"] == "section")
    assert all(len(b.get("url", "")) <= 3000 for b in buttons(payload))
    assert long_url not in json.dumps(payload)
    assert "*1. Python*" in json.dumps(payload)
    assert "<https://example.org/course|Python 2>" in json.dumps(payload)


def test_a_url_for_a_button_but_not_a_link_keeps_its_open_button():
    url = "https://example.org/course?" + "a" * 2000
    payload = render_slack(ItemList("Saved", (Numbered(1, hostile_item(url=url, title="Python")),), ""))
    assert [b["url"] for b in buttons(payload) if b["action_id"] == "item_open"] == [url]
    assert control_sequences(payload) == []


def home(saved=(), enrollments=(), preferences=()) -> dict:
    return home_view(HomeSnapshot(tuple(preferences), (f"• *LearnFlow* — {HOSTILE}",), tuple(saved),
                                  tuple(enrollments), HOSTILE)).to_dict()


def test_the_home_tab_escapes_titles_notes_preferences_and_provider_lines():
    view = home(saved=[(HOSTILE, "https://example.org/a|<https://evil.example>", "catalog:a")],
                enrollments=[(HOSTILE, "javascript:alert(1)", HOSTILE)],
                preferences=[f"• Topics: {HOSTILE}"])
    assert_inert(view)
    assert json.dumps(view).count("&lt;!everyone&gt;") == 6  # preferences, provider, digest, 2 titles, note


def test_the_home_tabs_saved_items_are_whole_links_and_say_how_many_are_left():
    saved = [(f"Course {n} " + "&" * 100, f"https://example.org/{n}?" + "q" * 300, f"catalog:{n}")
             for n in range(20)]
    view = home(saved=saved)
    texts = mrkdwn_texts(view)
    items = [text for text in texts if text.startswith("• <https://example.org/")]
    assert len(items) == 15 and all(len(text) <= 3000 for text in items)
    assert all(re.fullmatch(r"• <https://example\.org/(\d+)\?q{300}\|Course \d+ (?:&amp;){100}>", text)
               for text in items)
    assert "…and 5 more: `/learn saved` lists them all." in texts


def test_an_item_id_too_long_for_a_button_value_keeps_only_the_open_button():
    item = LearningObject(id="x" * 2100, provider="inokufu", title="Long id", url="https://example.org/a")
    page = render_slack(ResultsPage(search_id=1, query_text="python", entries=(Numbered(1, item),),
                                    page=0, pages=1, total=1, statuses=()))
    buttons = [element for block in page["blocks"] if block["type"] == "actions" for element in block["elements"]]
    assert [button["text"]["text"] for button in buttons] == ["Open"]
    assert all(len(button.get("value", "")) <= 2000 for button in buttons)
