"""Small formatting helpers shared by actions and both renderers."""

from __future__ import annotations


def format_minutes(minutes: int | None) -> str:
    """90 → "1 h 30", 120 → "2 h", 45 → "45 min"."""
    if minutes is None:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours} h {rest:02d}"
    return f"{hours} h" if hours else f"{rest} min"


LANGUAGE_OPTIONS = {"en": "English", "fr": "French", "es": "Spanish", "de": "German", "it": "Italian",
                    "pt": "Portuguese", "nl": "Dutch"}


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """1 → "1 result", 2 → "2 results"; `nouns` when the plural is not noun + "s"."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"
