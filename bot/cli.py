"""The `learnbot` command line (click).

Every problem found at start (a setting, the key, Slack refusing or not answering) is one
line on stderr and exit code 2, never a traceback: `StartError`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import sqlite3
import sys
import threading
import time
from datetime import UTC

import click
from dotenv import load_dotenv

from bot import logs
from bot.config import ConfigError, Settings
from handlers.core.formatting import plural
from providers.catalog import COLUMNS_HELP

logger = logging.getLogger("learnbot")
MAX_ERRORS_SHOWN = 50

EXIT_DATABASE_GONE = 3


class StartError(click.ClickException):
    """One line on stderr, exit code 2: learnbot cannot start as configured."""

    exit_code = 2


def settings_or_exit() -> Settings:
    """The settings, with the log level applied when `LEARNBOT_LOG_LEVEL` asks for one
    (otherwise `run` logs at INFO and the other commands only warnings and errors)."""
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        raise StartError(str(error)) from None
    if "LEARNBOT_LOG_LEVEL" in settings.env:
        logging.getLogger().setLevel(settings.log_level)
    return settings


def deps_or_exit(settings: Settings):
    """The app's dependencies (store opened, key checked, providers set up), redacting the log,
    and stopping the process loudly if the database disappears later (`StopOnGone`)."""
    from bot.deps import build_deps

    with start_errors(settings):
        deps = build_deps(settings, on_gone=StopOnGone())
    logs.install(deps.redactor)
    return deps


def store_or_exit(settings: Settings):
    """The database alone, for the commands that need no providers."""
    from bot.deps import GuardedDatabase

    with start_errors(settings):
        return GuardedDatabase(settings.db_path, on_gone=StopOnGone())


@contextlib.contextmanager
def start_errors(settings: Settings):
    """A key or storage problem while opening the store is a `StartError`."""
    from store.crypto import KeyProblem
    from store.db import StoreError

    try:
        yield
    except (KeyProblem, ConfigError) as error:
        raise StartError(str(error)) from None
    except (StoreError, sqlite3.DatabaseError) as error:
        raise StartError(f"cannot open the database {settings.db_path} (LEARNBOT_DB): {error}") from None


class StopOnGone:
    """What learnbot does when its database file disappears while running: one CRITICAL line
    naming the path, then exit at once with a non-zero code (`EXIT_DATABASE_GONE`).

    Nothing is drained: with the database gone no acknowledged work could be stored anyway,
    and every thread that notices it too waits here until the process is gone.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, error: Exception) -> None:
        self._lock.acquire()  # never released: the first thread here ends the process
        logger.critical("%s", error)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(EXIT_DATABASE_GONE)


def check_slack(settings: Settings) -> None:
    """Call Slack's `auth.test` once: a refused token or an unreachable Slack is a `StartError`."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError, SlackClientError

    quiet = logging.Logger("learnbot.start", level=logging.CRITICAL + 1)  # the one line below says it all
    try:
        WebClient(token=settings.bot_token, base_url=settings.slack_api_url, logger=quiet).auth_test()
    except SlackApiError as error:
        raise StartError(f"Slack refused SLACK_BOT_TOKEN (auth.test answered {error.response.get('error')}): "
                         "copy the app's Bot User OAuth Token (xoxb-…) again.") from None
    except (SlackClientError, OSError) as error:
        reason = getattr(error, "reason", error)
        reason = getattr(reason, "strerror", None) or reason
        raise StartError(f"Slack did not answer at SLACK_API_URL {settings.slack_api_url} ({reason}): "
                         "check the address and the network, then start again.") from None


@click.group()
@click.version_option(package_name="learnbot", message="learnbot %(version)s")
@click.pass_context
def main(context: click.Context) -> None:
    """learnbot: learning resources from every provider, in Slack."""
    load_dotenv(override=False)
    # `run` is a service: its log says what it does. Every other command answers on stdout,
    # and its log shows only warnings and errors.
    logs.configure(logging.INFO if context.invoked_subcommand == "run" else logging.WARNING)


@main.command("run")
@click.option("--http", "use_http", is_flag=True, help="Serve Slack's requests over HTTP instead of Socket Mode.")
@click.option("--port", default=3000, show_default=True, help="Port for --http.")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address for --http.")
def run_command(use_http: bool, port: int, host: str) -> None:
    """Connect to Slack (Socket Mode, or HTTP with --http)."""
    from bot.app import create_app

    settings = settings_or_exit()
    try:
        settings.require_slack(http=use_http)
    except ConfigError as error:
        raise StartError(str(error)) from None
    deps = deps_or_exit(settings)
    check_slack(settings)
    app = create_app(settings, deps, socket_mode=not use_http)
    scheduler = start_scheduler(settings, deps, app.client)
    drain = functools.partial(drain_work, app, deps, scheduler)
    if use_http:
        finished = serve_http(app, deps, settings, host, port, drain)
    else:
        finished = serve_socket_mode(app, settings, drain)
    if not finished:
        # Work threads are left running; what they did not finish, the next start picks up
        # (enrollment leases, the digest ledger). Leave now rather than wait for them.
        logger.warning("stopped with work unfinished after %g s; the next start picks it up",
                       settings.drain_seconds)
        logging.shutdown()
        os._exit(0)


def serve_http(app, deps, settings: Settings, host: str, port: int, drain) -> bool:
    """Serve until SIGTERM/SIGINT, then drain (see bot.server); True when nothing was left."""
    from bot.server import make_http_server
    from store.db import health

    try:
        server = make_http_server(app, host, port, signing_secret=settings.signing_secret,
                                  health=lambda: health(deps.db), drain=drain, drain_seconds=settings.drain_seconds)
    except OSError as error:
        raise StartError(f"cannot listen on {host}:{port}: {error.strerror or error}.") from None
    logger.info("serving Slack requests on http://%s:%s/slack/events", host, server.server_address[1])
    return server.serve_forever()


def serve_socket_mode(app, settings: Settings, drain) -> bool:
    """Socket Mode until SIGTERM/SIGINT; then close the connection to Slack and drain."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, settings.app_token)
    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop.set())
    handler.connect()
    stop.wait()
    return stop_socket_mode(handler, drain, settings.drain_seconds)


def stop_socket_mode(handler, drain, seconds: float) -> bool:
    """No new requests from Slack, then let what was acknowledged finish within `seconds`."""
    logger.info("stopping: Socket Mode closed; letting acknowledged work finish (up to %g s)", seconds)
    handler.close()
    return drain(seconds)


def drain_work(app, deps, scheduler, seconds: float) -> bool:
    """Let every acknowledged piece of work, and the digest sweep's current step, finish
    within `seconds`; True when all did."""
    from bot import scheduler as digest_scheduler

    deadline = time.monotonic() + seconds
    sweep = threading.Thread(target=digest_scheduler.stop, args=(scheduler, seconds), daemon=True)
    sweep.start()
    # Listeners that were acknowledging when the stop came may still be handing work over.
    listeners = threading.Thread(target=app.listener_runner.listener_executor.shutdown, daemon=True)
    listeners.start()
    listeners.join(max(deadline - time.monotonic(), 0))
    work_done = deps.work.drain(deadline - time.monotonic())
    sweep.join(max(deadline - time.monotonic(), 0))
    return work_done and not listeners.is_alive() and not sweep.is_alive()


def start_scheduler(settings, deps, client):
    """The weekly digest sweep, in the background of `learnbot run`."""
    from bot.scheduler import start

    return start(settings, deps, client)


@main.command()
def chat() -> None:
    """Talk to learnbot in this terminal, offline, on the bundled catalog."""
    from handlers.terminal import chat_loop, history_file

    settings = settings_or_exit()
    chat_loop(deps_or_exit(settings), history_path=history_file(settings.db_path))


@main.group()
def catalog() -> None:
    """The local catalog."""


def _columns_epilog() -> str:
    """COLUMNS_HELP for `--help`: click rewraps paragraphs, except one that starts with \\b."""
    intro, _, columns = COLUMNS_HELP.partition("\n")
    return f"{intro}\n\n\b\n{columns}"


@catalog.command("import", epilog=_columns_epilog())
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def catalog_import(file: str) -> None:
    """Import learning resources from a CSV, JSON or YAML FILE (all rows or none)."""
    from tqdm import tqdm

    from providers.catalog import import_rows, read_catalog

    settings = settings_or_exit()
    db = store_or_exit(settings)
    try:
        found = read_catalog(file)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    for note in found.notes:
        click.echo(note, err=True)
    with tqdm(total=len(found.rows), unit="row", disable=len(found.rows) < 200, file=sys.stderr) as bar:
        report = import_rows(db, found.rows, progress=bar.update, lines=found.lines)
    if report.errors:
        for error in report.errors[:MAX_ERRORS_SHOWN]:
            click.echo(str(error), err=True)
        more = len(report.errors) - MAX_ERRORS_SHOWN
        if more > 0:
            click.echo(f"…and {plural(more, 'more error')}.", err=True)
        raise click.ClickException(f"{plural(len(report.errors), 'problem')} found; nothing was imported.")
    for warning in report.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(f"Imported {plural(report.imported, 'learning resource')} into {settings.db_path}.")


@main.group()
def keys() -> None:
    """The key that encrypts stored credentials."""


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored credential with the first key of LEARNBOT_SECRET_KEY."""
    from store.credentials import checked_keys, rotate_all
    from store.crypto import KeyProblem, Vault, key_file_path

    settings = settings_or_exit()
    db = store_or_exit(settings)
    try:
        key_list, _path = checked_keys(db, settings.secret_key, settings.db_path)
        count = rotate_all(db, Vault(key_list), key_file=key_file_path(settings.db_path))
    except KeyProblem as error:
        raise StartError(str(error)) from None
    click.echo(f"Re-encrypted {plural(count, 'credential set')} with the first key.")


@main.group()
def digest() -> None:
    """Weekly digests."""


@digest.command("run")
@click.option("--at", "at", metavar="ISO-TIME",
              help="Sweep as if it were this time, e.g. 2026-03-16T09:05+01:00 (UTC without an offset).")
def digest_run(at: str | None) -> None:
    """Send the digests that are due now, once; without SLACK_BOT_TOKEN, print them instead."""
    from bot.app import slack_client
    from handlers.core.render_text import printable, render_text
    from handlers.digest.sweep import dry_run, sweep

    settings = settings_or_exit()
    moment = _moment(at)
    with _digest_deps(settings) as deps:
        now = moment or deps.now()
        if settings.bot_token:
            check_slack(settings)
            report = sweep(deps, slack_client(settings), now)
            click.echo(f"Digest sweep at {now.isoformat(timespec='minutes')}: {report}.")
            return
        built = dry_run(deps, now)
        for due, content in built:
            click.echo(f"--- {due.person.team_id}:{due.person.user_id}, week {due.week} ---")
            click.echo(printable(render_text(content)) + "\n")
        click.echo(f"{plural(len(built), 'digest')} due at {now.isoformat(timespec='minutes')}; "
                   "SLACK_BOT_TOKEN is not set, so they were printed, not sent.")


@digest.command("preview")
@click.argument("user")
def digest_preview(user: str) -> None:
    """Print USER's next digest as text (USER is U123, or T1:U123 to name the workspace)."""
    from handlers.core.errors import problem_for
    from handlers.core.render_text import printable, render_text
    from handlers.digest.build import preview

    settings = settings_or_exit()
    with _digest_deps(settings) as deps:
        person = _known_person(deps, user)
        try:
            click.echo(printable(render_text(preview(person, deps))))
        except Exception as error:
            raise click.ClickException(problem_for(error).text) from None


def _moment(text: str | None):
    """`--at` as an aware datetime; a time without an offset is UTC."""
    from datetime import datetime

    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO time such as 2026-03-16T09:05+01:00.",
                                 param_hint="--at") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@contextlib.contextmanager
def _digest_deps(settings: Settings):
    """The app's dependencies for one command, closed afterwards."""
    deps = deps_or_exit(settings)
    try:
        yield deps
    finally:
        deps.runner.run(deps.hub.aclose())
        deps.runner.stop()
        deps.db.close()


def _known_person(deps, user: str):
    """The person named `U123` or `T1:U123`, as learnbot last saw them."""
    from handlers.core.deps import Person
    from store.users import list_users

    team_id, _, user_id = user.rpartition(":")
    matches = [u for u in list_users(deps.db, team_id or None) if u.user_id == user_id]
    if not matches:
        raise click.ClickException(f"learnbot does not know {user}: they have not used it yet.")
    if len(matches) > 1:
        teams = ", ".join(f"{u.team_id}:{u.user_id}" for u in matches)
        raise click.ClickException(f"{user_id} is in several workspaces; name one: {teams}.")
    found = matches[0]
    return Person(found.team_id, found.user_id, email=found.email, name=found.name, tz=found.tz)
