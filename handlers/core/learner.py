"""The person as providers see them: a `Learner` with their Slack locale, their own LRS
account and the LearnFlow user id they gave learnbot."""

from __future__ import annotations

from handlers.core.deps import Deps, Person
from providers.model import Learner
from store import preferences, users

NO_RECORDS_IDENTITY = ("learnbot does not know how your learning records name you: it needs your email "
                       "address (in Slack the app needs the users:read.email permission), or your account "
                       "name there: `/learn prefs set lrs_account=NAME`.")


def learner_for(person: Person, deps: Deps) -> Learner:
    """`person` with the locale Slack gave (stored with them when the caller did not have it),
    and from their preferences the learning records account name and LearnFlow user id."""
    locale = person.locale
    if locale is None:
        known = users.get_user(deps.db, person.team_id, person.user_id)
        locale = known.locale if known else None
    prefs = preferences.get_preferences(deps.db, person.team_id, person.user_id)
    return Learner(person.team_id, person.user_id, person.email, person.name, locale=locale,
                   lrs_account=prefs.lrs_account, learnflow_user_id=prefs.learnflow_user_id)
