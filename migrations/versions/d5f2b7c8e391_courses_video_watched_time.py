"""courses: a video's length and the time it was really playing

`lessons.video_seconds` is read from an uploaded video; `lesson_progress.video_watched_seconds`
is the time, by the server's clock, that the video was playing, capped at its length.

Revision ID: d5f2b7c8e391
Revises: c3e8a1f05d27
Create Date: 2026-11-30 09:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd5f2b7c8e391'
down_revision = 'c3e8a1f05d27'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lessons') as batch_op:
        batch_op.add_column(sa.Column('video_seconds', sa.Integer(), nullable=True))
    with op.batch_alter_table('lesson_progress') as batch_op:
        batch_op.add_column(sa.Column('video_watched_seconds', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('lesson_progress') as batch_op:
        batch_op.drop_column('video_watched_seconds')
    with op.batch_alter_table('lessons') as batch_op:
        batch_op.drop_column('video_seconds')
