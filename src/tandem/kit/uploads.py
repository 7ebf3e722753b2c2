"""What a client may send: body size caps and the evidence types recognised by their content.

Sizes are enforced while the body streams in (FastAPI's ``max_body_size``: a declared Content-Length
over the cap is refused before reading, a streamed body as soon as it passes the cap), so an
oversized upload is never read or spooled whole. File types come from the first bytes of the content
(``filetype``: pure Python, signatures only), never from the file name or the declared type.
"""

from __future__ import annotations

import filetype

MIB = 1024 * 1024
#: Largest file accepted (evidence, expert imports).
MAX_UPLOAD = 20 * MIB
#: Body cap of the routes that take a file: the file plus the multipart form around it.
UPLOAD_BODY_LIMIT = MAX_UPLOAD + MIB
#: Body cap of every other route (JSON and plain forms).
DEFAULT_BODY_LIMIT = 4 * MIB

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
