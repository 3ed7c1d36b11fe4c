import pytest

from store.preferences import Preferences, get_preferences, has_preferences, save_preferences


def test_defaults_when_nothing_is_stored(db):
    assert get_preferences(db, "T1", "U1") == Preferences(
        topics=(),
        languages=(),
        types=(),
        providers=(),
        max_minutes=None,
        digest_day=0,
        digest_time="09:00",
        digest_enabled=True,
        snoozed_week=None,
        explicit=False,
    )


def test_saved_preferences_round_trip(db):
    prefs = Preferences(
        topics=("python", "sql"),
        languages=("en", "fr"),
        types=("video",),
        providers=("inokufu",),
        max_minutes=120,
        digest_day=4,
        digest_time="16:30",
        digest_enabled=False,
        snoozed_week="2026-W48",
    )
    save_preferences(db, "T1", "U1", prefs)
    assert get_preferences(db, "T1", "U1") == Preferences(
        topics=("python", "sql"),
        languages=("en", "fr"),
        types=("video",),
        providers=("inokufu",),
        max_minutes=120,
        digest_day=4,
        digest_time="16:30",
        digest_enabled=False,
        snoozed_week="2026-W48",
        explicit=True,
    )


def test_save_marks_preferences_explicit(db):
    assert save_preferences(db, "T1", "U1", Preferences()).explicit is True


def test_saving_again_replaces_the_earlier_preferences(db):
    save_preferences(db, "T1", "U1", Preferences(topics=("python",)))
    save_preferences(db, "T1", "U1", Preferences(topics=("sql",)))
    assert get_preferences(db, "T1", "U1").topics == ("sql",)


def test_has_preferences_only_after_saving(db):
    assert has_preferences(db, "T1", "U1") is False
    save_preferences(db, "T1", "U1", Preferences())
    assert has_preferences(db, "T1", "U1") is True


def test_preferences_of_one_team_are_not_read_in_another(db):
    save_preferences(db, "T1", "U1", Preferences(topics=("python",)))
    assert get_preferences(db, "T2", "U1") == Preferences()


def test_lists_are_kept_as_tuples():
    assert Preferences(topics=["python"]).topics == ("python",)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("digest_day", 7),
        ("digest_day", -1),
        ("digest_time", "9:00"),
        ("digest_time", "24:00"),
        ("snoozed_week", "2026-48"),
        ("snoozed_week", "2026-W54"),
        ("max_minutes", 0),
    ],
)
def test_invalid_values_are_refused(field, value):
    with pytest.raises(ValueError, match=field):
        Preferences(**{field: value})
