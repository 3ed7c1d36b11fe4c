"""The `/learn` grammar and the plain-words grammar of direct messages.

Pure functions: text in, a typed command out, or a `UsageError` that says what was wrong
and the right form. The Slack listeners and the terminal adapter share them.
"""

from __future__ import annotations

import difflib
import re
import shlex
import unicodedata
from dataclasses import dataclass, field

from handlers.core.errors import UsageError
from providers.model import LEVELS, SORTS, TYPES, SearchQuery

MAX_TEXT = 1000
MAX_KEYWORDS = 200
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LANGUAGE_NAMES = {
    "english": "en", "anglais": "en", "french": "fr", "francais": "fr", "français": "fr",
    "spanish": "es", "espagnol": "es", "german": "de", "allemand": "de", "italian": "it",
    "italien": "it", "portuguese": "pt", "dutch": "nl",
}
TYPE_WORDS = {
    "video": "video", "videos": "video", "vidéo": "video", "vidéos": "video",
    "mooc": "mooc", "moocs": "mooc", "podcast": "podcast", "podcasts": "podcast",
    "app": "app", "apps": "app", "application": "app", "applications": "app",
    "course": "course", "courses": "course", "cours": "course",
}
DURATION_FORMS = "`30m`, `2h` or `1h30`"
SEARCH_FORM = ("`/learn <keywords> [type:video|mooc|podcast|app|course] [lang:en|fr|…] "
               "[provider:NAME] [max:DURATION] [min:DURATION] "
               "[level:beginner|intermediate|advanced] [sort:best|random]`")


@dataclass(frozen=True)
class Search:
    query: SearchQuery
    text: str


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


Command = (Search | More | Enroll | Save | Saved | Enrollments | Connect | Disconnect | Providers
           | Prefs | Progress | Digest | ForgetMe | Help)

HELP_LINES = (
    ("search", f"{SEARCH_FORM} — search every connected provider (`/learn search …` is the same). "
               f"Durations: {DURATION_FORMS}."),
    ("enroll", "`/learn enroll <result number or id>` — enroll through the provider that supports it"),
    ("save", "`/learn save <result number or id>` — keep an item for later"),
    ("saved", "`/learn saved` — your saved items"),
    ("enrollments", "`/learn enrollments` — your enrollments and their progress"),
    ("more", "`/learn more` — the next page of your last search"),
    ("connect", "`/learn connect [provider]` — connect your own provider credentials"),
    ("disconnect", "`/learn disconnect <provider>` — remove your credentials for a provider"),
    ("providers", "`/learn providers` — what is enabled for this workspace and for you"),
    ("prefs", "`/learn prefs` — edit your preferences; `/learn prefs set topics=python,sql lang=en,fr "
              "types=video,mooc max=2h digest=\"mon 09:00\"` sets them directly"),
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
    if verb in SUBCOMMANDS:
        return SUBCOMMANDS[verb](rest)
    if verb in ("?", "-h", "--help"):
        return Help()
    reject_unknown_subcommand(verb, rest)
    return parse_search(text)


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


def _target(make, name: str):
    def parse(rest: str) -> Command:
        if not rest or " " in rest:
            raise UsageError(f"Say which result: `/learn {name} 2` (a number from your last search) "
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
        raise UsageError("Use `/learn prefs` to open the form, or `/learn prefs set topics=python,sql "
                         "lang=en,fr types=video,mooc max=2h digest=\"mon 09:00\"`.")
    return Prefs(parse_pref_assignments(assignments))


SUBCOMMANDS = {
    "enroll": _target(Enroll, "enroll"),
    "save": _target(Save, "save"),
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
    """`30m`, `45min`, `2h`, `1h30`, `1h30m`, `90` (minutes) → minutes."""
    value = value.strip().lower().replace(" ", "")
    match = re.fullmatch(r"(?:(\d{1,3})h(?:ours?)?)?(?:(\d{1,4})(?:m|min|mins|minutes?)?)?", value)
    if not value or not match or not any(match.groups()):
        raise UsageError(f"`{name}:{value[:20]}` is not a duration; use {DURATION_FORMS}.")
    hours, minutes = (int(g) if g else 0 for g in match.groups())
    total = hours * 60 + minutes
    if total <= 0 or total > 10000 * 60:
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
    value = TYPE_WORDS.get(value.strip().lower(), value.strip().lower())
    if value not in TYPES:
        raise UsageError(f"`type:{value[:20]}` is not a type; use one of {', '.join(TYPES)}.")
    return value


def parse_level(value: str) -> str:
    if value.lower() not in LEVELS:
        raise UsageError(f"`level:{value[:20]}` is not a level; use one of {', '.join(LEVELS)}.")
    return value.lower()


def parse_sort(value: str) -> str:
    if value.lower() not in SORTS:
        raise UsageError(f"`sort:{value[:20]}` is not a sort order; use `sort:best` or `sort:random`.")
    return value.lower()


def parse_provider(value: str) -> str:
    if not re.fullmatch(r"[a-z]{2,20}", value.lower()):
        raise UsageError(f"`provider:{value[:20]}` is not a provider name; `/learn providers` lists them.")
    return value.lower()


FILTERS = {"type", "lang", "provider", "max", "min", "level", "sort"}


def parse_search(text: str) -> Search:
    """`python for data analysis type:video max:2h` → a `Search`."""
    text = clean(text)
    words: list[str] = []
    found: dict[str, list[str]] = {name: [] for name in FILTERS}
    for token in text.split(" "):
        name, sep, value = token.partition(":")
        if sep and name.lower() in FILTERS:
            if not value:
                raise UsageError(f"`{token}` needs a value, e.g. `{name.lower()}:…`. {SEARCH_FORM}")
            found[name.lower()].extend(v for v in value.split(",") if v)
        elif sep and value and re.fullmatch(r"[A-Za-z]{2,12}", name):
            raise UsageError(f"`{name[:12]}:` is not a filter; the filters are type:, lang:, provider:, "
                             f"max:, min:, level: and sort:. Form: {SEARCH_FORM}")
        elif token:
            words.append(token)
    keywords = " ".join(words)
    if not keywords:
        raise UsageError(f"Say what you want to learn, e.g. `/learn python type:video`. Form: {SEARCH_FORM}")
    return Search(_query(keywords, found), text)


def _query(keywords: str, found: dict[str, list[str]]) -> SearchQuery:
    if len(keywords) > MAX_KEYWORDS:
        raise UsageError(f"Those keywords are {len(keywords)} characters; keep them under {MAX_KEYWORDS}.")
    if len(found["max"]) > 1 or len(found["min"]) > 1 or len(found["level"]) > 1 or len(found["sort"]) > 1:
        raise UsageError("Give `max:`, `min:`, `level:` and `sort:` once each.")
    max_minutes = parse_duration(found["max"][0], "max") if found["max"] else None
    min_minutes = parse_duration(found["min"][0], "min") if found["min"] else None
    if max_minutes is not None and min_minutes is not None and min_minutes > max_minutes:
        raise UsageError("`min:` is longer than `max:`; swap them.")
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


# --- plain words (direct messages and the terminal) -------------------------------------

STOPWORDS = {
    "i", "want", "to", "learn", "about", "some", "any", "a", "an", "the", "for", "me", "please",
    "find", "show", "search", "looking", "look", "with", "on", "of", "and", "que", "des", "de",
    "du", "la", "le", "les", "je", "veux", "apprendre", "sur", "en", "un", "une", "pour",
}
DURATION_PHRASE = re.compile(
    r"\b(?P<op>under|less than|below|max(?:imum)?|at most|shorter than|up to|moins de|"
    r"over|more than|at least|longer than|min(?:imum)?|plus de)\s+"
    r"(?P<amount>\d{1,4}(?:[.,]5)?)\s*(?P<unit>h|hrs?|hours?|heures?|m|mins?|minutes?)\b",
    re.IGNORECASE,
)
LANGUAGE_PHRASE = re.compile(
    r"\b(?:in|en)\s+(?P<lang>english|french|fran[cç]ais|anglais|spanish|espagnol|german|allemand|"
    r"italian|italien|portuguese|dutch)\b", re.IGNORECASE)


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
    return parse_plain_search(text)


def parse_plain_search(text: str) -> Search:
    """"python videos in french under 2 hours" → keywords python, video, fr, max 2h."""
    found: dict[str, list[str]] = {name: [] for name in FILTERS}
    rest = text

    def take_duration(match: re.Match) -> str:
        amount = float(match["amount"].replace(",", "."))
        minutes = round(amount * 60) if match["unit"].lower().startswith("h") else round(amount)
        is_max = match["op"].lower() in ("under", "less than", "below", "max", "maximum", "at most",
                                         "shorter than", "up to", "moins de")
        found["max" if is_max else "min"].append(f"{minutes}m")
        return " "

    rest = DURATION_PHRASE.sub(take_duration, rest)
    rest = LANGUAGE_PHRASE.sub(lambda m: found["lang"].append(m["lang"]) or " ", rest)
    words = []
    for token in rest.split():
        lowered = token.lower().strip(",.!?")
        name, sep, value = token.partition(":")
        if sep and name.lower() in FILTERS and value:
            found[name.lower()].extend(value.split(","))
        elif lowered in TYPE_WORDS:
            found["type"].append(TYPE_WORDS[lowered])
        elif lowered in LEVELS:
            found["level"].append(lowered)
        elif lowered in LANGUAGE_NAMES:
            found["lang"].append(lowered)
        elif lowered and lowered not in STOPWORDS:
            words.append(token.strip(",.!?"))
    keywords = " ".join(words)
    if not keywords:
        raise UsageError("Say what you want to learn, e.g. \"python videos in french under 2 hours\", "
                         "or `help` for everything learnbot can do.")
    return Search(_query(keywords, found), text)


# --- preferences ---------------------------------------------------------------------------

PREF_KEYS = {"topics", "lang", "langs", "languages", "types", "type", "providers", "max", "digest"}
PREFS_FORM = ("`/learn prefs set topics=python,sql lang=en,fr types=video,mooc max=2h "
              "digest=\"mon 09:00\"`")


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
                             f"providers=, max= or digest=. Form: {PREFS_FORM}")
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
    return changes


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
