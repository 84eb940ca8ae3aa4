"""rule set choices

The rule set in force is chosen by a school admin from a date; each choice keeps the rule set's
definition, so past decisions keep the version that judged them.

Revision ID: c5e8f1a2b3d4
Revises: b41d2c7a9e10
Create Date: 2026-11-30 09:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c5e8f1a2b3d4'
down_revision = 'b41d2c7a9e10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ruleset_choices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ruleset', sa.String(length=64), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('chosen_by_id', sa.Integer(), nullable=True),
    sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['chosen_by_id'], ['users.id'], name=op.f('fk_ruleset_choices_chosen_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ruleset_choices'))
    )
    with op.batch_alter_table('ruleset_choices') as batch_op:
        batch_op.create_index(batch_op.f('ix_ruleset_choices_effective_from'), ['effective_from'], unique=False)


def downgrade():
    with op.batch_alter_table('ruleset_choices') as batch_op:
        batch_op.drop_index(batch_op.f('ix_ruleset_choices_effective_from'))
    op.drop_table('ruleset_choices')
