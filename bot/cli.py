"""The `learnbot` command line (click)."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import sys
import threading
import time
from datetime import UTC

import click
from dotenv import load_dotenv

from bot import logs
from bot.config import ConfigError, Settings

logger = logging.getLogger("learnbot")


def settings_or_exit() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


@click.group()
def main() -> None:
    """learnbot: learning resources from every provider, in Slack."""
    load_dotenv(override=False)
    logs.configure()


@main.command("run")
@click.option("--http", "use_http", is_flag=True, help="Serve Slack's requests over HTTP instead of Socket Mode.")
@click.option("--port", default=3000, show_default=True, help="Port for --http.")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address for --http.")
def run_command(use_http: bool, port: int, host: str) -> None:
    """Connect to Slack (Socket Mode, or HTTP with --http)."""
    from bot.app import build_deps, create_app

    settings = settings_or_exit()
    try:
        settings.require_slack(http=use_http)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    deps = build_deps(settings)
    logs.install(deps.redactor)
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
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror or error}.") from None
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
    from bot.app import build_deps
    from handlers.terminal import chat_loop

    logging.getLogger().setLevel(logging.WARNING)
    deps = build_deps(settings_or_exit())
    logs.install(deps.redactor)
    chat_loop(deps)


@main.group()
def catalog() -> None:
    """The local catalog."""


@catalog.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def catalog_import(file: str) -> None:
    """Import learning resources from a CSV, JSON or YAML FILE (all rows or none)."""
    from tqdm import tqdm

    from providers.catalog import import_rows, read_rows
    from store.pool import ThreadLocalDatabase

    settings = settings_or_exit()
    db = ThreadLocalDatabase(settings.db_path)
    try:
        rows = read_rows(file)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    with tqdm(total=len(rows), unit="row", disable=len(rows) < 200, file=sys.stderr) as bar:
        report = import_rows(db, rows, progress=bar.update)
    if report.errors:
        for error in report.errors[:50]:
            click.echo(f"row {error.row_number}: {error.field}: {error.message}", err=True)
        more = len(report.errors) - 50
        if more > 0:
            click.echo(f"…and {more} more errors.", err=True)
        raise click.ClickException(f"{len(report.errors)} problems found; nothing was imported.")
    click.echo(f"Imported {report.imported} learning resources into {settings.db_path}.")


@main.group()
def keys() -> None:
    """The key that encrypts stored credentials."""


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored credential with the first key of LEARNBOT_SECRET_KEY."""
    from store.credentials import rotate_all
    from store.crypto import Vault, resolve_keys
    from store.pool import ThreadLocalDatabase

    settings = settings_or_exit()
    try:
        key_list, _path = resolve_keys(settings.secret_key, settings.db_path)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    count = rotate_all(ThreadLocalDatabase(settings.db_path), Vault(key_list))
    click.echo(f"Re-encrypted {count} credential sets with the first key.")


@main.group()
def digest() -> None:
    """Weekly digests."""


@digest.command("run")
@click.option("--at", "at", metavar="ISO-TIME",
              help="Sweep as if it were this time, e.g. 2026-03-16T09:05+01:00 (UTC without an offset).")
def digest_run(at: str | None) -> None:
    """Send the digests that are due now, once; without SLACK_BOT_TOKEN, print them instead."""
    from bot.app import slack_client
    from handlers.core.render_text import render_text
    from handlers.digest.sweep import dry_run, sweep

    settings = settings_or_exit()
    moment = _moment(at)
    with _digest_deps(settings) as deps:
        now = moment or deps.now()
        if settings.bot_token:
            report = sweep(deps, slack_client(settings), now)
            click.echo(f"Digest sweep at {now.isoformat(timespec='minutes')}: {report}.")
            return
        built = dry_run(deps, now)
        for due, content in built:
            click.echo(f"--- {due.person.team_id}:{due.person.user_id}, week {due.week} ---")
            click.echo(render_text(content) + "\n")
        click.echo(f"{len(built)} digests due at {now.isoformat(timespec='minutes')}; "
                   "SLACK_BOT_TOKEN is not set, so they were printed, not sent.")


@digest.command("preview")
@click.argument("user")
def digest_preview(user: str) -> None:
    """Print USER's next digest as text (USER is U123, or T1:U123 to name the workspace)."""
    from handlers.core.errors import problem_for
    from handlers.core.render_text import render_text
    from handlers.digest.build import preview

    settings = settings_or_exit()
    with _digest_deps(settings) as deps:
        person = _known_person(deps, user)
        try:
            click.echo(render_text(preview(person, deps)))
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
    from bot.app import build_deps

    deps = build_deps(settings)
    logs.install(deps.redactor)
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
