"""The one error path: storage faults are sentences for the person, never incidents."""

import logging
from pathlib import Path

from handlers.core.errors import describe_error, problem_for
from store.db import StoreBusy, StoreGone


def test_a_busy_store_is_one_clear_sentence_and_no_incident(caplog):
    with caplog.at_level(logging.ERROR):
        problem = problem_for(StoreBusy())
    assert problem.text == "learnbot is busy, try again in a minute."
    assert "incident" not in problem.text and not caplog.records


def test_a_vanished_store_is_not_an_incident_either():
    assert "incident" not in describe_error(StoreGone(Path("/data/learnbot.db")))


def test_a_bug_is_still_an_incident(caplog):
    with caplog.at_level(logging.ERROR):
        problem = problem_for(KeyError("x"))
    assert "incident" in problem.text and caplog.records
