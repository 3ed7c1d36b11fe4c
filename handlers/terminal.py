"""`learnbot chat`: the same conversation as a Slack DM, in a terminal, rendered as text.

On a terminal the line can be edited and recalled (the standard library's readline: arrow
keys, Ctrl-R, Tab completes a command word), answers are wrapped to the window's width and
commands are coloured (not when NO_COLOR is set). Piped in and out, as in tests and
`make demo` scripts, lines are read and answers written as they are.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TextIO

from handlers.core import grammar as g
from handlers.core.actions import confirmed, run
from handlers.core.deps import Deps, Person
from handlers.core.errors import UsageError, problem_for, safely
from handlers.core.render_text import printable, render_text
from handlers.core.replies import Confirm, Notice, Problem, Reply

GREETING = ("learnbot — offline on the bundled catalog. Type what you want to learn "
            "(e.g. \"python videos under 2 hours\"), `help`, or `quit`.")
PROMPT = "you> "
YES = {"yes", "y", "oui", "confirm"}
QUIT = {"quit", "exit", "bye"}
HISTORY_LENGTH = 1000


class TerminalChat:
    """Reads lines, answers each one. A confirmation question waits for a `yes` on the next line."""

    def __init__(self, deps: Deps, person: Person, history: LineHistory | None = None):
        self.deps = deps
        self.person = person
        self.history = history
        self.pending: Confirm | None = None

    def answer(self, line: str) -> str:
        return render_text(self.reply_to(line))

    def reply_to(self, line: str) -> Reply:
        pending, self.pending = self.pending, None
        if pending is not None:
            return self._confirmed(pending) if line.strip().lower() in YES \
                else Notice("Cancelled: nothing changed.")
        try:
            reply = run(g.parse_message(line), self.person, self.deps)
        except UsageError as error:
            return Problem(f"{error.message}\nType `help` to see everything learnbot can do.")
        except Exception as error:
            return problem_for(error)
        if isinstance(reply, Confirm):
            self.pending = reply
        return reply

    def _confirmed(self, confirm: Confirm) -> Reply:
        reply = safely(lambda: confirmed(confirm.action, confirm.value, self.person, self.deps))
        if confirm.action == "forget" and self.history is not None and not isinstance(reply, Problem):
            self.history.forget()  # what the person typed is something learnbot kept about them
        return reply


def local_person() -> Person:
    return Person(team_id="local", user_id=getpass.getuser() or "you", name=getpass.getuser())


# --- reading lines ---------------------------------------------------------------------------------

def history_file(db_path: Path) -> Path:
    """Where `learnbot chat` keeps the lines typed at its prompt: beside the database."""
    return Path(db_path).with_suffix(".history")


class LineHistory:
    """The lines typed at the prompt, kept by readline in a file only their owner can read."""

    def __init__(self, path: Path | None):
        self.path = path

    def __enter__(self) -> LineHistory:
        import readline

        readline.set_history_length(HISTORY_LENGTH)
        readline.set_completer(complete_command)
        readline.set_completer_delims(" ")
        readline.parse_and_bind("tab: complete")
        if self.path is not None and self.path.exists():
            readline.read_history_file(self.path)
        return self

    def __exit__(self, *exc_info) -> None:
        import readline

        if self.path is None:
            return
        try:
            self.path.touch(mode=0o600, exist_ok=True)
            readline.write_history_file(self.path)
        except OSError:
            pass  # history is a convenience: a read-only directory does not spoil the exit

    def forget(self) -> None:
        import readline

        readline.clear_history()
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def complete_command(text: str, state: int) -> str | None:
    """readline's completer: the command words (and `quit`) that start with what is typed."""
    import readline

    if readline.get_line_buffer()[:readline.get_begidx()].strip():
        return None  # only the first word is a command
    words = sorted(w for w in (*g.SUBCOMMANDS, *QUIT) if w.startswith(text.lower()))
    return words[state] + " " if state < len(words) else None


def typed_lines(stdin: TextIO, stdout: TextIO, history: LineHistory) -> Iterator[str]:
    """What the person types: with a prompt, line editing and history on a terminal; else the
    lines as they come. Ctrl-C drops the line being typed; Ctrl-D ends the chat."""
    if not (stdin is sys.stdin and stdout is sys.stdout and stdin.isatty() and stdout.isatty()):
        yield from stdin
        return
    with history:
        while True:
            try:
                yield input(PROMPT)
            except KeyboardInterrupt:
                print(file=stdout)
            except EOFError:
                print(file=stdout)
                return


# --- showing answers -------------------------------------------------------------------------------

BOLD, CYAN, RED, DIM, RESET = "\033[1m", "\033[36m", "\033[31m", "\033[2m", "\033[0m"
COMMAND = re.compile(r"`([^`\n]+)`")
TITLE = re.compile(r"^( *\d+\. )(.*)$")
HANGING_INDENT = re.compile(r"^(\s*(?:• |! |\d+\. )?)")


class Screen:
    """Where answers go. On a terminal they are wrapped to its width (read for each answer, so
    a resized window is followed) and coloured, unless NO_COLOR is set (https://no-color.org);
    piped, they are written as they are."""

    def __init__(self, stdout: TextIO, env: Mapping[str, str] = os.environ):
        self.stdout = stdout
        self.tty = stdout.isatty()
        self.colour = self.tty and not env.get("NO_COLOR") and env.get("TERM") != "dumb"

    def show(self, text: str) -> None:
        text = printable(text)
        if self.tty:
            text = wrap(text, shutil.get_terminal_size().columns)
        if self.colour:
            text = colour(text)
        print(text, file=self.stdout)
        print(file=self.stdout)
        self.stdout.flush()


def wrap(text: str, width: int) -> str:
    """Each line folded to `width`, continuing under its own indent (and past a bullet or a
    result number). A command in backticks, a web address or an id is never split."""
    folded = []
    for line in text.splitlines():
        if len(line) <= width:
            folded.append(line)
            continue
        prefix = HANGING_INDENT.match(line)[1]
        kept_whole = COMMAND.sub(lambda m: m[0].replace(" ", "\u00a0"), line[len(prefix):])
        pieces = textwrap.wrap(kept_whole, width, initial_indent=prefix, subsequent_indent=" " * len(prefix),
                               break_long_words=False, break_on_hyphens=False) or [prefix]
        folded.extend(piece.replace("\u00a0", " ") for piece in pieces)
    return "\n".join(folded)


def colour(text: str) -> str:
    """Commands in cyan (without their backticks), result titles in bold, problems in red,
    ids dimmed."""
    lines = []
    for line in text.splitlines():
        if TITLE.match(line):
            lines.append(TITLE.sub(lambda m: f"{m[1]}{BOLD}{m[2]}{RESET}", line))
            continue
        base = RED if line.startswith("! ") else DIM if line.lstrip().startswith("id: ") else ""
        line = COMMAND.sub(lambda m, base=base: f"{CYAN}{m[1]}{RESET}{base}", line)
        lines.append(f"{base}{line}{RESET}" if base else line)
    return "\n".join(lines)


# --- the loop --------------------------------------------------------------------------------------

def chat_loop(deps: Deps, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, *,
              history_path: Path | None = None) -> None:
    history = LineHistory(history_path)
    chat = TerminalChat(deps, local_person(), history)
    screen = Screen(stdout)
    screen.show(GREETING)
    for line in typed_lines(stdin, stdout, history):
        if line.strip().lower() in QUIT:
            break
        if not line.strip():
            continue
        try:
            screen.show(chat.answer(line))
        except KeyboardInterrupt:
            screen.show("Stopped.")
