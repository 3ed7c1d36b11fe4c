"""The connections service: a person's providers, bound to the right credentials.

The only place that reads credentials for use. `Connections(person, deps)` loads and
decrypts the person's own credentials and their workspace's once; every provider it binds
uses the person's own set when complete, else the workspace's, and gets a `persist`
callback that stores refreshed credentials (a new LearnFlow token pair) back into the set
they came from: a person's refreshed token never lands in the workspace's row, nor the reverse.

A stored set that no longer decrypts (the encryption key changed) disables only that
provider for this person: it counts as not connected, and `unreadable_notes` says whom to
ask to connect it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

from handlers.core.deps import Deps, Person
from handlers.core.errors import NotFoundError
from providers.model import Provider
from providers.registry import Credentials, Persist
from store import credentials

PROVIDER_TIMEOUT = 30.0  # enrolment and lookups wait longer than a search's deadline


class Connections:
    """One person's credentials, decrypted once, and the providers bound to them."""

    def __init__(self, person: Person, deps: Deps, *, shared: Mapping[str, Credentials] | None = None):
        self.person, self.deps = person, deps
        if shared is not None:
            self.shared = shared  # already read for the workspace (a digest sweep)

    @cached_property
    def personal(self) -> credentials.LoadedCredentials:
        """The person's own credentials, read at first use (the local catalog needs none)."""
        return credentials.load_personal(self.deps.db, self.deps.vault, self.person.team_id, self.person.user_id)

    @cached_property
    def shared(self) -> Mapping[str, Credentials]:
        return credentials.load_shared(self.deps.db, self.deps.vault, self.person.team_id)

    @property
    def unreadable(self) -> tuple[str, ...]:
        """Providers whose stored credentials (the person's or the workspace's) do not decrypt."""
        return tuple(dict.fromkeys((*self.personal.unreadable, *self._shared_unreadable())))

    def unreadable_notes(self, only: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """One sentence per unreadable set that matters to this person (of providers `only`, if
        given), saying who connects it again: the person for their own, an admin for the
        workspace's (unless the person's own set replaces it)."""
        labels = self.deps.hub.labels()
        notes = [f"Your {labels.get(key, key)} connection can no longer be read (the encryption key changed): "
                 f"connect it again with `/learn connect {key}`."
                 for key in self.personal.unreadable if only is None or key in only]
        notes += [f"The workspace's {labels.get(key, key)} connection can no longer be read (the encryption "
                  "key changed): ask a workspace admin to connect it again."
                  for key in self._shared_unreadable()
                  if (only is None or key in only) and key in self.deps.hub.specs and self.owner(key) != "personal"]
        return tuple(notes)

    def _shared_unreadable(self) -> tuple[str, ...]:
        return getattr(self.shared, "unreadable", ())  # a digest sweep may pass a plain mapping

    def owner(self, key: str) -> str:
        """Whose credentials provider `key` runs on: "personal", "workspace", or "" (not connected)."""
        return self.deps.hub.credentials_for(key, self.personal, self.shared)[1]

    def bind(self, key: str) -> Provider:
        """Provider `key` bound for this person (raises `NotConfigured` without credentials)."""
        hub = self.deps.hub
        if key in hub.extra:
            return hub.extra[key]
        if key not in hub.specs:
            raise NotFoundError(f"There is no provider called `{key}`.")
        values, owner = hub.credentials_for(key, self.personal, self.shared)
        return hub.bind(key, values, self.persist(key, owner))

    def searchable(self) -> tuple[list[Provider], dict[str, str]]:
        """The providers this person can search now, and why each other one is left out (by key)."""
        return self.deps.hub.available(self.personal, self.shared, persist_for=self.persist)

    def persist(self, key: str, owner: str) -> Persist | None:
        """The callback that stores provider `key`'s refreshed credentials into `owner`'s set."""
        if not owner:
            return None
        owner_id = self.person.user_id if owner == "personal" else None

        def store(new_values: dict[str, str]) -> None:
            credentials.save_credentials(self.deps.db, self.deps.vault, self.person.team_id, owner_id, key,
                                         new_values)

        return store
