"""The web shell: static files (vendored htmx, one stylesheet) and the server-rendered pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from tandem.web.render import STATIC_DIR


def mount_web(app: FastAPI) -> None:
    from tandem.web.auth_pages import router as auth_router
    from tandem.web.registry import router as registry_router

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(auth_router)
    app.include_router(registry_router)
