"""production: per-account sign-in locks and periodic job leases

Failed sign-ins are counted per account in the database, so every worker and server sees one
count; periodic jobs take a lease row, so two servers never run the same job at once.

Revision ID: c5e1a0f3d7b2
Revises: e8a4c1d93b56
Create Date: 2026-11-30 09:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c5e1a0f3d7b2'
down_revision = 'e8a4c1d93b56'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sign_in_locks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_locks_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_locks')),
        sa.UniqueConstraint('user_id', name=op.f('uq_sign_in_locks_user_id')),
    )
    op.create_table(
        'job_leases',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('holder', sa.String(length=128), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_result', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_job_leases')),
    )


def downgrade():
    op.drop_table('job_leases')
    op.drop_table('sign_in_locks')
