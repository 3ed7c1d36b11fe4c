"""A digest as one Slack message: Block Kit groups kept or dropped whole within Slack's limits."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from handlers.core.render_text import plain
from handlers.core.replies import Numbered
from handlers.digest.model import TITLE, DigestContent, missing_lines
from handlers.slack.ids import Action
from handlers.slack.render import (
    MAX_BLOCKS,
    SECTION_LIMIT,
    escape,
    item_blocks,
    link,
    render_slack,
    shorten,
    truncate,
    whole_lines,
)

MORE_LINE = "…more in the App Home."
MESSAGE_CHAR_LIMIT = 12_000  # all the text of one message, blocks together


@render_slack.register
def _digest_message(content: DigestContent) -> dict:
    return {"text": shorten(plain(_summary(content)), SECTION_LIMIT),
            "blocks": fit(_body(content), _tail(content))}


def _summary(content: DigestContent) -> str:
    count = len(content.shown_refs)
    return f"{TITLE}: {count} new item{'s' if count != 1 else ''} for you" if count else TITLE


def text_length(blocks: list[dict] | dict | Any) -> int:
    """All the characters of text in `blocks` (every "text" string, however deep)."""
    if isinstance(blocks, list):
        return sum(text_length(value) for value in blocks)
    if isinstance(blocks, dict):
        return sum(len(value) if key == "text" and isinstance(value, str) else text_length(value)
                   for key, value in blocks.items())
    return 0


@dataclass(frozen=True)
class Group:
    """Blocks that are kept or dropped together (an item and its buttons), with the length
    of their text."""

    blocks: tuple[dict, ...]
    chars: int


def _group(*blocks: dict) -> Group:
    return Group(blocks, text_length(list(blocks)))


def _body(content: DigestContent) -> list[Group]:
    """The message in groups, most important first."""
    groups = [_HEADER]
    if content.intro:
        groups.append(_group(_context(escape(content.intro))))
    if content.pick:
        groups.append(_heading(":star: *Pick of the week*", content.pick))
    if content.new_items:
        groups.append(_heading("*New for you*"))
        groups.extend(_item_group(entry) for entry in content.new_items)
    week = content.activity.week
    if week:
        lines = ["*Your week* (the last seven days)", *map(escape, week.lines)]
        groups.append(_group(_section("\n".join(lines)), _section(f"```{escape(week.chart)}```")))
    elif content.activity.week_note:
        groups.append(_group(_context(escape(content.activity.week_note))))
    if content.activity.enrollments:
        groups.append(_group(_section(_in_progress(content.activity.enrollments))))
    return groups


def _in_progress(enrollments: tuple[Numbered, ...]) -> str:
    """The enrollments, one linked line each, cut between whole lines."""
    lines = [f"• {link(e.item.url, shorten(e.item.title, 120))} — _{escape(shorten(e.note, 200))}_"
             for e in enrollments]
    shown = whole_lines(lines, SECTION_LIMIT - 100)
    more = [f"…and {len(lines) - len(shown)} more in the App Home."] if len(shown) < len(lines) else []
    return "\n".join(["*In progress*", *shown, *more])


def _tail(content: DigestContent) -> list[dict]:
    """What every digest ends with, whatever is trimmed: missing sources and the controls."""
    return [*(_context(escape(line)) for line in missing_lines(content)), _CONTROLS]


@lru_cache(maxsize=4096)
def _item_group(entry: Numbered) -> Group:
    return _group(*(block.to_dict() for block in item_blocks(entry)))


@lru_cache(maxsize=64)
def _heading(text: str, entry: Numbered | None = None) -> Group:
    item = _item_group(entry).blocks if entry else ()
    return _group(_section(text), *item)


@lru_cache(maxsize=1024)
def _section(text: str) -> dict:
    """A section of mrkdwn (outside text already escaped) that keeps its line breaks (charts and
    lists), cut to Slack's limit."""
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT))).to_dict()


@lru_cache(maxsize=1024)
def _context(text: str) -> dict:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate(text, SECTION_LIMIT))]).to_dict()


_HEADER = _group(HeaderBlock(text=TITLE).to_dict())


_MORE = _section(MORE_LINE)


_CONTROLS = ActionsBlock(elements=[
    ButtonElement(text="Snooze a week", action_id=Action.DIGEST_SNOOZE),
    ButtonElement(text="Change schedule", action_id=Action.DIGEST_SCHEDULE),
    ButtonElement(text="Stop digests", action_id=Action.DIGEST_STOP),
]).to_dict()


def fit(groups: list[Group], tail: list[dict]) -> list[dict]:
    """Keep whole groups, in order, while the message stays within Slack's limits (50 blocks,
    about 12,000 characters); when something is left out, say where to find the rest."""
    block_budget = MAX_BLOCKS - len(tail) - 1
    char_budget = MESSAGE_CHAR_LIMIT - text_length(tail) - text_length(_MORE)
    kept: list[dict] = []
    chars = 0
    for group in groups:
        chars += group.chars
        if len(kept) + len(group.blocks) > block_budget or chars > char_budget:
            return [*kept, _MORE, *tail]
        kept.extend(group.blocks)
    return [*kept, *tail]
