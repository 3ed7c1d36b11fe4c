"""What each command does: `run(command, person, deps) -> Reply`.

No Slack here: the Slack listeners and the terminal adapter both call `run` and differ
only in how they render the reply. Failures a person can act on are raised as
`UserFacingError` (or a provider's `ProviderError`) and shown through one error path.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import uuid
from datetime import timedelta
from functools import singledispatch

from handlers.core import grammar as g
from handlers.core.connections import PROVIDER_TIMEOUT, Connections
from handlers.core.deps import Deps, Person
from handlers.core.describe import describe_preferences, enrollment_note, progress_reply
from handlers.core.errors import NotFoundError, UsageError, UserFacingError
from handlers.core.formatting import format_minutes, plural
from handlers.core.learner import NO_RECORDS_IDENTITY, learner_for
from handlers.core.replies import Confirm, Filter, ItemList, Notice, Numbered, OpenForm, Reply, ResultsPage
from handlers.core.schedule import zone
from handlers.digest.build import preview
from providers.catalog import to_learning_object
from providers.errors import EnrollmentUnconfirmed, NeedsLearnflowUserId
from providers.model import LearningObject, Provider, ProviderStatus, SearchOutcome, SearchQuery
from providers.records import learner_agents
from providers.search import fan_out
from providers.vocabulary import guess_language
from store import catalog, credentials, history, library, preferences, users
from store.forget import forget_user

logger = logging.getLogger(__name__)

LEARNFLOW_USER_ID_FORM = "learnflow_user_id"  # the `OpenForm` asking for a person's LearnFlow user id


def run(command: g.Command, person: Person, deps: Deps) -> Reply:
    """Carry out one parsed command for `person`."""
    users.upsert_user(deps.db, person.team_id, person.user_id,
                      **{k: v for k, v in (("email", person.email), ("name", person.name),
                                            ("tz", person.tz)) if v})
    return act(command, person, deps)


@singledispatch
def act(command, person: Person, deps: Deps) -> Reply:  # pragma: no cover - every command has one
    raise UsageError("learnbot does not know that command; try `/learn help`.")


# --- help ------------------------------------------------------------------------------------

@act.register
def _help(command: g.Help, person: Person, deps: Deps) -> Reply:
    return help_reply(command.topic)


def help_reply(topic: str | None = None) -> Notice:
    lines = tuple(f"• {line}" for name, line in g.HELP_LINES if not topic or name == topic)
    if topic and not lines:
        lines = tuple(f"• {line}" for _, line in g.HELP_LINES)
    return Notice("learnbot finds learning resources across your organisation's providers. Ask in plain "
                  "words: `/learn python videos in french under 2 hours`, then `/learn save 3` or "
                  "`/learn enroll 2`.", lines)


# --- search and paging -------------------------------------------------------------------------

@act.register
def _search(command: g.Search, person: Person, deps: Deps) -> Reply:
    prefs = preferences.get_preferences(deps.db, person.team_id, person.user_id)
    query, notes = with_preferences(command.query, prefs) if command.with_preferences else (command.query, ())
    connections = Connections(person, deps)
    providers, skipped = providers_for(connections, deps)
    unknown = [p for p in query.providers if p not in deps.hub.labels()]
    if unknown:
        raise UsageError(f"There is no provider called `{unknown[0]}`. "
                         f"Known providers: {', '.join(sorted(deps.hub.labels()))}.")
    outcome = deps.runner.run(fan_out(providers, query, deadline=deps.deadline, cache=deps.cache,
                                      languages=reading_languages(command.text, person, prefs),
                                      speller=deps.speller, equivalents=deps.equivalents))
    if outcome.unsearchable:
        return Notice(WHAT_TO_LEARN)
    record = history.record_search(
        deps.db, person.team_id, person.user_id, command.text, dataclasses.asdict(query),
        [item.to_dict() for item in outcome.items], [dataclasses.asdict(s) for s in outcome.statuses],
        outcome=outcome_facts(outcome))
    notes += connections.unreadable_notes() + first_search_notice(person, deps)
    return results_page(record, 0, deps.page_size, labels=deps.hub.labels(),
                        skipped=tuple(skipped.values()), notes=notes)


WHAT_TO_LEARN = ("What would you like to learn? Name a topic in a few words, e.g. `python`, "
                 "`excel for beginners` or `gestion de projet en français`.")


def reading_languages(text: str, person: Person, prefs: preferences.Preferences) -> tuple[str, ...]:
    """The languages a person reads, for ranking: their preferences, else their Slack
    locale's language, else the language they wrote in."""
    if prefs.languages:
        return tuple(prefs.languages)
    if person.locale:
        return (person.locale.split("-")[0].lower(),)
    return (guess_language(text),)


def outcome_facts(outcome: SearchOutcome) -> dict:
    """What a search's answer says beyond its items, kept with it in the history."""
    return {
        "total": outcome.total if outcome.total is not None else len(outcome.items),
        "total_is_lower_bound": outcome.total_is_lower_bound,
        "correction": str(outcome.correction) if outcome.correction else "",
        "partial_refs": sorted(outcome.partial_refs),
        "missing_words": list(outcome.missing_words),
        "suggestions": [{"text": s.text, "query": dataclasses.asdict(s.query)} for s in outcome.suggestions],
    }


def query_from(data: dict) -> SearchQuery:
    """A SearchQuery back from its stored dict (lists become tuples again)."""
    return SearchQuery(**{key: tuple(value) if isinstance(value, list) else value
                          for key, value in data.items()})


def with_preferences(query: SearchQuery, prefs: preferences.Preferences) -> tuple[SearchQuery, tuple[str, ...]]:
    """Fill the filters the person did not give from their saved preferences."""
    changes = {}
    if not query.types and prefs.types:
        changes["types"] = tuple(prefs.types)
    if not query.languages and prefs.languages:
        changes["languages"] = tuple(prefs.languages)
    if not query.providers and prefs.providers:
        changes["providers"] = tuple(prefs.providers)
    if query.max_minutes is None and prefs.max_minutes:
        changes["max_minutes"] = prefs.max_minutes
    if not changes:
        return query, ()
    shown = ", ".join(_describe(k, v) for k, v in changes.items())
    return dataclasses.replace(query, **changes), (f"Using your preferences: {shown}.",)


def _describe(key: str, value) -> str:
    if key == "max_minutes":
        return f"at most {format_minutes(value)}"
    return "/".join(value)


def providers_for(connections: Connections, deps: Deps) -> tuple[list[Provider], dict[str, str]]:
    providers, skipped = connections.searchable()
    labels = deps.hub.labels()
    return providers, {key: f"{labels[key]}: {why}" for key, why in skipped.items()}


def first_search_notice(person: Person, deps: Deps) -> tuple[str, ...]:
    user = users.get_user(deps.db, person.team_id, person.user_id)
    if user is None or user.digest_notice_sent:
        return ()
    users.upsert_user(deps.db, person.team_id, person.user_id, digest_notice_sent=True)
    prefs = preferences.get_preferences(deps.db, person.team_id, person.user_id)
    day = g.DAYS[prefs.digest_day].capitalize()
    return (f"Each {day} at {prefs.digest_time} you will get a short digest of new items for your "
            "interests; `/learn digest off` stops it.",)


def results_page(record: history.SearchRecord, page: int, page_size: int, *, labels: dict[str, str],
                 skipped: tuple[str, ...] = (), notes: tuple[str, ...] = ()) -> ResultsPage:
    items = [LearningObject.from_dict(d) for d in record.items]
    facts = record.outcome
    total = max(facts.get("total", len(items)), len(items))
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 0), pages - 1)
    start = page * page_size
    partial = set(facts.get("partial_refs", ()))
    partial_note = only_some_words(facts.get("missing_words", ()))
    entries = tuple(Numbered(start + i + 1, item, partial_note if item.ref in partial else "")
                    for i, item in enumerate(items[start:start + page_size]))
    statuses = tuple(ProviderStatus(**s) for s in record.statuses)
    query = query_from(record.query)
    filters = tuple(Filter(part.key, part.text) for part in g.understood(query, labels) if part.key != "keywords")
    return ResultsPage(record.id, record.text, entries, page, pages, total, statuses, skipped, notes,
                       understood=g.describe(query, labels), filters=filters,
                       correction=facts.get("correction", ""),
                       total_is_lower_bound=facts.get("total_is_lower_bound", False), partial=bool(partial),
                       suggestions=tuple(s["text"] for s in facts.get("suggestions", ())))


def only_some_words(missing: list[str] | tuple[str, ...]) -> str:
    if not missing:
        return "has only some of your words"
    return "has only some of your words: not " + ", ".join(f"“{word}”" for word in missing)


@act.register
def _more(command: g.More, person: Person, deps: Deps) -> Reply:
    if command.search_id is not None:
        record = history.get_search(deps.db, person.team_id, person.user_id, command.search_id)
    else:
        record = history.last_search(deps.db, person.team_id, person.user_id)
    if record is None:
        raise NotFoundError("There is no search to page through yet; try `/learn python`.")
    page = command.page if command.page is not None else record.page + 1
    if (page + 1) * deps.page_size > len(record.items) and may_have_more(record):
        record = fetch_more(record, (page + 1) * deps.page_size, person, deps)
    if page * deps.page_size >= len(record.items):
        return Notice(f"That was the last page of results for “{record.text}”. Try other words for more.")
    reply = results_page(record, page, deps.page_size, labels=deps.hub.labels())
    history.set_page_shown(deps.db, person.team_id, person.user_id, record.id, reply.page)
    return reply


def may_have_more(record: history.SearchRecord) -> bool:
    """Whether the providers found more than the items kept with the search."""
    facts = record.outcome
    return facts.get("total_is_lower_bound", False) or facts.get("total", 0) > len(record.items)


def fetch_more(record: history.SearchRecord, wanted: int, person: Person, deps: Deps) -> history.SearchRecord:
    """Ask the providers again for enough items to show `wanted`, keeping the items already
    numbered where they are and adding the new ones after them."""
    query = query_from(record.query)
    limit = max(query.limit, math.ceil(wanted / query.limit) * query.limit)
    providers, _ = providers_for(Connections(person, deps), deps)
    prefs = preferences.get_preferences(deps.db, person.team_id, person.user_id)
    outcome = deps.runner.run(fan_out(providers, dataclasses.replace(query, limit=limit), deadline=deps.deadline,
                                      cache=deps.cache, languages=reading_languages(record.text, person, prefs),
                                      equivalents=deps.equivalents))
    known = {history.item_ref(item) for item in record.items}
    added = [item.to_dict() for item in outcome.items if item.ref not in known]
    facts = {**record.outcome, "partial_refs": sorted({*record.outcome.get("partial_refs", ()),
                                                       *(ref for ref in outcome.partial_refs if ref not in known)})}
    facts["total"] = max(facts.get("total", 0), outcome.total or 0, len(record.items) + len(added))
    facts["total_is_lower_bound"] = outcome.total_is_lower_bound
    if not added:  # the providers have nothing more to give: what is kept is all there is
        facts["total"], facts["total_is_lower_bound"] = len(record.items), False
    return history.extend_search(deps.db, person.team_id, person.user_id, record.id, added, facts)


def search_without(search_id: int, key: str, person: Person, deps: Deps) -> Reply:
    """A search from the history run again without one of its filters (a Slack button)."""
    query = g.without(query_from(_search_record(search_id, person, deps).query), key)
    return run(g.Search(query, g.describe(query, deps.hub.labels()), with_preferences=False), person, deps)


def run_suggestion(search_id: int, index: int, person: Person, deps: Deps) -> Reply:
    """One of the suggestions a search that found nothing made (a Slack button)."""
    suggestions = _search_record(search_id, person, deps).outcome.get("suggestions", [])
    if not 0 <= index < len(suggestions):
        raise UsageError("That suggestion is out of date; search again.")
    query = query_from(suggestions[index]["query"])
    return run(g.Search(query, g.describe(query, deps.hub.labels()), with_preferences=False), person, deps)


def _search_record(search_id: int, person: Person, deps: Deps) -> history.SearchRecord:
    record = history.get_search(deps.db, person.team_id, person.user_id, search_id)
    if record is None:
        raise NotFoundError("That search is no longer kept; search again, e.g. `/learn python`.")
    return record


# --- save and enroll ---------------------------------------------------------------------------

def resolve(target: str, person: Person, deps: Deps) -> LearningObject:
    """A result number from the person's last search, or an item id (`provider:id`)."""
    if target.isdigit():
        record = history.last_search(deps.db, person.team_id, person.user_id)
        number = int(target)
        if record is None:
            raise NotFoundError("You have no search results yet; search first, e.g. `/learn python`.")
        if not 1 <= number <= len(record.items):
            count = len(record.items)
            pick = "pick number 1" if count == 1 else f"pick a number from 1 to {count}"
            raise NotFoundError(f"Your last search has {plural(count, 'result')}; {pick}.")
        return LearningObject.from_dict(record.items[number - 1])
    item = _find_known_item(target, person, deps)
    if item is None:
        raise NotFoundError(f"learnbot does not know `{target[:60]}`; use a number from your last "
                            "search or an id shown under a result.")
    return item


def _find_known_item(ref: str, person: Person, deps: Deps) -> LearningObject | None:
    """An item the person has seen (last search, saved items) or any local catalog item."""
    record = history.last_search(deps.db, person.team_id, person.user_id)
    seen = [*(record.items if record else []),
            *(saved.item for saved in library.list_saved(deps.db, person.team_id, person.user_id))]
    for data in seen:
        if history.item_ref(data) == ref:
            return LearningObject.from_dict(data)
    provider, _, item_id = ref.partition(":")
    row = catalog.get_item(deps.db, item_id) if provider == "catalog" else None
    return to_learning_object(row) if row else None


@act.register
def _save(command: g.Save, person: Person, deps: Deps) -> Reply:
    item = resolve(command.target, person, deps)
    added = library.save_item(deps.db, person.team_id, person.user_id, item.ref, item.to_dict())
    if not added:
        return Notice(f"“{item.title}” is already in your saved items (`/learn saved`).")
    return Notice(f"Saved “{item.title}”. `/learn saved` lists your saved items.")


@act.register
def _enroll(command: g.Enroll, person: Person, deps: Deps) -> Reply:
    item = resolve(command.target, person, deps)
    if not item.enrollable:
        raise UserFacingError(f"“{item.title}” comes from {_label(item.provider, deps)}, which does not take "
                              "enrollments through learnbot: open it or save it instead.")
    if item.is_paid and not command.confirmed:
        return Confirm(f"“{item.title}” costs {item.price}. Enroll and accept the price?",
                       f"Enroll for {item.price}", action="enroll", value=item.ref)
    return enroll(item, person, deps)


def enroll(item: LearningObject, person: Person, deps: Deps) -> Reply:
    """Enroll once: the store claim makes a double click (or two processes) enroll a single time.

    Every attempt at one enrollment sends the key stored with its claim, so a retry after
    an unanswered request cannot enroll twice. LearnFlow with the workspace's token needs the
    person's LearnFlow user id: without it the person is asked (`OpenForm`), and the form's
    submission enrolls them at once.
    """
    row, claimed = library.claim_enrollment(deps.db, person.team_id, person.user_id, item.ref,
                                            item.provider, item.to_dict(), uuid.uuid4().hex)
    if not claimed:
        if row.status == "pending":
            return Notice(f"Your enrollment in “{item.title}” is already on its way.")
        return Notice(f"You are already enrolled in “{item.title}”. `/learn enrollments` shows your progress.")
    try:
        provider = Connections(person, deps).bind(item.provider)
        sending = provider.enroll(item, learner_for(person, deps), idempotency_key=row.idempotency_key)
        result = deps.runner.run(sending, timeout=PROVIDER_TIMEOUT)
    except (EnrollmentUnconfirmed, TimeoutError):
        library.mark_unconfirmed(deps.db, person.team_id, person.user_id, item.ref)
        return Notice(EnrollmentUnconfirmed(_label(item.provider, deps)).sentence)
    except NeedsLearnflowUserId as error:
        library.release_enrollment(deps.db, person.team_id, person.user_id, item.ref)
        return OpenForm(LEARNFLOW_USER_ID_FORM, error.sentence, provider=item.provider, extra={"ref": item.ref})
    except BaseException:
        library.release_enrollment(deps.db, person.team_id, person.user_id, item.ref)
        raise
    library.complete_enrollment(deps.db, person.team_id, person.user_id, item.ref, "enrolled",
                                external_id=result.external_id)
    return Notice(result.message or f"You are enrolled in “{item.title}”.")


def enroll_with_learnflow_user_id(ref: str, learnflow_user_id: str, person: Person, deps: Deps) -> Reply:
    """Remember the LearnFlow user id the person gave, then go on with the enrollment they asked for.

    The form is only shown once the person chose to enroll (and accepted a price), so the
    enrollment goes on as confirmed.
    """
    preferences.remember_learnflow_user_id(deps.db, person.team_id, person.user_id, learnflow_user_id)
    return run(g.Enroll(ref, confirmed=True), person, deps)


def _label(key: str, deps: Deps) -> str:
    return deps.hub.labels().get(key, key)


@act.register
def _saved(command: g.Saved, person: Person, deps: Deps) -> Reply:
    saved = library.list_saved(deps.db, person.team_id, person.user_id)
    entries = tuple(Numbered(i + 1, LearningObject.from_dict(s.item), f"saved {s.saved_at[:10]}")
                    for i, s in enumerate(saved))
    return ItemList("Your saved items", entries, "You have not saved anything yet.", removable=True,
                    filled_by="save")


@act.register
def _unsave(command: g.Unsave, person: Person, deps: Deps) -> Reply:
    saved = library.list_saved(deps.db, person.team_id, person.user_id)
    if command.target.isdigit():
        number = int(command.target)
        if not saved:
            raise NotFoundError("You have no saved items to remove.")
        if not 1 <= number <= len(saved):
            choice = "pick number 1" if len(saved) == 1 else f"pick a number from 1 to {len(saved)}"
            raise NotFoundError(f"You have {plural(len(saved), 'saved item')}; {choice} "
                                "(`/learn saved` lists them).")
        chosen = saved[number - 1]
    else:
        chosen = next((s for s in saved if s.ref == command.target), None)
        if chosen is None:
            raise NotFoundError(f"`{command.target[:60]}` is not in your saved items (`/learn saved` lists them).")
    library.remove_saved(deps.db, person.team_id, person.user_id, chosen.ref)
    return Notice(f"Removed “{chosen.item['title']}” from your saved items.")


@act.register
def _enrollments(command: g.Enrollments, person: Person, deps: Deps) -> Reply:
    rows = [r for r in library.list_enrollments(deps.db, person.team_id, person.user_id)
            if r.status != "failed"]
    entries = tuple(Numbered(i + 1, LearningObject.from_dict(r.item), enrollment_note(r))
                    for i, r in enumerate(rows))
    return ItemList("Your enrollments", entries, "You are not enrolled in anything yet.", actions=False,
                    filled_by="enroll")


# --- providers and credentials -----------------------------------------------------------------

@act.register
def _providers(command: g.Providers, person: Person, deps: Deps) -> Reply:
    connections = Connections(person, deps)
    return Notice("Learning providers for you:",
                  (*provider_lines(person, deps, connections), *connections.unreadable_notes()))


def provider_lines(person: Person, deps: Deps, connections: Connections | None = None) -> list[str]:
    connections = connections or Connections(person, deps)
    lines = [f"• *{p.label}* — always on" for p in deps.hub.extra.values()]
    for key, spec in deps.hub.specs.items():
        owner = connections.owner(key)
        if owner == "personal":
            state = "connected with your own credentials"
        elif owner == "workspace":
            state = "enabled for the whole workspace"
        else:
            state = f"not connected (needs {', '.join(spec.missing({})) or 'credentials'}): `/learn connect {key}`"
        lines.append(f"• *{spec.label}* (`{key}`) — {state}")
    return lines


@act.register
def _connect(command: g.Connect, person: Person, deps: Deps) -> Reply:
    if command.provider and command.provider not in deps.hub.specs:
        raise UsageError(f"There is no provider called `{command.provider}` to connect. "
                         f"You can connect: {', '.join(deps.hub.specs)}.")
    return OpenForm("connect", "Connecting a provider needs the form in Slack: use `/learn connect` there. "
                    "Credentials are never typed into a chat.", provider=command.provider)


@act.register
def _disconnect(command: g.Disconnect, person: Person, deps: Deps) -> Reply:
    if command.provider not in deps.hub.specs:
        raise UsageError(f"There is no provider called `{command.provider}`. "
                         f"Known providers: {', '.join(deps.hub.specs)}.")
    removed = credentials.delete_credentials(deps.db, person.team_id, person.user_id, command.provider)
    label = _label(command.provider, deps)
    if not removed:
        return Notice(f"You had no credentials of your own for {label}; nothing changed.")
    return Notice(f"Your {label} credentials are deleted.")


# --- preferences ---------------------------------------------------------------------------------

@act.register
def _prefs(command: g.Prefs, person: Person, deps: Deps) -> Reply:
    if not command.changes:
        return OpenForm("prefs", "Set preferences with `prefs set topics=python,sql lang=en,fr types=video "
                        "max=2h digest=\"mon 09:00\"`.\n" + "\n".join(describe_preferences(
                            preferences.get_preferences(deps.db, person.team_id, person.user_id))))
    unknown = [p for p in command.changes.get("providers", ()) if p not in deps.hub.labels()]
    if unknown:
        raise UsageError(f"There is no provider called `{unknown[0]}`. "
                         f"Known providers: {', '.join(sorted(deps.hub.labels()))}.")
    current = preferences.get_preferences(deps.db, person.team_id, person.user_id)
    saved = preferences.save_preferences(deps.db, person.team_id, person.user_id,
                                         dataclasses.replace(current, **command.changes))
    return Notice("Your preferences are saved:", tuple(describe_preferences(saved)))


# --- learning activity and the digest ------------------------------------------------------------

@act.register
def _progress(command: g.Progress, person: Person, deps: Deps) -> Reply:
    summary = week_summary(person, deps)
    return progress_reply(summary)


def week_summary(person: Person, deps: Deps):
    """This local week's learning records for `person` (raises when the LRS is not set up,
    or when learnbot knows no identity of the person the records could use)."""
    connections = Connections(person, deps)
    if "lrs" in connections.unreadable and not connections.owner("lrs"):
        raise UserFacingError(" ".join(connections.unreadable_notes(only=("lrs",))))
    records = connections.bind("lrs")
    learner = learner_for(person, deps)
    if not learner_agents(learner, records.account_rule):
        raise UserFacingError(NO_RECORDS_IDENTITY)
    tz = zone(person.tz)
    today = deps.now().astimezone(tz).date()
    week_start = today - timedelta(days=today.weekday())
    return deps.runner.run(records.week(learner, week_start, tz), timeout=PROVIDER_TIMEOUT)


@act.register
def _digest(command: g.Digest, person: Person, deps: Deps) -> Reply:
    prefs = preferences.get_preferences(deps.db, person.team_id, person.user_id)
    if command.mode in ("on", "off"):
        prefs = preferences.save_preferences(deps.db, person.team_id, person.user_id,
                                             dataclasses.replace(prefs, digest_enabled=command.mode == "on"))
        if command.mode == "off":
            return Notice("Weekly digests are off. `/learn digest on` turns them back on.")
    if command.mode == "preview":
        return preview(person, deps)
    day = g.DAYS[prefs.digest_day].capitalize()
    state = f"on: every {day} at {prefs.digest_time} ({zone(person.tz).key})" if prefs.digest_enabled else "off"
    return Notice(f"Your weekly digest is {state}. `/learn digest preview` shows it now; "
                  "`/learn prefs set digest=\"fri 16:30\"` moves it.")


# --- forget-me -------------------------------------------------------------------------------------

@act.register
def _forget(command: g.ForgetMe, person: Person, deps: Deps) -> Reply:
    return Confirm("This deletes everything learnbot keeps about you: credentials, preferences, saved "
                   "items, enrollments and history. It cannot be undone.",
                   "Delete my data", action="forget", value=person.user_id, danger=True)


def confirmed(action: str, value: str, person: Person, deps: Deps) -> Reply:
    """What a `Confirm` does once the person confirms it, in Slack (a button) or the terminal (`yes`)."""
    if action == "enroll":
        return run(g.Enroll(value, confirmed=True), person, deps)
    if action == "forget" and value == person.user_id:
        return forget(person, deps)
    raise UsageError("That confirmation is not yours or is out of date; nothing changed.")


def forget(person: Person, deps: Deps) -> Notice:
    counts = forget_user(deps.db, person.team_id, person.user_id)
    total = sum(counts.values())
    return Notice(f"Done: learnbot deleted everything it kept about you ({total} records).")


# --- formatting shared by both renderers ------------------------------------------------------------


