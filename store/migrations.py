"""learnbot's own tables, one migration per schema change.

Every table is keyed by ``team_id`` and ``user_id`` so one workspace never reads
another's rows. Where a duplicate row would be a bug (two saved copies of an item, two
enrolment attempts, two digests in a week), the natural key is the primary key, so
SQLite refuses the duplicate instead of the code having to remember to check.

Lists and item payloads are stored as JSON text. Timestamps are ISO 8601 UTC text.
Never edit a migration that has shipped: add a new one below.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("learnbot")

PERSON = ("team_id", "user_id")


@migrations()
def create_users(db: Database) -> None:
    db["users"].create(
        {
            "team_id": str,
            "user_id": str,
            "tz": str,
            "locale": str,
            "email": str,
            "name": str,
            "tz_checked_at": str,
            "created_at": str,
            "digest_notice_sent": int,
        },
        pk=PERSON,
        not_null={"created_at", "digest_notice_sent"},
        defaults={"digest_notice_sent": 0},
    )


@migrations()
def create_preferences(db: Database) -> None:
    db["preferences"].create(
        {
            "team_id": str,
            "user_id": str,
            "topics": str,
            "languages": str,
            "types": str,
            "providers": str,
            "max_minutes": int,
            "digest_day": int,
            "digest_time": str,
            "digest_enabled": int,
            "snoozed_week": str,
            "explicit": int,
            "updated_at": str,
        },
        pk=PERSON,
        not_null={"digest_day", "digest_time", "digest_enabled", "explicit", "updated_at"},
    )


@migrations()
def create_credentials(db: Database) -> None:
    # Workspace-shared credentials use user_id "" rather than NULL: SQLite treats NULLs
    # as distinct in a key, which would allow two shared rows for one provider.
    db["credentials"].create(
        {"team_id": str, "user_id": str, "provider": str, "token": str, "updated_at": str},
        pk=(*PERSON, "provider"),
        not_null={"token", "updated_at"},
    )


@migrations()
def create_saved_items(db: Database) -> None:
    db["saved_items"].create(
        {"team_id": str, "user_id": str, "ref": str, "item": str, "saved_at": str},
        pk=(*PERSON, "ref"),
        not_null={"item", "saved_at"},
    )


@migrations()
def create_enrollments(db: Database) -> None:
    db["enrollments"].create(
        {
            "team_id": str,
            "user_id": str,
            "ref": str,
            "provider": str,
            "item": str,
            "status": str,
            "external_id": str,
            "progress_completed": int,
            "progress_total": int,
            "idempotency_key": str,
            "created_at": str,
            "updated_at": str,
        },
        pk=(*PERSON, "ref"),
        not_null={"provider", "item", "status", "idempotency_key", "created_at", "updated_at"},
    )


@migrations()
def create_searches(db: Database) -> None:
    db["searches"].create(
        {
            "id": int,
            "team_id": str,
            "user_id": str,
            "text": str,
            "query": str,
            "items": str,
            "statuses": str,
            "created_at": str,
        },
        pk="id",
        not_null={*PERSON, "text", "query", "items", "statuses", "created_at"},
    )
    db["searches"].create_index([*PERSON, "id"])


@migrations()
def create_seen_items(db: Database) -> None:
    db["seen_items"].create(
        {"team_id": str, "user_id": str, "ref": str, "via": str, "first_seen": str},
        pk=(*PERSON, "ref"),
        not_null={"via", "first_seen"},
    )


@migrations()
def create_digest_ledger(db: Database) -> None:
    db["digest_ledger"].create(
        {
            "team_id": str,
            "user_id": str,
            "week": str,
            "status": str,
            "claimed_by": str,
            "claimed_at": str,
            "sent_at": str,
            "message_ts": str,
            "channel": str,
        },
        pk=(*PERSON, "week"),
        not_null={"status", "claimed_by", "claimed_at"},
    )
    db["digest_ledger"].create_index(["week", "status"])


@migrations()
def add_search_page_shown(db: Database) -> None:
    """The page of a search last shown, so a typed `more` goes on from there."""
    db["searches"].add_column("page", int, not_null_default=0)


@migrations()
def create_deliveries(db: Database) -> None:
    """Slack events and interactions already acted on, so a resent one is acted on once.

    No person's id is stored: an event is keyed by its team and event id, an
    interaction by a hash (see store.events).
    """
    db["deliveries"].create(
        {"kind": str, "key": str, "claimed_at": str},
        pk=("kind", "key"),
        not_null={"claimed_at"},
    )
    db["deliveries"].create_index(["claimed_at"])


@migrations()
def add_enrollment_lease(db: Database) -> None:
    """Until when a 'pending' enrollment's claim holds, so a claim left by a process
    that stopped mid-call can be taken again (NULL: expired)."""
    db["enrollments"].add_column("lease_until", str)


@migrations()
def add_preferences_learnflow_user_id(db: Database) -> None:
    """The LearnFlow user id a person gave learnbot, to enroll with the workspace's token."""
    db["preferences"].add_column("learnflow_user_id", str)


@migrations()
def create_workspaces(db: Database) -> None:
    """Workspaces that uninstalled learnbot or revoked its tokens: nothing is sent there."""
    db["workspaces"].create(
        {"team_id": str, "gone_at": str, "reason": str},
        pk="team_id",
        not_null={"gone_at", "reason"},
    )


@migrations()
def add_search_outcome(db: Database) -> None:
    """What a search's answer said beyond its items (real total, correction, partial
    matches, suggestions), as JSON, so every page of it says the same."""
    db["searches"].add_column("outcome", str, not_null_default="{}")


@migrations()
def add_lrs_account(db: Database) -> None:
    """The person's own account name in the organisation's learning record store."""
    db["preferences"].add_column("lrs_account", str)
