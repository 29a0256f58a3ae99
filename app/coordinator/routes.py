from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from sqlalchemy import select

from app.audit import service as audit
from app.auth.access import role_required
from app.auth.models import Role, User
from app.certification import service as certification
from app.certification import standing
from app.clock import utcnow
from app.coordinator import service
from app.errors import NotFound
from app.extensions import db, heavy_work_limit
from app.permissions import STAFF

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")


def _program_certification():
    return standing.program_certification(current_app.config["MATCHING_CERTIFICATION"])


@bp.get("/")
@role_required(*STAFF)
def dashboard() -> str:
    filters = service.Filters.from_args(request.args)
    board = service.dashboard(filters, _program_certification(), now=utcnow())
    return render_template("coordinator/dashboard.html", board=board, filters=filters)


@bp.get("/mentors.csv")
@role_required(*STAFF)
@heavy_work_limit()
def export_csv() -> Response:
    filters = service.Filters.from_args(request.args)
    now = utcnow()
    titles, rows = service.export(_program_certification(), filters, now=now)
    return Response(
        stream_with_context(service.csv_lines(titles, rows)),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="mentors-{now:%Y-%m-%d}.csv"'},
    )


@bp.get("/mentors/<int:mentor_id>/")
@role_required(*STAFF)
def mentor(mentor_id: int) -> str:
    person = db.session.scalar(select(User).where(User.id == mentor_id))
    if person is None or not person.has_role(Role.MENTOR):
        raise NotFound("There is no such mentor.")
    now = utcnow()
    return render_template(
        "coordinator/mentor.html",
        row=standing.standing_of(person, _program_certification(), now=now),
        history=service.history_of(person),
        certificates=certification.certificates_of(person),
        events=audit.events_about(person),
        status_of=certification.status_of,
        now=now,
    )
