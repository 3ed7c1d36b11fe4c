"""`learnbot catalog import FILE`: every row or none, errors by file line, notes and warnings."""

import json
import os
import subprocess
import sys

from store.db import open_db


def run_import(tmp_path, path):
    env = {"PATH": os.environ["PATH"], "LEARNBOT_DB": str(tmp_path / "cat.db"), "HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "bot", "catalog", "import", str(path)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=60)


def imported(tmp_path) -> int:
    return open_db(tmp_path / "cat.db")["catalog_items"].count


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
    assert "line 3, url:" in result.stderr and "1 problem found; nothing was imported" in result.stderr
    assert "Traceback" not in result.stderr
    assert imported(tmp_path) == 0


def test_one_row_is_one_learning_resource_and_nothing_is_logged(tmp_path):
    path = tmp_path / "one.yaml"
    path.write_text("- title: Onboarding\n  url: https://intranet.example/c/1\n  type: course\n  language: en\n")
    result = run_import(tmp_path, path)
    assert result.returncode == 0, result.stderr
    assert "Imported 1 learning resource into" in result.stdout
    assert result.stderr == ""


def test_a_latin1_semicolon_file_is_read_and_the_notes_say_how(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes("title;url;type;language\nCafé crème;https://intranet.example/c/1;course;fr\n".encode("cp1252"))
    result = run_import(tmp_path, path)
    assert result.returncode == 0, result.stderr
    assert "read as Windows-1252" in result.stderr and "CSV UTF-8" in result.stderr
    assert "Imported 1 learning resource" in result.stdout


def test_rows_without_language_or_type_are_imported_with_a_warning_naming_their_lines(tmp_path):
    path = tmp_path / "courses.csv"
    path.write_text("title,url,type,language\nA,https://intranet.example/1,course,en\n"
                    "B,https://intranet.example/2,,en\nC,https://intranet.example/3,video,\n")
    result = run_import(tmp_path, path)
    assert result.returncode == 0, result.stderr
    assert "Imported 3 learning resources" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert any("no language (line 4)" in line for line in warnings), result.stderr
    assert any("no type (line 3)" in line for line in warnings), result.stderr
    assert imported(tmp_path) == 3


def test_help_lists_the_columns(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bot", "catalog", "import", "--help"], capture_output=True,
                            text=True, env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 0
    for column in ("title", "url", "id", "provider", "type", "language", "duration_minutes", "level",
                   "description", "topics"):
        assert f"\n    {column}: " in result.stdout
