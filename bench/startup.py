"""`learnbot chat`: time from starting the process to its first prompt (goal < 250 ms).

Each run starts `python -m bot chat` on a pseudo-terminal, as a person in a terminal does, and
stops the clock when the `you> ` prompt appears. The database is made (and the bundled
catalog loaded) by one run before the clock starts: what is measured is an ordinary start on
an existing database. The figure is the median of RUNS starts; the fastest is printed too, as
the figure least disturbed by other work on a shared machine.
"""

from __future__ import annotations

import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 9
GOAL_MS = 250
PROMPT = b"you> "
TIMEOUT = 30.0


def time_to_prompt(env: dict[str, str]) -> float:
    """Seconds from spawning `learnbot chat` on a pty to its first prompt; then it is told to quit."""
    leader, follower = pty.openpty()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bot", "chat"], stdin=follower, stdout=follower,
                               stderr=subprocess.DEVNULL, env=env, close_fds=True)
    os.close(follower)
    seen = b""
    try:
        while PROMPT not in seen:
            if time.perf_counter() - started > TIMEOUT or process.poll() is not None:
                raise RuntimeError(f"learnbot chat showed no prompt; it printed {seen[-300:]!r}")
            if select.select([leader], [], [], 0.5)[0]:
                seen += os.read(leader, 4096)
        elapsed = time.perf_counter() - started
        os.write(leader, b"quit\n")
        process.wait(timeout=TIMEOUT)
        return elapsed
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)


def run(runs: int = RUNS) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "LEARNBOT_DB": str(Path(scratch) / "learnbot.db"), "HOME": scratch,
               "NO_COLOR": "1", "TERM": "dumb"}
        time_to_prompt(env)  # creates the database and loads the bundled catalog
        times = [time_to_prompt(env) for _ in range(runs)]
    return {"median_ms": statistics.median(times) * 1000, "fastest_ms": min(times) * 1000}


def main() -> dict[str, float]:
    print(f"learnbot chat start-up ({RUNS} starts on an existing database)")
    figures = run()
    print(f"  time to first prompt: {figures['median_ms']:.0f} ms median (goal < {GOAL_MS} ms), "
          f"{figures['fastest_ms']:.0f} ms fastest")
    return figures


if __name__ == "__main__":
    main()
