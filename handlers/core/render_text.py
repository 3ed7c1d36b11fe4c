"""Replies as plain terminal text (the `learnbot chat` adapter)."""

from __future__ import annotations

import re
from functools import singledispatch

from handlers.core.formatting import format_minutes
from handlers.core.replies import Confirm, ItemList, Notice, Numbered, OpenForm, Problem, ResultsPage
from providers.model import LearningObject


def plain(text: str) -> str:
    """Slack mrkdwn to plain text: drop `*bold*` and backtick marks, unwrap <url|label> links."""
    text = re.sub(r"<([^|>]+)\|([^>]+)>", r"\2 (\1)", text)
    return text.replace("`", "").replace("*", "")


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` without control characters (line breaks and tabs kept): a provider title carrying
    an escape sequence must not drive the person's terminal."""
    return CONTROL_CHARACTERS.sub("", text)


def terminal(text: str) -> str:
    """A reply's text as the terminal says it: commands as typed here (`/learn saved` is
    `saved`), still between backticks so the screen can set them apart; no mrkdwn bold, and
    <url|label> links unwrapped."""
    text = re.sub(r"<([^|>]+)\|([^>]+)>", r"\2 (\1)", text)
    text = re.sub(r"`/learn ([^`]+)`", r"`\1`", text)
    return text.replace("*", "")


@singledispatch
def render_text(reply) -> str:  # pragma: no cover
    raise TypeError(f"no text renderer for {type(reply).__name__}")


@render_text.register
def _notice(reply: Notice) -> str:
    parts = [terminal(reply.text), *(terminal(line) for line in reply.lines)]
    if reply.chart:
        parts.append(reply.chart)
    return "\n".join(parts)


@render_text.register
def _problem(reply: Problem) -> str:
    return "! " + terminal(reply.text)


def item_lines(entry: Numbered, with_ids: bool = True) -> list[str]:
    item = entry.item
    lines = [f"{entry.number:>2}. {item.title}"]
    lines.append("    " + " · ".join(facts(item)))
    if entry.note:
        lines.append(f"    {entry.note}")
    lines.append(f"    {item.url}")
    if with_ids:
        lines.append(f"    id: {item.ref}")
    return lines


def facts(item: LearningObject) -> list[str]:
    """Provider, type, language, duration, level, price: the facts shown under a title."""
    shown = [item.source or item.provider]
    if item.type:
        shown.append(item.type)
    if item.language:
        shown.append(item.language)
    if item.duration_minutes:
        shown.append(format_minutes(item.duration_minutes))
    if item.level:
        shown.append(item.level)
    if item.is_paid:
        shown.append(str(item.price))
    if item.enrollable:
        shown.append("enrollable")
    return shown


def status_line(reply: ResultsPage) -> str:
    answered = [s.label for s in reply.statuses if s.state == "ok"]
    count = f"more than {reply.total}" if reply.total_is_lower_bound else str(reply.total)
    parts = [f"{count} result{'s' if reply.total != 1 or reply.total_is_lower_bound else ''}"]
    if answered:
        parts.append("from " + ", ".join(answered))
    for status in reply.statuses:
        if status.state == "timeout":
            parts.append(f"{status.label} timed out")
        elif status.state == "error":
            parts.append(f"{status.label} failed: {status.reason}")
    return "; ".join(parts) + "."


def results_preamble(reply: ResultsPage) -> list[str]:
    """The lines under a results header: what was understood, a correction, partial matches."""
    lines = [f"Understood: {reply.understood}"] if reply.understood else []
    if reply.correction:
        lines.append(reply.correction + ".")
    if reply.partial:
        lines.append("Nothing has all of your words; the results marked so have only some of them.")
    return lines


def nothing_found(reply: ResultsPage) -> list[str]:
    if reply.suggestions:
        return ["Nothing matched. You could try:", *(f"• {text}" for text in reply.suggestions)]
    return ["Nothing matched. Try fewer words or fewer filters."]


@render_text.register
def _results(reply: ResultsPage) -> str:
    lines = [f"Results for “{reply.query_text}” (page {reply.page + 1} of {reply.pages}):",
             *results_preamble(reply)]
    if not reply.entries:
        lines.extend(nothing_found(reply))
    for entry in reply.entries:
        lines.extend(item_lines(entry))
    lines.append(status_line(reply))
    lines.extend(terminal(note) for note in reply.notes)
    if reply.has_more:
        lines.append("Type `more` for the next page; `save N` or `enroll N` to act on a result.")
    elif reply.entries:
        lines.append("Type `save N` or `enroll N` to act on a result.")
    return "\n".join(lines)


@render_text.register
def _item_list(reply: ItemList) -> str:
    if not reply.entries:
        hint = f" Type `{reply.filled_by} N` to {reply.filled_by} result N of a search." if reply.filled_by else ""
        return terminal(reply.empty_text) + hint
    lines = [reply.title + ":"]
    for entry in reply.entries:
        lines.extend(item_lines(entry))
    if reply.removable:
        lines.append("Type `unsave N` to remove item N.")
    return "\n".join(lines)


@render_text.register
def _confirm(reply: Confirm) -> str:
    return terminal(reply.text) + "\nType `yes` to confirm, or anything else to cancel."


@render_text.register
def _open_form(reply: OpenForm) -> str:
    """The fallback is already written for a surface without forms: only its mrkdwn goes."""
    return reply.fallback.replace("*", "")
