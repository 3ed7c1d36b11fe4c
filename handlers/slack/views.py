"""Modals and the App Home, built with `slack_sdk.models`, and the parsing of modal submissions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
    TimePickerElement,
)
from slack_sdk.models.views import View

from handlers.core import grammar as g
from handlers.core.errors import UsageError
from handlers.core.formatting import LANGUAGE_OPTIONS
from handlers.slack.ids import Action, field_block
from handlers.slack.ids import Block as B
from handlers.slack.ids import View as V
from handlers.slack.render import SECTION_LIMIT, escape, link, section, shorten, whole_lines
from providers.model import TYPES
from providers.registry import ProviderSpec
from store.preferences import Preferences

MAX_VIEW_BLOCKS = 100
FIELD_MAX_LENGTH = 2000
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
VALUE = "value"  # the action_id of every input element: the block id tells them apart


def _options(pairs) -> list[Option]:
    return [Option(value=value, label=label) for value, label in pairs]


# --- connect modal ----------------------------------------------------------------------------

def connect_view(specs: dict[str, ProviderSpec], provider: str | None, can_share: bool) -> View:
    """The connect modal: a provider picker, then that provider's credential fields.

    The picker is a section's menu, not an `input` block: Slack refuses a modal with an
    `input` block and no `submit`, and the picker-only step has nothing to submit yet.
    Picking a provider updates the view (`connect_pick_provider`) with its fields and `submit`.
    """
    picker = SectionBlock(
        block_id=B.CONNECT_PROVIDER, text=MarkdownTextObject(text="*Provider*"),
        accessory=StaticSelectElement(
            action_id=Action.CONNECT_PICK, placeholder="Choose a provider",
            options=_options((key, spec.label) for key, spec in specs.items()),
            initial_option=Option(value=provider, label=specs[provider].label) if provider else None))
    blocks: list[Block] = [picker]
    if provider:
        spec = specs[provider]
        blocks.append(section(f"Credentials for *{spec.label}* are stored encrypted and never shown back."))
        for credential in spec.fields:
            blocks.append(InputBlock(
                block_id=field_block(credential.name), label=credential.label, optional=credential.optional,
                hint=credential.hint or None,
                element=PlainTextInputElement(action_id=VALUE, max_length=FIELD_MAX_LENGTH)))
        if can_share:
            blocks.append(InputBlock(
                block_id=B.CONNECT_SHARE, label="Who uses these credentials", optional=True,
                element=CheckboxesElement(action_id=VALUE, options=_options(
                    [("share", "Everyone in this workspace (as the shared credentials)")]))))
    return View(type="modal", callback_id=V.CONNECT, title="Connect a provider",
                submit="Connect" if provider else None, close="Cancel", blocks=blocks,
                private_metadata=json.dumps({"provider": provider}))


@dataclass(frozen=True)
class ConnectSubmission:
    provider: str
    values: dict[str, str]
    share: bool


def parse_connect(state: dict, metadata: str, specs: dict[str, ProviderSpec]) -> ConnectSubmission:
    """Read the connect modal's values; raises `FieldErrors` naming each bad field."""
    provider = _selected(state, B.CONNECT_PROVIDER) or json.loads(metadata or "{}").get("provider")
    if provider not in specs:
        raise FieldErrors({B.CONNECT_PROVIDER: "Choose a provider."})
    spec = specs[provider]
    values, errors = {}, {}
    for credential in spec.fields:
        value = g.clean(_text(state, field_block(credential.name)))
        if not value and not credential.optional:
            errors[field_block(credential.name)] = f"{credential.label} is required."
        elif len(value) > FIELD_MAX_LENGTH:
            errors[field_block(credential.name)] = f"{credential.label} is too long."
        elif value:
            values[credential.name] = value
    if errors:
        raise FieldErrors(errors)
    share = "share" in _checked(state, B.CONNECT_SHARE)
    return ConnectSubmission(provider, values, share)


class FieldErrors(Exception):
    """Per-block error messages for `ack(response_action="errors", errors=...)`."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = {str(k): v for k, v in errors.items()}


# --- LearnFlow user id modal ------------------------------------------------------------------

LEARNFLOW_USER_ID = re.compile(r"[\w.@+:-]{1,100}")


def learnflow_user_id_view(question: str, ref: str) -> View:
    """Asks once for the person's LearnFlow user id; submitting it enrolls them in `ref`."""
    return View(type="modal", callback_id=V.LEARNFLOW_USER_ID, title="Your LearnFlow user id",
                submit="Enroll", close="Cancel", private_metadata=json.dumps({"ref": ref}), blocks=[
                    section(question),
                    InputBlock(block_id=B.LEARNFLOW_USER_ID, label="LearnFlow user id",
                               hint="learnbot remembers it for your next enrollments",
                               element=PlainTextInputElement(action_id=VALUE, placeholder="usr_7f3d9a",
                                                             max_length=100))])


def parse_learnflow_user_id(state: dict, metadata: str) -> tuple[str, str]:
    """(the item ref to enroll in, the LearnFlow user id given); raises `FieldErrors` for a bad id."""
    user_id = _text(state, B.LEARNFLOW_USER_ID).strip()
    if not LEARNFLOW_USER_ID.fullmatch(user_id):
        raise FieldErrors({B.LEARNFLOW_USER_ID: "Enter your LearnFlow user id as one word, like usr_7f3d9a "
                                                "(it is in your LearnFlow profile)."})
    return json.loads(metadata or "{}").get("ref", ""), user_id


# --- preferences modal ------------------------------------------------------------------------

def prefs_view(prefs: Preferences, provider_labels: dict[str, str]) -> View:
    def initial(pairs, chosen):
        chosen_options = [Option(value=value, label=label) for value, label in pairs if value in chosen]
        return chosen_options or None

    languages = list(LANGUAGE_OPTIONS.items())
    types = [(t, t.capitalize()) for t in TYPES]
    providers = list(provider_labels.items())
    days = list(enumerate(DAY_NAMES))
    blocks = [
        InputBlock(block_id=B.PREFS_TOPICS, label="Topics", optional=True,
                   hint="Comma-separated, e.g. python, data analysis",
                   element=PlainTextInputElement(action_id=VALUE, initial_value=", ".join(prefs.topics) or None,
                                                 max_length=500)),
        InputBlock(block_id=B.PREFS_LANGUAGES, label="Languages", optional=True,
                   element=StaticMultiSelectElement(action_id=VALUE, options=_options(languages),
                                                    initial_options=initial(languages, prefs.languages))),
        InputBlock(block_id=B.PREFS_TYPES, label="Types", optional=True,
                   element=StaticMultiSelectElement(action_id=VALUE, options=_options(types),
                                                    initial_options=initial(types, prefs.types))),
        InputBlock(block_id=B.PREFS_PROVIDERS, label="Providers", optional=True,
                   element=StaticMultiSelectElement(action_id=VALUE, options=_options(providers),
                                                    initial_options=initial(providers, prefs.providers))),
        InputBlock(block_id=B.PREFS_MAX, label="Longest duration", optional=True,
                   hint="e.g. 30m, 2h or 1h30; empty for any length",
                   element=PlainTextInputElement(action_id=VALUE, max_length=10,
                                                 initial_value=_duration_text(prefs.max_minutes))),
        InputBlock(block_id=B.PREFS_DIGEST_DAY, label="Digest day",
                   element=StaticSelectElement(action_id=VALUE, options=_options((str(i), d) for i, d in days),
                                               initial_option=Option(value=str(prefs.digest_day),
                                                                     label=DAY_NAMES[prefs.digest_day]))),
        InputBlock(block_id=B.PREFS_DIGEST_TIME, label="Digest time (your time zone)",
                   element=TimePickerElement(action_id=VALUE, initial_time=prefs.digest_time)),
        InputBlock(block_id=B.PREFS_DIGEST_ON, label="Weekly digest", optional=True,
                   element=CheckboxesElement(
                       action_id=VALUE, options=_options([("on", "Send me a weekly digest")]),
                       initial_options=[Option(value="on", label="Send me a weekly digest")]
                       if prefs.digest_enabled else None)),
        InputBlock(block_id=B.PREFS_LRS_ACCOUNT, label="Learning records account", optional=True,
                   hint="Your account name on your learning platform, if it is not your work email",
                   element=PlainTextInputElement(action_id=VALUE, max_length=g.MAX_ACCOUNT,
                                                 initial_value=prefs.lrs_account or None)),
    ]
    return View(type="modal", callback_id=V.PREFS, title="Your preferences", submit="Save",
                close="Cancel", blocks=blocks)


def _duration_text(minutes: int | None) -> str | None:
    if not minutes:
        return None
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d}" if hours and rest else (f"{hours}h" if hours else f"{rest}m")


def parse_prefs(state: dict, provider_labels: dict[str, str]) -> dict:
    """The preferences modal's values as changes; raises `FieldErrors` naming each bad field."""
    errors: dict[str, str] = {}
    changes: dict = {}

    def attempt(block: str, work):
        try:
            work()
        except UsageError as error:
            errors[block] = shorten(error.message.replace("`", ""), 150)

    topics = [t.strip().lower() for t in g.clean(_text(state, B.PREFS_TOPICS)).split(",") if t.strip()]

    def set_topics():
        if len(topics) > 10 or any(len(t) > 50 for t in topics):
            raise UsageError("Give at most 10 topics of at most 50 characters each.")
        changes["topics"] = tuple(dict.fromkeys(topics))

    def set_max():
        text = g.clean(_text(state, B.PREFS_MAX))
        changes["max_minutes"] = g.parse_duration(text, "max") if text else None

    def set_lrs_account():
        changes["lrs_account"] = g.parse_lrs_account(g.clean(_text(state, B.PREFS_LRS_ACCOUNT)))

    def set_schedule():
        day = int(_selected(state, B.PREFS_DIGEST_DAY) or 0)
        at = _time(state, B.PREFS_DIGEST_TIME) or "09:00"
        changes.update(g.parse_digest_schedule(f"{g.DAYS[day]} {at}"))

    attempt(B.PREFS_TOPICS, set_topics)
    attempt(B.PREFS_MAX, set_max)
    attempt(B.PREFS_DIGEST_TIME, set_schedule)
    if B.PREFS_LRS_ACCOUNT in state.get("values", {}):  # absent from forms opened before it existed
        attempt(B.PREFS_LRS_ACCOUNT, set_lrs_account)
    changes["languages"] = tuple(v for v in _multi(state, B.PREFS_LANGUAGES) if v in LANGUAGE_OPTIONS)
    changes["types"] = tuple(v for v in _multi(state, B.PREFS_TYPES) if v in TYPES)
    changes["providers"] = tuple(v for v in _multi(state, B.PREFS_PROVIDERS) if v in provider_labels)
    changes["digest_enabled"] = "on" in _checked(state, B.PREFS_DIGEST_ON)
    if errors:
        raise FieldErrors(errors)
    return changes


# --- reading view state ----------------------------------------------------------------------

def _value(state: dict, block: str) -> dict:
    values = state.get("values", {}).get(str(block), {})
    return next(iter(values.values()), {}) if values else {}


def _text(state: dict, block: str) -> str:
    return _value(state, block).get("value") or ""


def _selected(state: dict, block: str) -> str | None:
    option = _value(state, block).get("selected_option")
    return option.get("value") if option else None


def _multi(state: dict, block: str) -> list[str]:
    return [o["value"] for o in _value(state, block).get("selected_options") or []]


def _checked(state: dict, block: str) -> list[str]:
    return _multi(state, block)


def _time(state: dict, block: str) -> str | None:
    return _value(state, block).get("selected_time")


# --- App Home ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class HomeSnapshot:
    """Everything the Home tab shows, gathered by `handlers.slack.home.snapshot`."""

    preference_lines: tuple[str, ...]
    provider_lines: tuple[str, ...]
    saved: tuple[tuple[str, str, str], ...]  # (title, url, ref)
    enrollments: tuple[tuple[str, str, str], ...]  # (title, url, note)
    next_digest: str


def home_view(snapshot: HomeSnapshot) -> View:
    blocks: list[Block] = [
        HeaderBlock(text="learnbot"),
        section(escape("Search with `/learn <what you want to learn>` or write to me here in plain words.")),
        ActionsBlock(elements=[
            ButtonElement(text="Edit preferences", action_id=Action.EDIT_PREFS, style="primary"),
            ButtonElement(text="Connect a provider", action_id=Action.CONNECT),
        ]),
        DividerBlock(),
        section("*Your preferences*\n" + "\n".join(map(escape, snapshot.preference_lines))),
        ContextBlock(elements=[MarkdownTextObject(text=f"Next digest: {escape(snapshot.next_digest)}")]),
        DividerBlock(),
        section("*Providers*\n" + "\n".join(map(escape, snapshot.provider_lines))),
        DividerBlock(),
        *saved_blocks(snapshot.saved),
        _list_section("*Enrollments*", snapshot.enrollments, "No enrollments yet.", "`/learn enrollments`"),
    ]
    return View(type="home", blocks=blocks[:MAX_VIEW_BLOCKS])


HOME_LIST_LENGTH = 15


def _list_section(heading: str, rows, empty: str, command: str):
    """A heading and one linked line per row, cut between whole lines (never inside a link)."""
    if not rows:
        return section(f"{heading}\n{empty}")
    lines = [_link_line(*row) for row in rows]
    shown = whole_lines(lines[:HOME_LIST_LENGTH], SECTION_LIMIT - len(heading) - 80)
    if len(shown) < len(lines):
        shown.append(f"…and {len(lines) - len(shown)} more: {command} lists them all.")
    return section("\n".join([heading, *shown]))


def _link_line(title: str, url: str, note: str = "") -> str:
    suffix = f" — _{escape(note)}_" if note else ""
    return f"• {link(url, shorten(title, 120))}{suffix}"


def saved_blocks(saved: tuple[tuple[str, str, str], ...]) -> list[Block]:
    """The saved items, each with an Unsave button (value: the item's ref)."""
    if not saved:
        return [section("*Saved items*\nNothing saved yet.")]
    blocks: list[Block] = [section("*Saved items*")]
    for title, url, ref in saved[:HOME_LIST_LENGTH]:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_link_line(title, url)),
                                   accessory=ButtonElement(text="Unsave", action_id=Action.UNSAVE, value=ref)))
    if len(saved) > HOME_LIST_LENGTH:
        blocks.append(section(f"…and {len(saved) - HOME_LIST_LENGTH} more: `/learn saved` lists them all."))
    return blocks

