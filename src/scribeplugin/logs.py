"""Logging policy: module loggers with %s arguments, never transcript text; noisy libs muted."""

from __future__ import annotations

import logging

_NOISY = (
    "chromadb",
    "httpx",
    "httpcore",
    "urllib3",
    "sentence_transformers",
    "transformers",
    "PyRuSH",
    "medspacy",
    "spacy",
    "posthog",
    "openai",
    "langchain",
    "filelock",
    "bm25s",
    "alembic",  # a line per plugin and step; scribeplugin.migrations logs what changed
)


def quiet_third_party(level: int = logging.WARNING) -> None:
    """Third-party debug output is noise and may echo input text: keep it at WARNING."""
    for name in _NOISY:
        logging.getLogger(name).setLevel(level)
    try:  # PyRuSH (medspaCy's sentence splitter) logs every sentence at DEBUG through loguru
        from loguru import logger

        logger.disable("PyRuSH")
        logger.disable("medspacy")
    except ImportError:  # pragma: no cover - loguru comes with medspaCy
        pass
