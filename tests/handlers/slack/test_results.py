"""A results page in Slack: what was understood, "without" buttons, corrections, suggestions; Unsave."""

import json

from fakes.slack import all_text

from handlers.core.replies import ResultsPage
from handlers.slack.render import render_slack
from providers.model import ProviderStatus
from store import library


def buttons(blocks: list[dict]) -> dict[str, dict]:
    """Every button of a message or view by action id, in actions blocks and as accessories."""
    found = {}
    for block in blocks:
        elements = block.get("elements", []) if block["type"] == "actions" else [block.get("accessory") or {}]
        found.update({e["action_id"]: e for e in elements if e.get("type") == "button"})
    return found


def context_lines(post: dict) -> list[str]:
    return [e["text"] for b in post["blocks"] if b["type"] == "context" for e in b["elements"]]


def view_of(call) -> dict:
    view = call.args["view"]
    return json.loads(view) if isinstance(view, str) else view


def test_the_page_says_what_was_understood_and_a_button_drops_a_filter(slack, response_urls):
    slack.command("python videos in french")
    page = response_urls.wait(1)[0]
    assert "Understood: python · video · French" in context_lines(page)
    without = buttons(page["blocks"])
    assert {"results_without:types", "results_without:languages"} <= set(without)
    assert "results_without:keywords" not in without
    assert without["results_without:languages"]["text"]["text"] == "Without French"

    slack.click("results_without:languages", without["results_without:languages"]["value"])
    wider = response_urls.wait(2)[1]
    assert wider["replace_original"] is True
    assert "Understood: python · video" in context_lines(wider)
    assert "results_without:languages" not in buttons(wider["blocks"])
    assert " · en · " in all_text(wider)  # English videos are found now


def test_a_typo_is_corrected_and_said_with_the_persons_words_escaped(slack, response_urls):
    slack.command("pyhton <!channel>")
    page = response_urls.wait(1)[0]
    text = all_text(page)
    assert "Showing results for python" in text and "you wrote pyhton" in text
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


def test_partial_matches_are_labelled_with_the_missing_word(slack, response_urls):
    slack.command("python cooking")
    text = all_text(response_urls.wait(1)[0])
    assert "Nothing has all of your words" in text and "not “cooking”" in text


def test_the_real_total_is_shown(slack, response_urls):
    slack.command("python")
    assert "44 results" in all_text(response_urls.wait(1)[0])


def test_nothing_found_offers_suggestions_as_buttons_that_search(slack, response_urls):
    slack.command("pythn type:podcast level:advanced")
    page = response_urls.wait(1)[0]
    suggestion = buttons(page["blocks"])["results_suggestion:0"]
    assert suggestion["text"]["text"] == "Did you mean python?"
    slack.click("results_suggestion:0", suggestion["value"])
    assert "Results for “python · podcast · advanced”" in all_text(response_urls.wait(2)[1])


def test_a_forged_without_button_is_refused_in_words(slack, response_urls):
    slack.command("python type:video")
    page = response_urls.wait(1)[0]
    search_id = buttons(page["blocks"])["results_without:types"]["value"].split(":")[0]
    slack.click("results_without:types", f"{search_id}:__class__")
    assert "is not a filter a search can drop" in all_text(response_urls.wait(2)[1])


def test_unsave_in_the_saved_list_and_by_command(slack, deps, response_urls):
    slack.command("python")
    response_urls.wait(1)
    slack.command("save 1")
    slack.command("save 2")
    slack.command("saved")
    saved = response_urls.wait(4)[3]
    unsave = buttons(saved["blocks"])["item_unsave"]
    assert unsave["text"]["text"] == "Unsave"
    slack.click("item_unsave", unsave["value"])
    assert "from your saved items" in all_text(response_urls.wait(5)[4])
    assert unsave["value"] not in [s.ref for s in library.list_saved(deps.db, "T1", "U1")]
    slack.command("unsave 1")
    assert "Removed" in all_text(response_urls.wait(6)[5])
    assert library.list_saved(deps.db, "T1", "U1") == []


def test_unsave_from_the_home_tab_refreshes_it(slack, slack_api, deps, response_urls):
    slack.command("python")
    response_urls.wait(1)
    slack.command("save 1")
    response_urls.wait(2)
    slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    home = view_of(slack_api.wait_for("views.publish")[0])
    unsave = buttons(home["blocks"])["item_unsave"]
    slack.click("item_unsave", unsave["value"], response_url=False, container={"type": "view"},
                view={"id": "V1", "type": "home"})
    refreshed = view_of(slack_api.wait_for("views.publish", 2)[1])
    assert "item_unsave" not in buttons(refreshed["blocks"]) and "Nothing saved yet" in json.dumps(refreshed)
    assert library.list_saved(deps.db, "T1", "U1") == []


def test_unsave_in_a_direct_message(slack, slack_api, deps):
    slack.dm("python")
    slack_api.wait_for("chat.update")
    slack.dm("save 1")
    assert "Saved" in slack_api.wait_for("chat.postMessage", 2)[1].args["text"]
    slack.dm("unsave 1")
    assert "Removed" in slack_api.wait_for("chat.postMessage", 3)[2].args["text"]
    assert library.list_saved(deps.db, "T1", "U1") == []


def test_a_total_a_provider_did_not_give_is_shown_as_more_than():
    page = ResultsPage(1, "python", (), 0, 4, 20, (ProviderStatus("inokufu", "Inokufu", "ok", 20),),
                       total_is_lower_bound=True)
    assert "more than 20 results" in all_text(render_slack(page))
