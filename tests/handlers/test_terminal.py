"""`learnbot chat` driven through a pipe: the same conversation as a DM, as text."""

import os
import subprocess
import sys


def chat(tmp_path, *lines: str) -> str:
    env = {"PATH": os.environ["PATH"], "LEARNBOT_DB": str(tmp_path / "chat.db"), "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bot", "chat"], input="\n".join(lines) + "\n",
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def test_search_save_enroll_and_help(tmp_path):
    out = chat(tmp_path, "python", "save 1", "enroll 2", "saved", "enrollments", "help")
    answers = out.split("\n\n")
    assert "Results for “python”" in out and "id: catalog:" in out
    assert any(a.startswith("Saved “") for a in answers)
    assert "You are enrolled in" in out
    assert "Your saved items:" in out and "Your enrollments:" in out
    assert "enroll <result number or id>" in out


def test_plain_words_filters_apply(tmp_path):
    out = chat(tmp_path, "python videos in french under 2 hours")
    result_lines = [line for line in out.splitlines() if " · " in line]
    assert result_lines and all("video · fr" in line for line in result_lines)


def test_more_pages_on_and_stops_at_the_end(tmp_path):
    out = chat(tmp_path, "python", "more", "more")
    assert "page 2 of" in out and "page 3 of" in out


def test_forget_me_asks_and_cancels_without_yes(tmp_path):
    out = chat(tmp_path, "python", "save 1", "forget-me", "no", "saved")
    assert "Cancelled: nothing changed." in out
    assert "Your saved items:" in out


def test_forget_me_with_yes_deletes(tmp_path):
    out = chat(tmp_path, "python", "save 1", "forget-me", "yes", "saved")
    assert "deleted everything" in out
    assert "You have not saved anything yet" in out


def test_bad_input_is_explained(tmp_path):
    out = chat(tmp_path, "python max:forever", "enroll 99")
    assert "is not a duration" in out
    assert "You have no search results yet" in out


def test_chat_imports_nothing_of_slack(tmp_path):
    """The terminal never talks to Slack, so it does not pay for importing Bolt or slack_sdk."""
    env = {"PATH": os.environ["PATH"], "LEARNBOT_DB": str(tmp_path / "chat.db"), "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "bot", "chat"], input="python\n",
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert result.returncode == 0 and "Results for" in result.stdout
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line]
    assert "handlers.terminal" in imported
    assert not [name for name in imported if name.startswith(("slack_bolt", "slack_sdk", "handlers.slack"))]
