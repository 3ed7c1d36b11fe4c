"""`learnbot catalog import FILE`: every row or none, with per-row errors."""

import json
import os
import subprocess
import sys

from store.catalog import count_items
from store.db import open_db


def run_import(tmp_path, path):
    env = {"PATH": os.environ["PATH"], "LEARNBOT_DB": str(tmp_path / "cat.db"), "HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "bot", "catalog", "import", str(path)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=60)


def imported(tmp_path) -> int:
    return count_items(open_db(tmp_path / "cat.db"))


def test_a_valid_file_is_imported(tmp_path):
    path = tmp_path / "courses.json"
    path.write_text(json.dumps([{"title": f"Onboarding {n}", "url": f"https://intranet.example/c/{n}",
                                 "type": "course", "language": "en", "duration": "1h30"} for n in range(3)]))
    result = run_import(tmp_path, path)
    assert result.returncode == 0, result.stderr
    assert "Imported 3 learning resources" in result.stdout
    assert imported(tmp_path) == 3


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row(tmp_path):
    path = tmp_path / "courses.csv"
    path.write_text("title,url,type\nGood,https://intranet.example/1,course\nBad,ftp://x,course\n")
    before_run = run_import(tmp_path, tmp_path / "missing.csv")
    assert before_run.returncode != 0
    result = run_import(tmp_path, path)
    assert result.returncode != 0
    assert "row 2: url" in result.stderr and "nothing was imported" in result.stderr
    assert "Traceback" not in result.stderr
    assert imported(tmp_path) == 0
