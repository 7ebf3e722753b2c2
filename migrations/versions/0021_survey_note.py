"""survey notes: the broker's staff join a site survey and add notes and photos for an audience (R-C3)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 05:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'survey_note',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('case_id', sa.Uuid(), nullable=False),
        sa.Column('claim_id', sa.Uuid(), nullable=False),
        sa.Column('survey_id', sa.Uuid(), nullable=False),
        sa.Column('audience', sa.String(length=30), nullable=False),
        sa.Column('author_id', sa.Uuid(), nullable=False),
        sa.Column('author_org_id', sa.Uuid(), nullable=False),
        sa.Column('author_name', sa.String(length=100), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('photo_hashes', sa.JSON(), nullable=False),
        sa.Column('created_at', tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_survey_note_author_id_user_account'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['author_org_id'], ['organisation.id'], name=op.f('fk_survey_note_author_org_id_organisation'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_survey_note_case_id_case'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_survey_note_claim_id_claim'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_note_survey_id_survey'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_note')),
    )
    with op.batch_alter_table('survey_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_note_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_note_survey_id'), ['survey_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('survey_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_note_survey_id'))
        batch_op.drop_index(batch_op.f('ix_survey_note_case_id'))
    op.drop_table('survey_note')
