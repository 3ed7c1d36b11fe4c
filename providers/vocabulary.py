"""Words that mean the same thing, and help with words that are mistyped.

`EQUIVALENTS` lists abbreviations, synonyms and English↔French topic pairs; a search for
any member of a set also finds the others ("ML" finds "machine learning" and
"apprentissage automatique"). `expand()` turns the words of a query into groups of
alternatives for `store.catalog.search_catalog`. `Speller` suggests a known word for an
unknown one, from the catalog's words and the words of recent provider results.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from cachetools import LRUCache

from providers.model import LearningObject
from store.catalog import STEMMERS, query_words

# Abbreviations and synonyms. Each line is one set of equivalent terms.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("ml", "machine learning", "apprentissage automatique"),
    ("ai", "ia", "artificial intelligence", "intelligence artificielle"),
    ("dl", "deep learning", "apprentissage profond"),
    ("nlp", "natural language processing", "traitement du langage naturel"),
    ("js", "javascript"),
    ("ts", "typescript"),
    ("py", "python"),
    ("k8s", "kubernetes"),
    ("ux", "user experience", "expérience utilisateur"),
    ("ui", "user interface", "interface utilisateur"),
    ("pm", "project management", "gestion de projet"),
    ("sql", "structured query language"),
    ("db", "database", "base de données"),
    ("data science", "data analysis", "science des données", "analyse de données"),
    ("cplusplus", "cpp"),
    ("csharp", "dotnet"),
    ("security", "cybersecurity", "sécurité", "cybersécurité"),
    ("pentest", "penetration testing", "test d'intrusion"),
    ("vcs", "version control", "gestion de versions"),
    ("excel", "spreadsheet", "tableur"),
    ("ci", "continuous integration", "intégration continue"),
    ("regex", "regexp", "regular expressions", "expressions régulières"),
)

# English ↔ French topic pairs (the same idea, written in each language).
TRANSLATIONS: tuple[tuple[str, str], ...] = (
    ("programming", "programmation"),
    ("english", "anglais"),
    ("french", "français"),
    ("spanish", "espagnol"),
    ("statistics", "statistiques"),
    ("mathematics", "mathématiques"),
    ("networking", "réseaux"),
    ("containers", "conteneurs"),
    ("algorithms", "algorithmique"),
    ("productivity", "productivité"),
    ("development", "développement"),
    ("languages", "langues"),
    ("history", "histoire"),
    ("economics", "économie"),
    ("philosophy", "philosophie"),
    ("career", "carrière"),
    ("writing", "écriture"),
    ("spelling", "orthographe"),
    ("computer science", "informatique"),
    ("digital", "numérique"),
    ("game", "jeu"),
    ("privacy", "protection des données"),
    ("object oriented programming", "programmation orientée objet"),
    ("entrepreneurship", "entrepreneuriat"),
    ("research", "recherche"),
    ("testing", "tests"),
)

EQUIVALENTS: tuple[tuple[str, ...], ...] = SYNONYMS + TRANSLATIONS
# Words that say a query is written in French (when the person has no language of their own).
FRENCH_WORDS = frozenset(word for _, french in TRANSLATIONS for word in query_words(french)) - frozenset(
    word for english, _ in TRANSLATIONS for word in query_words(english)) | {
    "ia", "apprentissage", "automatique", "profond", "utilisateur", "experience", "gestion", "projet",
    "donnees", "securite", "cybersecurite", "intrusion", "versions", "tableur", "continue", "debutant",
    "debutants", "bases", "developper", "reseau", "base", "langage", "apprendre"}
FRENCH_SMALL_WORDS = frozenset(
    "le la les des du une pour avec sur dans moins plus heure heures entre court rapide "
    "je veux voudrais apprendre comment sans ou et qu est".split())
FOLDED_WORD = re.compile(r"[^\W_]+")
ACCENTED = re.compile(r"[àâçéèêëîïôûùüÿœæ]", re.IGNORECASE)
LONGEST_TERM = 4  # words in the longest term above, after stop words are left out


def guess_language(text: str) -> str:
    """"fr" when `text` (as typed, or its keywords) is French: a French word or an accent;
    else "en": bare technical terms (python, docker) count as English."""
    words = set(FOLDED_WORD.findall(_fold(text or "")))
    return "fr" if words & (FRENCH_WORDS | FRENCH_SMALL_WORDS) or ACCENTED.search(text or "") else "en"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _key(words: Sequence[str], language: str) -> tuple[str, ...]:
    return tuple(STEMMERS[language].stemWords(list(words)))


class Equivalents:
    """Looks up the equivalence set of a word or phrase, compared stemmed in both languages."""

    def __init__(self, sets: Iterable[Sequence[str]] = EQUIVALENTS):
        self._sets: dict[tuple[str, ...], tuple[str, ...]] = {}
        for terms in sets:
            for term in terms:
                words = query_words(term)
                for language in STEMMERS:
                    self._sets.setdefault(_key(words, language), tuple(terms))

    def of(self, words: Sequence[str]) -> tuple[str, ...] | None:
        for language in STEMMERS:
            found = self._sets.get(_key(words, language))
            if found:
                return found
        return None

    def expand(self, words: Sequence[str]) -> list[list[str]]:
        """Groups of alternatives: each word, or each known phrase, with its equivalents.

        `["ml", "for", "python"]` → `[["ml", "machine learning", …], ["python", "py"]]`
        (the longest known phrase wins: "machine learning" is one group, not two).
        """
        groups: list[list[str]] = []
        position = 0
        while position < len(words):
            for size in range(min(LONGEST_TERM, len(words) - position), 0, -1):
                phrase = words[position:position + size]
                terms = self.of(phrase)
                if terms or size == 1:
                    groups.append(list(dict.fromkeys([" ".join(phrase), *(terms or ())])))
                    position += size
                    break
        return groups

    def terms(self) -> set[str]:
        """Every single word in the table (known words for spelling help)."""
        return {word for terms in EQUIVALENTS for term in terms for word in query_words(term)}


class Speller:
    """Suggests a known word for an unknown one: "pyhton" → "python".

    Known words are the catalog's (`catalog_words()`, re-read each time it is asked, so an
    import is seen at once; the catalog caches them), the table above, and the words of the
    last `recent` provider results (`learn`). Words of three letters or fewer are not
    corrected: too many short words are one letter apart.
    """

    MIN_LENGTH = 4
    MIN_SIMILARITY = 0.75

    def __init__(self, catalog_words: Callable[[], Iterable[str]] = frozenset,
                 equivalents: Equivalents | None = None, recent: int = 20_000):
        self._catalog_words = catalog_words
        self._table_words = (equivalents or Equivalents()).terms()
        self._recent: LRUCache[str, None] = LRUCache(maxsize=recent)
        self._seen: LRUCache[str, None] = LRUCache(maxsize=recent)

    def learn(self, items: Iterable[LearningObject]) -> None:
        """Remember the words of provider results (titles and topics), once per item."""
        for item in items:
            if item.ref in self._seen:
                continue
            self._seen[item.ref] = None
            for word in query_words(" ".join((item.title, *item.topics))):
                self._recent[word] = None

    def correct(self, word: str) -> str | None:
        """The closest known word to an unknown `word`, or None when it is known or nothing is close."""
        options = self.close(word, limit=1)
        return options[0] if options else None

    def close(self, word: str, limit: int = 3, similarity: float = MIN_SIMILARITY) -> list[str]:
        """Up to `limit` known words close to an unknown `word`, closest first."""
        if len(word) < self.MIN_LENGTH:
            return []
        vocabulary = set(self._catalog_words()) | self._table_words | set(self._recent.keys())
        if word in vocabulary:
            return []
        # Imported here: 15 ms that `learnbot chat` need not pay before its first prompt.
        from rapidfuzz import process
        from rapidfuzz.distance import DamerauLevenshtein

        found = process.extract(word, vocabulary, scorer=DamerauLevenshtein.normalized_similarity,
                                score_cutoff=similarity, limit=limit)
        return [match for match, _, _ in found]
