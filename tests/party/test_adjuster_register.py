"""The public adjuster register (R-U1): insureds, brokers and insurers look practitioners up by name,
firm, line and province; they see the name, the firm (filed or not), the qualification status and the
lines, never personal data."""

from __future__ import annotations

from tests.helpers import _ok

FIRM_A, FIRM_B, FIRM_C = "华信保险公估有限公司", "正衡保险公估合伙企业（普通合伙）", "粤安保险公估有限公司"


def _all(env, user: str, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        query = {**params, "limit": 4, **({"cursor": cursor} if cursor else {})}
        body = _ok(env.client(user).get("/api/v1/adjuster-register", params=query))
        items += body["items"]
        cursor = body["next"]
        if not cursor:
            return items


def test_the_insured_searches_the_register_without_personal_data(env):
    r = env.client("insured1").get("/api/v1/adjuster-register", params={"limit": 200})
    items = _ok(r)["items"]
    assert len(items) == 14
    assert set(items[0]) == {"id", "name", "firm", "qualification_status", "lines"}
    assert set(items[0]["firm"]) == {"id", "name", "filed"}
    for personal in ("3101", "id_number", "phone", "email", "@", "certificate", "GGS"):
        assert personal not in r.text, personal
    status = {i["name"]: i["qualification_status"] for i in items}
    assert status["钱永刚"] == "lapsed" and status["罗振华"] == "sanctioned" and status["王建国"] == "valid"
    assert next(i for i in items if i["name"] == "陈亮")["firm"] == {
        "id": next(i for i in items if i["name"] == "张伟")["firm"]["id"],
        "name": FIRM_B,
        "filed": True,
    }


def test_pages_filters_and_bad_filters(env):
    everyone = _all(env, "insured2")
    assert len(everyone) == 14 and len({i["id"] for i in everyone}) == 14  # four pages, nobody twice
    assert [i["name"] for i in everyone] == sorted(i["name"] for i in everyone)

    assert {i["name"] for i in _all(env, "broker", q="正衡")} == {"张伟", "陈亮", "何雪梅"}
    assert {i["name"] for i in _all(env, "insurer1", q="建国")} == {"王建国"}
    assert {i["name"] for i in _all(env, "insured1", line="货物运输保险")} == {"李娜", "郑晓红", "陈亮", "罗振华"}
    # 广东: the adjusters based there and every adjuster of a nationwide firm; not 正衡 (浙江/上海/江苏).
    guangdong = _all(env, "insured1", province="广东")
    assert {i["firm"]["name"] for i in guangdong} == {FIRM_A, FIRM_C}
    assert len(guangdong) == 9 + 2
    assert {i["name"] for i in _all(env, "insured1", q="正衡", province="浙江", line="企业财产保险")} == {
        "张伟",
        "何雪梅",
    }

    for params, field in (
        ({"line": "汽车保险"}, "line"),
        ({"province": "火星"}, "province"),
        ({"cursor": "x"}, "cursor"),
    ):
        r = env.client("insured1").get("/api/v1/adjuster-register", params=params)
        assert r.status_code == 422 and field in r.json()["error"]["fields"], r.text


def test_only_those_who_choose_or_check_read_it(env):
    assert _ok(env.client("adjuster1").get("/api/v1/adjuster-register"))["items"] == []
    assert env.client().get("/api/v1/adjuster-register").status_code == 401
