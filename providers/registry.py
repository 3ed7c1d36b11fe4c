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

import httpx

from providers.base import HttpClient, SharedSSLContext
from providers.errors import NotConfigured
from providers.model import CredentialField, Provider

Credentials = dict[str, str]
Persist = Callable[[Credentials], None]
Builder = Callable[[HttpClient, Credentials, Mapping[str, str], Persist | None], Provider]
"""Builds a provider: (its shared HttpClient, the credentials, the environment, and a
callback that stores refreshed credentials, e.g. a new LearnFlow token pair)."""


@dataclass(frozen=True)
class ProviderSpec:
    """How to configure and build one provider.

    `credential_env` maps each credential field to the environment variable holding the
    workspace-wide value; `options_env` maps non-secret options (``rapidapi``, ``org``…).
    `required` names the fields without which the provider is not searched.
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

    def missing(self, credentials: Credentials) -> list[str]:
        return [name for name in self.required if not credentials.get(name)]


class ProviderHub:
    """Owns one `HttpClient` per provider and binds providers to credentials.

    `transports` lets tests point every client at local fakes.
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
        self.ssl_context = SharedSSLContext()
        self.http = {
            spec.key: HttpClient(
                spec.label,
                self.env.get(spec.url_env) or spec.default_url,
                rate_per_second=spec.rate_per_second,
                transport=transports.get(spec.key),
                read_error=spec.read_error,
                retry_rate_limits=spec.retry_rate_limits,
                ssl_context=self.ssl_context,
            )
            for spec in specs
        }

    def workspace_credentials(self, key: str) -> Credentials:
        spec = self.specs[key]
        values = {name: self.env.get(var, "") for name, var in spec.credential_env.items()}
        values.update({name: self.env.get(var, "") for name, var in spec.options_env.items()})
        return {name: value for name, value in values.items() if value}

    def credentials_for(self, key: str, personal: Mapping[str, Credentials],
                        shared: Mapping[str, Credentials]) -> tuple[Credentials, str]:
        """The credentials to use for `key` and whose they are: "personal", "workspace" or ""."""
        spec = self.specs[key]
        if personal.get(key) and not spec.missing(personal[key]):
            return dict(personal[key]), "personal"
        workspace = {**self.workspace_credentials(key), **shared.get(key, {})}
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

    def available(self, personal: Mapping[str, Credentials],
                  shared: Mapping[str, Credentials]) -> tuple[list[Provider], dict[str, str]]:
        """Providers this person can search now, and why each other one is left out."""
        providers: list[Provider] = list(self.extra.values())
        skipped: dict[str, str] = {}
        for key, spec in self.specs.items():
            if not spec.searchable:
                continue
            credentials, _owner = self.credentials_for(key, personal, shared)
            if not credentials:
                skipped[key] = f"not connected (needs {', '.join(spec.missing({}))})"
                continue
            providers.append(self.bind(key, credentials))
        return providers, skipped

    def labels(self) -> dict[str, str]:
        return {**{k: p.label for k, p in self.extra.items()},
                **{k: s.label for k, s in self.specs.items()}}

    async def aclose(self) -> None:
        for client in self.http.values():
            await client.aclose()
