"""The workbook under a lesson: saved and downloaded by the signed-in learner, for
themselves only (no URL names anyone else's)."""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import Length

from app import security_log
from app.clock import utcnow
from app.courses import service, workbook
from app.extensions import csrf, db

bp = Blueprint("workbook", __name__, url_prefix="/courses")


class WorkbookForm(FlaskForm):
    text = TextAreaField(
        "Your answers (only you can see them)",
        validators=[
            Length(
                max=workbook.MAX_LENGTH,
                message=f"Keep it under {workbook.MAX_LENGTH:,} characters: "
                "download it and keep longer writing elsewhere.",
            )
        ],
        render_kw={"rows": 18, "spellcheck": "true"},
    )


def _lesson(slug: str, lesson_slug: str):
    progress, lesson = service.lesson_page(current_user, slug, lesson_slug)
    if not lesson.workbook:
        abort(404)
    return progress, lesson


@bp.app_template_global()
def workbook_form(lesson) -> WorkbookForm:
    """The form under a workbook lesson, filled with what the learner saved (or the
    prompts, the first time)."""
    note = workbook.note_of(current_user, lesson.id)
    text = note.text if note else workbook.starting_text(lesson.body_html or "")
    form = WorkbookForm(formdata=None, data={"text": text})
    form.saved_at = note.updated_at if note else None
    return form


# The form checks its own CSRF token (FlaskForm), so that a page left open past the
# token's life re-shows the long text typed into it rather than an error page.
@csrf.exempt
@bp.post("/<slug>/<lesson_slug>/workbook")
@login_required
def save(slug: str, lesson_slug: str) -> Response | tuple[str, int]:
    progress, lesson = _lesson(slug, lesson_slug)
    form = WorkbookForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            security_log.event("csrf_failed", reason="; ".join(form.csrf_token.errors))
            form.text.errors.append(
                "The page had expired, so this was not saved yet: your text is below. Save again."
            )
        form.saved_at = None
        previous, following = service.neighbours(progress, lesson)
        page = render_template(
            "courses/lesson.html",
            progress=progress,
            lesson=lesson,
            previous=previous,
            following=following,
            failed_workbook=form,
        )
        return page, 422
    workbook.save(current_user, lesson.id, form.text.data or "", now=utcnow())
    db.session.commit()
    flash("Your answers are saved.")
    return redirect(
        url_for("courses.lesson", slug=slug, lesson_slug=lesson_slug, _anchor="workbook")
    )


@bp.get("/<slug>/<lesson_slug>/workbook.txt")
@login_required
def download(slug: str, lesson_slug: str) -> Response:
    _, lesson = _lesson(slug, lesson_slug)
    note = workbook.note_of(current_user, lesson.id)
    body = f"{lesson.title}\n{current_user.name}\n\n{note.text if note else ''}".rstrip() + "\n"
    response = make_response(body)
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{lesson.slug}.txt"'
    return response
