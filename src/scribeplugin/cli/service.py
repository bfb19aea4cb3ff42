"""Commands of the service: ``serve`` (the HTTP API), ``db upgrade | status`` (the feedback and
audit store's schema), ``api-key`` (a tenant's key)."""

from __future__ import annotations

import argparse

from scribeplugin.config import Settings


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from scribeplugin.api.serve import serve_cli

    return serve_cli(settings, args)


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from scribeplugin import migrations
    from scribeplugin.store import Store

    store = Store.from_settings(settings)
    try:
        where = store.describe()
        if args.db_command == "upgrade":
            before, after = store.upgrade_schema()
            if before == after:
                print(f"feedback store {where}: already at revision {after}, the current schema")
            else:
                was = before or "an empty or pre-migration schema"
                print(f"feedback store {where}: upgraded from {was} to revision {after}")
            return 0
        found = migrations.state(store.engine)
        if found.up_to_date:
            print(f"feedback store {where}: at revision {found.current}, the current schema")
            return 0
        at = found.current or ("empty" if found.empty else "a schema from before migrations")
        print(
            f"feedback store {where}: at {at}; the current schema is revision {found.head}. "
            f"Fix: {migrations.UPGRADE_COMMAND}"
        )
        return 1
    finally:
        store.close()


def cmd_api_key(args: argparse.Namespace, settings: Settings) -> int:
    from scribeplugin.api.security import api_key_cli

    return api_key_cli(args.tenant)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="serve the HTTP API")
    p.add_argument("--host", help="default: SCRIBE_HOST or 127.0.0.1 (others need API keys)")
    p.add_argument("--port", type=int, help="default: SCRIBE_PORT or 8000")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes sharing one index (default 1)",
    )
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("db", help="the feedback and audit store's schema")
    dsub = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    dsub.add_parser(
        "upgrade", help="migrate the store (SCRIBE_DATABASE_URL) to the current schema"
    ).set_defaults(handler=cmd_db)
    dsub.add_parser("status", help="is the store at the current schema?").set_defaults(
        handler=cmd_db
    )

    p = sub.add_parser("api-key", help="make an API key for a tenant and print its config line")
    p.add_argument("tenant", help="tenant name: letters, digits, '_.-'")
    p.set_defaults(handler=cmd_api_key)
