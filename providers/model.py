"""The common model every provider client maps its answers to.

Nothing here knows about Slack or SQLite: handlers render these objects, the store
keeps them as JSON (`to_dict` / `from_dict`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

TYPES = ("video", "mooc", "podcast", "app", "course")
LEVELS = ("beginner", "intermediate", "advanced")
SORTS = ("best", "random")


@dataclass(frozen=True, slots=True)
class Price:
    amount: float
    currency: str

    def __str__(self) -> str:
        return f"{self.amount:g} {self.currency}"


@dataclass(frozen=True, slots=True)
class LearningObject:
    """One thing a person can learn from, whichever provider it came from.

    `id` is unique within its provider; `provider` is the provider key (``catalog``,
    ``inokufu``, ``learnflow``, ``learnifier``, ``linkedin``); `source` is who publishes it
    (edX, YouTube, the organisation…).
    """

    id: str
    provider: str
    title: str
    url: str
    source: str = ""
    description: str = ""
    type: str | None = None
    language: str | None = None
    duration_minutes: int | None = None
    level: str | None = None
    image: str | None = None
    price: Price | None = None
    enrollable: bool = False
    topics: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        """Globally unique reference, used in button values and `/learn enroll <id>`."""
        return f"{self.provider}:{self.id}"

    @property
    def is_paid(self) -> bool:
        return self.price is not None and self.price.amount > 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LearningObject:
        values = dict(data)
        if values.get("price"):
            values["price"] = Price(**values["price"])
        values["topics"] = tuple(values.get("topics") or ())
        return cls(**values)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What a person asked for; every provider translates it into its own parameters."""

    keywords: str
    types: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    max_minutes: int | None = None
    min_minutes: int | None = None
    level: str | None = None
    sort: str = "best"
    limit: int = 20

    def matches(self, item: LearningObject) -> bool:
        """True when `item` passes the filters (used by providers that cannot filter server-side)."""
        if self.types and item.type not in self.types:
            return False
        if self.languages and item.language not in self.languages:
            return False
        if self.level and item.level and item.level != self.level:
            return False
        if self.max_minutes is not None and item.duration_minutes is not None:
            if item.duration_minutes > self.max_minutes:
                return False
        if self.min_minutes is not None and item.duration_minutes is not None:
            if item.duration_minutes < self.min_minutes:
                return False
        return True


@dataclass(frozen=True, slots=True)
class Learner:
    """The person on whose behalf a provider is called.

    `locale` is their Slack locale (``fr-FR``), used to pick names from language maps;
    `lrs_account` is their own account name in the organisation's learning record store,
    when it differs from what `LEARNBOT_LRS_ACCOUNT_NAME` derives.
    `learnflow_user_id` is the LearnFlow user id the person gave learnbot when asked (see
    `NeedsLearnflowUserId`), for enrolling with the workspace's LearnFlow token.
    """

    team_id: str
    user_id: str
    email: str | None = None
    name: str | None = None
    locale: str | None = None
    lrs_account: str | None = None
    learnflow_user_id: str | None = None


@dataclass(frozen=True, slots=True)
class EnrollmentResult:
    status: str  # "enrolled" or "already"
    message: str
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a person is in an enrolled course, as the provider reports it."""

    completed: int
    total: int


@dataclass(frozen=True, slots=True)
class CredentialField:
    """One field of a provider's connect form. Secret fields are never shown back."""

    name: str
    label: str
    secret: bool = True
    optional: bool = False
    hint: str = ""


@runtime_checkable
class Provider(Protocol):
    """What the fan-out search and the Enroll button need from a provider client."""

    key: str
    label: str
    can_enroll: bool

    async def search(self, query: SearchQuery) -> list[LearningObject]: ...

    async def enroll(self, item: LearningObject, learner: Learner, *,
                     idempotency_key: str | None = None) -> EnrollmentResult:
        """Enroll once. `idempotency_key` is the enrollment's stored key, sent as the
        `Idempotency-Key` header: trying again with the same key cannot enroll twice.
        A 409 from the provider is "already" enrolled; a timeout after sending raises
        `EnrollmentUnconfirmed`."""
        ...


@dataclass(frozen=True, slots=True)
class ProviderPage:
    """One provider's answer when it knows more than the items it returns.

    `total` is how many items match in all (None when the provider does not say);
    `partial` means no item had every word, so these match only some of them;
    `missing_words` are the words none of them has.
    """

    items: list[LearningObject]
    total: int | None = None
    partial: bool = False
    missing_words: tuple[str, ...] = ()


@runtime_checkable
class PagedSearch(Protocol):
    """Optional: providers that report their real total and partial matches."""

    async def search_page(self, query: SearchQuery) -> ProviderPage: ...


@runtime_checkable
class LocalSearch(Protocol):
    """Optional: providers that answer at once, without the network (the local catalog);
    used to count what a search would find without one of its filters."""

    def find(self, query: SearchQuery) -> ProviderPage: ...


@runtime_checkable
class ProgressReporter(Protocol):
    """Optional: providers that can say how far a person is in an enrolled course."""

    async def progress(self, external_id: str, learner: Learner) -> Progress | None: ...


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    """How one provider fared in a fan-out: answered (with a count), timed out, or failed."""

    key: str
    label: str
    state: str  # "ok", "timeout", "error"
    count: int = 0
    reason: str = ""
    total: int | None = None  # how many match in all, when the provider says


@dataclass(frozen=True, slots=True)
class Correction:
    """A mistyped word replaced by a known one: "Showing results for python (you wrote pyhton)"."""

    wrote: str
    meant: str

    def __str__(self) -> str:
        return f"Showing results for {self.meant} (you wrote {self.wrote})"


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Something to try when a search found nothing; `query` is the search it would run.

    `kind` is "correction" (a known word close to one typed), "drop_filter" (the filter
    that removed the most; `found` says how many the search finds without it) or
    "related" (a related topic).
    """

    kind: str
    text: str
    query: SearchQuery
    found: int | None = None


@dataclass(slots=True)
class SearchOutcome:
    """What a fan-out found, and what a reply needs to be honest about it.

    `total` is how many items match across providers (duplicates counted once per
    provider); when a provider did not say and filled its page, it is a lower bound:
    `total_is_lower_bound` ("more than N"). `partial_refs` are the items that match only
    some of the words (shown after the others, to be labelled so) and `missing_words` the
    words none of those has ("nothing mentions cooking"); `correction` is set when
    the words searched are not the words typed; `suggestions` help when nothing was
    found; `unsearchable` means the keywords had no word that can match (emoji,
    punctuation, numbers or stop words only): ask what the person wants to learn.
    """

    items: list[LearningObject] = field(default_factory=list)
    statuses: list[ProviderStatus] = field(default_factory=list)
    total: int | None = None
    total_is_lower_bound: bool = False
    partial_refs: frozenset[str] = frozenset()
    missing_words: tuple[str, ...] = ()
    correction: Correction | None = None
    suggestions: tuple[Suggestion, ...] = ()
    unsearchable: bool = False

    @property
    def partial(self) -> bool:
        """True when some items shown do not contain every word searched."""
        return bool(self.partial_refs)

    @property
    def answered(self) -> list[ProviderStatus]:
        return [s for s in self.statuses if s.state == "ok"]

    @property
    def missing(self) -> list[ProviderStatus]:
        return [s for s in self.statuses if s.state != "ok"]
