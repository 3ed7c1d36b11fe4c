"""The `learnbot` command line (click)."""

from __future__ import annotations

import logging
import sys

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
    app = create_app(settings, deps, socket_mode=not use_http)
    scheduler = start_scheduler(settings, deps, app.client)
    try:
        if use_http:
            from bot.server import make_http_server

            server = make_http_server(app, host, port)
            logger.info("serving Slack requests on http://%s:%s/slack/events", host, port)
            server.serve_forever()
        else:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            SocketModeHandler(app, settings.app_token).start()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def start_scheduler(settings, deps, client):
    """The weekly digest sweep, when the digest module is present."""
    try:
        from bot.scheduler import start
    except ImportError:
        return None
    return start(settings, deps, client)


@main.command()
def chat() -> None:
    """Talk to learnbot in this terminal, offline, on the bundled catalog."""
    from bot.app import build_deps
    from bot.chat import chat_loop

    logging.getLogger().setLevel(logging.WARNING)
    deps = build_deps(settings_or_exit())
    chat_loop(deps)


@main.group()
def catalog() -> None:
    """The local catalog."""


@catalog.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def catalog_import(file: str) -> None:
    """Import learning resources from a CSV, JSON or YAML FILE (all rows or none)."""
    from tqdm import tqdm

    from providers.catalog import import_catalog, read_rows
    from store.pool import ThreadLocalDatabase

    settings = settings_or_exit()
    db = ThreadLocalDatabase(settings.db_path)
    try:
        total = len(read_rows(file))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    with tqdm(total=total, unit="row", disable=total < 200, file=sys.stderr) as bar:
        report = import_catalog(db, file, progress=bar.update)
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
