"""`learnbot chat`: the same conversation as a DM, as terminal text; piped as in tests and
scripts, and on a pseudo-terminal as a person types it."""

import dataclasses
import io
import json
import os
import pty
import select
import subprocess
import sys
import time

import pytest

from handlers.core import grammar
from handlers.core.replies import ResultsPage
from handlers.terminal import Screen, colour, wrap


def environment(tmp_path) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "LEARNBOT_DB": str(tmp_path / "chat.db"), "HOME": str(tmp_path)}


def chat(tmp_path, *lines: str) -> str:
    env = environment(tmp_path)
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
    result_lines = [line for line in out.splitlines() if " · " in line and not line.startswith("Understood")]
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


def imported_by_chat(tmp_path) -> list[str]:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "bot", "chat"], input="python\n",
                            capture_output=True, text=True, env=environment(tmp_path), cwd=tmp_path, timeout=120)
    assert result.returncode == 0 and "Results for" in result.stdout
    return [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line]


def test_chat_imports_nothing_of_slack(tmp_path):
    """The terminal never talks to Slack, so it does not pay for importing Bolt or slack_sdk."""
    imported = imported_by_chat(tmp_path)
    assert "handlers.terminal" in imported
    assert not [name for name in imported if name.startswith(("slack_bolt", "slack_sdk", "handlers.slack"))]


def test_an_unchanged_bundled_catalog_is_not_checked_again(tmp_path):
    """Checking the bundle repairs every text with ftfy: the first start does it, the next does not."""
    assert "ftfy" in imported_by_chat(tmp_path)
    assert "ftfy" not in imported_by_chat(tmp_path)


# --- terminal wording ------------------------------------------------------------------------------

SLACK_WORDS = ("/learn", "press", "button", "click", "form", "*")


def test_answers_give_terminal_commands_not_slack_instructions(tmp_path):
    out = chat(tmp_path, "saved", "enrollments", "python", "save 1", "prefs", "prefs colour=blue", "prefs what",
               "digest", "digest off", "more 99", "enroll 99", "save", "enroll", "forget-me", "no")
    assert "Type `save N` to save result N of a search." in out
    assert "Type `enroll N` to enroll result N of a search." in out
    assert "`saved` lists your saved items" in out and "`digest on` turns them back on" in out
    assert "`prefs set topics=python,sql" in out and "Type `yes` to confirm" in out
    shown = [line for line in out.splitlines() if not line.startswith("    ")]  # not a result's own text
    assert not [line for line in shown if any(word in line.lower() for word in SLACK_WORDS)]


def test_help_lists_commands_as_typed_here(tmp_path):
    out = chat(tmp_path, "help")
    assert "• `saved` — your saved items" in out and "• `more` — the next page" in out
    assert "Ask in plain words: `python videos in french under 2 hours`, then `save 3`" in out
    assert "/learn" not in out and "direct message" not in out


def test_one_result_is_one_result(tmp_path):
    catalog = tmp_path / "one.json"
    catalog.write_text(json.dumps([{"title": "Zyxwvut onboarding", "url": "https://intranet.example/zyxwvut",
                                    "type": "course", "language": "en"}]))
    imported = subprocess.run([sys.executable, "-m", "bot", "catalog", "import", str(catalog)], capture_output=True,
                              text=True, env=environment(tmp_path), cwd=tmp_path, timeout=60)
    assert "Imported 1 learning resource into" in imported.stdout, imported.stderr
    out = chat(tmp_path, "zyxwvut", "save 2", "enroll 3")
    assert "\n1 result; from Local catalog." in out
    assert out.count("Your last search has 1 result; pick number 1.") == 2


@pytest.mark.skipif(not hasattr(grammar, "Unsave"), reason="the unsave command lands with branch p2d")
def test_unsave_removes_a_saved_item(tmp_path):
    out = chat(tmp_path, "python", "save 1", "save 2", "saved", "unsave 1", "saved")
    before, after = out.split("Removed “")
    removed = after.split("”")[0]
    assert removed in before.split("Your saved items:")[1] and "Type `unsave N` to remove item N." in before
    assert removed not in after.split("Your saved items:")[1]


@pytest.mark.skipif("understood" not in {f.name for f in dataclasses.fields(ResultsPage)},
                    reason="the understood line lands with branch p2d")
def test_what_was_understood_is_printed_under_the_header(tmp_path):
    out = chat(tmp_path, "python videos in french under 2 hours")
    header, understood = out.split("Results for", 1)[1].splitlines()[:2]
    assert "python" in header and understood.startswith("Understood: ")
    assert "video" in understood and "2 h" in understood


# --- the screen ------------------------------------------------------------------------------------

class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_piped_answers_are_written_as_they_are():
    out = io.StringIO()
    Screen(out, env={}).show("x " * 100 + "`help`")
    assert out.getvalue() == "x " * 100 + "`help`\n\n"


def test_control_characters_from_a_provider_title_never_reach_the_terminal():
    out = Tty()
    Screen(out, env={"NO_COLOR": "1"}).show("1. Python \x1b]0;pwned\x07\x1b[2J basics\x9b31m\nline two\tend")
    assert out.getvalue() == "1. Python ]0;pwned[2J basics31m\nline two\tend\n\n"


@pytest.mark.parametrize("env,coloured", [({}, True), ({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False)])
def test_colour_only_on_a_terminal_without_no_color(env, coloured):
    out = Tty()
    Screen(out, env=env).show("Type `more` for the next page.")
    assert ("\033[36mmore\033[0m" in out.getvalue()) is coloured
    assert ("`more`" in out.getvalue()) is not coloured


def test_wrap_folds_under_the_indent_and_keeps_commands_and_addresses_whole():
    text = ("• `prefs set topics=python,sql lang=en,fr` sets them directly and says so\n"
            "    https://intranet.example/a-rather-long-address/that-never-breaks-anywhere")
    folded = wrap(text, 30).splitlines()
    assert folded[0] == "• `prefs set topics=python,sql lang=en,fr`"
    assert all(line.startswith("  ") for line in folded[1:-1])
    assert folded[-1] == "    https://intranet.example/a-rather-long-address/that-never-breaks-anywhere"
    assert all(len(line) <= 30 for line in folded if "`" not in line and "https" not in line)


def test_colour_marks_problems_titles_and_commands():
    text = colour("! That failed; try `help`.\n 1. Python basics\n    id: catalog:py")
    problem, title, ident = text.splitlines()
    assert problem.startswith("\033[31m! That failed") and "\033[36mhelp\033[0m\033[31m" in problem
    assert title == " 1. \033[1mPython basics\033[0m"
    assert ident.startswith("\033[2m")


# --- on a terminal ---------------------------------------------------------------------------------

def read_until(leader: int, wanted: bytes, timeout: float = 30.0) -> bytes:
    seen, deadline = b"", time.monotonic() + timeout
    while wanted not in seen:
        assert time.monotonic() < deadline, seen[-500:]
        if select.select([leader], [], [], 0.2)[0]:
            seen += os.read(leader, 65536)
    return seen


def test_on_a_terminal_lines_are_edited_recalled_and_kept_beside_the_database(tmp_path):
    """Up-arrow recalls the line before; Backspace edits it; the history file is the person's
    only (0600) and goes with forget-me."""
    leader, follower = pty.openpty()
    env = {**environment(tmp_path), "TERM": "xterm", "NO_COLOR": "1"}
    process = subprocess.Popen([sys.executable, "-m", "bot", "chat"], stdin=follower, stdout=follower,
                               stderr=follower, env=env, cwd=tmp_path)
    os.close(follower)
    try:
        read_until(leader, b"you> ")
        os.write(leader, b"savd\n")
        read_until(leader, b"you> ")
        os.write(leader, b"\x1b[A\x7fed\n")  # up, backspace, "ed": savd -> saved
        assert b"You have not saved anything yet." in read_until(leader, b"you> ")
        os.write(leader, b"\x04")  # Ctrl-D
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
    history = tmp_path / "chat.history"
    assert history.read_text().split() == ["savd", "saved"]
    assert history.stat().st_mode & 0o777 == 0o600

    out = chat(tmp_path, "forget-me", "yes")
    assert "deleted everything" in out and not history.exists()
