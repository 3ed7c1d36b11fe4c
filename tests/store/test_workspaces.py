from store import credentials
from store.workspaces import clear_gone, gone_teams, is_gone, mark_gone


def test_a_workspace_marked_gone_loses_its_shared_credentials_only(db, vault, now):
    credentials.save_credentials(db, vault, "T1", None, "learnflow", {"access_token": "shared"})
    credentials.save_credentials(db, vault, "T1", "U1", "learnflow", {"access_token": "ada's"})
    credentials.save_credentials(db, vault, "T2", None, "learnflow", {"access_token": "other team"})
    assert mark_gone(db, "T1", "app_uninstalled", now=now) == 1
    assert is_gone(db, "T1") and gone_teams(db) == {"T1"}
    assert credentials.load_shared(db, vault, "T1") == {}
    assert list(credentials.load_personal(db, vault, "T1", "U1")) == ["learnflow"]
    assert list(credentials.load_shared(db, vault, "T2")) == ["learnflow"]


def test_a_resent_event_marks_once(db, now):
    assert mark_gone(db, "T1", "tokens_revoked", now=now) == 0
    assert mark_gone(db, "T1", "tokens_revoked", now=now) is None
    assert gone_teams(db) == {"T1"}


def test_the_workspace_coming_back_clears_the_mark(db, now):
    mark_gone(db, "T1", "app_uninstalled", now=now)
    assert clear_gone(db, "T1") is True
    assert not is_gone(db, "T1") and gone_teams(db) == set()
    assert clear_gone(db, "T1") is False
