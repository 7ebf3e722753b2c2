"""ID and phone numbers at rest (issue 20 item 1; regulation.md §2.1 Art. 51, §2.5 JR/T 0171 C2): the
tables hold ciphertext only, a key rotation keeps every value readable and lets the old key go, and
equality look-ups (an inbound message linked by phone) go through the blind index."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import inspect, select, text

from tandem.access.models import User
from tandem.claim.models import InboundMessage
from tandem.config import Settings
from tandem.demo import DEMO_WECHAT_ACCOUNT
from tandem.kit import pii
from tandem.party.models import Adjuster, Expert, Insured
from tandem.pii_keys import key_counts, rotate, targets
from tests.helpers import post_inbound

INSURED1_PHONE = "13957312345"  # insured1's contact (demo)


def _plaintexts(env) -> set[str]:
    with env.session() as s:
        values = [
            *s.execute(select(Insured.id_number)).scalars(),
            *s.execute(select(Insured.contact_phone)).scalars(),
            *s.execute(select(Adjuster.id_number)).scalars(),
            *s.execute(select(User.phone)).scalars(),
            *s.execute(select(Expert.phone)).scalars(),
            *s.execute(select(InboundMessage.sender_phone)).scalars(),
        ]
    return {v for v in values if v}


def _raw_cells(env) -> list[str]:
    cells: list[str] = []
    with env.engine.connect() as c:
        for table in inspect(c).get_table_names():  # every table, not only the encrypted columns' own
            for row in c.execute(text(f'SELECT * FROM "{table}"')):
                cells.extend(str(v) for v in row if v is not None)
    return cells


def _stored(env) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with env.engine.connect() as c:
        for t in targets():
            col, table = t.column.name, t.table.name
            out[f"{table}.{col}"] = list(
                c.execute(text(f"SELECT {col} FROM {table} WHERE {col} IS NOT NULL")).scalars()
            )
    return out


def _ring(*keys: tuple[str, bytes]) -> pii.KeyRing:
    return pii.KeyRing(keys, pii.ring().index_key)


def test_the_tables_hold_no_plaintext_id_or_phone_number(env):
    r = post_inbound(
        env,
        {
            "channel": "wechat",
            "message_id": "wx-pii-1",
            "recipient": DEMO_WECHAT_ACCOUNT,
            "sender": {"phone": "+86 139 5731 2345"},
            "text": "仓库进水",
            "received_at": "2026-11-25T08:05:00+08:00",
        },
    )
    assert r.status_code == 202, r.text
    with env.session() as s:  # linked by the blind index of the sender's (normalised) number
        insured1 = s.execute(select(Insured).where(pii.equals(Insured.contact_phone_bidx, INSURED1_PHONE, "phone")))
        assert r.json()["insured_id"] == str(insured1.unique().scalar_one().organisation_id)
    plain = _plaintexts(env)
    assert INSURED1_PHONE in plain and any(len(v) == 18 for v in plain)  # the demo has both kinds
    cells = _raw_cells(env)
    for value in plain:
        digits = "".join(ch for ch in value if ch.isalnum())
        assert not any(value in cell or digits in cell for cell in cells), value
    stored = _stored(env)
    assert stored["insured.id_number"] and stored["user_account.phone"]
    for name, values in stored.items():
        assert all(pii.key_id(v) == "test1" for v in values), name


def test_a_rotation_keeps_every_value_readable_and_the_old_key_can_go(env):
    before = _plaintexts(env)
    old = pii.ring().keys
    new = ("k2", b"n" * 32)
    with pii.using(_ring(new, *old)) as ring:
        done = rotate(env.engine, ring, batch=3)
        assert sum(done.values()) == sum(len(v) for v in _stored(env).values()) > 0
        assert sum(rotate(env.engine, ring, batch=3).values()) == 0  # resumable: nothing left to do
        assert all(set(c) <= {"k2"} for c in key_counts(env.engine).values())
    with pii.using(_ring(new)):  # the old key removed
        assert _plaintexts(env) == before
        # Look-ups by blind index are untouched by a rotation of the encryption key.
        with env.session() as s:
            found = s.execute(select(Insured).where(pii.equals(Insured.contact_phone_bidx, INSURED1_PHONE, "phone")))
            assert found.unique().scalar_one().contact_phone == INSURED1_PHONE
    with pii.using(_ring(*old)), env.session() as s, pytest.raises(pii.PiiKeyError, match="k2"):
        s.execute(select(Insured.id_number).where(Insured.id_number.is_not(None))).all()


def test_an_encrypted_column_refuses_an_sql_comparison():
    with pytest.raises(TypeError, match="blind index"):
        select(Insured).where(Insured.id_number == "110105194912310029")


def test_the_key_ring_settings():
    key = base64.b64encode(b"k" * 32).decode()
    with pytest.raises(pii.PiiKeyError, match="TANDEM_PII_KEYS and TANDEM_PII_INDEX_KEY not set: production"):
        pii.ring_from(None, None, production=True)
    with pytest.raises(pii.PiiKeyError, match="TANDEM_PII_INDEX_KEY not set"):
        pii.ring_from(f"a:{key}", None, production=True)
    ring = pii.ring_from(f"new:{key},old:{base64.b64encode(b'o' * 32).decode()}", key, production=True)
    assert ring.newest == "new" and [k for k, _ in ring.keys] == ["new", "old"]
    assert pii.ring_from(None, None, production=False).newest == pii.DEV_KEY_ID  # development works unset
    for bad, says in (("nokey", "id:base64key"), ("a:!!", "base64"), ("a:" + key[:8], "32 bytes")):
        with pytest.raises(pii.PiiKeyError, match=says):
            pii.parse_keys(bad)
    token = ring.encrypt("13957312345", "phone")
    assert pii.key_id(token) == "new" and ring.decrypt(token, "phone") == "13957312345"
    with pytest.raises(pii.PiiKeyError):
        ring.decrypt(token, "id_number")  # bound to its purpose
    assert ring.blind("+86 139 5731 2345", "phone") == ring.blind("13957312345", "phone")


def test_production_refuses_to_start_without_the_keys(tmp_path):
    from tandem.app import create_app

    settings = Settings(env="production", database_url=f"sqlite:///{tmp_path}/p.db", pii_keys=None, pii_index_key=None)
    with pytest.raises(pii.PiiKeyError, match="production refuses to start"):
        create_app(settings)
    pii.configure(Settings(env="test"))  # back to the suite's keys (from the environment)
