"""publicity batches and objections

A 公示 of several candidates for one step, posted at named places (the district and the
college's building for undergraduates, the college and the residence building for graduates),
with its period, issuing 党总支 and contact; objections raised during it as rows of their own,
each resolved with a finding. Colleges name the building where they post notices.

Revision ID: b7e2d4f6a8c1
Revises: 88b109b07f7c
Create Date: 2026-11-30 11:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7e2d4f6a8c1'
down_revision = '88b109b07f7c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('publicity_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_school_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Enum('enrol_activist_class', 'become_activist', 'enrol_candidate_class', 'become_candidate', 'become_probationary', 'confirm', 'complete_training', name='step', native_enum=False, length=32), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('contact_person', sa.String(length=100), nullable=False),
    sa.Column('contact_phone', sa.String(length=40), nullable=False),
    sa.Column('contact_email', sa.String(length=120), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_publicity_batches_created_by_id_users')),
    sa.ForeignKeyConstraint(['party_school_id'], ['party_schools.id'], name=op.f('fk_publicity_batches_party_school_id_party_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publicity_batches'))
    )
    with op.batch_alter_table('publicity_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publicity_batches_party_school_id'), ['party_school_id'], unique=False)

    op.create_table('publicity_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('raised_by', sa.String(length=100), nullable=False),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('finding', sa.Enum('substantiated', 'unfounded', name='objectionfinding', native_enum=False, length=32), nullable=True),
    sa.Column('finding_note', sa.String(length=500), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_publicity_objections_candidate_id_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notice_id'], ['publicity_notices.id'], name=op.f('fk_publicity_objections_notice_id_publicity_notices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_publicity_objections_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_publicity_objections_resolved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publicity_objections'))
    )
    with op.batch_alter_table('publicity_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publicity_objections_notice_id'), ['notice_id'], unique=False)

    with op.batch_alter_table('colleges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_building', sa.String(length=100), server_default='', nullable=False))

    with op.batch_alter_table('publicity_notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('place_names', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('issuer', sa.String(length=100), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_publicity_notices_batch_id'), ['batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_publicity_notices_batch_id_publicity_batches'), 'publicity_batches', ['batch_id'], ['id'], ondelete='CASCADE')



def downgrade():
    with op.batch_alter_table('publicity_notices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_publicity_notices_batch_id_publicity_batches'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_publicity_notices_batch_id'))
        batch_op.drop_column('issuer')
        batch_op.drop_column('place_names')
        batch_op.drop_column('batch_id')

    with op.batch_alter_table('colleges', schema=None) as batch_op:
        batch_op.drop_column('notice_building')

    with op.batch_alter_table('publicity_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publicity_objections_notice_id'))

    op.drop_table('publicity_objections')
    with op.batch_alter_table('publicity_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publicity_batches_party_school_id'))

    op.drop_table('publicity_batches')
