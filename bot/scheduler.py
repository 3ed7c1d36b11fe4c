"""The background scheduler of `learnbot run`: one job, the digest sweep, every few minutes.

APScheduler 3.x. The job has an explicit id and `replace_existing=True`, so it is never
added twice; `coalesce` and `max_instances=1` make a late or slow sweep run once rather
than pile up. A failing sweep is reported through the same error path as the Slack
listeners (`handlers.core.errors.problem_for`: a bug is logged with an incident id).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from bot.config import Settings
from handlers.core.deps import Deps
from handlers.core.errors import problem_for
from handlers.digest.sweep import sweep

logger = logging.getLogger(__name__)

JOB_ID = "learnbot-digest-sweep"


def start(settings: Settings, deps: Deps, client: WebClient) -> BackgroundScheduler:
    """Start sweeping now and every `settings.digest_sweep_minutes`; the caller shuts it down."""
    scheduler = BackgroundScheduler(
        timezone=UTC,
        # misfire_grace_time=None: a sweep that starts late (a busy or suspended process)
        # still runs; coalesce folds any missed runs into that one.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    scheduler.add_listener(report_failure, EVENT_JOB_ERROR)
    scheduler.add_job(
        run_sweep, "interval", args=(deps, client), minutes=settings.digest_sweep_minutes,
        id=JOB_ID, name="weekly digest sweep", replace_existing=True,
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    return scheduler


def stop(scheduler: BackgroundScheduler, timeout: float) -> bool:
    """Stop scheduling and let the sweep's current step finish, waiting at most `timeout` seconds.

    True when it finished; otherwise the step is left running (the digest ledger lets the next
    start pick up what it did not send)."""
    stopping = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, name="scheduler-stop", daemon=True)
    stopping.start()
    stopping.join(max(timeout, 0))
    return not stopping.is_alive()


def run_sweep(deps: Deps, client: WebClient) -> None:
    report = sweep(deps, client, deps.now())
    if report.due:
        logger.info("digest sweep: %s", report)


def report_failure(event: JobExecutionEvent) -> None:
    problem = problem_for(event.exception)
    logger.error("job %s failed: %s", event.job_id, problem.text)
