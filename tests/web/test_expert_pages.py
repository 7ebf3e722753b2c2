"""Expert pool pages: the pool a user may see (never an unshared one) with search and explanations, the
profile with contact data masked until an engagement is accepted, the owner's sharing and edit forms,
JSONL import (all or nothing, errors by line) and export (round trip, also from the CLI), and on the case
file the suggested experts, a request, the owner's decision and the expert on the case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tandem.audit.models import AuditEvent
from tandem.expert import service
from tandem.expert.models import Engagement
from tandem.party.models import Expert
from tests.helpers import POLICY1, logged_in, notice, post, text_of

FIRM_A = "华信保险公估有限公司"
PHONE = "13700000000"  # every demo expert's


def expert_id(env, name: str) -> str:
    with env.session() as s:
        return str(s.execute(select(Expert.id).where(Expert.name == name)).scalar_one())


def experts_table(env) -> list[tuple]:
    """Every expert row as stored, to prove a refused form changed nothing."""
    with env.session() as s:
        return sorted(repr(tuple(r)) for r in s.execute(select(Expert.__table__)))


def names_on(page) -> set[str]:
    """The expert names linked from a pool page."""
    import re

    return set(re.findall(r'<a href="/experts/[0-9a-f-]{36}">([^<]+)</a>', page.text))


def upload(client: TestClient, lines: list[str] | bytes, name: str = "experts.jsonl"):
    data = lines if isinstance(lines, bytes) else ("\n".join(lines) + "\n").encode()
    return post(client, "/experts/import", files={"file": (name, data, "application/jsonl")})


def profile(ext_id: str, **kw) -> str:
    base = {
        "id": ext_id,
        "name": "宋明远",
        "title": "高级工程师",
        "organisation": "宁波市消防技术研究所",
        "owner_type": "adjuster_firm",
        "specialties": ["仓储物流火灾调查"],
        "lines": ["企业财产保险"],
        "regions": ["浙江"],
        "certificates": ["注册消防工程师（一级）"],
        "years": 11,
        "bio": "参与宁波多起冷库和仓库火灾的原因调查。",
    }
    return json.dumps({**base, **kw}, ensure_ascii=False)


# ---- the pool ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("expert_index")
def test_the_pool_never_shows_an_unshared_expert(env):
    broker, firm_a = logged_in(env, "broker"), logged_in(env, "adjuster1")
    assert names_on(broker.get("/experts")) == {"邓建华", "韩晓光", "曹立新", "潘志远", "沈国栋"}
    assert names_on(firm_a.get("/experts")) == {"邓建华", "曹立新", "潘志远", "沈国栋"}  # not the broker's private one
    # firm C's private 注塑设备机损 expert is the best match for this loss, and still never listed
    found = broker.get("/experts", params={"q": "东莞注塑厂的注塑机液压系统坏了，机损", "region": "广东"})
    assert found.status_code == 200
    assert "袁丽华" not in found.text and names_on(found) <= {"邓建华", "韩晓光", "曹立新", "潘志远", "沈国栋"}
    # a line filter while browsing
    assert names_on(broker.get("/experts", params={"line": "货物运输保险"})) == {"曹立新"}
    assert names_on(broker.get("/experts", params={"region": "江苏"})) == {"邓建华", "沈国栋"}
    # parties without a pool see none
    # organisations without a pool are refused the pool pages, as the navigation does not offer them
    for user in ("insured1", "insurer1", "regulator"):
        client = logged_in(env, user)
        assert client.get("/experts").status_code == 403 and client.get("/experts/engagements").status_code == 403
    assert "/experts" in broker.get("/").text and 'href="/experts"' not in logged_in(env, "insurer1").get("/").text


@pytest.mark.usefixtures("expert_index")
def test_search_ranks_and_explains(env):
    broker = logged_in(env, "broker")
    page = broker.get("/experts", params={"q": "嘉兴的厂房夜里着火了，需要查明起火原因", "region": "浙江"})
    t = text_of(page)
    assert page.status_code == 200
    rows = names_on(page)
    assert {"沈国栋", "邓建华"} <= rows
    assert "排名" in t and "匹配原因" in t  # rank and the explanation column
    assert "专长：" in t and "服务区域：浙江" in t  # translated explanation chips
    assert "袁丽华" not in t
    # English labels too
    broker.get("/lang/en")
    en = text_of(broker.get("/experts", params={"q": "厂房着火 起火原因", "region": "浙江"}))
    assert "Specialty: " in en and "Covers 浙江" in en


def test_browsing_pages_forward_and_back(env):
    broker = logged_in(env, "broker")
    assert "上一页" not in broker.get("/experts").text
    # past the end (a stale link): the page says where it is and leads back
    far = broker.get("/experts", params={"page": 3, "line": "企业财产保险"})
    assert "第 3 页" in text_of(far) and "上一页" in text_of(far)
    assert 'href="/experts?line=%E4%BC%81%E4%B8%9A%E8%B4%A2%E4%BA%A7%E4%BF%9D%E9%99%A9&amp;page=2"' in far.text


@pytest.mark.usefixtures("expert_index")
def test_a_name_finds_the_person_first_within_the_visible_pools(env):
    broker = logged_in(env, "broker")
    page = broker.get("/experts", params={"q": "沈国栋"})
    t = text_of(page)
    assert page.status_code == 200 and "姓名：沈国栋" in t
    assert t.index("沈国栋") < t.index("姓名：沈国栋")  # the first row
    # a private expert of another pool stays hidden, name or not
    assert "袁丽华" not in text_of(broker.get("/experts", params={"q": "袁丽华"}))


# ---- the profile -------------------------------------------------------------------------------------


def test_profile_masks_contact_data_until_an_engagement_is_accepted(env):
    cao = expert_id(env, "曹立新")
    broker, owner = logged_in(env, "broker"), logged_in(env, "adjuster1")
    seen = broker.get(f"/experts/{cao}")
    assert seen.status_code == 200 and "集装箱货损检验" in seen.text
    assert PHONE not in seen.text and "聘请被接受后显示" in text_of(seen)
    assert "/sharing" not in seen.text and "/profile" not in seen.text  # no forms for a partner
    mine = owner.get(f"/experts/{cao}")
    assert PHONE in mine.text and f'action="/experts/{cao}/sharing"' in mine.text
    # a hidden expert is the same 404 as a missing one
    yuan = expert_id(env, "袁丽华")
    hidden, missing = broker.get(f"/experts/{yuan}"), broker.get(f"/experts/{uuid.uuid4()}")
    assert (hidden.status_code, hidden.text) == (missing.status_code, missing.text)
    assert hidden.status_code == 404
    # once firm A accepts the broker's request, the broker sees the contact data
    cid = notice(env, "insured1", POLICY1, description="冷库制冷机组故障，冻品受损")
    eng = env.client("broker").post(f"/api/v1/claims/{cid}/engagements", json={"expert_id": cao}).json()
    assert PHONE not in broker.get(f"/experts/{cao}").text
    assert env.client("adjuster1").post(f"/api/v1/engagements/{eng['id']}/accept", json={}).status_code == 200
    assert PHONE in broker.get(f"/experts/{cao}").text
    assert PHONE not in logged_in(env, "adjuster3").get(f"/experts/{cao}").text  # another firm: still masked


@pytest.mark.usefixtures("expert_index")
def test_owner_shares_an_expert_through_the_form(env):
    han = expert_id(env, "韩晓光")
    broker = logged_in(env, "broker")
    with env.session() as s:
        from tandem.access.models import Organisation

        firm_a = str(s.execute(select(Organisation.id).where(Organisation.name == FIRM_A)).scalar_one())
    form = broker.get(f"/experts/{han}")
    assert FIRM_A in form.text and 'value="private" checked' in form.text
    # named without a firm: the message beside the field, nothing changed
    before = experts_table(env)
    r = post(broker, f"/experts/{han}/sharing", {"visibility": "named"})
    assert r.status_code == 422 and "请至少选择一家机构。" in text_of(r)
    assert experts_table(env) == before
    r = post(
        broker, f"/experts/{han}/sharing", {"visibility": "named", "organisation_ids": [firm_a]}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].startswith(f"/experts/{han}?done=shared")
    assert "韩晓光" in names_on(logged_in(env, "adjuster1").get("/experts"))
    assert "韩晓光" not in names_on(logged_in(env, "adjuster3").get("/experts"))
    assert "仅限指定机构" in text_of(broker.get(f"/experts/{han}"))
    # only the owner: a partner who sees 邓建华 gets the 404 of a missing expert; a plain adjuster a 403
    firm_user = logged_in(env, "adjuster1")
    deng = expert_id(env, "邓建华")
    seen = post(firm_user, f"/experts/{deng}/sharing", {"visibility": "private"})
    missing = post(firm_user, f"/experts/{uuid.uuid4()}/sharing", {"visibility": "private"})
    assert (seen.status_code, seen.text) == (missing.status_code, missing.text) and seen.status_code == 404
    cao = expert_id(env, "曹立新")
    assert post(logged_in(env, "adjuster2"), f"/experts/{cao}/sharing", {"visibility": "private"}).status_code == 403


def _edit_form(env, client: TestClient, eid: str, **changes) -> dict:
    """The edit form as the page fills it, with changes."""
    with env.session() as s:
        e = s.get(Expert, uuid.UUID(eid))
        data = {
            "name": e.name,
            "title": e.title or "",
            "organisation": e.employer or "",
            "specialties": "\n".join(e.specialties),
            "lines": list(e.lines),
            "regions": list(e.regions),
            "certificates": "\n".join(e.certificates),
            "years": str(e.years or ""),
            "bio": e.bio or "",
            "phone": e.phone or "",
            "email": e.email or "",
            "fee_basis": e.fee_basis or "",
            "availability": "",
            "conflicts": "",
        }
    data.update(changes)
    return data


@pytest.mark.usefixtures("expert_index")
def test_owner_edits_the_profile_and_search_follows(env):
    cao = expert_id(env, "曹立新")
    owner, broker = logged_in(env, "adjuster1"), logged_in(env, "broker")
    assert "曹立新" not in names_on(broker.get("/experts", params={"q": "锂电池储能电站起火"}))
    # bad input: each message beside its field, nothing written
    before = experts_table(env)
    bad = post(
        owner, f"/experts/{cao}/profile", _edit_form(env, owner, cao, name="", years="两年", availability="下个月")
    )
    t = text_of(bad)
    assert bad.status_code == 422
    assert "必填" in t and "请填写 0 至 80 之间的整数。" in t and "每行一个时段" in t
    assert experts_table(env) == before
    ordered = post(owner, f"/experts/{cao}/profile", _edit_form(env, owner, cao, availability="2026-12-20 2026-12-01"))
    assert ordered.status_code == 422 and "时段的结束早于开始" in text_of(ordered)
    assert experts_table(env) == before
    # a real edit: new specialty, busy period, conflict; the index follows without a rebuild
    env.clock.advance(minutes=1)
    ok = post(
        owner,
        f"/experts/{cao}/profile",
        _edit_form(
            env,
            owner,
            cao,
            specialties="集装箱货损检验\n锂电池储能电站火灾鉴定",
            regions=["上海", "浙江", "江苏"],
            availability="2026-11-20 2026-11-30",
            conflicts="众安财产保险股份有限公司",
            fee_basis="按日 3500 元",
        ),
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    page = text_of(owner.get(ok.headers["location"]))
    assert "资料已保存。" in page and "锂电池储能电站火灾鉴定" in page and "2026-11-20 – 2026-11-30" in page
    found = broker.get("/experts", params={"q": "锂电池储能电站起火"})
    assert "曹立新" in names_on(found) and "专长：锂电池储能电站火灾鉴定" in text_of(found)
    with env.session() as s:
        e = s.get(Expert, uuid.UUID(cao))
        assert e.extra == {
            "availability": [{"from": "2026-11-20", "until": "2026-11-30"}],
            "conflicts": ["众安财产保险股份有限公司"],
        }
        assert e.regions == ["上海", "浙江", "江苏"] and e.fee_basis == "按日 3500 元"
        assert (
            s.execute(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "expert.updated")
            ).scalar_one()
            == 1
        )


# ---- import and export -------------------------------------------------------------------------------


def test_import_reports_every_bad_line_and_writes_nothing(env):
    firm_a = logged_in(env, "adjuster1")
    before = experts_table(env)
    lines = [
        profile("EXP-90001"),
        "{not json",
        profile("EXP-90003", name=""),
        profile("EXP-90004", owner_type="broker"),
        profile("EXP-90001", name="重复"),
        profile("EXP-90006", years=-2, lines="企业财产保险"),
        profile(expert_id(env, "邓建华")),  # the broker's expert, by its uuid
    ]
    r = upload(firm_a, lines)
    t = text_of(r)
    assert r.status_code == 422
    assert "未导入任何内容：6 行有误" in t
    assert "第 2 行：不是有效的 JSON" in t
    assert "第 3 行： name ：必填" in t
    assert "第 4 行： owner_type ：贵方专家库须为 adjuster_firm" in t
    assert "第 5 行： id ：EXP-90001 已在第 1 行出现" in t
    assert "第 6 行： lines ：须为字符串列表" in t  # the first error of a line
    assert "第 7 行： id ：" in t and "属于其他机构的专家库" in t
    assert "第 1 行：" not in t  # the good line is not listed
    assert experts_table(env) == before
    # not UTF-8, empty, no file: the message beside the file field
    assert "文件不是 UTF-8 文本。" in text_of(upload(firm_a, "宋".encode("gbk") * 3))
    assert "文件中没有专家资料。" in text_of(upload(firm_a, b"\n\n"))
    assert post(firm_a, "/experts/import", {}).status_code == 422
    assert experts_table(env) == before
    # the broker's own kind of pool only; plain adjusters may not import
    assert upload(logged_in(env, "adjuster2"), [profile("EXP-90001")]).status_code == 403
    assert logged_in(env, "insurer1").get("/experts/import").status_code == 403


@pytest.mark.usefixtures("expert_index")
def test_import_into_the_own_pool_then_export_round_trip(env):
    firm_a = logged_in(env, "adjuster1")
    r = upload(
        firm_a,
        [
            profile("EXP-90001"),
            profile(
                "EXP-90002",
                name="陆慧敏",
                specialties=["冷链货物鉴定"],
                phone="13812345678",
                fee_basis="按件计费",
                availability=[{"from": "2026-12-01", "until": "2026-12-05"}],
                conflicts=["某某保险股份有限公司"],
            ),
        ],
    )
    assert r.status_code == 200, text_of(r)
    assert "2 位专家已导入贵方专家库：新增 2 位，更新 0 位，未变 0 位。" in text_of(r)
    with env.session() as s:
        owners = {
            e.name: e.owner.name
            for e in s.execute(select(Expert).where(Expert.external_id.in_(["EXP-90001", "EXP-90002"])))
            .unique()
            .scalars()
        }
    assert owners == {"宋明远": FIRM_A, "陆慧敏": FIRM_A}  # the importer's pool, whatever the employer
    assert {"宋明远", "陆慧敏"} <= names_on(logged_in(env, "broker").get("/experts"))  # shared with partners
    # export: exactly firm A's pool, in the import schema
    out = firm_a.get("/experts/export")
    assert out.status_code == 200 and "experts.jsonl" in out.headers["content-disposition"]
    exported = out.text.splitlines()
    rows = [service.parse_profile(line) for line in exported]
    assert sorted(r["name"] for r in rows) == ["宋明远", "曹立新", "陆慧敏"]
    lu = next(json.loads(x) for x in exported if "陆慧敏" in x)
    assert lu["phone"] == "13812345678" and lu["availability"] == [{"from": "2026-12-01", "until": "2026-12-05"}]
    # import what was exported: nothing changes
    before = experts_table(env)
    again = upload(firm_a, out.content)
    assert "3 位专家已导入贵方专家库：新增 0 位，更新 0 位，未变 3 位。" in text_of(again)
    assert experts_table(env) == before
    # one title changed in the file: one update
    changed = [x.replace('"高级工程师"', '"正高级工程师"') if "宋明远" in x else x for x in exported]
    assert "新增 0 位，更新 1 位，未变 2 位。" in text_of(upload(firm_a, changed))
    assert logged_in(env, "adjuster2").get("/experts/export").status_code == 403


def test_cli_export_is_the_import_schema(env, tmp_path: Path):
    tandem = str(Path(sys.executable).with_name("tandem"))
    run_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")},
        "TANDEM_DATABASE_URL": env.url,
        "TANDEM_VAR_DIR": str(tmp_path),
        # the test database's ID and phone numbers are encrypted under the suite's keys (tests/conftest.py)
        "TANDEM_PII_KEYS": os.environ["TANDEM_PII_KEYS"],
        "TANDEM_PII_INDEX_KEY": os.environ["TANDEM_PII_INDEX_KEY"],
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [tandem, "experts", *args], capture_output=True, text=True, env=run_env, timeout=120, check=False
        )

    everyone = run("export")
    assert everyone.returncode == 0, everyone.stderr
    assert len(everyone.stdout.splitlines()) == 6  # every demo expert
    target = tmp_path / "firm-a.jsonl"
    one = run("export", "--owner", FIRM_A, "-o", str(target))
    assert one.returncode == 0 and "exported 1 experts" in one.stderr
    [line] = target.read_text(encoding="utf-8").splitlines()
    assert service.parse_profile(line)["name"] == "曹立新"
    # the CLI import of the export: nothing changes
    before = experts_table(env)
    back = subprocess.run(
        [tandem, "experts", "import", str(target)],
        capture_output=True,
        text=True,
        env=run_env,
        timeout=120,
        check=False,
    )
    assert back.returncode == 0 and "0 new, 0 updated, 1 unchanged" in back.stdout, back.stderr
    assert experts_table(env) == before
    missing = run("export", "--owner", "没有这个机构")
    assert missing.returncode == 2 and "no organisation named" in missing.stderr


# ---- on the case file --------------------------------------------------------------------------------


@pytest.mark.usefixtures("expert_index")
def test_suggestions_request_accept_and_the_expert_on_the_case(env):
    cid = notice(env, "insured1", POLICY1, description="2号车间夜间起火，屋面坍塌，需要查明起火原因")
    broker = logged_in(env, "broker")
    case = broker.get(f"/claims/{cid}")
    assert f'hx-get="/claims/{cid}/experts"' in case.text  # loaded after the page
    fragment = broker.get(f"/claims/{cid}/experts", headers={"HX-Request": "true"})
    t = text_of(fragment)
    assert fragment.status_code == 200 and "推荐专家" in t
    assert "沈国栋" in t and "专长：" in t and "服务区域：浙江" in t and "袁丽华" not in t
    assert "在专家库中查看更多适合本案的专家" in t and fragment.text.count('class="rank"') <= 5
    assert PHONE not in fragment.text
    # without htmx: the case file with the suggestions inline
    plain = broker.get(f"/claims/{cid}/experts", follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"] == f"/claims/{cid}?experts=1#experts"
    assert "沈国栋" in text_of(broker.get(f"/claims/{cid}?experts=1"))
    # the insured and the insurer get no suggestions; an outsider the 404 of a missing claim
    assert logged_in(env, "insured1").get(f"/claims/{cid}/experts", headers={"HX-Request": "true"}).status_code == 204
    outsider = logged_in(env, "insured2")
    assert outsider.get(f"/claims/{cid}/experts").text == outsider.get(f"/claims/{uuid.uuid4()}/experts").text

    shen, yuan = expert_id(env, "沈国栋"), expert_id(env, "袁丽华")
    # an expert the broker may not see: refused beside the form, nothing written
    bad = post(broker, f"/claims/{cid}/experts", {"expert_id": yuan})
    assert bad.status_code == 422 and "请从列表中选择专家。" in text_of(bad)
    long_fee = post(broker, f"/claims/{cid}/experts", {"expert_id": shen, "fee_basis": "x" * 201})
    assert long_fee.status_code == 422 and "内容过长。" in text_of(long_fee)
    with env.session() as s:
        assert s.execute(select(func.count(Engagement.id))).scalar_one() == 0
    # the request
    r = post(
        broker,
        f"/claims/{cid}/experts",
        {"expert_id": shen, "fee_basis": "按日 3000 元", "note": "请尽快到现场"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = text_of(broker.get(r.headers["location"]))
    assert "请求已发给专家所属机构" in page and "等待所属机构决定" in page and "按日 3000 元" in page
    again = post(broker, f"/claims/{cid}/experts", {"expert_id": shen})
    assert again.status_code == 409 and "贵方已在本案中申请或聘请该专家。" in text_of(again)
    # firm A neither owns nor requested it: nothing on its engagements page
    assert "沈国栋" not in text_of(logged_in(env, "adjuster1").get("/experts/engagements"))

    # the owner (firm B's administrator) decides on its engagements page
    owner = logged_in(env, "adjuster3")
    inbox = owner.get("/experts/engagements")
    assert "沈国栋" in text_of(inbox) and "请尽快到现场" in text_of(inbox)
    with env.session() as s:
        eng_id = str(s.execute(select(Engagement.id)).scalar_one())
    assert f"/experts/engagements/{eng_id}/accept" in inbox.text
    no_reason = post(owner, f"/experts/engagements/{eng_id}/decline", {"reason": ""})
    assert no_reason.status_code == 422 and "必填。" in text_of(no_reason)
    # the requester cannot decide its own request: the 404 of a missing one
    mine = post(broker, f"/experts/engagements/{eng_id}/accept")
    assert mine.status_code == 404 and mine.text == post(broker, f"/experts/engagements/{uuid.uuid4()}/accept").text
    done = post(owner, f"/experts/engagements/{eng_id}/accept", follow_redirects=False)
    assert done.status_code == 303
    assert "聘请已接受" in text_of(owner.get(done.headers["location"]))
    twice = post(owner, f"/experts/engagements/{eng_id}/decline", {"reason": "晚了"})
    assert twice.status_code == 409

    # on the case file: the expert, the fee and (for the requester) the contact; on the timeline too
    case = broker.get(f"/claims/{cid}")
    t = text_of(case)
    assert 'id="case-experts"' in case.text and "沈国栋" in t and "已接受" in t and PHONE in case.text
    assert "专家已受聘参与本案" in t
    insurer = logged_in(env, "insurer1").get(f"/claims/{cid}")
    assert "沈国栋" in text_of(insurer) and PHONE not in insurer.text
    # the note was between the two firms: the broker and the owner read it, the other parties do not
    assert "请尽快到现场" in t and "请尽快到现场" not in text_of(insurer)
    assert "请尽快到现场" not in text_of(logged_in(env, "insured1").get(f"/claims/{cid}"))
    # the suggestion now shows the engagement instead of a request form
    fragment = broker.get(f"/claims/{cid}/experts", headers={"HX-Request": "true"})
    assert f'value="{shen}"' not in fragment.text

    # a second request, declined with a reason: the broker reads it on the case file, the insurer sees nothing
    pan = expert_id(env, "潘志远")
    assert post(broker, f"/claims/{cid}/experts", {"expert_id": pan}, follow_redirects=False).status_code == 303
    with env.session() as s:
        pan_eng = str(s.execute(select(Engagement.id).where(Engagement.expert_id == uuid.UUID(pan))).scalar_one())
    declined = post(
        owner, f"/experts/engagements/{pan_eng}/decline", {"reason": "台风季人手不足"}, follow_redirects=False
    )
    assert declined.status_code == 303 and "聘请已拒绝" in text_of(owner.get(declined.headers["location"]))
    t = text_of(broker.get(f"/claims/{cid}"))
    assert "潘志远" in t and "已拒绝" in t and "台风季人手不足" in t
    assert "潘志远" not in text_of(logged_in(env, "insurer1").get(f"/claims/{cid}"))


@pytest.mark.usefixtures("expert_index")
def test_suggestions_flag_busy_experts_and_conflicts_of_interest(env):
    cid = notice(env, "insured1", POLICY1, description="仓库夜间起火，需要查明起火原因")
    with env.session() as s:
        deng = s.execute(select(Expert).where(Expert.name == "邓建华")).unique().scalar_one()
        deng.extra = {
            "availability": [{"from": "2026-11-20", "until": "2026-11-30"}],
            "conflicts": ["中安财产保险股份有限公司"],
        }
        s.commit()
    fragment = logged_in(env, "broker").get(f"/claims/{cid}/experts", headers={"HX-Request": "true"})
    row = text_of(fragment).split("邓建华", 1)[1]
    assert "忙碌至 2026年11月30日" in row and "利益冲突：中安财产保险股份有限公司" in row
    assert "利益冲突" not in text_of(fragment).split("邓建华", 1)[0]  # only his row
