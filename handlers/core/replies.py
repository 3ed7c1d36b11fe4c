"""What an action answers, independent of where it is shown.

`handlers.slack.render` turns these into Block Kit, `handlers.core.render_text` into terminal
text. Actions never build Slack payloads themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from providers.model import LearningObject, ProviderStatus


@dataclass(frozen=True)
class Notice:
    """A plain answer: a first line and optional further lines."""

    text: str
    lines: tuple[str, ...] = ()
    chart: str = ""  # pre-formatted text (a bar chart), shown in a code block


@dataclass(frozen=True)
class Problem:
    """Something went wrong that the person can act on."""

    text: str


@dataclass(frozen=True)
class Numbered:
    number: int
    item: LearningObject
    note: str = ""


@dataclass(frozen=True)
class Filter:
    """One filter a search was understood with; `key` names it for a "without" button."""

    key: str
    text: str


@dataclass(frozen=True)
class ResultsPage:
    """One page of a search's results and what the answer says about them.

    `understood` is the line "python · video · French"; `filters` the parts of it a button
    can drop; `total` the real number found ("more than" it when `total_is_lower_bound`);
    `partial` says some items have only some of the words (their notes say which are
    missing); `suggestions` are what to try when nothing was found.
    """

    search_id: int
    query_text: str
    entries: tuple[Numbered, ...]
    page: int
    pages: int
    total: int
    statuses: tuple[ProviderStatus, ...]
    skipped: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    understood: str = ""
    filters: tuple[Filter, ...] = ()
    correction: str = ""
    total_is_lower_bound: bool = False
    partial: bool = False
    suggestions: tuple[str, ...] = ()

    @property
    def has_more(self) -> bool:
        """More pages are known, or a provider did not say how many it has."""
        return self.page + 1 < self.pages or (self.total_is_lower_bound and bool(self.entries))


@dataclass(frozen=True)
class ItemList:
    """Saved items or enrollments: items with a note each (status, progress).

    `filled_by` names the command that adds to an empty list ("save"): Slack says to press its
    button on a result, the terminal to type it with a result number.
    """

    title: str
    entries: tuple[Numbered, ...]
    empty_text: str
    actions: bool = True
    removable: bool = False  # saved items: each can be unsaved
    filled_by: str = ""


@dataclass(frozen=True)
class Confirm:
    """A question with a confirm button; `action` names what the button does, `value` its argument."""

    text: str
    confirm_label: str
    action: str
    value: str
    danger: bool = False


@dataclass(frozen=True)
class OpenForm:
    """Open a modal (Slack) — `form` is "connect", "prefs" or the LearnFlow user id form;
    the terminal shows `fallback`."""

    form: str
    fallback: str
    provider: str | None = None
    extra: dict = field(default_factory=dict)


Reply = Notice | Problem | ResultsPage | ItemList | Confirm | OpenForm
