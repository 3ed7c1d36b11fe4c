"""The connections service: a person's providers, bound to the right credentials."""

from __future__ import annotations

from handlers.core.deps import Deps, Person
from handlers.core.errors import NotFoundError
from providers.model import Provider
from store import credentials

PROVIDER_TIMEOUT = 30.0  # enrolment and lookups wait longer than a search's deadline


def bind_for(key: str, person: Person, deps: Deps) -> Provider:
    """Bind provider `key` to this person's credentials (their own first, else the workspace's).

    A refreshed token is stored back only into the set it came from: a person's refreshed
    token never lands in the workspace's row, nor the reverse.
    """
    if key in deps.hub.extra:
        return deps.hub.extra[key]
    if key not in deps.hub.specs:
        raise NotFoundError(f"There is no provider called `{key}`.")
    personal = credentials.load_personal(deps.db, deps.vault, person.team_id, person.user_id)
    shared = credentials.load_shared(deps.db, deps.vault, person.team_id)
    values, owner = deps.hub.credentials_for(key, personal, shared)
    owner_id = person.user_id if owner == "personal" else None

    def persist(new_values: dict[str, str]) -> None:
        credentials.save_credentials(deps.db, deps.vault, person.team_id, owner_id, key, new_values)

    return deps.hub.bind(key, values, persist if owner else None)
