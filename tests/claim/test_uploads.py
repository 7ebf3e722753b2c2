"""Evidence uploads (issue 11 item 14): only images, PDF and office documents, recognised by their content
(not by the name or the declared type), and a body over the size cap is refused while it streams in,
not after it has been read and spooled whole."""

from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any

import pytest
from sqlalchemy import func, select

from tandem.claim.models import Document
from tests.helpers import _body, _policy, csrf_of, logged_in, text_of

MiB = 1024 * 1024


def _zip(*names: str, stored_first: tuple[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        if stored_first:
            z.writestr(zipfile.ZipInfo(stored_first[0]), stored_first[1])
        for name in names:
            z.writestr(name, "<x/>")
    return buf.getvalue()


ACCEPTED = {
    "photo.jpg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "image/jpeg"),
    "roof.png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, "image/png"),
    "phone.heic": (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64, "image/heic"),
    "invoice.pdf": (b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf"),
    "list.docx": (
        _zip("[Content_Types].xml", "_rels/.rels", "word/document.xml"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "sheet.xlsx": (
        _zip("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "notes.odt": (
        _zip("content.xml", stored_first=("mimetype", "application/vnd.oasis.opendocument.text")),
        "application/vnd.oasis.opendocument.text",
    ),
}
REFUSED = {
    "page.html": b"<!DOCTYPE html><html><script>alert(1)</script></html>",
    "drawing.svg": b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "setup.exe": b"MZ\x90\x00" + b"\x00" * 64,
    "bundle.zip": _zip("evil.js"),
    "readme.txt": "现场照片说明".encode(),
    "tool.elf": b"\x7fELF" + b"\x00" * 64,
}


def _claim(env) -> str:
    c = env.client("insured1")
    r = c.post("/api/v1/claims", json=_body(_policy(env, "insured1", "PQC2026330400001")["id"]))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _documents(env) -> dict[str, str]:
    with env.session() as s:
        return {d.filename: d.content_type for d in s.execute(select(Document)).scalars() if d.kind == "evidence"}


def test_the_api_accepts_evidence_types_by_content_and_stores_the_sniffed_type(env) -> None:
    cid, c = _claim(env), env.client("insured1")
    for name, (data, _mime) in ACCEPTED.items():
        # The declared type is ignored either way: the content decides.
        r = c.post(f"/api/v1/claims/{cid}/documents", files={"file": (name, data, "application/octet-stream")})
        assert r.status_code == 201, (name, r.text)
    assert _documents(env) == {name: mime for name, (_data, mime) in ACCEPTED.items()}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_the_api_refuses_other_content_with_422_naming_the_file(env, name: str) -> None:
    cid, c = _claim(env), env.client("insured1")
    r = c.post(
        f"/api/v1/claims/{cid}/documents", files={"file": (name.rsplit(".")[0] + ".png", REFUSED[name], "image/png")}
    )
    assert r.status_code == 422, r.text
    assert list(r.json()["error"]["fields"]) == ["file"]
    assert _documents(env) == {}


def test_the_page_refuses_other_content_beside_the_file_field(env) -> None:
    cid = _claim(env)
    case = f"/claims/{cid}"
    firm = logged_in(env, "adjuster1")
    token = csrf_of(firm.get(case).text)
    r = firm.post(
        f"{case}/documents",
        data={"csrf_token": token, "audience": "all"},
        files={"file": ("photo.jpg", REFUSED["page.html"], "image/jpeg")},
    )
    assert r.status_code == 422
    assert 'id="upload-file-error">只能上传照片（JPEG、PNG、HEIC 等）、PDF 或 Office 文档。' in r.text, text_of(r)
    assert _documents(env) == {}
    ok = firm.post(
        f"{case}/documents",
        data={"csrf_token": token, "audience": "all"},
        files={"file": ("scan.pdf", ACCEPTED["invoice.pdf"][0], "image/jpeg")},
    )
    assert ok.status_code == 303, text_of(ok)
    assert _documents(env) == {"scan.pdf": "application/pdf"}


# ---- the size cap, at the transport ----------------------------------------------------------------


def _stream(env, path: str, headers: dict[str, str], chunks: int, chunk: bytes, *, declare: bool) -> tuple[int, int]:
    """Send ``chunks`` chunks to the app as a server would (no Content-Length unless ``declare``): the
    answer's status and how many chunks the app pulled before answering."""
    pulled = 0
    status = 0
    total = chunks * len(chunk)
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if declare:
        raw.append((b"content-length", str(total).encode()))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *raw],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 443),
    }

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled < chunks:
            pulled += 1
            return {"type": "http.request", "body": chunk, "more_body": pulled < chunks}
        await asyncio.Event().wait()  # the client waits for the answer
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    asyncio.run(env.app(scope, receive, send))
    return status, pulled


def _multipart_head(boundary: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("declare", [False, True], ids=["chunked", "declared"])
def test_an_oversized_api_upload_is_refused_while_it_streams(env, declare: bool) -> None:
    cid = _claim(env)
    token = env.client("insured1").headers["Authorization"]
    boundary = "tandemboundary"
    headers = {"authorization": token, "content-type": f"multipart/form-data; boundary={boundary}"}
    chunk = _multipart_head(boundary) + b"\x00" * (MiB - 200)
    status, pulled = _stream(env, f"/api/v1/claims/{cid}/documents", headers, 200, chunk, declare=declare)
    assert status == 413
    assert pulled <= (0 if declare else 22), pulled  # 20 MB cap + the form's overhead, not 200 MB
    assert _documents(env) == {}


def test_an_oversized_page_upload_and_json_body_are_refused_while_they_stream(env) -> None:
    cid = _claim(env)
    firm = logged_in(env, "adjuster1")
    cookie = "; ".join(f"{k}={v}" for k, v in firm.cookies.items())
    boundary = "tandemboundary"
    headers = {
        "cookie": cookie,
        "content-type": f"multipart/form-data; boundary={boundary}",
        "origin": "https://testserver",
    }
    chunk = _multipart_head(boundary) + b"\x00" * (MiB - 200)
    status, pulled = _stream(env, f"/claims/{cid}/documents", headers, 200, chunk, declare=False)
    assert status == 413 and pulled <= 22, (status, pulled)
    # Routes that take no file take a much smaller body.
    token = env.client("broker").headers["Authorization"]
    headers = {"authorization": token, "content-type": "application/json"}
    status, pulled = _stream(env, "/api/v1/policies", headers, 200, b" " * MiB, declare=False)
    assert status == 413 and pulled <= 5, (status, pulled)
    assert _documents(env) == {}
    assert env.session().execute(select(func.count()).select_from(Document)).scalar_one() == 0
