"""The HTTP API: ``create_app(settings)`` builds a FastAPI app; routes live in ``routes/``."""
