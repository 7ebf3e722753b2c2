"""Audience census (issue 11 item 1, issue 22 item 19): a dispute is walked through the API, every party
posts to every channel and uploads to every audience it may, and then every message, document and
letter is checked against every party — the broker, both adjuster firms, the insurer, the insured,
supervision and an outsider. Audiences name *sides* on the case: the broker's adjuster firm and the
insurer's adjuster firm are two sides, although both are adjuster firms.

The expected visibility below is written out by hand (the oracle), not derived from the code under test."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from tandem.claim.models import Appointment, Document
from tandem.worker import runner
from tests.helpers import _ok, _to_reported, second_report

# user -> side on the case (None: not on the case)
PARTIES = {
    "broker": "broker",
    "adjuster1": "firm_a",
    "adjuster3": "firm_b",
    "insurer1": "insurer",
    "insured1": "insured",
    "regulator": "supervision",
    "insurer2": None,
}
# channel -> sides that read it (and may write to it)
CHANNELS = {
    "all": {"broker", "insured", "insurer", "firm_a", "firm_b"},
    "broker_adjuster": {"broker", "firm_a"},
    "broker_insurer": {"broker", "insurer"},
    "insurer_adjuster": {"insurer", "firm_b"},
}
UPLOADS = ("all", "broker_adjuster", "broker_insurer", "insurer_adjuster")
# Fee terms: the two firms of the engagement and the payer (the insurer, 保险法 Art. 64). Firm A accepts
# with 1.5 % of the assessed loss, firm B by the hour; each as the API stores it and as the page says it.
B_TERMS = {"basis": "hourly", "hourly_rate": "987.65", "payer": "insurer", "payment_days": 45}
FEE_A, FEE_B = ("'rate': '0.015'", "核定损失金额的 1.5%"), ("'hourly_rate': '987.65'", "每工时 ¥987.65")
FEE_SEEN = {FEE_A: {"broker", "firm_a", "insurer"}, FEE_B: {"insurer", "firm_b"}}


def _on_case(tag: str) -> dict[str, str]:
    """The parties on the case at that point of the walk (firm B joins with the dispute)."""
    return {u: s for u, s in PARTIES.items() if s is not None and not (tag == "before" and s == "firm_b")}


def _post_everything(env, cid: str, tag: str) -> None:
    """Every party posts to every channel: members get 201, others a refusal naming the audience."""
    for user, side in _on_case(tag).items():
        c = env.client(user)
        for channel, members in {**CHANNELS, "internal": set()}.items():
            r = c.post(f"/api/v1/claims/{cid}/messages", json={"audience": channel, "body": f"{tag}:{user}:{channel}"})
            if side == "supervision":
                assert r.status_code == 403, (user, channel, r.text)
            elif channel == "internal" or side in members:
                assert r.status_code == 201, (user, channel, r.text)
            else:
                assert r.status_code == 422 and "audience" in r.json()["error"]["fields"], (user, channel, r.text)


def _upload_everything(env, cid: str, tag: str) -> None:
    for user, side in _on_case(tag).items():
        c = env.client(user)
        for audience in UPLOADS:
            name = f"{tag}-{user}-{audience}.pdf"
            r = c.post(
                f"/api/v1/claims/{cid}/documents",
                data={"audience": audience},
                files={"file": (name, _pdf(name), "application/pdf")},
            )
            if side == "supervision":
                assert r.status_code == 403, (user, audience, r.text)
            elif side in CHANNELS[audience]:
                assert r.status_code == 201, (user, audience, r.text)
            else:
                assert r.status_code == 422 and "audience" in r.json()["error"]["fields"], (user, audience, r.text)


def _pdf(name: str) -> bytes:
    return b"%PDF-1.4\n% " + name.encode() + b"\n%%EOF\n"


def _walk(env) -> str:
    """Report A, messages and evidence, dispute, the insurer's adjuster B and report B, more of both."""
    cid = _to_reported(env)
    assert (
        env.client("adjuster3")
        .post(f"/api/v1/claims/{cid}/messages", json={"audience": "all", "body": "x"})
        .status_code
        == 404
    )
    _post_everything(env, cid, "before")
    _upload_everything(env, cid, "before")
    _ok(env.client("risk").post(f"/api/v1/claims/{cid}/amount-confirmation"))
    _ok(env.client("broker").post(f"/api/v1/claims/{cid}/negotiation", json={"move": "propose"}))
    _ok(env.client("insurer1").post(f"/api/v1/claims/{cid}/negotiation", json={"move": "dispute", "reason": "偏高"}))
    second_report(env, cid, {"accept": True, "terms": B_TERMS})
    _post_everything(env, cid, "after")
    _upload_everything(env, cid, "after")
    runner.run_once(env.factory, env.settings, env.clock)  # letters and report PDFs
    return cid


def _expected_readers(env, cid: str) -> dict[str, tuple[str, set[str]]]:
    """document id -> (description, sides that may read it)."""
    out: dict[str, tuple[str, set[str]]] = {}
    with env.session() as s:
        letters = {a.letter_no: a.side for a in s.execute(select(Appointment)).scalars()}
        for d in s.execute(select(Document).where(Document.claim_id == uuid.UUID(cid))).scalars():
            if d.kind == "evidence":
                audience = d.filename.removesuffix(".pdf").split("-", 2)[2]
                out[str(d.id)] = (d.filename, CHANNELS[audience] | {"supervision"})
            elif d.kind == "confirmation_letter":
                side = letters[d.filename.removesuffix(".pdf")]
                readers = {"broker", "firm_a", "insured"} if side == "broker" else {"insurer", "firm_b"}
                out[str(d.id)] = (d.filename, readers)
            elif d.kind == "report_pdf":
                out[str(d.id)] = (d.filename, {"broker", "insured", "insurer", "firm_a", "firm_b", "supervision"})
            else:
                raise AssertionError(f"no expectation for document kind {d.kind}")
    return out


def test_every_message_document_and_letter_against_every_party(env):
    cid = _walk(env)
    expected_docs = _expected_readers(env, cid)
    names = [name for name, _ in expected_docs.values()]
    assert sum(1 for n in names if n.startswith("QRH")) == 2 and sum(1 for n in names if n.startswith("GR")) == 2
    all_bodies = {
        f"{tag}:{user}:{channel}"
        for tag in ("before", "after")
        for user, side in _on_case(tag).items()
        if side != "supervision"
        for channel, members in {**CHANNELS, "internal": {side}}.items()
        if side in members
    }
    for user, side in PARTIES.items():
        c = env.client(user)
        case = c.get(f"/api/v1/claims/{cid}/case")
        if side is None:
            assert case.status_code == 404
            for doc_id in expected_docs:
                assert c.get(f"/api/v1/claims/{cid}/documents/{doc_id}").status_code == 404
            continue
        body = _ok(case)
        seen = {m["body"] for m in body["messages"]}
        want = set()
        for text in all_bodies:
            _tag, author, channel = text.split(":")
            author_side = PARTIES[author]
            if channel == "internal":
                if author_side == side:
                    want.add(text)
            elif side in CHANNELS[channel]:
                want.add(text)
        assert seen == want, (user, sorted(seen ^ want))
        listed = {d["id"] for d in body["documents"]}
        readable = {i for i, (_n, readers) in expected_docs.items() if side in readers}
        assert listed == readable, (user, sorted(expected_docs[i][0] for i in listed ^ readable))
        for doc_id, (name, readers) in expected_docs.items():
            status = c.get(f"/api/v1/claims/{cid}/documents/{doc_id}").status_code
            assert status == (200 if side in readers else 404), (user, name, status)


def test_fee_terms_only_for_the_two_firms_and_the_payer(env):
    """Fee terms between an instructing party and its adjuster firm: API case file, timeline and page."""
    cid = _walk(env)
    for user, side in PARTIES.items():
        if side is None:
            continue
        api = _ok(env.client(user).get(f"/api/v1/claims/{cid}/case")).__repr__()
        page = env.client(user).get(f"/claims/{cid}", headers={"Accept": "text/html"})
        assert page.status_code == 200, (user, page.status_code)
        for (stored, said), readers in FEE_SEEN.items():
            assert (stored in api) == (side in readers), (user, stored, "api")
            assert (said in page.text) == (side in readers), (user, said, "page")


def test_documents_stored_before_sides_are_rewritten_to_sides(env):
    """Migration 0006: ``adjuster_firm`` in a stored document's audience becomes the side(s) it was for."""
    from alembic import command

    from tandem.migrate import alembic_config

    cid = _to_reported(env)
    for audience in ("broker_adjuster", "all"):
        _ok(
            env.client("broker").post(
                f"/api/v1/claims/{cid}/documents",
                data={"audience": audience},
                files={"file": (f"{audience}.pdf", _pdf(audience), "application/pdf")},
            ),
            201,
        )
    runner.run_once(env.factory, env.settings, env.clock)
    env.engine.dispose()
    command.downgrade(alembic_config(env.url), "0005")
    with env.session() as s:
        # Only the columns revision 0005 has: today's model has more (case_id, migration 0013).
        old = {name: sorted(audience) for name, audience in s.execute(select(Document.filename, Document.audience))}
    assert old["broker_adjuster.pdf"] == ["adjuster_firm", "broker", "supervision"]
    command.upgrade(alembic_config(env.url), "head")
    with env.session() as s:
        new = {d.filename: sorted(d.audience) for d in s.execute(select(Document)).scalars()}
    assert new["broker_adjuster.pdf"] == ["adjuster", "broker", "supervision"]
    assert new["all.pdf"] == ["adjuster", "broker", "insured", "insurer", "insurer_adjuster", "supervision"]
    letter = next(n for n in new if n.startswith("QRH"))
    assert new[letter] == ["adjuster", "broker", "insured"]
    report = next(n for n in new if n.startswith("GR"))
    assert "insurer_adjuster" in new[report] and "adjuster" in new[report]
