"""The few errors scribeplugin raises on purpose. Each message says what to do next."""

from __future__ import annotations


class ScribeError(Exception):
    """Base class: every deliberate failure of scribeplugin is one of these."""


class ConfigError(ScribeError):
    """Settings are missing, contradictory or unsafe."""


class CodeSetError(ScribeError):
    """The ICD-10-CM release cannot be loaded, or a code is not in it."""


class UnknownCodeError(CodeSetError):
    """A code that is not in the code set in use."""

    def __init__(self, code: str, suggestions: list[str] | None = None) -> None:
        self.code = code
        self.suggestions = suggestions or []
        hint = f" Nearest valid codes: {', '.join(self.suggestions)}." if self.suggestions else ""
        super().__init__(f"{code!r} is not an ICD-10-CM code in the code set in use.{hint}")


class AlphabeticIndexError(CodeSetError):
    """The ICD-10-CM Alphabetic Index (CDC XML or the vendored CSV) cannot be read."""


class CorpusError(ScribeError):
    """A guidance card or rule file cannot be parsed or fails validation."""


class IndexNotReadyError(ScribeError):
    """The vector index is missing or was built from another corpus, model or code set."""


class ModelError(ScribeError):
    """The embedding model cannot be loaded or failed its integrity check."""


class InputError(ScribeError):
    """A transcript or request that cannot be processed (empty, too long, not text...)."""


class DrafterError(ScribeError):
    """A drafter failed (timeout, HTTP error, unparseable reply)."""


class DeadlineExceededError(ScribeError):
    """A request ran past its deadline and stopped (``SCRIBE_REQUEST_TIMEOUT_S``)."""
