"""Synonyms, translations, spelling help and the language a query is written in."""

import pytest

from providers.vocabulary import Equivalents, Speller, guess_language
from store.catalog import query_words


def groups(text):
    return Equivalents().expand(query_words(text))


def test_each_word_is_a_group_of_itself_and_its_equivalents():
    assert groups("k8s docker") == [["k8s", "kubernetes"], ["docker"]]


@pytest.mark.parametrize("text", ["AI", "IA", "artificial intelligence", "intelligence artificielle"])
def test_an_abbreviation_its_expansion_and_its_translation_give_the_same_terms(text):
    (group,) = groups(text)

    assert set(group) >= {"ai", "ia", "artificial intelligence", "intelligence artificielle"}


def test_the_longest_known_phrase_is_one_group():
    assert [group[0] for group in groups("machine learning data science")] == ["machine learning", "data science"]


def test_plural_forms_find_their_equivalents():
    assert "programmation" in groups("programs")[0] or "programmation" in groups("programming")[0]
    assert "statistiques" in groups("statistic")[0]


def test_french_topics_find_their_english_pair():
    assert groups("l'anglais") == [["anglais", "english"]]


def test_a_typo_is_corrected_to_the_closest_known_word():
    assert Speller(lambda: {"python", "pandas"}).correct("pyhton") == "python"


def test_a_known_word_or_a_word_far_from_any_is_not_corrected():
    speller = Speller(lambda: {"python"})

    assert (speller.correct("python"), speller.correct("zzyzx")) == (None, None)


def test_short_words_are_never_corrected():
    assert Speller(lambda: {"sql"}).correct("sqk") is None


@pytest.mark.parametrize(("text", "language"), [
    ("python", "en"), ("docker for beginners", "en"), ("apprendre python", "fr"), ("sécurité", "fr"),
    ("python en moins d'une heure", "fr"), ("IA", "fr"), ("statistiques", "fr"), ("AI", "en"),
])
def test_guess_language_reads_french_words_and_accents_else_english(text, language):
    assert guess_language(text) == language
