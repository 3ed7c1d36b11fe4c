"""Which providers exist, how each is configured, and binding them to credentials.

Each client module declares a `SPEC` (its key, label, connect-form fields, environment
settings and default URL). `ProviderHub` creates each provider's `HttpClient` once (its
network client comes on the first request; all share one SSL context) and binds it to a
person's credentials, or the workspace's, for each search: the personal set always wins
for that person and is never used for anyone else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from providers.base import DEFAULT_MAX_RESPONSE_BYTES, HttpClient, SharedSSLContext
from providers.errors import NotConfigured
from providers.model import CredentialField, Provider

Credentials = dict[str, str]
Persist = Callable[[Credentials], None]
Builder = Callable[[HttpClient, Credentials, Mapping[str, str], Persist | None], Provider]
"""Builds a provider: (its shared HttpClient, the credentials, the environment, and a
callback that stores refreshed credentials, e.g. a new LearnFlow token pair)."""

MAX_RESPONSE_BYTES_ENV = "LEARNBOT_MAX_RESPONSE_BYTES"


@dataclass(frozen=True)
class ProviderSpec:
    """How to configure and build one provider.

    `credential_env` maps each credential field to the environment variable holding the
    workspace-wide value; `options_env` maps non-secret options (``rapidapi``, ``org``…).
    `required` names the fields without which the provider is not searched.
    `personal_fields` belong to one person (a LearnFlow user id): they are never taken from
    a workspace-wide set. `new_state` makes what the provider keeps between calls (a token
    cache…); the hub creates it once, with the provider's `HttpClient`, as `http.state`.
    """

    key: str
    label: str
    default_url: str
    url_env: str
    fields: tuple[CredentialField, ...]
    build: Builder
    credential_env: Mapping[str, str] = field(default_factory=dict)
    options_env: Mapping[str, str] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    can_enroll: bool = False
    searchable: bool = True
    rate_per_second: float | None = None
    retry_rate_limits: bool = True
    read_error: Callable[[httpx.Response], str | None] | None = None
    personal_fields: tuple[str, ...] = ()
    new_state: Callable[[], Any] | None = None
    check_env: Callable[[Mapping[str, str]], None] | None = None
    """Raises a one-line `ValueError` when one of the provider's options is malformed."""

    def missing(self, credentials: Credentials) -> list[str]:
        return [name for name in self.required if not credentials.get(name)]


class ProviderHub:
    """Owns one `HttpClient` per provider and binds providers to credentials.

    `transports` lets tests point every client at local fakes. `LEARNBOT_MAX_RESPONSE_BYTES`
    caps each answer (default 5 MB). A malformed setting (that one, or a provider's option)
    raises a one-line `ValueError` naming it, so the app stops at start.
    """

    def __init__(
        self,
        specs: list[ProviderSpec],
        env: Mapping[str, str],
        *,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        extra: Mapping[str, Provider] | None = None,
    ):
        self.specs = {spec.key: spec for spec in specs}
        self.env = dict(env)
        self.extra = dict(extra or {})
        transports = transports or {}
        max_response_bytes = max_response_bytes_from(self.env)
        for spec in specs:
            if spec.check_env is not None:
                spec.check_env(self.env)
        self.ssl_context = SharedSSLContext()
        self.http = {
            spec.key: HttpClient(
                spec.label,
                self.env.get(spec.url_env) or spec.default_url,
                rate_per_second=spec.rate_per_second,
                transport=transports.get(spec.key),
                read_error=spec.read_error,
                retry_rate_limits=spec.retry_rate_limits,
                max_response_bytes=max_response_bytes,
                state=spec.new_state() if spec.new_state else None,
                ssl_context=self.ssl_context,
            )
            for spec in specs
        }

    def workspace_credentials(self, key: str) -> Credentials:
        spec = self.specs[key]
        values = {name: self.env.get(var, "") for name, var in spec.credential_env.items()}
        values.update({name: self.env.get(var, "") for name, var in spec.options_env.items()})
        return {name: value for name, value in values.items() if value and name not in spec.personal_fields}

    def credentials_for(self, key: str, personal: Mapping[str, Credentials],
                        shared: Mapping[str, Credentials]) -> tuple[Credentials, str]:
        """The credentials to use for `key` and whose they are: "personal", "workspace" or ""."""
        spec = self.specs[key]
        if personal.get(key) and not spec.missing(personal[key]):
            return dict(personal[key]), "personal"
        shared_set = {name: value for name, value in shared.get(key, {}).items()
                      if name not in spec.personal_fields}
        workspace = {**self.workspace_credentials(key), **shared_set}
        if workspace and not spec.missing(workspace):
            return workspace, "workspace"
        return {}, ""

    def bind(self, key: str, credentials: Credentials, persist: Persist | None = None) -> Provider:
        if key in self.extra:
            return self.extra[key]
        spec = self.specs[key]
        if spec.missing(credentials):
            raise NotConfigured(spec.label)
        return spec.build(self.http[key], credentials, self.env, persist)

    def available(self, personal: Mapping[str, Credentials], shared: Mapping[str, Credentials], *,
                  persist_for: Callable[[str, str], Persist | None] | None = None,
                  ) -> tuple[list[Provider], dict[str, str]]:
        """Providers this person can search now, and why each other one is left out.

        `persist_for(key, owner)` gives the callback that stores refreshed credentials of
        provider `key` back into the set they came from ("personal" or "workspace").
        """
        providers: list[Provider] = list(self.extra.values())
        skipped: dict[str, str] = {}
        for key, spec in self.specs.items():
            if not spec.searchable:
                continue
            credentials, owner = self.credentials_for(key, personal, shared)
            if not credentials:
                skipped[key] = f"not connected (needs {', '.join(spec.missing({}))})"
                continue
            providers.append(self.bind(key, credentials, persist_for(key, owner) if persist_for else None))
        return providers, skipped

    def labels(self) -> dict[str, str]:
        return {**{k: p.label for k, p in self.extra.items()},
                **{k: s.label for k, s in self.specs.items()}}

    async def aclose(self) -> None:
        for client in self.http.values():
            await client.aclose()


def max_response_bytes_from(env: Mapping[str, str]) -> int:
    """`LEARNBOT_MAX_RESPONSE_BYTES` as a positive number of bytes; the default when unset."""
    value = env.get(MAX_RESPONSE_BYTES_ENV, "").strip()
    if not value:
        return DEFAULT_MAX_RESPONSE_BYTES
    if not value.isdigit() or int(value) == 0:
        raise ValueError(f"{MAX_RESPONSE_BYTES_ENV} must be a positive whole number of bytes, "
                         f"like 5000000 (5 MB); it is {value!r}.")
    return int(value)
