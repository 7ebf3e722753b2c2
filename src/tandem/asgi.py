"""ASGI entry for uvicorn workers: ``tandem.asgi:app``."""

from tandem.app import create_app

app = create_app()
