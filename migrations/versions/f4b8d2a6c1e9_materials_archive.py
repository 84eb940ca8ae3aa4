"""materials archive

The documents each stage of a candidate's file needs (入党材料归档), uploaded and checked.

Revision ID: f4b8d2a6c1e9
Revises: b7e2d4f6a8c1
Create Date: 2026-11-30 11:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f4b8d2a6c1e9'
down_revision = 'b7e2d4f6a8c1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('application', 'thought_report', 'cultivation_form', 'political_review', 'admission_form', 'confirmation_application', name='materialkind', native_enum=False, length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=100), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'checked', 'returned', name='materialstatus', native_enum=False, length=32), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('check_comment', sa.String(length=500), nullable=False),
    sa.CheckConstraint("status = 'pending' OR (checked_by_id IS NOT NULL AND checked_at IS NOT NULL)", name=op.f('ck_materials_checked_by_someone')),
    sa.CheckConstraint("status <> 'returned' OR check_comment <> ''", name=op.f('ck_materials_returned_with_comment')),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_materials_candidate_id_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['checked_by_id'], ['users.id'], name=op.f('fk_materials_checked_by_id_users')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_materials_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_materials'))
    )
    with op.batch_alter_table('materials') as batch_op:
        batch_op.create_index(batch_op.f('ix_materials_candidate_id'), ['candidate_id'], unique=False)


def downgrade():
    with op.batch_alter_table('materials') as batch_op:
        batch_op.drop_index(batch_op.f('ix_materials_candidate_id'))
    op.drop_table('materials')
