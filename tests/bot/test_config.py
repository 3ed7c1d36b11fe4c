"""Settings: read once; a missing or malformed one stops the start with one line naming it."""

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings

GOOD = {"SLACK_BOT_TOKEN": "xoxb-123-456-abcdef", "SLACK_SIGNING_SECRET": "a" * 32,
        "SLACK_APP_TOKEN": "xapp-1-A1-123-abcdef"}


def test_defaults():
    settings = Settings.from_env({})
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.db_path == Path("learnbot.db")
    assert settings.search_deadline == 2.5


def test_slack_api_url_gets_a_trailing_slash():
    assert Settings.from_env({"SLACK_API_URL": "http://127.0.0.1:9/api"}).slack_api_url == "http://127.0.0.1:9/api/"


@pytest.mark.parametrize("name,value", [("SLACK_BOT_TOKEN", "xoxp-user-token"), ("SLACK_APP_TOKEN", "token"),
                                        ("SLACK_SIGNING_SECRET", "not a secret!"), ("SLACK_API_URL", "ftp://x"),
                                        ("LEARNBOT_SEARCH_DEADLINE", "soon"), ("LEARNBOT_SEARCH_DEADLINE", "-1")])
def test_malformed_settings_are_named(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({**GOOD, name: value})


def test_malformed_token_is_not_echoed():
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-has spaces-secretvalue"})
    assert "secretvalue" not in str(error.value)


@pytest.mark.parametrize("http,missing", [(False, "SLACK_APP_TOKEN"), (True, "SLACK_SIGNING_SECRET")])
def test_run_mode_names_the_setting_it_lacks(http, missing):
    env = {k: v for k, v in GOOD.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        Settings.from_env(env).require_slack(http=http)


def test_secrets_stay_out_of_repr():
    assert "abcdef" not in repr(Settings.from_env(GOOD))


def test_learnbot_run_stops_with_one_line_naming_the_missing_setting(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin"}, timeout=60)
    assert result.returncode != 0
    assert "SLACK_BOT_TOKEN is missing" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value,level", [(None, logging.INFO), ("debug", logging.DEBUG), ("WARNING", logging.WARNING)])
def test_the_log_level_is_debug_info_or_warning(value, level):
    env = {} if value is None else {"LEARNBOT_LOG_LEVEL": value}
    assert Settings.from_env(env).log_level == level


@pytest.mark.parametrize("name,value", [("LEARNBOT_LOG_LEVEL", "TRACE"), ("LEARNBOT_MAX_RESPONSE_BYTES", "5MB"),
                                        ("LEARNBOT_LEARNFLOW_USER_ID", "login"),
                                        ("LEARNBOT_LRS_ACCOUNT_NAME", "nickname")])
def test_provider_and_log_settings_are_start_errors_naming_them(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})
