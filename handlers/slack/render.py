"""Replies as Slack messages, built with `slack_sdk.models.blocks`.

`to_dict()` on each block runs slack_sdk's validators, so a message that Slack would
reject (text too long, too many elements) fails here, where it is made.

Every text of a reply is escaped here, on its way into mrkdwn: the core writes plain
sentences (its own words around titles, people's input, provider sentences) and never Slack
markup, so escaping the whole sentence escapes every outside part in it, and a new reply
cannot forget to. The only markup in a message is what this module adds: bold, and links
made by `link` from URLs that `web_url` accepts.
"""

from __future__ import annotations

import re
from functools import singledispatch
from urllib.parse import urlsplit

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

from handlers.core.render_text import facts, nothing_found, plain, results_preamble, status_line
from handlers.core.replies import Confirm, ItemList, Notice, Numbered, OpenForm, Problem, ResultsPage
from handlers.slack.ids import Action

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
TITLE_LIMIT = 200
DESCRIPTION_LIMIT = 280
FACTS_LIMIT = 300
BUTTON_URL_LIMIT = 3000  # Slack refuses a longer button url
BUTTON_VALUE_LIMIT = 2000  # and a longer button value
LINK_URL_LIMIT = 1500  # a longer URL would crowd its section (3,000 characters, the whole `<url|label>` counted)
MAX_BUTTONS = 25  # elements in one actions block


def shorten(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escape(text: str) -> str:
    """THE escaping of any text for Slack's mrkdwn: `&`, `<` and `>` become entities, so no
    outside text can mention `<!everyone>`, make a `<url|label>` link or break ours."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """The inverse of `escape`, for the words people type: Slack sends them with `&`, `<` and `>`
    encoded, and learnbot reads (and later escapes) them as typed."""
    return (text or "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def web_url(url: str | None) -> str | None:
    """`url` fit for a link or a button: http(s) with a host, with `|`, `<` and `>` (which would end
    a `<url|label>` link early) percent-encoded; None for anything else (`javascript:`, `data:`…)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or re.search(r"\s", url):
        return None
    return url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")


def link(url: str | None, label: str) -> str:
    """`label` (plain text) as a mrkdwn link to `url`, or as escaped text when the URL is not a
    web address or too long for a link (the Open button still carries one up to 3,000 characters)."""
    safe = web_url(url)
    if safe is None or len(safe) > LINK_URL_LIMIT:
        return escape(label)
    return f"<{safe}|{escape(label)}>"


def button_url(url: str | None) -> str | None:
    safe = web_url(url)
    return safe if safe and len(safe) <= BUTTON_URL_LIMIT else None


def message(blocks: list[Block], text: str) -> dict:
    """A message payload; `text` is the plain fallback (notifications), escaped here like the rest.
    Raises if the blocks break Slack's limits."""
    if len(blocks) > MAX_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks exceed Slack's {MAX_BLOCKS} per message")
    return {"text": escape(shorten(plain(text), SECTION_LIMIT)), "blocks": [b.to_dict() for b in blocks]}


_OPEN_MARKUP = re.compile(r"(<[^>]*|&[a-z]*)$")


def truncate(mrkdwn: str, limit: int) -> str:
    """Cut mrkdwn to `limit` characters, keeping its line breaks (unlike `shorten`), never inside a
    link or an escape sequence: a cut that would split one ends before it."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    return _OPEN_MARKUP.sub("", mrkdwn[: limit - 1]).rstrip() + "…"


def whole_lines(lines: list[str], limit: int) -> list[str]:
    """The first lines that fit, whole, in `limit` characters once joined: a list is cut between
    lines, never inside a link or an escape sequence."""
    kept: list[str] = []
    size = -1
    for line in lines:
        size += len(line) + 1
        if size > limit:
            break
        kept.append(line)
    return kept


def section(mrkdwn: str) -> SectionBlock:
    """A section of mrkdwn built here (outside text already escaped), cut to Slack's limit."""
    return SectionBlock(text=MarkdownTextObject(text=truncate(mrkdwn, SECTION_LIMIT)))


@singledispatch
def render_slack(reply) -> dict:  # pragma: no cover
    raise TypeError(f"no Slack renderer for {type(reply).__name__}")


@render_slack.register
def _notice(reply: Notice) -> dict:
    body = "\n".join(escape(line) for line in [reply.text, *reply.lines])
    blocks: list[Block] = [section(body)]
    if reply.chart:
        blocks.append(section(f"```{escape(reply.chart)}```"))
    return message(blocks, reply.text)


@render_slack.register
def _problem(reply: Problem) -> dict:
    return message([section(f":warning: {escape(reply.text)}")], reply.text)


def item_blocks(entry: Numbered, *, actions: bool = True, removable: bool = False) -> list[Block]:
    item = entry.item
    title = link(item.url, shorten(item.title, TITLE_LIMIT))
    lines = [f"*{entry.number}. {title}*", escape(shorten(" · ".join(facts(item)), FACTS_LIMIT))]
    if item.description:
        lines.append(escape(shorten(item.description, DESCRIPTION_LIMIT)))
    if entry.note:
        lines.append(f"_{escape(shorten(entry.note, FACTS_LIMIT))}_")
    image = button_url(item.image)
    accessory = ImageElement(image_url=image, alt_text=shorten(item.title, 100)) if image else None
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=truncate("\n".join(lines), SECTION_LIMIT)),
                                        accessory=accessory)]
    buttons = item_buttons(entry, removable=removable) if actions else []
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    return blocks


def item_buttons(entry: Numbered, *, removable: bool = False) -> list[ButtonElement]:
    """Open, Save, Enroll (and Unsave in the saved list). A provider id too long for a
    button's value (Slack refuses over 2,000 characters) leaves only Open: `save N`,
    `enroll N` and `unsave N` still reach the item."""
    item = entry.item
    url = button_url(item.url)
    buttons = [ButtonElement(text="Open", action_id=Action.OPEN, url=url)] if url else []
    if len(item.ref) > BUTTON_VALUE_LIMIT:
        return buttons
    buttons.append(ButtonElement(text="Save", action_id=Action.SAVE, value=item.ref))
    if item.enrollable:
        label = f"Enroll ({item.price})" if item.is_paid else "Enroll"
        buttons.append(ButtonElement(text=shorten(label, 75), action_id=Action.ENROLL, value=item.ref,
                                     style="primary"))
    if removable:
        buttons.append(ButtonElement(text="Unsave", action_id=Action.UNSAVE, value=item.ref))
    return buttons


@render_slack.register
def _results(reply: ResultsPage) -> dict:
    header = f"*Results for “{escape(shorten(reply.query_text, 150))}”* — page {reply.page + 1} of {reply.pages}"
    blocks: list[Block] = [section(header)]
    preamble = results_preamble(reply)
    if preamble:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=shorten(escape(line), 3000))
                                             for line in preamble]))
    if reply.filters:
        blocks.append(ActionsBlock(elements=filter_buttons(reply)))
    if not reply.entries:
        blocks.append(section(escape("\n".join(nothing_found(reply)))))
        if reply.suggestions:
            blocks.append(ActionsBlock(elements=suggestion_buttons(reply)))
    for entry in reply.entries:
        blocks.extend(item_blocks(entry))
    context = [status_line(reply), *reply.skipped, *reply.notes]
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=truncate(escape(line), 3000))
                                         for line in context[:10]]))
    if reply.has_more:
        blocks.append(ActionsBlock(elements=[ButtonElement(
            text="More", action_id=Action.MORE, value=f"{reply.search_id}:{reply.page + 1}")]))
    return message(blocks, f"{status_line(reply)} Results for {escape(reply.query_text)}")


def filter_buttons(reply: ResultsPage) -> list[ButtonElement]:
    """One "Without …" button per understood filter: the same search without it."""
    return [ButtonElement(text=shorten(f"Without {part.text}", 75), action_id=f"{Action.DROP_FILTER}:{part.key}",
                          value=f"{reply.search_id}:{part.key}") for part in reply.filters[:MAX_BUTTONS]]


def suggestion_buttons(reply: ResultsPage) -> list[ButtonElement]:
    """One button per suggestion of a search that found nothing: it runs that search."""
    return [ButtonElement(text=shorten(text, 75), action_id=f"{Action.SUGGESTION}:{index}",
                          value=f"{reply.search_id}:{index}")
            for index, text in enumerate(reply.suggestions[:MAX_BUTTONS])]


@render_slack.register
def _item_list(reply: ItemList) -> dict:
    if not reply.entries:
        empty = escape(reply.empty_text) + (f" Press *{reply.filled_by.capitalize()}* on a result."
                                            if reply.filled_by else "")
        return message([section(empty)], empty)
    blocks: list[Block] = [section(f"*{escape(reply.title)}*")]
    shown = reply.entries[: (MAX_BLOCKS - 2) // 2]
    for entry in shown:
        blocks.extend(item_blocks(entry, actions=reply.actions, removable=reply.removable))
    if len(shown) < len(reply.entries):
        blocks.append(section(f"…and {len(reply.entries) - len(shown)} more in the App Home."))
    return message(blocks, reply.title)


@render_slack.register
def _confirm(reply: Confirm) -> dict:
    confirm = ButtonElement(
        text=shorten(reply.confirm_label, 75), action_id=Action.CONFIRM,
        value=f"{reply.action}:{reply.value}", style="danger" if reply.danger else "primary",
        confirm=ConfirmObject(title="Are you sure?", text=truncate(escape(plain(reply.text)), 300),
                              confirm="Yes", deny="No") if reply.danger else None)
    cancel = ButtonElement(text="Cancel", action_id=Action.CANCEL, value=reply.action)
    blocks = [section(escape(reply.text)), ActionsBlock(elements=[confirm, cancel]), DividerBlock()]
    return message(blocks, reply.text)


@render_slack.register
def _open_form(reply: OpenForm) -> dict:
    return message([section(escape(reply.fallback))], reply.fallback)
