"""A real Ralph LRS (ralph-malph 5.1.0, file-system backend) on 127.0.0.1 for the tests.

`make lrs` installs Ralph into `.lrs/venv`; without it the tests that need the LRS skip.
Ralph's fs backend accepts only one write per data directory, so the fixture statements
are pre-written as `fs_lrs.jsonl` (with `id`, `stored` and `timestamp`, as Ralph stores
them) before the server starts.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
LRS_VENV = REPO_ROOT / ".lrs" / "venv"
INSTALLED_STAMP = LRS_VENV / ".installed-ralph-5.1.0"  # written by scripts/lrs.sh once complete
STARTUP_SECONDS = 60.0  # Ralph's imports (pydantic, fastapi, every backend module) are slow

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RALPH_USERNAME = "learnbot-tests"
RALPH_PASSWORD = "correct-horse-battery"
ALICE = "alice@example.com"
BOB = "bob@example.com"


@dataclass(frozen=True)
class RalphLRS:
    url: str  # the xAPI endpoint base: `<url>/statements` is the statements resource
    username: str
    password: str
    statements: tuple[dict, ...]


def _statement(email: str, timestamp: str, verb: str, activity: str, *,
               name: dict[str, str] | None = None, duration: str | None = None,
               completion: bool | None = None) -> dict:
    """One xAPI statement as Ralph stores it: `stored` one minute after `timestamp`."""
    result = {key: value for key, value in (("duration", duration), ("completion", completion))
              if value is not None}
    happened = datetime.fromisoformat(timestamp)
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": f"mailto:{email}", "objectType": "Agent"},
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
        "object": {
            "id": f"https://learn.example.com/activities/{activity}",
            "objectType": "Activity",
            **({"definition": {"name": name}} if name else {}),
        },
        **({"result": result} if result else {}),
        "timestamp": happened.isoformat(),
        "stored": (happened + timedelta(minutes=1)).isoformat(),
        "authority": {"mbox": "mailto:lms@example.com", "objectType": "Agent"},
        "version": "1.0.0",
    }


def fixture_statements() -> tuple[dict, ...]:
    """Alice's week of Monday 25 March 2024 in Paris (summer time starts on Sunday the
    31st at 01:00 UTC), one statement the week before, two of Bob's, and Chloé's week as
    an LMS, a cmi5 player and a video player write it (fixtures/lrs_chloe_week.json)."""
    python = {"en-US": "Python for data"}
    return (
        _statement(ALICE, "2024-03-22T10:00:00Z", "experienced", "intro"),  # the week before
        _statement(ALICE, "2024-03-25T08:00:00Z", "launched", "python", name=python),
        _statement(ALICE, "2024-03-25T09:00:00Z", "progressed", "python", name=python,
                   duration="PT45M"),
        # 00:30 on Wednesday in Paris, still Tuesday in UTC
        _statement(ALICE, "2024-03-26T23:30:00Z", "experienced", "sql", name={"en": "SQL basics"},
                   duration="PT20M"),
        _statement(BOB, "2024-03-26T10:00:00Z", "completed", "python", name=python,
                   duration="PT2H"),
        _statement(ALICE, "2024-03-28T12:00:00Z", "completed", "python", name=python,
                   duration="PT1H30M"),
        _statement(BOB, "2024-03-28T13:00:00Z", "attempted", "statistics", duration="PT3H"),
        # 00:30 on Sunday in Paris (winter time, UTC+1)
        _statement(ALICE, "2024-03-30T23:30:00Z", "attempted", "statistics",
                   name={"fr-FR": "Statistiques"}, duration="PT15M"),
        # 23:30 on Sunday in Paris (summer time, UTC+2)
        _statement(ALICE, "2024-03-31T21:30:00Z", "experienced", "sql", name={"en": "SQL basics"},
                   duration="PT10M", completion=True),
        # 00:30 on the next Monday in Paris (summer time), though 23:30 in winter time
        _statement(ALICE, "2024-03-31T22:30:00Z", "experienced", "statistics",
                   name={"fr-FR": "Statistiques"}, duration="PT10M"),
        *json.loads((FIXTURES / "lrs_chloe_week.json").read_text()),
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _write_auth_file(path: Path) -> None:
    """Ralph's auth.json with one user; the bcrypt hash comes from the LRS venv's bcrypt."""
    # 4 rounds (the minimum) keeps Ralph's password check fast; the password goes in on stdin
    script = ("import bcrypt, sys; "
              "print(bcrypt.hashpw(sys.stdin.read().encode(), bcrypt.gensalt(4)).decode())")
    hashed = subprocess.run(
        [str(LRS_VENV / "bin" / "python"), "-c", script],
        input=RALPH_PASSWORD, capture_output=True, text=True, check=True,
    ).stdout.strip()
    user = {"agent": {"mbox": "mailto:lms@example.com", "objectType": "Agent"},
            "scopes": ["statements/read", "statements/write"], "hash": hashed,
            "username": RALPH_USERNAME}
    path.write_text(json.dumps([user]))


def _wait_until_up(process: subprocess.Popen, base: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Ralph LRS exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/__heartbeat__", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"Ralph LRS did not answer within {STARTUP_SECONDS:.0f} s:\n"
                f"{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def ralph_lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RalphLRS]:
    uvicorn = LRS_VENV / "bin" / "uvicorn"
    if not (INSTALLED_STAMP.exists() and uvicorn.exists()):
        pytest.skip("Ralph LRS is not installed (make lrs installs it into .lrs/venv): "
                    f"{uvicorn} is missing or its install did not finish")
    home = tmp_path_factory.mktemp("ralph")
    data = home / "data"
    data.mkdir()
    statements = fixture_statements()
    (data / "fs_lrs.jsonl").write_text("".join(json.dumps(s) + "\n" for s in statements))
    _write_auth_file(home / "auth.json")
    port = _free_port()
    env = {
        **os.environ,
        "RALPH_APP_DIR": str(home),
        "RALPH_AUTH_FILE": str(home / "auth.json"),
        "RALPH_RUNSERVER_BACKEND": "fs",
        "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(data),
    }
    log = home / "ralph.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(uvicorn), "ralph.api:app", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning"],
            cwd=home, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, base, log)
        yield RalphLRS(f"{base}/xAPI", RALPH_USERNAME, RALPH_PASSWORD, statements)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
