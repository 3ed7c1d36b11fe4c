"""The actions without Slack: `run(command, person, deps)` on the bundled catalog and a real store."""

import dataclasses

import httpx
import pytest

from handlers.core import grammar as g
from handlers.core.actions import confirmed, run, run_suggestion, search_without
from handlers.core.deps import Person
from handlers.core.errors import NotFoundError, UsageError
from handlers.core.replies import Confirm, ItemList, Notice, OpenForm, ResultsPage
from providers.model import SearchQuery
from store import history, library, preferences, users

ADA = Person("T1", "U1", email="ada@example.com", name="Ada", tz="Europe/Paris")


def ask(text: str, deps, person: Person = ADA):
    return run(g.parse_message(text), person, deps)


def test_a_search_answers_a_page_of_catalog_results_and_records_it(deps):
    page = ask("python", deps)
    assert isinstance(page, ResultsPage)
    assert page.entries and all("python" in (e.item.title + e.item.description).lower() for e in page.entries)
    assert [e.number for e in page.entries] == list(range(1, len(page.entries) + 1))
    assert history.last_search(deps.db, "T1", "U1").id == page.search_id


def test_a_search_uses_saved_preferences_and_says_so(deps):
    users.upsert_user(deps.db, "T1", "U1")
    preferences.save_preferences(deps.db, "T1", "U1",
                                 dataclasses.replace(preferences.Preferences(), languages=("fr",)))
    page = ask("python", deps)
    assert any("Using your preferences: fr" in note for note in page.notes)
    assert {e.item.language for e in page.entries} == {"fr"}


def test_an_unknown_provider_filter_is_refused_with_the_known_ones(deps):
    with pytest.raises(UsageError, match="Known providers: .*catalog"):
        ask("python provider:nosuch", deps)


def test_more_turns_the_page_and_stops_at_the_last(deps):
    first = ask("python", deps)
    assert first.pages >= 2  # the bundled catalog has more python items than a page holds
    second = ask("more", deps)
    assert second.page == 1 and second.entries[0].number == deps.page_size + 1
    for _ in range(first.pages):
        last = ask("more", deps)
    assert isinstance(last, Notice) and "last page" in last.text


def test_save_by_number_then_again_keeps_one_copy(deps):
    ask("python", deps)
    assert ask("save 1", deps).text.startswith("Saved")
    assert "already in your saved items" in ask("save 1", deps).text
    saved = ask("saved", deps)
    assert isinstance(saved, ItemList) and len(saved.entries) == 1


def test_a_number_outside_the_last_search_names_the_range(deps):
    ask("python", deps)
    with pytest.raises(NotFoundError, match="pick a number from 1 to"):
        ask("enroll 999", deps)


def test_enroll_in_a_catalog_item_records_it_once(deps):
    page = ask("python", deps)
    number = next(e.number for e in page.entries if e.item.enrollable and not e.item.is_paid)
    assert "enrolled" in ask(f"enroll {number}", deps).text
    assert "already enrolled" in ask(f"enroll {number}", deps).text
    assert [e.status for e in library.list_enrollments(deps.db, "T1", "U1")] == ["enrolled"]


def test_connect_asks_for_the_form_and_never_takes_credentials_in_text(deps):
    reply = ask("connect learnflow", deps)
    assert isinstance(reply, OpenForm) and reply.provider == "learnflow"
    with pytest.raises(UsageError, match="You can connect"):
        ask("connect nosuch", deps)


def test_digest_off_then_on(deps):
    assert "off" in ask("digest off", deps).text
    assert not preferences.get_preferences(deps.db, "T1", "U1").digest_enabled
    assert "is on" in ask("digest on", deps).text


def test_forget_me_asks_first(deps):
    ask("python", deps)
    reply = ask("forget-me", deps)
    assert isinstance(reply, Confirm) and reply.danger and reply.value == "U1"
    assert history.last_search(deps.db, "T1", "U1") is not None


def test_a_confirmed_forget_deletes_only_for_its_owner(deps):
    ask("python", deps)
    with pytest.raises(UsageError, match="not yours"):
        confirmed("forget", "U2", ADA, deps)
    assert history.last_search(deps.db, "T1", "U1") is not None
    assert "deleted everything" in confirmed("forget", "U1", ADA, deps).text
    assert history.last_search(deps.db, "T1", "U1") is None


# --- what a results page says (issue 12) --------------------------------------------------------

def test_a_results_page_says_what_was_understood_with_each_filter_droppable(deps):
    page = ask("python videos in french under 2 hours for beginners", deps)
    assert page.understood == "python · video · French · at most 2 h · beginner"
    assert [f.key for f in page.filters] == ["types", "languages", "max_minutes", "level"]


def test_dropping_a_filter_runs_the_search_again_without_it(deps):
    page = ask("python videos in french", deps)
    wider = search_without(page.search_id, "languages", ADA, deps)
    assert wider.understood == "python · video"
    assert {e.item.type for e in wider.entries} == {"video"}
    assert wider.total > page.total and "en" in {e.item.language for e in wider.entries}
    with pytest.raises(UsageError, match="not a filter"):
        search_without(page.search_id, "keywords", ADA, deps)


def test_a_typo_is_corrected_and_the_page_says_so(deps):
    page = ask("pyhton", deps)
    assert page.correction == "Showing results for python (you wrote pyhton)"
    assert "python" in page.entries[0].item.title.lower()


def test_items_with_only_some_words_are_labelled_with_the_missing_word(deps):
    page = ask("python cooking", deps)
    assert page.partial and page.entries
    assert all(e.note == "has only some of your words: not “cooking”" for e in page.entries)
    assert not ask("python", deps).partial


def test_the_total_is_the_real_one_and_more_pages_past_the_first_twenty(deps):
    page = ask("python", deps)
    assert (page.total, page.total_is_lower_bound) == (44, False)
    for _ in range(4):
        later = ask("more", deps)
    assert later.page == 4 and later.entries[0].number == 21 and later.total == 44
    numbers = [e.number for e in later.entries]
    assert numbers == list(range(21, 21 + len(numbers)))
    assert len(history.last_search(deps.db, "T1", "U1").items) > 20
    seen = [history.item_ref(i) for i in history.last_search(deps.db, "T1", "U1").items]
    assert len(seen) == len(set(seen))  # the second page from the providers adds only new items


def test_nothing_found_suggests_a_search_that_finds_something(deps):
    page = ask("pythn type:podcast level:advanced", deps)
    assert not page.entries and page.suggestions == ("Did you mean python?",)
    retried = run_suggestion(page.search_id, 0, ADA, deps)
    assert retried.understood.startswith("python")
    with pytest.raises(UsageError, match="out of date"):
        run_suggestion(page.search_id, 5, ADA, deps)


def test_a_query_with_nothing_to_search_asks_what_to_learn(deps):
    reply = run(g.Search(SearchQuery("1=1"), "1=1"), ADA, deps)
    assert isinstance(reply, Notice) and reply.text.startswith("What would you like to learn?")
    assert history.last_search(deps.db, "T1", "U1") is None


def test_ranking_prefers_the_persons_slack_locale_language(deps):
    french = dataclasses.replace(ADA, user_id="U2", locale="fr-FR")
    assert ask("python", deps, french).entries[0].item.language == "fr"
    assert ask("python", deps).entries[0].item.language == "en"


# --- unsave --------------------------------------------------------------------------------------

def test_unsave_by_number_in_the_saved_list_and_by_id(deps):
    ask("python", deps)
    ask("save 1", deps)
    ask("save 2", deps)
    saved = ask("saved", deps)
    first, second = (e.item for e in saved.entries)
    assert ask("unsave 1", deps).text == f"Removed “{first.title}” from your saved items."
    assert [s.ref for s in library.list_saved(deps.db, "T1", "U1")] == [second.ref]
    with pytest.raises(NotFoundError, match="You have 1 saved item; pick number 1 "):
        ask("unsave 2", deps)
    ask(f"unsave {second.ref}", deps)
    assert library.list_saved(deps.db, "T1", "U1") == []
    with pytest.raises(NotFoundError, match="not in your saved items"):
        ask(f"unsave {second.ref}", deps)


def test_dropping_a_filter_that_came_from_preferences_does_not_bring_it_back(deps):
    users.upsert_user(deps.db, "T1", "U1")
    preferences.save_preferences(deps.db, "T1", "U1",
                                 dataclasses.replace(preferences.Preferences(), languages=("fr",)))
    page = ask("python", deps)
    assert page.understood == "python · French"
    wider = search_without(page.search_id, "languages", ADA, deps)
    assert wider.understood == "python" and wider.total == 44 > page.total


@pytest.fixture
def inokufu_twenty(env, transports):
    """Inokufu answering its documented `/search` shape with as many entries as `max` asks
    (its documented range is 1–20), never saying how many it has in all."""
    env["LEARNBOT_INOKUFU_API_KEY"] = "ik-secret-123456"
    asked = []

    def handler(request):
        asked.append(dict(request.url.params))
        count = int(request.url.params["max"])
        if not 1 <= count <= 20:
            return httpx.Response(400, json={"statusCode": 400, "msg": "max must be between 1 and 20"})
        content = [{"title": f"Zymurgy lesson {n}", "url": f"https://brew.example.org/lesson-{n}",
                    "provider": "Brew School", "type": ["Video"]} for n in range(1, count + 1)]
        return httpx.Response(200, json={"statusCode": 200, "response": {"content": content}})

    transports["inokufu"] = httpx.MockTransport(handler)
    return asked


def test_a_provider_that_gives_no_total_shows_more_than_and_paging_ends_honestly(inokufu_twenty, deps):
    page = ask("zymurgy", deps)
    assert (page.total, page.total_is_lower_bound) == (20, True) and page.has_more
    for _ in range(2):
        ask("more", deps)
    last = ask("more", deps)
    assert last.entries[-1].number == 20 and last.has_more
    assert "last page" in ask("more", deps).text  # asked again for more, Inokufu had nothing new
    assert max(int(params["max"]) for params in inokufu_twenty) == 20
    again = ask("more 4", deps)
    assert (again.total, again.total_is_lower_bound, again.has_more) == (20, False, False)
