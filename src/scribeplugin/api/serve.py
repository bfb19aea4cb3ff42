"""``scribeplugin serve``: run the API under uvicorn.

One worker serves the app object built here. Several workers each build their own app from the
environment (uvicorn needs an import string for that), so the settings given on the command
line are exported as ``SCRIBE_*`` variables first; the workers share the index on disk (or the
Chroma server), the store (SQLite in WAL mode, or PostgreSQL) and, through
``PROMETHEUS_MULTIPROC_DIR``, their metrics. Access logs are off: a search URL carries query
text, which may be transcript text; the app logs one line per request without it. Slow
clients are cut off: request heads by the HTTP protocol of ``scribeplugin.api.connections``,
bodies by the input guard, idle keep-alive connections by uvicorn; past
``SCRIBE_MAX_CONNECTIONS`` a worker answers 503.

Unsafe settings stop the command before anything binds: a non-loopback host without API keys,
transcript logging in production, and a feedback store at an older schema (it names
``scribeplugin db upgrade``; a new, empty database gets the current schema).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
from typing import Any

from scribeplugin.api.security import check_serving
from scribeplugin.config import Settings
from scribeplugin.errors import ConfigError

log = logging.getLogger(__name__)

LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stderr",
        },
    },
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {
        "uvicorn": {"handlers": [], "level": "INFO", "propagate": True},
        "uvicorn.error": {"handlers": [], "level": "INFO", "propagate": True},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}


def serve_cli(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    settings = settings.model_copy(
        update={"host": args.host or settings.host, "port": args.port or settings.port}
    )
    check_serving(settings)
    if args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, not {args.workers}")
    from scribeplugin.store import Store

    store = Store.from_settings(settings)
    try:  # a new database gets the schema; an old one stops the command with the fix
        store.create_schema()
    finally:
        store.close()
    if args.workers > 1:
        if not settings.chroma_url:
            log.info(
                "%d workers share the local Chroma files; for more than one host, run `chroma "
                "run` and set SCRIBE_CHROMA_URL",
                args.workers,
            )
        os.environ["SCRIBE_DATA_DIR"] = str(settings.data_dir)
        os.environ["SCRIBE_CORPUS_DIR"] = str(settings.corpus_dir)
        os.environ["SCRIBE_HOST"] = settings.host
        os.environ["SCRIBE_PORT"] = str(settings.port)
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            metrics_dir = settings.data_dir / "prometheus"
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir(parents=True)
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        uvicorn.run(
            "scribeplugin.api.app:app_factory",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=args.workers,
            # each worker reads its limits from the environment's settings, as the app does
            http="scribeplugin.api.connections:GuardedHttpProtocol",
            **connection_options(settings),
        )
        return 0

    from scribeplugin.api.app import create_app
    from scribeplugin.api.connections import GuardedHttpProtocol

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        http=GuardedHttpProtocol.for_settings(settings),
        **connection_options(settings),
    )
    return 0


def connection_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for every way of serving: no access log (a search URL carries query
    text), our log config, the keep-alive timeout and the connection cap per worker."""
    return {
        "access_log": False,
        "log_config": LOG_CONFIG,
        "timeout_keep_alive": settings.keep_alive_timeout_s,
        "limit_concurrency": settings.max_connections,
    }
