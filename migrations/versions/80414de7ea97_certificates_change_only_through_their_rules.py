"""certificates change only through their rules: one valid per enrolment, one serial series
per branch school and year, external training evidence

Revision ID: 80414de7ea97
Revises: 543de6d13311
Create Date: 2026-11-30 08:45:06.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '80414de7ea97'
down_revision = '543de6d13311'
branch_labels = None
depends_on = None

VALID = sa.text("status = 'valid'")


def upgrade():
    # One series per branch school and year: classes that share a number (第12期 of two
    # courses) can no longer draw the same serial. Merged series continue after the highest
    # number any of their classes reached, so no serial already printed comes again.
    op.execute(
        "UPDATE serial_counters SET next_number = (SELECT MAX(other.next_number) "
        "FROM serial_counters AS other WHERE other.party_school_id = serial_counters.party_school_id "
        "AND other.year = serial_counters.year)"
    )
    op.execute(
        "DELETE FROM serial_counters WHERE id NOT IN "
        "(SELECT MIN(id) FROM serial_counters GROUP BY party_school_id, year)"
    )
    with op.batch_alter_table('serial_counters', schema=None) as batch_op:
        batch_op.drop_constraint('uq_serial_counters_party_school_id', type_='unique')
        batch_op.drop_constraint('fk_serial_counters_class_id_training_classes', type_='foreignkey')
        batch_op.drop_column('class_id')
        batch_op.create_unique_constraint('uq_serial_counters_party_school_id', ['party_school_id', 'year'])

    # At most one valid certificate per enrolment, held by the database. Racing issuers may
    # have left several: the first stands, the later ones are marked superseded by it, and
    # their completions leave the records (the first one's completion remains).
    op.execute(
        "UPDATE certificates SET status = 'superseded', superseded_by_id = "
        "(SELECT MIN(first.id) FROM certificates AS first "
        "WHERE first.enrolment_id = certificates.enrolment_id AND first.status = 'valid') "
        "WHERE status = 'valid' AND id > (SELECT MIN(first.id) FROM certificates AS first "
        "WHERE first.enrolment_id = certificates.enrolment_id AND first.status = 'valid')"
    )
    op.execute(
        "DELETE FROM training_records WHERE certificate_serial IN "
        "(SELECT serial FROM certificates WHERE status <> 'valid')"
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(
            'uq_certificates_valid_enrolment',
            ['enrolment_id'],
            unique=True,
            sqlite_where=VALID,
            postgresql_where=VALID,
        )

    # A training completed elsewhere (外部培训) is recorded with its evidence.
    with op.batch_alter_table('training_records', schema=None) as batch_op:
        # A class's full title (第N期 and a name of 200 characters) fits.
        batch_op.alter_column('class_name', existing_type=sa.String(length=200), type_=sa.String(length=300), existing_nullable=False)
        batch_op.add_column(sa.Column('issuing_body', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('evidence', sa.String(length=1000), server_default='', nullable=False))
        batch_op.add_column(sa.Column('evidence_file', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('training_records', schema=None) as batch_op:
        batch_op.drop_column('evidence_file')
        batch_op.drop_column('evidence')
        batch_op.drop_column('issuing_body')
        batch_op.alter_column('class_name', existing_type=sa.String(length=300), type_=sa.String(length=200), existing_nullable=False)

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_certificates_valid_enrolment')

    # Per-class series again: every class that issued continues after its school's series.
    bind = op.get_bind()
    series = bind.execute(sa.text("SELECT party_school_id, year, next_number FROM serial_counters")).all()
    classes = bind.execute(sa.text("SELECT DISTINCT party_school_id, class_id FROM certificates")).all()
    op.execute("DELETE FROM serial_counters")
    with op.batch_alter_table('serial_counters', schema=None) as batch_op:
        batch_op.drop_constraint('uq_serial_counters_party_school_id', type_='unique')
        batch_op.add_column(sa.Column('class_id', sa.Integer(), nullable=False))
        batch_op.create_foreign_key('fk_serial_counters_class_id_training_classes', 'training_classes', ['class_id'], ['id'])
        batch_op.create_unique_constraint('uq_serial_counters_party_school_id', ['party_school_id', 'year', 'class_id'])
    rows = [
        {"party_school_id": school, "year": year, "class_id": class_id, "next_number": number}
        for school, year, number in series
        for class_school, class_id in classes
        if class_school == school
    ]
    if rows:
        bind.execute(
            sa.text(
                "INSERT INTO serial_counters (party_school_id, year, class_id, next_number) "
                "VALUES (:party_school_id, :year, :class_id, :next_number)"
            ),
            rows,
        )
