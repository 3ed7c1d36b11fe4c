"""Every Slack identifier in one place: builders and listeners import from here."""

from enum import StrEnum

COMMAND = "/learn"


class Action(StrEnum):
    OPEN = "item_open"
    SAVE = "item_save"
    ENROLL = "item_enroll"
    MORE = "results_more"
    DROP_FILTER = "results_without"  # + ":<filter key>", unique within its block
    SUGGESTION = "results_suggestion"  # + ":<index>"
    UNSAVE = "item_unsave"
    CONFIRM = "confirm"
    CANCEL = "cancel"
    EDIT_PREFS = "home_edit_prefs"
    CONNECT = "home_connect"
    CONNECT_PICK = "connect_pick_provider"
    DIGEST_SNOOZE = "digest_snooze"
    DIGEST_SCHEDULE = "digest_schedule"
    DIGEST_STOP = "digest_stop"


class View(StrEnum):
    CONNECT = "connect_provider"
    PREFS = "preferences"
    LEARNFLOW_USER_ID = "learnflow_user_id"


class Block(StrEnum):
    CONNECT_PROVIDER = "connect_provider"
    CONNECT_SHARE = "connect_share"
    PREFS_TOPICS = "prefs_topics"
    PREFS_LANGUAGES = "prefs_languages"
    PREFS_TYPES = "prefs_types"
    PREFS_PROVIDERS = "prefs_providers"
    PREFS_MAX = "prefs_max"
    PREFS_DIGEST_DAY = "prefs_digest_day"
    PREFS_DIGEST_TIME = "prefs_digest_time"
    PREFS_DIGEST_ON = "prefs_digest_on"
    PREFS_LRS_ACCOUNT = "prefs_lrs_account"
    LEARNFLOW_USER_ID = "learnflow_user_id"


def field_block(name: str) -> str:
    """Block id of a credential field in the connect modal."""
    return f"credential_{name}"
