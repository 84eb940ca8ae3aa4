"""courses: reading-report drafts kept on the server on demand

Revision ID: e8a4c1d93b56
Revises: d5f2b7c8e391
Create Date: 2026-11-30 09:35:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e8a4c1d93b56'
down_revision = 'd5f2b7c8e391'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_report_drafts_enrolment_id_enrolments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_drafts')),
    sa.UniqueConstraint('enrolment_id', name=op.f('uq_report_drafts_enrolment_id'))
    )


def downgrade():
    op.drop_table('report_drafts')
