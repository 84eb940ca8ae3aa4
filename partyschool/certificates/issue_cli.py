"""`flask certificates issue-class CLASS_ID --as USERNAME`: a whole class, with a progress bar."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from courses.models import TrainingClass
from partyschool.accounts.models import User
from partyschool.certificates import services
from partyschool.certificates.cli import certificates_group
from partyschool.extensions import db, today, utcnow


@certificates_group.command("issue-class")
@click.argument("class_id", type=int)
@click.option("--as", "username", required=True, help="The organizer or admin issuing.")
@with_appcontext
def issue_class(class_id: int, username: str):
    """Issue every certificate a class's record allows; report who is blocked and why."""
    training_class = db.session.get(TrainingClass, class_id)
    actor = db.session.scalar(select(User).where(User.username == username))
    if training_class is None or actor is None:
        raise click.ClickException("unknown class or user")
    if not services.may_issue_for(actor, training_class.party_school_id):
        raise click.ClickException(
            f"{username} ({actor.role.label}) may not issue certificates of this class: only "
            "organizers and admins of its branch school or of the school level may "
            f"（{actor.display_name} 无权为该班颁发证书）"
        )
    render = services.renderer()
    try:
        result = services.issue_batch(db.session, training_class, actor, utcnow(), render, 0)
        with click.progressbar(length=result["remaining"], label="颁发证书") as bar:
            while True:
                step = services.issue_batch(
                    db.session, training_class, actor, utcnow(), render, 250
                )
                db.session.commit()
                bar.update(step["issued"])
                if step["issued"] == 0:
                    break
    except services.CertificateError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    for found in services.class_standings(db.session, training_class, today()):
        if found.certificate is None:
            click.echo(f"{found.enrolment.candidate.student_no}: {'；'.join(found.reasons)}")
    click.echo(f"issued {step['done']} of {step['done'] + step['blocked']} certificates")
