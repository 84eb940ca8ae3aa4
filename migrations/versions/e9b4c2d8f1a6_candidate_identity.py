"""candidate identity

身份证号 (unique), gender, birth date, 民族 and phone on the record.

Revision ID: e9b4c2d8f1a6
Revises: d7a3b9c1e2f4
Create Date: 2026-11-30 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e9b4c2d8f1a6'
down_revision = 'd7a3b9c1e2f4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('candidates') as batch_op:
        batch_op.add_column(sa.Column('id_number', sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column('gender', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('birth_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ethnicity', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_candidates_id_number'), ['id_number'])


def downgrade():
    with op.batch_alter_table('candidates') as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_candidates_id_number'), type_='unique')
        batch_op.drop_column('phone')
        batch_op.drop_column('ethnicity')
        batch_op.drop_column('birth_date')
        batch_op.drop_column('gender')
        batch_op.drop_column('id_number')
