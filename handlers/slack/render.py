"""Replies as Slack messages, built with `slack_sdk.models.blocks`.

`to_dict()` on each block runs slack_sdk's validators, so a message that Slack would
reject (text too long, too many elements) fails here, where it is made.
"""

from __future__ import annotations

from functools import singledispatch

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    ImageElement,
    MarkdownTextObject,
    SectionBlock,
)

from handlers.core.render_text import facts, plain, status_line
from handlers.core.replies import Confirm, ItemList, Notice, Numbered, OpenForm, Problem, ResultsPage
from handlers.slack.ids import Action

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
TITLE_LIMIT = 200
DESCRIPTION_LIMIT = 280
FACTS_LIMIT = 300


def shorten(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message(blocks: list[Block], text: str) -> dict:
    """A message payload; raises if the blocks break Slack's limits."""
    if len(blocks) > MAX_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks exceed Slack's {MAX_BLOCKS} per message")
    return {"text": shorten(plain(text), SECTION_LIMIT), "blocks": [b.to_dict() for b in blocks]}


def truncate(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters, keeping its line breaks (unlike `shorten`)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)))


@singledispatch
def render_slack(reply) -> dict:  # pragma: no cover
    raise TypeError(f"no Slack renderer for {type(reply).__name__}")


@render_slack.register
def _notice(reply: Notice) -> dict:
    body = "\n".join([reply.text, *reply.lines])
    blocks: list[Block] = [section(body)]
    if reply.chart:
        blocks.append(section(f"```{reply.chart}```"))
    return message(blocks, reply.text)


@render_slack.register
def _problem(reply: Problem) -> dict:
    return message([section(f":warning: {reply.text}")], reply.text)


def item_blocks(entry: Numbered, *, actions: bool = True) -> list[Block]:
    item = entry.item
    title = escape(shorten(item.title, TITLE_LIMIT))
    lines = [f"*{entry.number}. <{item.url}|{title}>*", escape(shorten(" · ".join(facts(item)), FACTS_LIMIT))]
    if item.description:
        lines.append(escape(shorten(item.description, DESCRIPTION_LIMIT)))
    if entry.note:
        lines.append(f"_{escape(shorten(entry.note, FACTS_LIMIT))}_")
    accessory = ImageElement(image_url=item.image, alt_text=shorten(item.title, 100)) if item.image else None
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text="\n".join(lines)), accessory=accessory)]
    if actions:
        blocks.append(ActionsBlock(elements=item_buttons(entry)))
    return blocks


def item_buttons(entry: Numbered) -> list[ButtonElement]:
    item = entry.item
    buttons = [
        ButtonElement(text="Open", action_id=Action.OPEN, url=item.url, value=item.ref),
        ButtonElement(text="Save", action_id=Action.SAVE, value=item.ref),
    ]
    if item.enrollable:
        label = f"Enroll ({item.price})" if item.is_paid else "Enroll"
        buttons.append(ButtonElement(text=shorten(label, 75), action_id=Action.ENROLL, value=item.ref,
                                     style="primary"))
    return buttons


@render_slack.register
def _results(reply: ResultsPage) -> dict:
    header = f"*Results for “{escape(shorten(reply.query_text, 150))}”* — page {reply.page + 1} of {reply.pages}"
    blocks: list[Block] = [section(header)]
    if not reply.entries:
        blocks.append(section("Nothing matched. Try fewer words or fewer filters."))
    for entry in reply.entries:
        blocks.extend(item_blocks(entry))
    context = [status_line(reply), *reply.skipped, *reply.notes]
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=shorten(escape(line), 3000))
                                         for line in context[:10]]))
    if reply.has_more:
        blocks.append(ActionsBlock(elements=[ButtonElement(
            text="More", action_id=Action.MORE, value=f"{reply.search_id}:{reply.page + 1}")]))
    return message(blocks, f"{reply.total} results for {reply.query_text}")


@render_slack.register
def _item_list(reply: ItemList) -> dict:
    if not reply.entries:
        empty = f"{reply.empty_text} Press *{reply.filled_by.capitalize()}* on a result." if reply.filled_by \
            else reply.empty_text
        return message([section(empty)], empty)
    blocks: list[Block] = [section(f"*{reply.title}*")]
    shown = reply.entries[: (MAX_BLOCKS - 2) // 2]
    for entry in shown:
        blocks.extend(item_blocks(entry, actions=reply.actions))
    if len(shown) < len(reply.entries):
        blocks.append(section(f"…and {len(reply.entries) - len(shown)} more in the App Home."))
    return message(blocks, reply.title)


@render_slack.register
def _confirm(reply: Confirm) -> dict:
    confirm = ButtonElement(
        text=shorten(reply.confirm_label, 75), action_id=Action.CONFIRM,
        value=f"{reply.action}:{reply.value}", style="danger" if reply.danger else "primary",
        confirm=ConfirmObject(title="Are you sure?", text=shorten(plain(reply.text), 300),
                              confirm="Yes", deny="No") if reply.danger else None)
    cancel = ButtonElement(text="Cancel", action_id=Action.CANCEL, value=reply.action)
    return message([section(reply.text), ActionsBlock(elements=[confirm, cancel]), DividerBlock()], reply.text)


@render_slack.register
def _open_form(reply: OpenForm) -> dict:
    return message([section(reply.fallback)], reply.fallback)
