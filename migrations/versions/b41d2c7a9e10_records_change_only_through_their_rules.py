"""records change only through their rules

Stage changes keep the rule set that judged them and whether they were migrated from an
earlier system; a candidate enters each stage once; academic standing may be unknown;
an unfavourable opinion is resolved on a date.

Revision ID: b41d2c7a9e10
Revises: 80414de7ea97
Create Date: 2026-11-30 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b41d2c7a9e10'
down_revision = '80414de7ea97'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stage_changes') as batch_op:
        batch_op.add_column(sa.Column('ruleset', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('is_migrated', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('source_file', sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_stage_changes_candidate_id'), ['candidate_id', 'stage'])
    with op.batch_alter_table('candidates') as batch_op:
        batch_op.alter_column('is_academic_ok', existing_type=sa.Boolean(), nullable=True)
        batch_op.add_column(sa.Column('evaluated_ruleset', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_candidates_evaluated_on', ['evaluated_on'])
        batch_op.create_index('ix_candidates_evaluated_ruleset', ['evaluated_ruleset'])
    with op.batch_alter_table('opinions') as batch_op:
        batch_op.add_column(sa.Column('resolved_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('opinions') as batch_op:
        batch_op.drop_column('resolved_on')
    with op.batch_alter_table('candidates') as batch_op:
        batch_op.drop_index('ix_candidates_evaluated_ruleset')
        batch_op.drop_index('ix_candidates_evaluated_on')
        batch_op.drop_column('evaluated_ruleset')
        batch_op.alter_column('is_academic_ok', existing_type=sa.Boolean(), nullable=False)
    with op.batch_alter_table('stage_changes') as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_stage_changes_candidate_id'), type_='unique')
        batch_op.drop_column('source_file')
        batch_op.drop_column('is_migrated')
        batch_op.drop_column('ruleset')
