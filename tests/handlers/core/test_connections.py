"""The connections service: credentials decrypted once per request, the person's own set
first, and refreshed credentials stored back into the set they came from."""

import pytest
from cryptography.fernet import Fernet

from handlers.core import grammar as g
from handlers.core.actions import run
from handlers.core.connections import Connections
from handlers.core.deps import Person
from handlers.core.errors import safely
from providers.errors import NotConfigured
from store import credentials
from store.crypto import Vault

ADA = Person("T1", "U1", email="ada@example.com", name="Ada", tz="Europe/Paris")
GRACE = Person("T1", "U2", email="grace@example.com", name="Grace", tz="UTC")



@pytest.fixture
def decryptions(deps, monkeypatch) -> list[str]:
    """Every credential row the vault decrypts, in order."""
    seen: list[str] = []
    decrypt = deps.vault.decrypt

    def counting(token: str) -> dict[str, str]:
        seen.append(token)
        return decrypt(token)

    monkeypatch.setattr(deps.vault, "decrypt", counting)
    return seen


def save(deps, owner: str | None, values: dict[str, str], provider: str = "learnflow") -> None:
    credentials.save_credentials(deps.db, deps.vault, "T1", owner, provider, values)


def search_learnflow(person: Person, deps) -> None:
    run(g.parse_command("web development provider:learnflow"), person, deps)


def test_a_token_refreshed_during_a_search_is_stored_in_the_persons_set(learnflow, deps):
    save(deps, "U1", {"access_token": "at-expired", "refresh_token": "rt-current"})
    learnflow.next_refresh_token = "rt-rotated"
    search_learnflow(ADA, deps)
    assert learnflow.paths() == ["/v1/courses", "/v1/auth/refresh", "/v1/courses"]
    stored = credentials.load_personal(deps.db, deps.vault, "T1", "U1")["learnflow"]
    assert (stored["access_token"], stored["refresh_token"]) == ("at-renewed", "rt-rotated")
    assert credentials.load_shared(deps.db, deps.vault, "T1") == {}

    search_learnflow(ADA, deps)  # the stored token is used: no second refresh
    assert learnflow.paths().count("/v1/auth/refresh") == 1


def test_a_workspace_token_refreshed_during_a_search_goes_back_to_the_workspace_set(learnflow, deps):
    save(deps, None, {"access_token": "at-expired", "refresh_token": "rt-current"})
    search_learnflow(ADA, deps)
    assert credentials.load_shared(deps.db, deps.vault, "T1")["learnflow"]["access_token"] == "at-renewed"
    assert credentials.load_personal(deps.db, deps.vault, "T1", "U1") == {}


def test_the_persons_own_credentials_win_for_them_only(learnflow, deps):
    save(deps, None, {"access_token": "at-current"})
    save(deps, "U1", {"access_token": "at-ada"})
    learnflow.valid_tokens = {"at-current", "at-ada"}
    search_learnflow(ADA, deps)
    search_learnflow(GRACE, deps)
    assert learnflow.bearers() == ["Bearer at-ada", "Bearer at-current"]
    assert (Connections(ADA, deps).owner("learnflow"), Connections(GRACE, deps).owner("learnflow")) == \
        ("personal", "workspace")


def test_a_search_decrypts_each_credential_set_once(learnflow, deps, decryptions):
    save(deps, None, {"access_token": "at-current"})
    save(deps, "U1", {"access_token": "at-current"}, provider="inokufu")
    search_learnflow(ADA, deps)
    assert len(decryptions) == 2  # the person's row and the workspace's, once each
    assert len(set(decryptions)) == 2


def test_the_local_catalog_needs_no_credentials_read(deps, decryptions):
    save(deps, "U1", {"access_token": "at-ada"})
    assert Connections(ADA, deps).bind("catalog").key == "catalog"
    assert decryptions == []


def test_a_provider_without_credentials_is_not_configured_and_says_which(deps):
    with pytest.raises(NotConfigured):
        Connections(ADA, deps).bind("learnflow")
    providers, skipped = Connections(ADA, deps).searchable()
    assert "learnflow" in skipped and "learnflow" not in {p.key for p in providers}


def save_under_another_key(deps, owner: str | None, provider: str, values: dict[str, str]) -> None:
    """A set saved with a key learnbot no longer has: it cannot be decrypted any more."""
    credentials.save_credentials(deps.db, Vault([Fernet.generate_key().decode()]), "T1", owner, provider, values)


RECONNECT_LEARNFLOW = ("Your LearnFlow connection can no longer be read (the encryption key changed): "
                       "connect it again with `/learn connect learnflow`.")


def test_an_unreadable_personal_set_disables_only_that_provider(learnflow, deps):
    save_under_another_key(deps, "U1", "learnflow", {"access_token": "at-lost"})
    save(deps, None, {"key": "workspace-key", "secret": "workspace-secret", "org": "9"}, provider="learnifier")
    connections = Connections(ADA, deps)
    assert connections.unreadable == ("learnflow",)
    assert connections.owner("learnifier") == "workspace" and connections.owner("learnflow") == ""
    assert connections.unreadable_notes() == (RECONNECT_LEARNFLOW,)


def test_a_search_carries_on_with_the_rest_and_says_whom_to_reconnect(learnflow, deps):
    save_under_another_key(deps, "U1", "learnflow", {"access_token": "at-lost"})
    page = run(g.parse_command("python"), ADA, deps)
    assert page.entries  # the catalog still answers
    assert RECONNECT_LEARNFLOW in page.notes
    assert "/v1/courses" not in learnflow.paths()


def test_an_unreadable_workspace_set_asks_for_an_admin_unless_the_persons_own_replaces_it(learnflow, deps):
    save_under_another_key(deps, None, "learnflow", {"access_token": "at-lost"})
    grace_notes = run(g.parse_command("python"), GRACE, deps).notes
    assert any("workspace's LearnFlow connection can no longer be read" in note and "admin" in note
               for note in grace_notes)
    save(deps, "U1", {"access_token": "at-current", "user_id": "usr_7f3d9a"})
    assert Connections(ADA, deps).unreadable_notes() == ()


def test_providers_lists_the_rest_and_the_reconnect_sentence(deps):
    save_under_another_key(deps, "U1", "learnflow", {"access_token": "at-lost"})
    reply = run(g.Providers(), ADA, deps)
    assert any("Local catalog" in line or "catalog" in line.lower() for line in reply.lines)
    assert reply.lines[-1] == RECONNECT_LEARNFLOW


def test_progress_on_an_unreadable_learning_records_set_says_to_reconnect(deps):
    save_under_another_key(deps, "U1", "lrs", {"url": "https://lrs.example/xAPI", "username": "u", "password": "p"})
    reply = safely(lambda: run(g.Progress(), ADA, deps))
    assert "connection can no longer be read" in reply.text and "`/learn connect lrs`" in reply.text
