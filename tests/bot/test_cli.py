"""The `learnbot` command line as a real process: its version, and no log line on the
commands that answer on stdout (warnings and errors still show)."""

import logging
import os
import subprocess
import sys
from importlib.metadata import version

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from bot.cli import main


def learnbot(tmp_path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LEARNBOT_DB": str(tmp_path / "cli.db"), **env}
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)


def test_version_names_the_installed_package(tmp_path):
    result = learnbot(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"learnbot {version('learnbot')}"


@pytest.mark.parametrize("args,stdin", [(("chat",), "python\nsave 1\n"), (("keys", "rotate"), ""),
                                        (("digest", "run"), "")])
def test_ordinary_commands_log_nothing(tmp_path, args, stdin):
    """Without LEARNBOT_SECRET_KEY the key comes from a file, which `run` logs; these do not."""
    result = learnbot(tmp_path, *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert result.stdout
    assert result.stderr == ""


@pytest.fixture
def root_logger():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:], root.level = handlers, level


@pytest.mark.parametrize("command,level", [("run", logging.INFO), ("chat", logging.WARNING),
                                           ("catalog", logging.WARNING), ("digest", logging.WARNING)])
def test_run_logs_what_it_does_and_the_others_only_warnings_and_errors(root_logger, command, level):
    CliRunner().invoke(main, [command, "--help"], catch_exceptions=False)
    assert root_logger.level == level and root_logger.handlers


def test_a_key_given_in_the_environment_is_never_printed(tmp_path):
    key = Fernet.generate_key().decode()
    result = learnbot(tmp_path, "chat", stdin="python\n", LEARNBOT_SECRET_KEY=key)
    assert result.returncode == 0 and key not in result.stdout + result.stderr
