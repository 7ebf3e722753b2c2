"""The book import pages (issue 19 item 2): a file with one bad line shows the line and column and writes
nothing; a good one is previewed (nothing written yet), then confirmed and kept; zh-CN."""

from __future__ import annotations

from sqlalchemy import func, select

from tandem.access.models import Organisation
from tandem.policy.models import Policy
from tests.helpers import BOOK_POLICY, book_csv, book_sheets, book_xlsx, csrf_of, logged_in, post, text_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _counts(env) -> tuple[int, int]:
    with env.session() as s:
        return (
            s.execute(select(func.count()).select_from(Organisation)).scalar_one(),
            s.execute(select(func.count()).select_from(Policy)).scalar_one(),
        )


def test_a_bad_line_is_named_and_nothing_written(env) -> None:
    c = logged_in(env, "broker")
    assert "导入业务" in text_of(c.get("/policies"))
    before = _counts(env)
    bad = book_csv(book_sheets(insured={"uscc": "91330500MA2B3C4D5X"}))
    r = post(c, "/book/import", files={"file": ("book.csv", bad, "text/csv")})
    assert r.status_code == 422
    page = text_of(r)
    assert "未导入任何数据" in page and "第 5 行" in page and "uscc" in page and "校验码" in page, page[:3000]
    assert "第 7 行" in page and "被保险人" in page
    assert 'id="confirm-import"' not in r.text
    assert _counts(env) == before


def test_a_good_book_is_previewed_then_confirmed(env) -> None:
    c = logged_in(env, "broker")
    before = _counts(env)
    r = post(c, "/book/import", files={"file": ("book.xlsx", book_xlsx(book_sheets()), XLSX)})
    assert r.status_code == 200, text_of(r)[:3000]
    page = text_of(r)
    assert "预览" in page and "钱江保险公估有限公司" in page and BOOK_POLICY in page
    assert _counts(env) == before  # the preview writes nothing
    data = r.text.split('name="data" value="', 1)[1].split('"', 1)[0]
    r = c.post("/book/import/confirm", data={"csrf_token": csrf_of(r.text), "data": data, "filename": "book.xlsx"})
    assert r.status_code == 200 and "已导入" in text_of(r), text_of(r)[:3000]
    assert _counts(env) == (before[0] + 3, before[1] + 1)
    r = c.post("/book/import/confirm", data={"csrf_token": csrf_of(r.text), "data": data, "filename": "book.xlsx"})
    assert r.status_code == 200 and _counts(env) == (before[0] + 3, before[1] + 1)


def test_only_the_brokers_account_managers_import(env) -> None:
    for user in ("insurer1", "adjuster1", "risk"):
        assert logged_in(env, user).get("/book/import").status_code == 403, user


def test_the_empty_book_has_a_sheet_per_kind_headed_by_its_columns(env) -> None:
    import io

    import openpyxl

    from tandem.policy.book import COLUMNS, KIND_NAMES

    r = logged_in(env, "broker").get("/book/import/template.xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    found = {KIND_NAMES[ws.title]: next(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}
    assert found == COLUMNS
    assert logged_in(env, "insured1").get("/book/import/template.xlsx").status_code == 403
