"""ID and phone numbers encrypted at rest, blind indexes for their look-ups, the access log of full views

Every existing ID number (adjuster, insured) and phone number (user, insured contact, claim reporter, inbound
sender, expert) is encrypted with the newest key of TANDEM_PII_KEYS (tandem.kit.pii) and given its blind
index where it is looked up; uniqueness of ID numbers moves to the index. A value already encrypted is
left alone, so a run that stopped half-way can be repeated. The downgrade decrypts.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-07 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db
from tandem.kit import pii
from tandem.kit.ddl import append_only, drop_append_only

revision: str = "0042"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, primary key, column, purpose, blind index column or None, old length)
COLUMNS = (
    ("adjuster", "id", "id_number", "id_number", "id_number_bidx", 18),
    ("insured", "organisation_id", "id_number", "id_number", "id_number_bidx", 18),
    ("insured", "organisation_id", "contact_phone", "phone", "contact_phone_bidx", 20),
    ("user_account", "id", "phone", "phone", "phone_bidx", 20),
    ("claim", "id", "reporter_phone", "phone", None, 20),
    ("inbound_message", "id", "sender_phone", "phone", None, 30),
    ("expert", "id", "phone", "phone", None, 20),
)
BATCH = 500


def _schema_up() -> None:
    for table, _pk, column, _purpose, index, _old in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            if column == "id_number":
                batch_op.drop_constraint(f"uq_{table}_id_number", type_="unique")
            batch_op.alter_column(column, existing_type=sa.String(length=_old), type_=sa.String(length=255))
            if index:
                batch_op.add_column(sa.Column(index, sa.String(length=64), nullable=True))
                if column == "id_number":
                    batch_op.create_unique_constraint(batch_op.f(f"uq_{table}_{index}"), [index])
                else:
                    batch_op.create_index(batch_op.f(f"ix_{table}_{index}"), [index], unique=False)


def _encrypt_rows() -> None:
    conn = op.get_bind()
    ring = pii.ring()
    for table, pk, column, purpose, index, _old in COLUMNS:
        rows = conn.execute(sa.text(f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
        todo = [(key, value) for key, value in rows if pii.key_id(value) is None]
        sets = f"{column} = :v" + (f", {index} = :b" if index else "")
        for start in range(0, len(todo), BATCH):
            conn.execute(
                sa.text(f"UPDATE {table} SET {sets} WHERE {pk} = :k"),
                [
                    {"k": key, "v": ring.encrypt(value, purpose), "b": ring.blind(value, purpose)}
                    for key, value in todo[start : start + BATCH]
                ],
            )


def upgrade() -> None:
    _schema_up()
    _encrypt_rows()
    op.create_table(
        "pii_access",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_pii_access_organisation_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_pii_access_user_id_user_account"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pii_access")),
    )
    with op.batch_alter_table("pii_access", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pii_access_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_pii_access_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pii_access_subject_id"), ["subject_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pii_access_user_id"), ["user_id"], unique=False)
    append_only(op, "pii_access")


def downgrade() -> None:
    drop_append_only(op, "pii_access")
    op.drop_table("pii_access")
    conn = op.get_bind()
    ring = pii.ring()
    for table, pk, column, purpose, _index, _old in COLUMNS:
        rows = conn.execute(sa.text(f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
        for key, value in rows:
            if pii.key_id(value) is not None:
                plain = ring.decrypt(value, purpose)
                conn.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE {pk} = :k"), {"k": key, "v": plain})
    for table, _pk, column, _purpose, index, old in reversed(COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if index:
                if column == "id_number":
                    batch_op.drop_constraint(batch_op.f(f"uq_{table}_{index}"), type_="unique")
                else:
                    batch_op.drop_index(batch_op.f(f"ix_{table}_{index}"))
                batch_op.drop_column(index)
            batch_op.alter_column(column, existing_type=sa.String(length=255), type_=sa.String(length=old))
            if column == "id_number":
                batch_op.create_unique_constraint(f"uq_{table}_id_number", [column])
