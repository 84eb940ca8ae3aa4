"""probation decisions

延长预备期 and 取消预备党员资格, recorded as stage decisions with the rule set that judged them.

Revision ID: d7a3b9c1e2f4
Revises: c5e8f1a2b3d4
Create Date: 2026-11-30 09:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd7a3b9c1e2f4'
down_revision = 'c5e8f1a2b3d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('probation_decisions',
    sa.Column('action', sa.Enum('extend', 'cancel', name='probationaction', native_enum=False, length=32), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('ruleset', sa.String(length=64), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_probation_decisions_candidate_id_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_probation_decisions_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_probation_decisions'))
    )
    with op.batch_alter_table('probation_decisions') as batch_op:
        batch_op.create_index(batch_op.f('ix_probation_decisions_candidate_id'), ['candidate_id'], unique=False)


def downgrade():
    with op.batch_alter_table('probation_decisions') as batch_op:
        batch_op.drop_index(batch_op.f('ix_probation_decisions_candidate_id'))
    op.drop_table('probation_decisions')
