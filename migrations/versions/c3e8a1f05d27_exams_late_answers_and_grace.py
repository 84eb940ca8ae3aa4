"""exams: late answers kept apart, and a grace period per exam

Answers that reach the server after an attempt's deadline are kept in `late_answers` until an
instructor accepts them; `exams.late_grace_seconds` lets answers given before the deadline
count by themselves when they arrive within that many seconds after it.

Revision ID: c3e8a1f05d27
Revises: e9b4c2d8f1a6
Create Date: 2026-11-30 09:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c3e8a1f05d27'
down_revision = 'e9b4c2d8f1a6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('exams') as batch_op:
        batch_op.add_column(sa.Column('late_grace_seconds', sa.Integer(), nullable=False, server_default='0'))
    op.create_table('late_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_late_answers_attempt_id_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_late_answers_accepted_by_id_users')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_late_answers_question_id_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_late_answers')),
    sa.UniqueConstraint('attempt_id', 'question_id', name=op.f('uq_late_answers_attempt_id'))
    )


def downgrade():
    op.drop_table('late_answers')
    with op.batch_alter_table('exams') as batch_op:
        batch_op.drop_column('late_grace_seconds')
