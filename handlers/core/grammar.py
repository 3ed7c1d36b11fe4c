"""The `/learn` grammar and the plain-words grammar of direct messages.

Pure functions: text in, a typed command out, or a `UsageError` that says what was wrong
and the right form. The Slack listeners and the terminal adapter share them.
"""

from __future__ import annotations

import difflib
import re
import shlex
import unicodedata
from dataclasses import dataclass, field, fields, replace

from handlers.core.errors import UsageError
from handlers.core.formatting import format_minutes
from providers.model import LEVELS, SORTS, TYPES, SearchQuery

MAX_TEXT = 1000
MAX_KEYWORDS = 200
MAX_MINUTES = 10000 * 60
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DURATION_FORMS = "`30m`, `2h`, `2 hours` or `1h30`"
SEARCH_FORM = ("`/learn <keywords> [type:video|mooc|podcast|app|course] [lang:en|fr|…] "
               "[provider:NAME] [max:DURATION] [min:DURATION] "
               "[level:beginner|intermediate|advanced] [sort:best|random]`")


@dataclass(frozen=True)
class Search:
    """A search; `with_preferences` is False when the query is one learnbot made (a
    "without" or suggestion button) and already holds the person's preferences."""

    query: SearchQuery
    text: str
    with_preferences: bool = True


@dataclass(frozen=True)
class More:
    search_id: int | None = None
    page: int | None = None


@dataclass(frozen=True)
class Enroll:
    target: str
    confirmed: bool = False


@dataclass(frozen=True)
class Save:
    target: str


@dataclass(frozen=True)
class Unsave:
    target: str  # a number in the saved list, or an item id


@dataclass(frozen=True)
class Saved:
    pass


@dataclass(frozen=True)
class Enrollments:
    pass


@dataclass(frozen=True)
class Connect:
    provider: str | None = None


@dataclass(frozen=True)
class Disconnect:
    provider: str


@dataclass(frozen=True)
class Providers:
    pass


@dataclass(frozen=True)
class Prefs:
    changes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Progress:
    pass


@dataclass(frozen=True)
class Digest:
    mode: str = "status"


@dataclass(frozen=True)
class ForgetMe:
    pass


@dataclass(frozen=True)
class Help:
    topic: str | None = None


Command = (Search | More | Enroll | Save | Unsave | Saved | Enrollments | Connect | Disconnect | Providers
           | Prefs | Progress | Digest | ForgetMe | Help)

HELP_LINES = (
    ("search", f"{SEARCH_FORM} — search every connected provider (`/learn search …` is the same). "
               f"Durations: {DURATION_FORMS}. Plain words work too, in English or French: "
               "`/learn python videos in French under 2 hours for beginners`."),
    ("enroll", "`/learn enroll <result number or id>` — enroll through the provider that supports it"),
    ("save", "`/learn save <result number or id>` — keep an item for later"),
    ("saved", "`/learn saved` — your saved items"),
    ("unsave", "`/learn unsave <number in your saved items or id>` — remove a saved item"),
    ("enrollments", "`/learn enrollments` — your enrollments and their progress"),
    ("more", "`/learn more` — the next page of your last search"),
    ("connect", "`/learn connect [provider]` — connect your own provider credentials"),
    ("disconnect", "`/learn disconnect <provider>` — remove your credentials for a provider"),
    ("providers", "`/learn providers` — what is enabled for this workspace and for you"),
    ("prefs", "`/learn prefs` — edit your preferences; `/learn prefs set topics=python,sql lang=en,fr "
              "types=video,mooc max=2h digest=\"mon 09:00\"` sets them directly; "
              "`lrs_account=NAME` is your account name in your organisation's learning records"),
    ("progress", "`/learn progress` — your learning activity this week"),
    ("digest", "`/learn digest [preview|on|off]` — your weekly digest"),
    ("forget-me", "`/learn forget-me` — delete everything learnbot keeps about you"),
    ("help", "`/learn help` — this help"),
)


def clean(text: str) -> str:
    """Drop control characters, fold unicode compatibility forms and squeeze spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    return re.sub(r"\s+", " ", text).strip()


def check_length(text: str) -> None:
    if len(text) > MAX_TEXT:
        raise UsageError(f"That is {len(text):,} characters; learnbot reads at most {MAX_TEXT:,}. "
                         "Ask with a few keywords, e.g. `/learn python type:video`.")


def parse_command(text: str) -> Command:
    """Parse the text after `/learn`."""
    check_length(text or "")
    text = clean(text)
    if not text:
        return Help()
    head, _, rest = text.partition(" ")
    verb = head.lower()
    rest = rest.strip()
    if verb == "search":
        return parse_search(rest)
    if verb in SUBCOMMANDS and not starts_a_phrase(verb, rest):
        return SUBCOMMANDS[verb](rest)
    if verb in ("?", "-h", "--help"):
        return Help()
    reject_unknown_subcommand(verb, rest)
    return parse_search(text)


def starts_a_phrase(verb: str, rest: str) -> bool:
    """`more than 2 hours of javascript` is a search that starts with a command word."""
    return verb == "more" and rest.lower().startswith("than ")


def reject_unknown_subcommand(verb: str, rest: str) -> None:
    """`/learn unenroll 3` or `/learn enrol` look like commands, not searches: say so."""
    close = difflib.get_close_matches(verb, SUBCOMMANDS, n=1, cutoff=0.75)
    reference = re.fullmatch(r"([a-z]+):\S+", rest)
    looks_like_command = close and (not rest or re.fullmatch(r"\d{1,3}", rest)
                                    or (reference and reference[1] not in FILTERS))
    if looks_like_command:
        hint = f" Did you mean `/learn {close[0]}`?" if close else ""
        raise UsageError(f"`{verb[:30]}` is not a learnbot command.{hint}")


def _no_argument(make):
    def parse(rest: str) -> Command:
        if rest:
            raise UsageError(f"`{make.__name__.lower()}` takes nothing after it; try it alone.")
        return make()
    return parse


def _target(make, name: str, what: str = "result", numbered: str = "your last search"):
    def parse(rest: str) -> Command:
        if not rest or " " in rest:
            raise UsageError(f"Say which {what}: `/learn {name} 2` (a number from {numbered}) "
                             f"or `/learn {name} catalog:python-tutorial` (an id).")
        if not re.fullmatch(r"\d{1,3}|[a-z]+:[\w.:/\-@]{1,200}", rest):
            raise UsageError(f"`{rest[:40]}` is not a result number or id. "
                             f"Use `/learn {name} 2` or `/learn {name} provider:id`.")
        return make(rest)
    return parse


def _parse_more(rest: str) -> Command:
    if rest and not rest.isdigit():
        raise UsageError("`/learn more` takes nothing, or a page number: `/learn more 3`.")
    return More(page=int(rest) - 1 if rest else None)


def _parse_connect(rest: str) -> Command:
    if rest and not re.fullmatch(r"[a-z]{2,20}", rest.lower()):
        raise UsageError("Name a provider, e.g. `/learn connect learnflow`, or just `/learn connect`.")
    return Connect(rest.lower() or None)


def _parse_disconnect(rest: str) -> Command:
    if not re.fullmatch(r"[a-z]{2,20}", rest.lower()):
        raise UsageError("Name the provider to disconnect, e.g. `/learn disconnect learnflow`.")
    return Disconnect(rest.lower())


def _parse_digest(rest: str) -> Command:
    mode = rest.lower() or "status"
    if mode not in ("status", "preview", "on", "off"):
        raise UsageError(f"`/learn digest` takes `preview`, `on` or `off`, not `{rest[:40]}`.")
    return Digest(mode)


def _parse_help(rest: str) -> Command:
    return Help(rest.lower() or None)


def _parse_prefs(rest: str) -> Command:
    if not rest:
        return Prefs()
    verb, _, assignments = rest.partition(" ")
    if verb.lower() != "set" or not assignments.strip():
        raise UsageError("`/learn prefs` shows your preferences; `/learn prefs set topics=python,sql "
                         "lang=en,fr types=video,mooc max=2h digest=\"mon 09:00\"` changes them.")
    return Prefs(parse_pref_assignments(assignments))


SUBCOMMANDS = {
    "enroll": _target(Enroll, "enroll"),
    "save": _target(Save, "save"),
    "unsave": _target(Unsave, "unsave", "saved item", "`/learn saved`"),
    "saved": _no_argument(Saved),
    "enrollments": _no_argument(Enrollments),
    "more": _parse_more,
    "connect": _parse_connect,
    "disconnect": _parse_disconnect,
    "providers": _no_argument(Providers),
    "prefs": _parse_prefs,
    "progress": _no_argument(Progress),
    "digest": _parse_digest,
    "forget-me": _no_argument(ForgetMe),
    "help": _parse_help,
}


def parse_duration(value: str, name: str = "max") -> int:
    """`30m`, `45min`, `2h`, `2 hours`, `1h30`, `1h30m`, `90` (minutes) → minutes."""
    value = value.strip().lower().replace(" ", "")
    match = re.fullmatch(r"(?:(\d{1,3})(?:hours?|hrs?|heures?|h))?(?:(\d{1,4})(?:minutes?|mins?|mn|m)?)?", value)
    if not value or not match or not any(match.groups()):
        raise UsageError(f"`{name}:{value[:20]}` is not a duration; use {DURATION_FORMS}.")
    hours, minutes = (int(g) if g else 0 for g in match.groups())
    total = hours * 60 + minutes
    if total <= 0 or total > MAX_MINUTES:
        raise UsageError(f"`{name}:{value}` is out of range; use {DURATION_FORMS}.")
    return total


def parse_language(value: str) -> str:
    value = value.strip().lower()
    value = LANGUAGE_NAMES.get(value, value)
    if not re.fullmatch(r"[a-z]{2}", value):
        raise UsageError(f"`lang:{value[:20]}` is not a language; use a two-letter code such as "
                         "`lang:en` or `lang:fr`.")
    return value


def parse_type(value: str) -> str:
    value = value.strip().lower()
    value = TYPE_WORDS.get(value) or GENERIC_TYPE_WORDS.get(value) or value
    if value not in TYPES:
        raise UsageError(f"`type:{value[:20]}` is not a type; use one of {', '.join(TYPES)}.")
    return value


def parse_level(value: str) -> str:
    value = LEVEL_WORDS.get(value.lower(), value.lower())
    if value not in LEVELS:
        raise UsageError(f"`level:{value[:20]}` is not a level; use one of {', '.join(LEVELS)}.")
    return value


def parse_sort(value: str) -> str:
    if value.lower() not in SORTS:
        raise UsageError(f"`sort:{value[:20]}` is not a sort order; use `sort:best` or `sort:random`.")
    return value.lower()


def parse_provider(value: str) -> str:
    if not re.fullmatch(r"[a-z]{2,20}", value.lower()):
        raise UsageError(f"`provider:{value[:20]}` is not a provider name; `/learn providers` lists them.")
    return value.lower()


FILTERS = ("type", "lang", "provider", "max", "min", "level", "sort")


def parse_search(text: str) -> Search:
    """`/learn` keywords and direct messages alike → a `Search`.

    `python videos in French under 2 hours` and `python type:video lang:fr max:2h` are the same
    search. A `key:value` filter wins over the same filter said in words, and the words that
    said a filter are not searched. The words left are normalised by `normalise_keywords`.
    """
    text = clean(text)
    given, rest = take_filter_tokens(text)
    said, rest = understand_words(rest)
    found = {name: given[name] or said[name] for name in FILTERS}
    keywords = normalise_keywords(rest)
    if not keywords:
        raise UsageError("Say what you want to learn, e.g. `/learn python type:video` or "
                         f"\"python videos in French under 2 hours\". Form: {SEARCH_FORM}")
    return Search(_query(keywords, found), text)


def take_filter_tokens(text: str) -> tuple[dict[str, list[str]], str]:
    """Split `key:value` filters from the other words; `max:2 hours` reads the unit after the number."""
    found: dict[str, list[str]] = {name: [] for name in FILTERS}
    words: list[str] = []
    if wrong_unit := LENGTH_IN_DAYS.search(text):
        raise UsageError(f"`{wrong_unit[0][:30]}`: lengths are in minutes or hours, e.g. `max:2h`, "
                         f"`max:2 hours` or `max:90m`.")
    for token in LENGTH_WITH_UNIT.sub(r"\1\2", text).split(" "):
        name, sep, value = token.partition(":")
        name = name.lower()
        if sep and name in FILTERS:
            if not value:
                raise UsageError(f"`{token[:30]}` needs a value, e.g. `{name}:…`. {SEARCH_FORM}")
            found[name].extend(v for v in value.split(",") if v)
        elif sep and value and re.fullmatch(r"[A-Za-z]{2,12}", name):
            raise UsageError(f"`{name[:12]}:` is not a filter; the filters are type:, lang:, provider:, "
                             f"max:, min:, level: and sort:. Form: {SEARCH_FORM}")
        elif token:
            words.append(token)
    return found, " ".join(words)


def _query(keywords: str, found: dict[str, list[str]]) -> SearchQuery:
    if len(keywords) > MAX_KEYWORDS:
        raise UsageError(f"Those keywords are {len(keywords)} characters; keep them under {MAX_KEYWORDS}.")
    if len(found["max"]) > 1 or len(found["min"]) > 1 or len(found["level"]) > 1 or len(found["sort"]) > 1:
        raise UsageError("Give `max:`, `min:`, `level:` and `sort:` once each.")
    max_minutes = parse_duration(found["max"][0], "max") if found["max"] else None
    min_minutes = parse_duration(found["min"][0], "min") if found["min"] else None
    if max_minutes is not None and min_minutes is not None and min_minutes > max_minutes:
        raise UsageError(f"The shortest length you asked for ({format_minutes(min_minutes)}) is longer than "
                         f"the longest ({format_minutes(max_minutes)}); swap them, e.g. `min:30m max:2h`.")
    return SearchQuery(
        keywords=keywords,
        types=_unique(parse_type(v) for v in found["type"]),
        languages=_unique(parse_language(v) for v in found["lang"]),
        providers=_unique(parse_provider(v) for v in found["provider"]),
        max_minutes=max_minutes,
        min_minutes=min_minutes,
        level=parse_level(found["level"][0]) if found["level"] else None,
        sort=parse_sort(found["sort"][0]) if found["sort"] else "best",
    )


def _unique(values) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


# --- plain words, English and French -------------------------------------------------------
# Each table maps what people write to the filter value. The phrases are read on lower-cased
# text, longest first, and replaced by a space so their words are not searched.

LANGUAGE_NAMES = {  # the languages of Slack's locales (and Dutch), in English and in French
    "english": "en", "anglais": "en", "french": "fr", "francais": "fr", "français": "fr",
    "german": "de", "allemand": "de", "spanish": "es", "espagnol": "es", "italian": "it",
    "italien": "it", "portuguese": "pt", "portugais": "pt", "japanese": "ja", "japonais": "ja",
    "korean": "ko", "coréen": "ko", "coreen": "ko", "chinese": "zh", "chinois": "zh", "mandarin": "zh",
    "hindi": "hi",
    "dutch": "nl", "néerlandais": "nl", "neerlandais": "nl",
}
LANGUAGE_LABELS = {"en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian",
                   "pt": "Portuguese", "ja": "Japanese", "ko": "Korean", "zh": "Chinese", "hi": "Hindi",
                   "nl": "Dutch"}
TYPE_WORDS = {
    "video": "video", "videos": "video", "vidéo": "video", "vidéos": "video",
    "mooc": "mooc", "moocs": "mooc", "podcast": "podcast", "podcasts": "podcast", "balado": "podcast",
    "balados": "podcast", "app": "app", "apps": "app", "appli": "app", "applis": "app",
}
# Said in words these mean "something to learn from", not the type `course`: they are not searched.
GENERIC_TYPE_WORDS = {"course": "course", "courses": "course", "cours": "course", "formation": "course",
                      "formations": "course", "application": "app", "applications": "app"}
LEVEL_WORDS = {
    "beginner": "beginner", "beginners": "beginner", "introduction": "beginner", "intro": "beginner",
    "introductory": "beginner", "débutant": "beginner", "débutants": "beginner", "débutante": "beginner",
    "débutantes": "beginner", "debutant": "beginner", "debutants": "beginner",
    "intermediate": "intermediate", "intermédiaire": "intermediate", "intermédiaires": "intermediate",
    "intermediaire": "intermediate", "advanced": "advanced", "avancé": "advanced", "avancés": "advanced",
    "avancée": "advanced", "avancées": "advanced", "avance": "advanced",
}
PROVIDER_NAMES = {"linkedin": "linkedin", "linkedin learning": "linkedin", "inokufu": "inokufu",
                  "learnflow": "learnflow", "learnifier": "learnifier", "catalog": "catalog",
                  "catalogue": "catalog"}
PROVIDER_LABELS = {"linkedin": "LinkedIn Learning", "inokufu": "Inokufu", "learnflow": "LearnFlow",
                   "learnifier": "Learnifier", "catalog": "the catalog"}
SHORT_WORDS = ("short", "quick", "court", "courte", "courts", "courtes")
SHORT_MINUTES = 30  # "short" and "quick" mean at most this long
STOPWORDS = frozenset("""
    i i'm i'd me my want wanna would like to learn about some any a an the for please find show search
    looking look with on of and or in into at by from how what is are can you give get getting started
    could need something new online teach recommend good course courses tutorial tutorials lesson lessons
    training application applications
    je j moi veux voudrais aimerais souhaite cherche trouve trouver montre des de du la le les l d un une
    pour sur en et ou à au aux avec dans apprendre comment que qu quoi quelque chose me m mon ma mes
    son sa ses notre votre leur svp stp cours formation formations tuto tutos tutoriel tutoriels
    leçon leçons ligne initier il vous plaît plait
""".split())

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty-five": 45,
    "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "un": 1, "une": 1, "deux": 2, "trois": 3,
    "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "quinze": 15, "vingt": 20,
    "trente": 30, "quarante-cinq": 45, "quarante": 40, "cinquante": 50, "soixante": 60,
}
_WORDS_END = r"(?![\w])"
NUMBER = r"(?:\d{1,5}(?:[.,]\d{1,2})?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + ")"
HOUR_UNIT = r"(?:hours?|hrs?|heures?|h)(?![a-zà-ÿ])"
MINUTE_UNIT = r"(?:minutes?|mins?|mn|m)" + _WORDS_END
HALF_HOUR = r"(?:half\s+an?\s+hour|a\s+half[-\s]hour|(?:une\s+)?demi[-\s]heure)"
AND_A_HALF = r"(?:and\s+a\s+half|et\s+demie?)"
LENGTH_WITH_UNIT = re.compile(rf"\b((?:max|min):\d{{1,5}}) ({HOUR_UNIT}|{MINUTE_UNIT})", re.IGNORECASE)
LENGTH_IN_DAYS = re.compile(r"\b(?:max|min):\d{1,5} ?(?:days?|weeks?|months?|jours?|semaines?|mois)\b",
                            re.IGNORECASE)


def _duration(named: bool) -> str:
    """A duration: `half an hour`, `2 hours`, `1h30`, `1.5 h`, `an hour and a half`, `90 min`."""
    def group(name: str) -> str:
        return f"?P<{name}>" if named else "?:"
    return (rf"(?:({group('half')}{HALF_HOUR})"
            rf"|({group('hours')}{NUMBER})\s*{HOUR_UNIT}(?:\s*({group('and_a_half')}{AND_A_HALF}))?"
            rf"(?:\s*({group('extra')}\d{{1,2}})(?:\s*{MINUTE_UNIT}|{_WORDS_END}))?"
            rf"|({group('minutes')}{NUMBER})\s*{MINUTE_UNIT})")


DURATION = _duration(named=False)
ONE_DURATION = re.compile(_duration(named=True))
MAX_BEFORE = (r"no\s+more\s+than|not\s+more\s+than|no\s+longer\s+than|less\s+than|shorter\s+than|at\s+most|"
              r"up\s+to|under|below|within|maximum|max|in|en\s+moins\s+d(?:e\s+|')|moins\s+d(?:e\s+|')|"
              r"pas\s+plus\s+d(?:e\s+|')|au\s+plus|au\s+maximum|jusqu'à|en")
MIN_BEFORE = r"at\s+least|more\s+than|longer\s+than|over|minimum|min|au\s+moins|plus\s+d(?:e\s+|')"
MAX_AFTER = r"max(?:imum)?|or\s+less|at\s+most|ou\s+moins|au\s+plus"
MIN_AFTER = r"min(?:imum)?|or\s+more|at\s+least|ou\s+plus|au\s+moins"
BETWEEN = re.compile(
    rf"\b(?:(?:between|entre|from|de)\s+)?(?P<low>{DURATION}|{NUMBER})\s*(?:and|et|to|à|-)\s*(?P<high>{DURATION})")
BOUNDED = re.compile(
    rf"\b(?:(?P<max>{MAX_BEFORE})\s*|(?P<min>{MIN_BEFORE})\s*)?(?<![\w])(?P<duration>{DURATION})"
    rf"(?:\s+(?:(?P<max_after>{MAX_AFTER})|(?P<min_after>{MIN_AFTER})){_WORDS_END})?")
SHORT = re.compile(rf"\b(?:{'|'.join(SHORT_WORDS)}){_WORDS_END}")
_LANGUAGE = "|".join(sorted(map(re.escape, LANGUAGE_NAMES), key=len, reverse=True))
LANGUAGE_PHRASE = re.compile(
    rf"\b(?:in|en)\s+(?:the\s+)?(?:{_LANGUAGE}){_WORDS_END}"
    rf"(?:\s*(?:,|or|and|ou|et)\s*(?:in\s+|en\s+)?(?:{_LANGUAGE}){_WORDS_END})*")
LANGUAGE_WORD = re.compile(rf"(?<![\w])(?:{_LANGUAGE}){_WORDS_END}")
_PROVIDER = "|".join(sorted(map(re.escape, PROVIDER_NAMES), key=len, reverse=True))
PROVIDER_PHRASE = re.compile(
    rf"\b(?:on|from|via|sur|de|du|chez|dans)\s+(?:the\s+|le\s+|la\s+)?(?P<provider>{_PROVIDER}){_WORDS_END}")
_LEVEL = "|".join(sorted(map(re.escape, LEVEL_WORDS), key=len, reverse=True))
LEVEL_PHRASE = re.compile(
    rf"(?<![\w])(?:(?:for|pour)\s+(?:the\s+|les\s+|des\s+)?(?:absolute\s+|complete\s+|total\s+|vrais\s+)?)?"
    rf"(?:level\s+|niveau\s+)?(?P<level>{_LEVEL})(?:[-\s]level|\s+niveau)?{_WORDS_END}")
TYPE_PHRASE = re.compile(  # a type word, or "application(s) mobile(s)" (an app; "application" alone is generic)
    rf"(?<![\w])(?:mobile\s+)?(?P<type>{'|'.join(sorted(TYPE_WORDS, key=len, reverse=True))})"
    rf"(?:\s+mobiles?)?{_WORDS_END}|(?<![\w])applications?\s+mobiles?{_WORDS_END}")
ELISION = re.compile(r"^(?:l|d|j|qu|n|s|c|m|t)'(?=\w)")
LEADING_PUNCTUATION = "\"'«»([{¿¡-–—"  # not ".": `.NET`
LEADING_DOTS = re.compile(r"^\.{2,}")
TRAILING_PUNCTUATION = "\"'«»)]}.,;:!?…-–—"


def understand_words(text: str) -> tuple[dict[str, list[str]], str]:
    """Find the filters said in words; return them and the text without the words that said them."""
    said: dict[str, list[str]] = {name: [] for name in FILTERS}
    rest = text.lower().replace("’", "'")

    def take(name: str, value: str) -> str:
        said[name].append(value)
        return " "

    def take_between(match: re.Match) -> str:
        high, unit = duration_minutes(match["high"])
        low = duration_minutes(match["low"])[0] if ONE_DURATION.fullmatch(match["low"]) \
            else round(_number(match["low"]) * unit)
        take("min", _length(low, match[0]))
        return take("max", _length(high, match[0]))

    def take_bounded(match: re.Match) -> str:
        is_min = match["min"] or match["min_after"]
        return take("min" if is_min else "max", _length(duration_minutes(match["duration"])[0], match[0]))

    rest = BETWEEN.sub(take_between, rest)
    rest = BOUNDED.sub(take_bounded, rest)
    rest = _take_short(rest, said)
    rest = LANGUAGE_PHRASE.sub(
        lambda m: " ".join(take("lang", LANGUAGE_NAMES[w]) for w in LANGUAGE_WORD.findall(m[0])), rest)
    rest = PROVIDER_PHRASE.sub(lambda m: take("provider", PROVIDER_NAMES[re.sub(r"\s+", " ", m["provider"])]),
                               rest)
    rest = LEVEL_PHRASE.sub(lambda m: take("level", LEVEL_WORDS[m["level"]]), rest)
    rest = TYPE_PHRASE.sub(lambda m: take("type", TYPE_WORDS[m["type"]] if m["type"] else "app"), rest)
    for name in ("max", "min", "level", "sort"):
        del said[name][1:]  # said twice in words: the first one counts
    return said, rest


def _length(minutes: int, words: str) -> str:
    if not 0 < minutes <= MAX_MINUTES:
        raise UsageError(f"\"{words[:40]}\" is not a length learnbot can look for; say it like "
                         "\"under 2 hours\", \"at least 30 minutes\" or \"between 1 and 3 hours\".")
    return str(minutes)


def _take_short(text: str, said: dict[str, list[str]]) -> str:
    """`short` and `quick` are a stated default: at most SHORT_MINUTES, unless a length was said."""
    def take(match: re.Match) -> str:
        if not said["max"]:
            said["max"].append(str(SHORT_MINUTES))
        return " "
    return SHORT.sub(take, text)


def duration_minutes(text: str) -> tuple[int, int]:
    """A duration said in words → (minutes, minutes in its unit), e.g. `1h30` → (90, 60)."""
    match = ONE_DURATION.fullmatch(text)
    if match["half"]:
        return 30, 60
    if match["minutes"]:
        return round(_number(match["minutes"])), 1
    minutes = _number(match["hours"]) * 60 + (30 if match["and_a_half"] else 0) + int(match["extra"] or 0)
    return round(minutes), 60


def _number(text: str) -> float:
    return _NUMBER_WORDS.get(text) or float(text.replace(",", "."))


def normalise_keywords(text: str) -> str:
    """The words to search: lower-cased, French elisions (l', d', j'…) and edge punctuation dropped,
    stop words and generic words (course, cours, tutorial…) dropped, tokens without a letter or
    a digit (emoji, punctuation) dropped. Symbols inside a word stay: `C++`, `C#`, `.NET`, `node.js`."""
    words = []
    for token in re.split(r"[\s,;!?]+", text.lower().replace("’", "'")):
        token = LEADING_DOTS.sub("", token.lstrip(LEADING_PUNCTUATION)).rstrip(TRAILING_PUNCTUATION)
        token = ELISION.sub("", token)
        token = re.sub(r"'s$", "", token)
        if token and token not in STOPWORDS and any(c.isalnum() for c in token):
            words.append(token)
    return " ".join(words)


# --- what was understood ------------------------------------------------------------------


@dataclass(frozen=True)
class Understood:
    """One part of what a search was understood as: its words and the SearchQuery field it sets."""

    key: str  # a SearchQuery field: keywords, types, languages, providers, max_minutes, min_minutes, level, sort
    text: str


REMOVABLE = ("types", "languages", "providers", "max_minutes", "min_minutes", "level", "sort")


def understood(query: SearchQuery, provider_labels: dict[str, str] | None = None) -> list[Understood]:
    """`python · video · French · at most 2 h · beginner`: the parts, in that order.

    Every part but the keywords is a filter `without` can remove (a "search again without" button)."""
    labels = {**PROVIDER_LABELS, **(provider_labels or {})}
    parts = [Understood("keywords", query.keywords)] if query.keywords else []
    if query.types:
        parts.append(Understood("types", " or ".join(query.types)))
    if query.languages:
        parts.append(Understood("languages", " or ".join(LANGUAGE_LABELS.get(c, c) for c in query.languages)))
    if query.providers:
        parts.append(Understood("providers", "on " + " or ".join(labels.get(p, p) for p in query.providers)))
    if query.min_minutes is not None:
        parts.append(Understood("min_minutes", f"at least {format_minutes(query.min_minutes)}"))
    if query.max_minutes is not None:
        parts.append(Understood("max_minutes", f"at most {format_minutes(query.max_minutes)}"))
    if query.level:
        parts.append(Understood("level", query.level))
    if query.sort != "best":
        parts.append(Understood("sort", f"{query.sort} order"))
    return parts


def describe(query: SearchQuery, provider_labels: dict[str, str] | None = None) -> str:
    """The understood parts on one line, joined by ` · `."""
    return " · ".join(part.text for part in understood(query, provider_labels))


def without(query: SearchQuery, key: str) -> SearchQuery:
    """The same search without one filter (the `key` of an `Understood` part)."""
    if key not in REMOVABLE:
        raise UsageError(f"`{key[:30]}` is not a filter a search can drop; the filters are {', '.join(REMOVABLE)}.")
    default = next(f.default for f in fields(SearchQuery) if f.name == key)
    return replace(query, **{key: default})

def parse_message(text: str) -> Command:
    """Understand a direct message: a command word first, else a search in plain words."""
    check_length(text or "")
    text = clean(text)
    if not text:
        return Help()
    head = text.split(" ", 1)[0].lower().lstrip("/")
    if head == "learn":
        return parse_command(text.split(" ", 1)[1] if " " in text else "")
    if head in SUBCOMMANDS or head in ("search", "?"):
        return parse_command(text)
    return parse_search(text)


# --- preferences ---------------------------------------------------------------------------

PREF_KEYS = {"topics", "lang", "langs", "languages", "types", "type", "providers", "max", "digest",
             "lrs_account"}
PREFS_FORM = ("`/learn prefs set topics=python,sql lang=en,fr types=video,mooc max=2h "
              "digest=\"mon 09:00\" lrs_account=NAME`")
MAX_ACCOUNT = 200


def parse_pref_assignments(text: str) -> dict:
    """`topics=python,sql lang=en,fr max=2h digest="mon 09:00"` → a dict of validated changes."""
    try:
        tokens = shlex.split(text)
    except ValueError:
        raise UsageError(f"A quote is not closed. Form: {PREFS_FORM}") from None
    changes: dict = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        key = key.lower()
        if not sep or key not in PREF_KEYS:
            raise UsageError(f"`{token[:40]}` is not a preference. Use topics=, lang=, types=, "
                             f"providers=, max=, digest= or lrs_account=. Form: {PREFS_FORM}")
        values = [v.strip() for v in value.split(",") if v.strip()]
        if key == "topics":
            if len(values) > 10 or any(len(v) > 50 for v in values):
                raise UsageError("Give at most 10 topics of at most 50 characters each.")
            changes["topics"] = tuple(dict.fromkeys(v.lower() for v in values))
        elif key in ("lang", "langs", "languages"):
            changes["languages"] = _unique(parse_language(v) for v in values)
        elif key in ("types", "type"):
            changes["types"] = _unique(parse_type(v) for v in values)
        elif key == "providers":
            changes["providers"] = _unique(parse_provider(v) for v in values)
        elif key == "max":
            changes["max_minutes"] = None if value.lower() in ("", "none", "any") else parse_duration(value)
        elif key == "digest":
            changes.update(parse_digest_schedule(value))
        elif key == "lrs_account":
            changes["lrs_account"] = parse_lrs_account(value)
    return changes


def parse_lrs_account(value: str) -> str | None:
    """The person's account name in the learning record store; `none` clears it."""
    value = value.strip()
    if value.lower() in ("", "none"):
        return None
    if len(value) > MAX_ACCOUNT or any(c.isspace() for c in value):
        raise UsageError(f"`lrs_account` is the account name your learning platform shows for you, "
                         f"without spaces and at most {MAX_ACCOUNT} characters, e.g. `lrs_account=jdupont`; "
                         "`lrs_account=none` clears it.")
    return value


def parse_digest_schedule(value: str) -> dict:
    """`mon 09:00` → {"digest_day": 0, "digest_time": "09:00", "digest_enabled": True}; `off` turns it off."""
    value = value.strip().lower()
    if value in ("off", "no", "none"):
        return {"digest_enabled": False}
    match = re.fullmatch(r"([a-z]{3})[a-z]*\s+(\d{1,2}):(\d{2})", value)
    if not match or match[1] not in DAYS or int(match[2]) > 23 or int(match[3]) > 59:
        raise UsageError(f"`digest={value[:30]}` is not a schedule; use a day and a 24-hour time, "
                         "e.g. `digest=\"mon 09:00\"` or `digest=\"fri 16:30\"`, or `digest=off`.")
    return {"digest_day": DAYS.index(match[1]), "digest_time": f"{int(match[2]):02d}:{match[3]}",
            "digest_enabled": True}
