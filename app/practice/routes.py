from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth.access import role_required
from app.auth.models import User
from app.certification import service as certification
from app.certification import standing
from app.certification.models import Certificate
from app.clock import utcnow
from app.coordinator import service as coordinator
from app.extensions import db
from app.mail import send_mail
from app.permissions import OBSERVERS, can_record_practice
from app.practice import service
from app.practice.forms import ObservationForm, observation_form
from app.practice.models import PracticeItem
from app.urls import external_url

bp = Blueprint("practice", __name__, url_prefix="/coordinator")

Page = tuple[str, int]


@bp.get("/practice/")
@role_required(*OBSERVERS)
def queue() -> str:
    """The mentors whose courses are complete and whose practice awaits an observation
    (or, with a search, any mentor by name or e-mail): where an observer starts."""
    filters = coordinator.Filters.from_args(request.args)
    program = standing.program_certification(current_app.config["MATCHING_CERTIFICATION"])
    chosen = coordinator.Filters(
        status="" if filters.search else standing.AWAITING_OBSERVATION,
        search=filters.search,
        page=filters.page,
    )
    found = coordinator.mentor_page(chosen, program, now=utcnow()) if program else None
    return render_template(
        "practice/queue.html",
        found=found,
        filters=chosen,
        items=service.current_items_of(program) if program else [],
    )


@bp.route("/mentors/<int:mentor_id>/practice/<item_slug>", methods=["GET", "POST"])
@role_required(*OBSERVERS)
def record(mentor_id: int, item_slug: str) -> Page | Response:
    mentor, item = service.get_mentor(mentor_id), service.get_item(item_slug)
    form = observation_form(item.criteria)
    if not form.is_submitted():
        form.observed_on.data = utcnow().date()
        return _record_page(mentor, item, form)
    service.check_may_record(current_user, mentor)
    if not form.validate():
        return _record_page(mentor, item, form, status=422)
    now = utcnow()
    try:
        service.record_observation(
            mentor,
            item,
            observer=current_user,
            ratings=form.ratings(),
            observed_on=form.observed_on.data,
            comment=form.comment.data or "",
            now=now,
        )
    except service.ObservationInvalid as error:
        db.session.rollback()
        form[error.field].errors.append(str(error))
        return _record_page(mentor, item, form, status=422)
    awarded = certification.award_if_earned(mentor, now=now)
    view = service.practice_view(mentor, item)
    _tell_mentor(mentor, view, awarded)
    db.session.commit()
    outcome = "meets the standard" if view.done else "not yet"
    flash(f"Observation of {mentor.name} recorded: {outcome}. {mentor.name} is e-mailed.")
    if awarded:
        flash(f"{mentor.name} is now certified ({', '.join(c.code for c in awarded)}).")
    return redirect(url_for("practice.record", mentor_id=mentor.id, item_slug=item.slug))


def _record_page(
    mentor: User, item: PracticeItem, form: ObservationForm, *, status: int = 200
) -> Page:
    page = render_template(
        "practice/record.html",
        mentor=mentor,
        view=service.practice_view(mentor, item),
        form=form,
        may_record=can_record_practice(current_user, mentor),
    )
    return page, status


def _tell_mentor(mentor: User, view: service.PracticeView, awarded: list[Certificate]) -> None:
    """Queued with the observation: a mail server that is down delays the e-mail only."""
    body = render_template(
        "practice/email/recorded.txt",
        mentor=mentor,
        view=view,
        awarded=awarded,
        link=external_url("site.me", _anchor=f"practice-{view.item.slug}"),
        certificate_link=lambda code: external_url("certification.show_certificate", code=code),
    )
    send_mail(mentor.email, f"{view.item.title}: your observation is recorded", body)
