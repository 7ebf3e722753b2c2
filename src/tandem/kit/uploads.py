"""What a client may send: body size caps and the evidence types recognised by their content.

Sizes are enforced while the body streams in (:class:`BodyLimit`: a declared Content-Length over the
cap is refused before reading, a streamed body as soon as it passes the cap), so an oversized upload
is never read or spooled whole. File types come from the first bytes of the content
(``filetype``: pure Python, signatures only), never from the file name or the declared type.
"""

from __future__ import annotations

import re

import filetype
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIB = 1024 * 1024
#: Largest file accepted (evidence, expert imports).
MAX_UPLOAD = 20 * MIB
#: Body cap of the routes that take a file: the file plus the multipart form around it.
UPLOAD_BODY_LIMIT = MAX_UPLOAD + MIB
#: Body cap of every other route (JSON and plain forms).
DEFAULT_BODY_LIMIT = 4 * MIB
#: The routes that take a file.
UPLOAD_PATH = re.compile(
    r"(/api/v1)?/claims/[^/]+/documents|/claims/[^/]+/surveys/[^/]+/notes|/experts/import|/api/v1/claims/batch|/claims/import"
)

#: Evidence a party may upload: photos, PDF, office documents (legacy and Open XML, OpenDocument).
#: Not SVG or HTML (they carry script), not archives or executables.
EVIDENCE_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "image/heif",
        "image/tiff",
        "image/bmp",
        "application/pdf",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    }
)


def evidence_type(data: bytes) -> str | None:
    """The MIME type of ``data`` when it is an accepted evidence type, else None."""
    kind = filetype.guess(data[:8192])
    mime = getattr(kind, "mime", None)
    return mime if isinstance(mime, str) and mime in EVIDENCE_TYPES else None


class BodyLimit:
    """Pure ASGI middleware: refuse a request body over its cap while it streams in. A declared
    Content-Length over the cap is answered 413 before a byte is read; a streamed body is cut off as
    soon as it passes the cap (the app sees the client gone) and the answer is 413 whatever the app
    made of it. Upload routes (``UPLOAD_PATH``) may carry ``UPLOAD_BODY_LIMIT``, others
    ``DEFAULT_BODY_LIMIT``. Safe methods are left alone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = UPLOAD_BODY_LIMIT if UPLOAD_PATH.fullmatch(scope.get("path", "")) else DEFAULT_BODY_LIMIT
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(scope, send)
            return
        seen, over, answered = 0, False, False

        async def limited() -> Message:
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal answered
            if not over:
                await send(message)
            elif not answered:
                answered = True
                await _too_large(scope, send)

        try:
            await self.app(scope, limited, guarded)
        except Exception:
            if not over:
                raise
        if over and not answered:
            await _too_large(scope, send)


async def _too_large(scope: Scope, send: Send) -> None:
    if str(scope.get("path", "")).startswith("/api/"):
        body = {"error": {"code": "request.too_large", "message": "The request is too large (files up to 20 MB)."}}
        response: Response = JSONResponse(body, 413, headers={"Cache-Control": "no-store"})
    else:
        response = PlainTextResponse("413 Content Too Large", 413)

    async def nothing() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, nothing, send)
