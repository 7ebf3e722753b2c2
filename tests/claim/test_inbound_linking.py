"""Inbound messages (issue 11 item 6, issue 22 item 16): a message is linked to an insured only by a whole
phone number (+86 / 0086 prefixes normalised) or by the channel's verified account id; a sender's claimed
user name or e-mail links nothing. A message belongs to the broker whose channel received it — linked or
not — and no other broker sees it."""

from __future__ import annotations

from sqlalchemy import select

from tandem.access.models import Organisation
from tandem.claim.models import ChannelAccount
from tandem.db import unit_of_work
from tandem.demo import DEMO_WECHAT_ACCOUNT
from tests.helpers import another_broker, post_inbound

INSURED1_ORG = "嘉兴鑫达电子科技有限公司"


def _msg(n: int, sender: dict[str, str], recipient: str = DEMO_WECHAT_ACCOUNT) -> dict:
    return {
        "channel": "wechat",
        "message_id": f"wx-link-{n}",
        "recipient": recipient,
        "sender": sender,
        "text": "我们仓库进水了",
        "received_at": "2026-11-25T08:05:00+08:00",
    }


def _linked(env, n: int, sender: dict[str, str], recipient: str = DEMO_WECHAT_ACCOUNT) -> str | None:
    r = post_inbound(env, _msg(n, sender, recipient))
    assert r.status_code == 202, r.text
    return r.json()["insured_id"]


def _org_id(env, name: str) -> str:
    with env.session() as s:
        return str(s.execute(select(Organisation.id).where(Organisation.name == name)).scalar_one())


def test_only_whole_numbers_and_verified_accounts_link_a_message(env):
    insured1 = _org_id(env, INSURED1_ORG)
    for n, phone in enumerate(("+86 139 5731 2345", "0086-139-5731-2345", "13957312345", "86 13957312345")):
        assert _linked(env, n, {"phone": phone}) == insured1, phone
    for n, phone in enumerate(("5", "2345", "57312345", "139573123456", "+86 139 5731 234"), start=10):
        assert _linked(env, n, {"phone": phone}) is None, phone
    # A claimed user name or e-mail is not an identity.
    for n, account in enumerate(("insured1", "insured1@demo.tandem.local"), start=20):
        assert _linked(env, n, {"account": account}) is None, account
    # The channel's verified account id (an openid bound to the insured) is.
    with unit_of_work(env.factory) as s:
        s.add(
            ChannelAccount(
                channel="wechat",
                account="o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
                organisation_id=s.execute(
                    select(Organisation.id).where(Organisation.name == INSURED1_ORG)
                ).scalar_one(),
                created_at=env.clock.now(),
            )
        )
    assert _linked(env, 30, {"account": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"}) == insured1
    assert _linked(env, 31, {"account": "o6_bmjrPTlm6_2sgVt7hMZOPfL2X"}) is None


def test_a_message_belongs_to_the_broker_whose_channel_received_it(env):
    other = another_broker(env)
    with unit_of_work(env.factory) as s:
        s.add(
            ChannelAccount(
                channel="wechat", account="gh_other_broker", organisation_id=other, created_at=env.clock.now()
            )
        )
    unmatched = post_inbound(env, _msg(1, {"phone": "13700000000"})).json()
    linked = post_inbound(env, _msg(2, {"phone": "13957312345"})).json()
    theirs = post_inbound(env, _msg(3, {"phone": "13700000001"}, recipient="gh_other_broker")).json()
    # insured1 is not broker_other's client: on broker_other's channel its number links nothing.
    stranger = post_inbound(env, _msg(4, {"phone": "13957312345"}, recipient="gh_other_broker")).json()
    nobody = post_inbound(env, _msg(5, {"phone": "13700000002"}, recipient="gh_unknown")).json()
    assert stranger["insured_id"] is None
    seen = {u: {d["id"] for d in env.client(u).get("/api/v1/intake/drafts").json()} for u in ("broker", "broker_other")}
    assert seen["broker"] == {unmatched["id"], linked["id"]}
    assert seen["broker_other"] == {theirs["id"], stranger["id"]}
    admin = {d["id"] for d in env.client("admin").get("/api/v1/intake/drafts").json()}
    assert nobody["id"] in admin
    assert env.client("broker_other").post(f"/api/v1/intake/drafts/{unmatched['id']}/dismiss").status_code == 404
    assert {d["id"] for d in env.client("insured1").get("/api/v1/intake/drafts").json()} == {linked["id"]}
