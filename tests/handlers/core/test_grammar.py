"""The /learn grammar and the plain-words grammar of direct messages."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.core import grammar as g
from handlers.core.errors import UsageError


def test_search_with_every_filter():
    command = g.parse_command("python for data analysis type:video lang:fr provider:catalog max:2h min:30m "
                              "level:beginner sort:random")
    assert command.query.keywords == "python data analysis"
    assert command.query.types == ("video",)
    assert command.query.languages == ("fr",)
    assert command.query.providers == ("catalog",)
    assert (command.query.max_minutes, command.query.min_minutes) == (120, 30)
    assert command.query.level == "beginner"
    assert command.query.sort == "random"


def test_search_subcommand_is_the_same_as_bare_keywords():
    assert g.parse_command("search sql type:mooc").query == g.parse_command("sql type:mooc").query


def test_several_types_separated_by_commas():
    assert g.parse_command("sql type:video,mooc").query.types == ("video", "mooc")


@pytest.mark.parametrize("text,minutes", [("30m", 30), ("2h", 120), ("1h30", 90), ("1h30m", 90), ("45min", 45),
                                          ("90", 90)])
def test_durations(text, minutes):
    assert g.parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["", "h", "2x", "-1h", "0m", "1.5h", "abc"])
def test_bad_durations_name_the_right_form(text):
    with pytest.raises(UsageError, match="30m"):
        g.parse_duration(text)


@pytest.mark.parametrize("text,fragment", [
    ("python type:book", "type"),
    ("python lang:french1", "language"),
    ("python level:expert", "level"),
    ("python sort:newest", "sort"),
    ("python max:soon", "duration"),
    ("python max:1h min:2h", "swap"),
    ("type:video", "what you want to learn"),
    ("python max:", "needs a value"),
])
def test_bad_filters_say_what_was_wrong(text, fragment):
    with pytest.raises(UsageError, match=fragment):
        g.parse_command(text)


@pytest.mark.parametrize("text,expected", [
    ("enroll 2", g.Enroll("2")),
    ("save catalog:python-tutorial", g.Save("catalog:python-tutorial")),
    ("saved", g.Saved()),
    ("enrollments", g.Enrollments()),
    ("connect", g.Connect()),
    ("connect learnflow", g.Connect("learnflow")),
    ("disconnect learnflow", g.Disconnect("learnflow")),
    ("providers", g.Providers()),
    ("prefs", g.Prefs()),
    ("progress", g.Progress()),
    ("digest", g.Digest("status")),
    ("digest preview", g.Digest("preview")),
    ("digest off", g.Digest("off")),
    ("forget-me", g.ForgetMe()),
    ("help", g.Help()),
    ("", g.Help()),
    ("more", g.More()),
])
def test_subcommands(text, expected):
    assert g.parse_command(text) == expected


@pytest.mark.parametrize("text", ["enroll", "enroll two", "save 1 2", "disconnect", "digest maybe",
                                  "saved everything", "forget-me now", "enroll '; DROP TABLE users;--"])
def test_malformed_subcommands_are_refused(text):
    with pytest.raises(UsageError):
        g.parse_command(text)


def test_prefs_set_parses_every_preference():
    command = g.parse_command('prefs set topics=python,sql lang=en,fr types=video,mooc max=2h digest="fri 16:30"')
    assert command.changes == {"topics": ("python", "sql"), "languages": ("en", "fr"),
                               "types": ("video", "mooc"), "max_minutes": 120,
                               "digest_day": 4, "digest_time": "16:30", "digest_enabled": True}


@pytest.mark.parametrize("text", ['prefs set colour=blue', 'prefs set digest="someday 25:00"',
                                  'prefs set lang=klingon', 'prefs set digest="mon 09:00', 'prefs wat'])
def test_bad_preferences_are_refused(text):
    with pytest.raises(UsageError):
        g.parse_command(text)


def test_plain_words_from_the_issue():
    command = g.parse_message("python videos in french under 2 hours")
    assert command.query.keywords == "python"
    assert command.query.types == ("video",)
    assert command.query.languages == ("fr",)
    assert command.query.max_minutes == 120


@pytest.mark.parametrize("text,expected", [
    ("enroll 2", g.Enroll("2")), ("save 3", g.Save("3")), ("help", g.Help()), ("/learn saved", g.Saved()),
])
def test_plain_words_commands(text, expected):
    assert g.parse_message(text) == expected


def test_plain_words_minimum_duration_and_level():
    query = g.parse_message("beginner sql podcasts at least 20 minutes").query
    assert (query.keywords, query.types, query.level, query.min_minutes) == ("sql", ("podcast",), "beginner", 20)


def test_ten_thousand_characters_are_refused_with_the_limit():
    with pytest.raises(UsageError, match="at most 1,000"):
        g.parse_command("a" * 10_000)


def test_control_characters_are_dropped_and_unicode_kept():
    query = g.parse_command("électronique\x00\x1bcafé type:video").query
    assert query.keywords == "électronique café"


@given(st.text(max_size=1200))
@settings(max_examples=200, deadline=None)
def test_any_text_parses_or_fails_with_a_usage_error(text):
    for parse in (g.parse_command, g.parse_message):
        try:
            command = parse(text)
        except UsageError as error:
            assert error.message and "Traceback" not in error.message
        else:
            assert isinstance(command, g.Command)


@pytest.mark.parametrize("text,fragment", [("unenroll 3", "not a learnbot command"), ("enrol", "enroll"),
                                           ("sav 2", "save"), ("python colour:blue", "not a filter")])
def test_unknown_subcommands_and_filters_are_named(text, fragment):
    with pytest.raises(UsageError, match=fragment):
        g.parse_command(text)


def test_a_single_unknown_word_is_a_search():
    assert g.parse_command("kubernetes").query.keywords == "kubernetes"


def test_a_word_and_a_number_is_a_search():
    assert g.parse_command("python 3").query.keywords == "python 3"


# --- plain words, in /learn and in direct messages alike -----------------------------------

def fields_of(query, *names):
    return {name: getattr(query, name) for name in names}


@pytest.mark.parametrize("text,expected", [
    ("machine learning for beginners, no more than 1h",
     {"keywords": "machine learning", "level": "beginner", "max_minutes": 60, "min_minutes": None}),
    ("python under 1h30", {"keywords": "python", "max_minutes": 90}),
    ("python between 1 and 3 hours", {"min_minutes": 60, "max_minutes": 180}),
    ("git in 10 minutes", {"keywords": "git", "max_minutes": 10}),
    ("sql within half an hour", {"keywords": "sql", "max_minutes": 30}),
    ("docker up to an hour", {"keywords": "docker", "max_minutes": 60}),
    ("css at least 90 minutes", {"keywords": "css", "min_minutes": 90}),
    ("react more than 2 hours", {"min_minutes": 120, "max_minutes": None}),
    ("short python videos", {"keywords": "python", "types": ("video",), "max_minutes": 30}),
    ("quick sql", {"keywords": "sql", "max_minutes": 30}),
    ("moins de 2 heures de python", {"keywords": "python", "max_minutes": 120}),
    ("python en moins d'une heure", {"keywords": "python", "max_minutes": 60}),
    ("entre 1 et 3 heures de javascript", {"keywords": "javascript", "min_minutes": 60, "max_minutes": 180}),
    ("au plus 1h30 de git", {"keywords": "git", "max_minutes": 90}),
    ("cours court de sql", {"keywords": "sql", "max_minutes": 30, "types": ()}),
    ("C++ pour débutants", {"keywords": "c++", "level": "beginner"}),
    ("intro to C#", {"keywords": "c#", "level": "beginner"}),
    (".NET advanced", {"keywords": ".net", "level": "advanced"}),
    ("javascript intermédiaire", {"keywords": "javascript", "level": "intermediate"}),
    ("podcasts en français sur la sécurité", {"keywords": "sécurité", "types": ("podcast",), "languages": ("fr",)}),
    ("python in English or French", {"keywords": "python", "languages": ("en", "fr")}),
    ("kubernetes en allemand", {"languages": ("de",)}),
    ("python in Japanese", {"languages": ("ja",)}),
    ("python on LinkedIn", {"keywords": "python", "providers": ("linkedin",)}),
    ("kubernetes from Inokufu", {"providers": ("inokufu",)}),
    ("react sur LinkedIn", {"keywords": "react", "providers": ("linkedin",)}),
    ("moocs and apps about ux", {"keywords": "ux", "types": ("mooc", "app")}),
])
def test_plain_words_become_filters_and_are_not_searched(text, expected):
    for parse in (g.parse_command, g.parse_message):
        assert fields_of(parse(text).query, *expected) == expected


@pytest.mark.parametrize("text,keywords", [
    ("apprendre l'anglais", "anglais"), ("learn English", "english"), ("cours de français", "français"),
    ("python course", "python"), ("une formation sql", "sql"), ("Python 3", "python 3"),
    ("I'd like to learn python, please!", "python"), ("node.js?", "node.js"),
])
def test_a_language_or_a_generic_word_without_a_filter_phrase_is_a_topic_or_dropped(text, keywords):
    query = g.parse_message(text).query
    assert (query.keywords, query.languages, query.types) == (keywords, (), ())


def test_a_written_filter_wins_over_the_same_filter_in_words():
    query = g.parse_command("python videos under 1h in French type:podcast max:3h lang:en level:advanced "
                            "for beginners").query
    assert fields_of(query, "keywords", "types", "max_minutes", "languages", "level") == {
        "keywords": "python", "types": ("podcast",), "max_minutes": 180, "languages": ("en",), "level": "advanced"}


@pytest.mark.parametrize("text,minutes", [("python max:2 hours", 120), ("python max:90 minutes", 90),
                                          ("python min:1 h max:3h", 60)])
def test_a_unit_word_after_a_written_duration_is_read(text, minutes):
    query = g.parse_command(text).query
    assert query.keywords == "python"
    assert minutes in (query.max_minutes, query.min_minutes)


def test_type_course_is_only_the_written_filter():
    assert g.parse_command("python type:course").query.types == ("course",)
    assert g.parse_command("python courses").query.types == ()


@pytest.mark.parametrize("text", ["🐍🐍", "???", "… !", "I want to learn", "videos in French under 2 hours"])
def test_nothing_to_search_asks_what_the_person_wants_to_learn(text):
    for parse in (g.parse_command, g.parse_message):
        with pytest.raises(UsageError, match="what you want to learn"):
            parse(text)


def test_commands_keep_their_meaning_beside_plain_words():
    assert g.parse_command("more 2") == g.More(page=1)
    assert g.parse_command("save 3") == g.Save("3")
    assert g.parse_message("enroll catalog:python-tutorial") == g.Enroll("catalog:python-tutorial")


@given(st.integers(min_value=1, max_value=600),
       st.sampled_from(["under {} minutes", "less than {} min", "no more than {}m", "at most {} minutes",
                        "moins de {} minutes", "au plus {} min", "en moins de {} minutes"]))
def test_any_stated_maximum_in_minutes_is_read_exactly(minutes, phrase):
    query = g.parse_message(f"python {phrase.format(minutes)}").query
    assert (query.keywords, query.max_minutes, query.min_minutes) == ("python", minutes, None)


@given(st.integers(min_value=1, max_value=20), st.integers(min_value=0, max_value=59))
def test_any_hours_and_minutes_are_read_exactly(hours, minutes):
    written = f"{hours}h{minutes:02d}" if minutes else f"{hours} hours"
    assert g.parse_message(f"docker at least {written}").query.min_minutes == hours * 60 + minutes


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
@settings(max_examples=300, deadline=None)
def test_the_search_parser_only_ever_refuses_with_a_usage_error(text):
    try:
        search = g.parse_search(text)
    except UsageError as error:
        assert error.message
    else:
        assert search.query.keywords and search.query.keywords == search.query.keywords.lower()


@given(st.lists(st.sampled_from(["python", "videos", "in", "French", "under", "2", "hours", "between", "and",
                                 "for", "beginners", "max:1h", "min:", "court", "moins", "de", "heure", "1h30",
                                 "type:video", "on", "LinkedIn", "l'anglais", "C++", "🐍", "-", "à", "et"]),
                max_size=12))
@settings(max_examples=300, deadline=None)
def test_any_mix_of_filter_words_parses_or_is_refused_with_a_usage_error(words):
    try:
        g.parse_search(" ".join(words))
    except UsageError as error:
        assert error.message


# --- what was understood -------------------------------------------------------------------

def test_the_understood_line_lists_keywords_then_each_filter():
    query = g.parse_message("python videos in French under 2 hours for beginners").query
    assert g.describe(query) == "python · video · French · at most 2 h · beginner"
    assert [part.key for part in g.understood(query)] == ["keywords", "types", "languages", "max_minutes", "level"]


def test_the_understood_line_names_providers_with_the_labels_given():
    query = g.parse_command("rust provider:learnflow min:1h30 sort:random").query
    assert g.describe(query, {"learnflow": "LearnFlow Academy"}) == \
        "rust · on LearnFlow Academy · at least 1 h 30 · random order"


@pytest.mark.parametrize("key", g.REMOVABLE)
def test_without_drops_exactly_one_filter(key):
    query = g.parse_command("python type:video lang:fr provider:catalog min:30m max:2h level:beginner "
                            "sort:random").query
    dropped = g.without(query, key)
    assert key not in [part.key for part in g.understood(dropped)]
    assert [part.key for part in g.understood(dropped)] == [p.key for p in g.understood(query) if p.key != key]


@pytest.mark.parametrize("key", ["keywords", "limit", "nonsense"])
def test_without_refuses_what_is_not_a_filter(key):
    with pytest.raises(UsageError, match="not a filter"):
        g.without(g.parse_command("python type:video").query, key)


@pytest.mark.parametrize("text", ["python under 0 minutes", "python 99999 hours", "sql between 0 and 0 hours"])
def test_a_length_said_in_words_out_of_range_is_refused_with_the_plain_form(text):
    with pytest.raises(UsageError, match="under 2 hours"):
        g.parse_message(text)


def test_a_written_length_in_days_or_weeks_is_refused_with_the_right_form():
    with pytest.raises(UsageError, match="minutes or hours"):
        g.parse_command("python max:2 weeks")


@pytest.mark.parametrize("text,keywords", [
    ("Je voudrais apprendre le machine learning s'il vous plaît", "machine learning"),
    ("...python", "python"), (".NET.", ".net"), ("«docker»", "docker"), ("intro-to rust", "rust"),
    ("Could you recommend something on kubernetes?", "kubernetes"), ("what is git", "git"),
])
def test_filler_words_and_edge_punctuation_are_not_searched(text, keywords):
    assert g.parse_message(text).query.keywords == keywords
