"""one case file for placements and claims: the ``case`` table and ``case_id`` on every case-scoped table;
report kinds

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 02:00:00.000000

Every existing claim becomes a case of kind ``claim`` with the claim's id and number, so the audit chains
(``case:<claim id>``) are already the cases' chains and no audit row changes. Every case-scoped row gets
``case_id`` = its ``claim_id``; ``claim_id`` stays (nullable: placement rows have none). Submitted reports
are append-only: their triggers are dropped for the backfill and re-created in the same transaction.
Existing reports and drafts are of kind ``adjusting``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db
from tandem.kit.ddl import append_only, drop_append_only

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (index case_id?, old unique constraint on claim_id, columns of the new one)
CASE_SCOPED: dict[str, tuple[bool, str | None, tuple[str, ...] | None]] = {
    "case_participation": (
        True,
        "uq_case_participation_claim_id_organisation_id_party_role",
        ("case_id", "organisation_id", "party_role"),
    ),
    "claim_team_member": (True, "uq_claim_team_member_claim_id_adjuster_id", ("case_id", "adjuster_id")),
    "appointment": (True, None, None),
    "survey": (True, None, None),
    "document": (True, None, None),
    "case_message": (True, None, None),
    "deadline": (False, "uq_deadline_claim_id_kind", ("case_id", "kind")),
    "report_draft": (True, "uq_report_draft_claim_id_firm_id", ("case_id", "firm_id", "kind")),
    "report": (True, None, None),
    "consultation": (True, None, None),
    "expert_engagement": (True, None, None),
}
WITH_KIND = ("report_draft", "report", "consultation")
RISK_COLUMNS = (
    ("a_level", 4),
    ("b_level", 4),
    ("a_coefficient", 12),
    ("b_coefficient", 12),
    ("agreed_level", 4),
    ("agreed_coefficient", 12),
)


def _seed_report_counters() -> None:
    """Report numbers used to come from the claims' sequence with GR- in front (GR-2026-000002); from now
    on each report kind counts on its own, so the GR counter of each year starts after the highest
    GR number already given (never a duplicate)."""
    bind = op.get_bind()
    highest: dict[str, int] = {}
    for (number,) in bind.execute(sa.text("SELECT number FROM report WHERE version = 0")):
        prefix, year, seq = number.split("-")
        name = f"{prefix}:{year}"
        highest[name] = max(highest.get(name, 0), int(seq))
    counter = sa.table("counter", sa.column("name", sa.String), sa.column("value", sa.Integer))
    for name, value in sorted(highest.items()):
        bind.execute(sa.delete(counter).where(counter.c.name == name))
        bind.execute(sa.insert(counter).values(name=name, value=value))


def upgrade() -> None:
    op.create_table(
        "case",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind", sa.Enum("placement", "claim", name="case_kind", native_enum=False, length=32), nullable=False
        ),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case")),
        sa.UniqueConstraint("number", name=op.f("uq_case_number")),
    )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_kind"), ["kind"], unique=False)
    op.execute("INSERT INTO \"case\" (id, kind, number, created_at) SELECT id, 'claim', number, notified_at FROM claim")

    op.add_column("claim", sa.Column("case_id", sa.Uuid(), nullable=True))
    op.execute("UPDATE claim SET case_id = id")
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_claim_case_id"), ["case_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_claim_case_id_case"), "case", ["case_id"], ["id"], ondelete="RESTRICT"
        )

    drop_append_only(op, "report")
    op.drop_index("ix_case_participation_org_claim", table_name="case_participation")
    for table, (indexed, old_unique, new_unique) in CASE_SCOPED.items():
        op.add_column(table, sa.Column("case_id", sa.Uuid(), nullable=True))
        if table in WITH_KIND:
            op.add_column(table, sa.Column("kind", sa.String(length=20), server_default="adjusting", nullable=False))
        op.execute(f"UPDATE {table} SET case_id = claim_id")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("case_id", existing_type=sa.Uuid(), nullable=False)
            batch_op.alter_column("claim_id", existing_type=sa.Uuid(), nullable=True)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_case_id_case"), "case", ["case_id"], ["id"], ondelete="RESTRICT"
            )
            if old_unique:
                batch_op.drop_constraint(old_unique, type_="unique")
            if new_unique:
                batch_op.create_unique_constraint(batch_op.f(f"uq_{table}_{'_'.join(new_unique)}"), list(new_unique))
            if indexed:
                batch_op.create_index(batch_op.f(f"ix_{table}_case_id"), ["case_id"], unique=False)
    with op.batch_alter_table("case_participation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_participation_org_case",
            ["organisation_id", "case_id"],
            unique=False,
            sqlite_where=sa.text("until IS NULL"),
            postgresql_where=sa.text("until IS NULL"),
        )
    append_only(op, "report")
    for name, length in RISK_COLUMNS:
        op.add_column("consultation_item", sa.Column(name, sa.String(length=length), nullable=True))
    op.add_column("consultation_move", sa.Column("level", sa.String(length=4), nullable=True))
    op.add_column("consultation_move", sa.Column("coefficient", sa.String(length=12), nullable=True))
    _seed_report_counters()


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM \"case\" WHERE kind <> 'claim'")).scalar_one():
        raise RuntimeError("placement cases exist: they have no place in revision 0005")
    drop_append_only(op, "report")
    with op.batch_alter_table("consultation_item", schema=None) as batch_op:
        for name, _ in RISK_COLUMNS:
            batch_op.drop_column(name)
    with op.batch_alter_table("consultation_move", schema=None) as batch_op:
        batch_op.drop_column("level")
        batch_op.drop_column("coefficient")
    with op.batch_alter_table("case_participation", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_case_participation_org_case",
            sqlite_where=sa.text("until IS NULL"),
            postgresql_where=sa.text("until IS NULL"),
        )
    for table, (indexed, old_unique, new_unique) in CASE_SCOPED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            if indexed:
                batch_op.drop_index(batch_op.f(f"ix_{table}_case_id"))
            if new_unique:
                batch_op.drop_constraint(batch_op.f(f"uq_{table}_{'_'.join(new_unique)}"), type_="unique")
            if old_unique:
                # report_draft's unique key gained the report kind; deadline's "kind" is its own column
                cols = [
                    c.replace("case_id", "claim_id")
                    for c in new_unique or ()
                    if not (c == "kind" and table in WITH_KIND)
                ]
                batch_op.create_unique_constraint(old_unique, cols)
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_case_id_case"), type_="foreignkey")
            batch_op.alter_column("claim_id", existing_type=sa.Uuid(), nullable=False)
            batch_op.drop_column("case_id")
            if table in WITH_KIND:
                batch_op.drop_column("kind")
    with op.batch_alter_table("case_participation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_participation_org_claim",
            ["organisation_id", "claim_id"],
            unique=False,
            sqlite_where=sa.text("until IS NULL"),
            postgresql_where=sa.text("until IS NULL"),
        )
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_claim_case_id_case"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_claim_case_id"), type_="unique")
        batch_op.drop_column("case_id")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_kind"))
    op.drop_table("case")
    append_only(op, "report")
