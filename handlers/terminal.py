"""`learnbot chat`: the same conversation as a Slack DM, in a terminal, rendered as text."""

from __future__ import annotations

import getpass
import sys
from typing import TextIO

from handlers.core import grammar as g
from handlers.core.actions import confirmed, run
from handlers.core.deps import Deps, Person
from handlers.core.errors import UsageError, problem_for, safely
from handlers.core.render_text import render_text
from handlers.core.replies import Confirm, Notice, Problem, Reply

GREETING = ("learnbot — offline on the bundled catalog. Type what you want to learn "
            "(e.g. \"python videos under 2 hours\"), `help`, or `quit`.")
YES = {"yes", "y", "oui", "confirm"}


class TerminalChat:
    """Reads lines, answers each one. A confirmation question waits for a `yes` on the next line."""

    def __init__(self, deps: Deps, person: Person):
        self.deps = deps
        self.person = person
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
        return safely(lambda: confirmed(confirm.action, confirm.value, self.person, self.deps))


def local_person() -> Person:
    return Person(team_id="local", user_id=getpass.getuser() or "you", name=getpass.getuser())


def chat_loop(deps: Deps, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    chat = TerminalChat(deps, local_person())
    interactive = stdin.isatty()
    print(GREETING, file=stdout)
    while True:
        if interactive:
            stdout.write("you> ")
            stdout.flush()
        line = stdin.readline()
        if not line or line.strip().lower() in ("quit", "exit", "bye"):
            break
        if not line.strip():
            continue
        print(chat.answer(line), file=stdout)
        print(file=stdout)
        stdout.flush()
