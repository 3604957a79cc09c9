"""The `lantern` command line (see api-contract.md, "Command line").

It lives in `workers` because it is the composition root: `serve` hands the API the
worker loop, and `api` never imports `workers`. Each command imports what it needs when it
runs: a one-off command (`setup import`, `audit verify`, `backup`) starts without the worker
runtime, its handlers and HTTP clients (about 0.8 s of CPU at every start).
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import sys
from typing import Annotated, Any

import typer

from api.auth import passwords
from api.platform.logs import configure_logging
from api.settings import Settings, SettingsError, get_settings

app = typer.Typer(help="Lantern: out-of-hours exploitation response.", no_args_is_help=True)
users_app = typer.Typer(help="Manage users.", no_args_is_help=True)
app.add_typer(users_app, name="users")
log = logging.getLogger("lantern.cli")


def _load_settings():
    """The settings, or exit 2 with one line naming the bad variable (no traceback)."""
    try:
        return get_settings()
    except SettingsError as exc:
        typer.echo(f"lantern: configuration error: {exc}", err=True)
        raise typer.Exit(2) from None


def _settings():
    settings = _load_settings()
    configure_logging(settings.log_level)
    passwords.use_cost(settings.password_hash_cost)
    return settings


async def _migrate(url: str) -> None:
    from api.db import Database
    from api.migrations import upgrade

    database = Database(url)
    try:
        await upgrade(database.engine)
    finally:
        await database.dispose()


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


@app.command()
def migrate() -> None:
    """Upgrade the database to the newest migration."""
    settings = _settings()
    _ensure_sqlite_dir(settings.database_url)
    asyncio.run(_migrate(settings.database_url))
    typer.echo("database at migration head")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Do not run the worker loop here")] = False,
) -> None:
    """Migrate, then serve the API and the PWA (and the worker loop unless --no-worker)."""
    import uvicorn

    from workers import runtime

    settings = _settings()
    _ensure_sqlite_dir(settings.database_url)
    asyncio.run(_migrate(settings.database_url))
    background = None
    if not no_worker and settings.run_worker:
        background = runtime.in_process_background(settings)
    from api.main import create_app

    application = create_app(settings, background=background, freeze_gc=True)
    typer.echo(f"Lantern listening on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(application, host=host, port=port, **server_options(settings))


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for `serve`: its own logging off (Lantern's redacting handlers log), and
    forwarded headers believed only from the configured proxies (LANTERN_TRUSTED_PROXIES)."""
    return {
        "log_config": None,
        "access_log": False,
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": ",".join(settings.trusted_proxies) or None,
        "timeout_graceful_shutdown": 5,
    }


@app.command()
def worker() -> None:
    """Run a worker process only (production, several replicas)."""
    from workers import runtime

    settings = _settings()
    asyncio.run(runtime.run_forever(settings))


@app.command()
def demo() -> None:
    """Load demo data (areas, teams, stations, users, rotas covering now); safe to run twice."""
    from api.demo import load_demo

    settings = _settings()
    _ensure_sqlite_dir(settings.database_url)
    asyncio.run(_migrate(settings.database_url))
    sign_ins = asyncio.run(load_demo(settings))
    typer.echo("Demo sign-ins (username / password / role):")
    for username, password, role in sign_ins:
        typer.echo(f"  {username:<18} {password:<22} {role}")


@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[list[str], typer.Option("--role", help="police, worker, day_team, manager or admin")],
    team: Annotated[list[str] | None, typer.Option("--team", help="Team slug (repeatable)")] = None,
    display_name: Annotated[str | None, typer.Option("--display-name")] = None,
    station: Annotated[str | None, typer.Option("--station", help="Station slug (police)")] = None,
) -> None:
    """Create a user; the password comes from LANTERN_PASSWORD or a prompt."""
    from api.auth.models import ROLES

    bad = [r for r in role if r not in ROLES]
    if bad:
        raise typer.BadParameter(f"unknown role(s) {', '.join(bad)}; choose from {', '.join(ROLES)}")
    password = os.environ.get("LANTERN_PASSWORD") or getpass.getpass("Password: ")
    if len(password) < 12:
        raise typer.BadParameter("the password must be at least 12 characters")
    settings = _settings()
    _ensure_sqlite_dir(settings.database_url)
    asyncio.run(_migrate(settings.database_url))
    user_id = asyncio.run(_create_user(settings, username, password, role, team or [], display_name, station))
    typer.echo(f"created user {username} ({user_id})")


async def _create_user(settings, username, password, roles, team_slugs, display_name, station) -> str:
    from api.db import Database
    from api.errors import LanternError
    from api.teams import service

    database = Database(settings.database_url)
    try:
        async with database.session() as session:
            team_ids = []
            for slug in team_slugs:
                team = await service.team_by_slug(session, slug)
                if team is None:
                    raise typer.BadParameter(f"unknown team '{slug}'")
                team_ids.append(team.id)
            try:
                user = await service.create_user(
                    session,
                    username=username,
                    display_name=display_name or username,
                    password=password,
                    roles=roles,
                    team_ids=team_ids,
                    station_slug=station,
                )
            except LanternError as exc:
                raise typer.BadParameter(exc.detail) from exc
            return str(user.id)
    finally:
        await database.dispose()


setup_app = typer.Typer(help="First set-up of a deployment.", no_args_is_help=True)
app.add_typer(setup_app, name="setup")


def import_setup(
    path: Annotated[str, typer.Argument(help="A YAML or JSON file of areas, stations, teams and users")],
) -> None:
    """Create or bring up to date the areas, stations, teams and users of FILE (idempotent: a
    second run changes nothing). New users without a password_hash get a first password,
    printed here once; hand it over in person."""
    import json
    from pathlib import Path

    import yaml

    from api.errors import LanternError
    from api.teams import setup

    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
        data = json.loads(text) if source.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        typer.echo(f"setup import: cannot read {path}: {type(exc).__name__}", err=True)
        raise typer.Exit(2) from None
    settings = _settings()
    _ensure_sqlite_dir(settings.database_url)
    asyncio.run(_migrate(settings.database_url))
    try:
        parsed = setup.parse(data)
        report = asyncio.run(_apply_setup(settings, parsed))
    except LanternError as exc:
        typer.echo(f"setup import: {exc.detail}; nothing was changed", err=True)
        for error in exc.errors or []:
            typer.echo(f"  {error['field']}: {error['message']}", err=True)
        raise typer.Exit(1) from None
    for kind in ("areas", "stations", "teams", "users"):
        typer.echo(
            f"{kind:<9} created {len(report.created.get(kind, [])):>3}  changed "
            f"{len(report.changed.get(kind, [])):>3}  unchanged {len(report.unchanged.get(kind, [])):>3}"
        )
    if report.first_passwords:
        typer.echo("First passwords (shown once; hand each over in person):")
        for username, password in report.first_passwords.items():
            typer.echo(f"  {username:<24} {password}")
    if not report.changes:
        typer.echo("nothing to change")


async def _apply_setup(settings, parsed):
    from api.audit import service as audit
    from api.db import Database
    from api.teams import setup

    database = Database(settings.database_url)
    try:
        async with database.session() as session:
            report = await setup.apply(session, parsed)
            if report.changes:  # a second run of the same file writes nothing at all
                audit.record(
                    session,
                    None,
                    "setup.import",
                    detail={
                        "created": {k: len(v) for k, v in report.created.items()},
                        "changed": {k: len(v) for k, v in report.changed.items()},
                    },
                )
            return report
    finally:
        await database.dispose()


setup_app.command("import")(import_setup)
app.command("import")(import_setup)  # the name api-contract.md gives the same command


@app.command()
def vapid() -> None:
    """Print the VAPID public key (creating the key pair where none is configured)."""
    settings = _load_settings()
    typer.echo(settings.vapid_public_key)


def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go, per table; change nothing")
    ] = False,
) -> None:
    """Apply the retention table now (the worker also does it on a schedule)."""
    from api import retention
    from api.db import Database

    settings = _settings()

    async def run() -> retention.PurgeReport:
        database = Database(settings.database_url)
        try:
            return await retention.purge(database, settings, dry_run=dry_run, trigger="command")
        finally:
            await database.dispose()

    typer.echo("Retention table (settings LANTERN_RETENTION_*; sources in the README):")
    for rule in retention.retention_table(settings):
        typer.echo(f"  {rule.rows}: {rule.keep} [{rule.source}]")
    report = asyncio.run(run())
    typer.echo("Rows that would go (dry run, nothing changed):" if dry_run else "Rows purged:")
    width = max([len(t) for t in report.counts] + [20])
    for table, count in sorted(report.counts.items()):
        typer.echo(f"  {table:<{width}} {count}")
    typer.echo(
        f"  {'audit_events':<{width}} {report.audit_events_due} (past retention; counted, not deleted)"
    )
    if not report.complete:
        typer.echo("Stopped before the end; run again to carry on.")


app.command("purge")(purge)
app.command("retention")(purge)  # the name api-contract.md gives the same command


audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
db_app = typer.Typer(help="Database administration.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain; exit 1 naming the first broken row."""
    settings = _settings()
    try:
        verdict = asyncio.run(_verify_chain(settings.database_url))
    except RuntimeError as exc:
        typer.echo(f"audit verify: {exc}", err=True)
        raise typer.Exit(2) from exc
    if verdict.ok:
        typer.echo(
            f"audit chain verified: {verdict.rows} rows, head seq {verdict.head_seq} hash {verdict.head_hash}"
        )
        return
    broken = verdict.broken
    typer.echo(
        f"audit chain BROKEN at seq {broken.seq} (id {broken.id}): {broken.reason}; "
        f"the {verdict.rows} rows before it hold (last good hash {verdict.head_hash})",
        err=True,
    )
    raise typer.Exit(1)


async def _verify_chain(url: str):
    from sqlalchemy import inspect
    from sqlalchemy.ext.asyncio import create_async_engine

    from api.audit.chain import verify
    from workers.backup import sqlite_path

    if url.startswith("sqlite"):
        path = sqlite_path(url)
        assert path is not None, "a sqlite URL always names a file (sqlite_path)"
        if not path.is_file():
            raise RuntimeError(f"no database at {path}")
    # A plain engine: reads only (no BEGIN IMMEDIATE on SQLite, so the service keeps writing).
    engine = create_async_engine(url, hide_parameters=True)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
            if "audit_events" not in tables:
                raise RuntimeError("the database has no audit trail yet (run `lantern migrate`)")
            return await verify(connection)
    finally:
        await engine.dispose()


@db_app.command("grants")
def db_grants(
    role: Annotated[str, typer.Argument(help="The PostgreSQL role the application connects as")],
    schema: Annotated[str, typer.Option(help="Schema holding Lantern's tables")] = "public",
) -> None:
    """Print the SQL giving ROLE least privilege (no UPDATE/DELETE/TRUNCATE on the audit trail)."""
    from api.audit.privileges import grants_sql

    try:
        typer.echo(grants_sql(role, schema), nl=False)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command()
def backup(
    path: Annotated[str, typer.Argument(help="Where to write the copy (one SQLite file)")],
    force: Annotated[bool, typer.Option("--force", help="Replace PATH if it exists")] = False,
) -> None:
    """Copy the embedded SQLite database while the service runs (SQLite's online backup API)."""
    from pathlib import Path

    from workers.backup import BackupError
    from workers.backup import backup as take_backup

    settings = _settings()
    try:
        summary = take_backup(settings.database_url, Path(path), force=force)
    except BackupError as exc:
        typer.echo(f"backup: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"backed up to {summary.path} ({summary.bytes} bytes, migration {', '.join(summary.revisions)}, "
        f"{summary.incidents} incidents, {summary.audit_rows} audit rows; integrity check ok)"
    )


@app.command()
def restore(
    path: Annotated[str, typer.Argument(help="A copy made by `lantern backup`")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that holds data or is open by a service")
    ] = False,
) -> None:
    """Bring a backup back as the configured SQLite database (refuses to overwrite data without --force)."""
    from pathlib import Path

    from workers.backup import BackupError
    from workers.backup import restore as bring_back

    settings = _settings()
    try:
        restored = bring_back(settings.database_url, Path(path), force=force)
    except BackupError as exc:
        typer.echo(f"restore: {exc}", err=True)
        raise typer.Exit(2) from exc
    summary = restored.summary
    what = "replaced the database at" if restored.replaced else "restored into"
    typer.echo(
        f"{what} {summary.path} from {Path(path).resolve()}: migration {', '.join(summary.revisions)}, "
        f"{summary.incidents} incidents, {summary.audit_rows} audit rows"
        + (" (a running service had it open: restart it)" if restored.was_in_use else "")
        + ". Check it with `lantern audit verify`; `lantern serve` migrates it to head if it is older."
    )


def main() -> None:
    """Entry point: a bad setting met anywhere stops with one line, not a traceback."""
    try:
        app()
    except SettingsError as exc:
        print(f"lantern: configuration error: {exc}", file=sys.stderr)  # noqa: T201
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
