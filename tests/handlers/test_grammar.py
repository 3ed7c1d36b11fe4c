"""The /learn grammar and the plain-words grammar of direct messages."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers import grammar as g
from handlers.errors import UsageError


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
