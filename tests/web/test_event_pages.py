"""The catastrophe event pages and the batch upload page (issue 21), zh-CN: declare, see the notices by
district, assign a district to a firm; upload a CSV/XLSX with a bad row listed by line and column."""

from __future__ import annotations

import io
import re

import openpyxl
from sqlalchemy import func, select

from tandem.claim.models import Claim
from tests.helpers import logged_in, org, post, text_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEAD = ["报案流水号", "保单号", "出险时间", "出险地点", "出险经过", "估损金额"]


def _sheet(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(HEAD)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _claims(env) -> int:
    with env.session() as s:
        return s.execute(select(func.count()).select_from(Claim)).scalar_one()


def _rows(n: int, place: str = "广东省东莞市长安镇", key: str = "P") -> list[list[object]]:
    return [
        [f"{key}-{i}", "PCA2026441900002", "2026-11-24 22:30", f"{place}{i}号", "暴雨进水，仓库货物受损", 20000 + i]
        for i in range(n)
    ]


FLOOD = {
    "name": "东莞暴雨",
    "peril": "flood",
    "areas": "东莞市",
    "starts_at": "2026-11-20T00:00",
    "ends_at": "2026-11-30T00:00",
}


def _declare(c):
    return post(c, "/events", data=FLOOD, follow_redirects=False)


def test_an_upload_lists_each_bad_row_by_line_and_column_and_takes_the_rest(env):
    c = logged_in(env, "broker")
    rows = _rows(4)
    rows[1][2] = "上周"  # line 3: loss_at
    rows[3][1] = "NO-SUCH"  # line 5: policy_number
    r = post(c, "/claims/import", files={"file": ("notices.xlsx", _sheet(rows), XLSX)})
    assert r.status_code == 200, text_of(r)[:2000]
    page = text_of(r)
    assert "2 条报案已创建" in page and "2 条被拒绝" in page, page[:2000]
    assert re.search(r"第 3 行：\s*loss_at", page) and re.search(r"第 5 行：\s*policy_number", page), page[:3000]
    assert "没有这张保单" in page and "请填写日期和时间" in page, page[:3000]
    assert _claims(env) == 2
    again = text_of(post(c, "/claims/import", files={"file": ("notices.xlsx", _sheet(rows), XLSX)}))
    assert "0 条报案已创建，2 条已存在" in again, again[:2000]
    assert _claims(env) == 2


def test_a_file_that_is_no_sheet_is_refused_whole(env):
    c = logged_in(env, "broker")
    r = post(c, "/claims/import", files={"file": ("notices.xlsx", b"junk", XLSX)})
    assert r.status_code == 422 and "Excel" in text_of(r)
    r = post(c, "/claims/import", data={})
    assert r.status_code == 422
    assert _claims(env) == 0
    assert logged_in(env, "adjuster1").get("/claims/import").status_code == 403


def test_declare_see_by_district_and_assign_a_district(env):
    c = logged_in(env, "broker")
    post(c, "/claims/import", files={"file": ("n.xlsx", _sheet(_rows(3) + _rows(2, "广东省东莞市虎门镇", "H")), XLSX)})
    r = post(c, "/events", data={"name": "东莞暴雨", "peril": "flood", "areas": "x"})
    assert r.status_code == 422 and "必填" in text_of(r)
    r = _declare(c)
    assert r.status_code == 303, text_of(r)[:2000]
    url = r.headers["location"].split("?")[0]
    page = c.get(r.headers["location"])
    text = text_of(page)
    assert "已标记 5 条" in text and "东莞市长安镇" in text and "东莞市虎门镇" in text, text[:3000]
    assert "洪水" in text
    assert "公估机构承接能力" in text and "粤安保险公估有限公司" in text
    r = post(c, f"{url}/assign", data={"district": "东莞市长安镇", "firm_id": org(env, "粤安保险公估有限公司")})
    text = text_of(r)
    assert "3 条报案已分派给粤安保险公估有限公司" in text, text[:3000]
    row = re.search(r'data-district="东莞市长安镇">.*?</tr>', r.text, re.S)
    assert row and 'class="open-count">0<' in row.group(0) and 'class="routed-count">3<' in row.group(0)
    # An outsider (another insured, another insurer, a firm) gets 404.
    for user in ("insured1", "insurer1", "adjuster3"):
        assert logged_in(env, user).get(url).status_code == 404
    assert "东莞暴雨" in text_of(logged_in(env, "insured2").get("/events"))
    assert logged_in(env, "insured2").get(url).status_code == 200


def test_a_notice_is_untagged_and_tagged_by_hand(env):
    c = logged_in(env, "broker")
    post(c, "/claims/import", files={"file": ("n.xlsx", _sheet(_rows(2)), XLSX)})
    r = _declare(c)
    url = r.headers["location"].split("?")[0]
    with env.session() as s:
        first = s.execute(select(Claim).order_by(Claim.number)).scalars().first()
    r = post(c, f"{url}/untag", data={"claim_id": str(first.id)})
    assert r.status_code == 303
    assert "该报案已不再标记为此事件" in text_of(c.get(r.headers["location"]))
    assert first.number not in text_of(c.get(url))
    r = post(c, f"{url}/tag", data={"number": "LP-2099-999999"})
    assert r.status_code == 422 and "没有这个案件号" in text_of(r)
    r = post(c, f"{url}/tag", data={"number": first.number})
    page = text_of(c.get(r.headers["location"]))
    assert "该报案已标记为此事件" in page and first.number in page
    r = post(c, f"{url}/tag", data={"number": first.number})
    assert r.status_code == 409 and "该报案已标记为此事件" in text_of(r)
    assert logged_in(env, "insured2").get(url).status_code == 200
    assert "<title>东莞暴雨 · Tandem</title>" in c.get(url).text
    english = text_of(logged_in(env, "broker", **{"Accept-Language": "en"}).get(url))
    assert "By district" in english and "Awaiting an adjuster" in english and "Tag a notice by hand" in english
    assert "/untag" not in logged_in(env, "insured2").get(url).text
