"""notifications in the site

A notification tells a user what they wait for (an enrolment decided, a report returned, a
grade published, a certificate issued or revoked); it is read once opened.

Revision ID: c3f1a2b4d5e6
Revises: c5e1a0f3d7b2
Create Date: 2026-11-30 09:40:00

"""
from alembic import op
import sqlalchemy as sa



revision = 'c3f1a2b4d5e6'
down_revision = 'c5e1a0f3d7b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.String(length=500), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    )
    op.create_index('ix_notifications_user_read', 'notifications', ['user_id', 'read_at'])


def downgrade():
    op.drop_index('ix_notifications_user_read', table_name='notifications')
    op.drop_table('notifications')
