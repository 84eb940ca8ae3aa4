"""development plans and two-way cultivation files

Each branch school's annual development plan (年度发展计划, optionally by month), and the
graduate students' 双向培养 files with one evaluation per year.

Revision ID: 88b109b07f7c
Revises: c3f1a2b4d5e6
Create Date: 2026-11-30 11:29:43.325899

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '88b109b07f7c'
down_revision = 'c3f1a2b4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('development_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_school_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('activists', sa.Integer(), nullable=False),
    sa.Column('candidates', sa.Integer(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('activists >= 0 AND candidates >= 0 AND members >= 0', name=op.f('ck_development_plans_targets_not_negative')),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_development_plans_year_plausible')),
    sa.ForeignKeyConstraint(['party_school_id'], ['party_schools.id'], name=op.f('fk_development_plans_party_school_id_party_schools')),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_development_plans_set_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_development_plans')),
    sa.UniqueConstraint('party_school_id', 'year', name=op.f('uq_development_plans_party_school_id'))
    )
    op.create_table('development_plan_months',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('activists', sa.Integer(), nullable=False),
    sa.Column('candidates', sa.Integer(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.CheckConstraint('activists >= 0 AND candidates >= 0 AND members >= 0', name=op.f('ck_development_plan_months_targets_not_negative')),
    sa.CheckConstraint('month BETWEEN 1 AND 12', name=op.f('ck_development_plan_months_month_of_year')),
    sa.ForeignKeyConstraint(['plan_id'], ['development_plans.id'], name=op.f('fk_development_plan_months_plan_id_development_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_development_plan_months')),
    sa.UniqueConstraint('plan_id', 'month', name=op.f('uq_development_plan_months_plan_id'))
    )
    op.create_table('two_way_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.Enum('to_member', 'to_scholar', name='direction', native_enum=False, length=32), nullable=False),
    sa.Column('mentor', sa.String(length=100), nullable=False),
    sa.Column('goals', sa.Text(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_two_way_files_candidate_id_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_two_way_files_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_two_way_files')),
    sa.UniqueConstraint('candidate_id', name=op.f('uq_two_way_files_candidate_id'))
    )
    op.create_table('two_way_evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('grade', sa.Enum('excellent', 'good', 'pass', 'fail', name='grade', native_enum=False, length=32), nullable=False),
    sa.Column('evaluation', sa.Text(), nullable=False),
    sa.Column('evaluator', sa.String(length=100), nullable=False),
    sa.Column('evaluated_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_two_way_evaluations_year_plausible')),
    sa.ForeignKeyConstraint(['file_id'], ['two_way_files.id'], name=op.f('fk_two_way_evaluations_file_id_two_way_files'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_two_way_evaluations_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_two_way_evaluations')),
    sa.UniqueConstraint('file_id', 'year', name=op.f('uq_two_way_evaluations_file_id'))
    )


def downgrade():
    op.drop_table('two_way_evaluations')
    op.drop_table('two_way_files')
    op.drop_table('development_plan_months')
    op.drop_table('development_plans')
