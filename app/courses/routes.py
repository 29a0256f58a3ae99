from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.auth.access import role_required
from app.auth.models import Role
from app.certification import service as certification
from app.clock import utcnow
from app.courses import service
from app.extensions import db
from app.quizzes import service as quizzes

bp = Blueprint("courses", __name__, url_prefix="/courses")


@bp.get("/")
@login_required
def catalog() -> str:
    progress = service.catalog(current_user)
    return render_template(
        "courses/catalog.html", progress=progress, resume=service.continue_point(progress)
    )


@bp.get("/<slug>/")
@login_required
def course(slug: str) -> str:
    course = service.get_course(slug)
    progress = service.course_progress(current_user, course)
    attempts = quizzes.attempts_of(current_user, progress.quiz) if progress.quiz else []
    return render_template(
        "courses/course.html",
        progress=progress,
        quiz=progress.quiz,
        attempts=attempts,
        best=quizzes.best_attempt(attempts),
    )


@bp.get("/<slug>/<lesson_slug>/")
@login_required
def lesson(slug: str, lesson_slug: str) -> str:
    progress, lesson = service.lesson_page(current_user, slug, lesson_slug)
    previous, following = service.neighbours(progress, lesson)
    return render_template(
        "courses/lesson.html",
        progress=progress,
        lesson=lesson,
        previous=previous,
        following=following,
    )


@bp.post("/<slug>/<lesson_slug>/complete")
@role_required(Role.MENTOR)
def complete_lesson(slug: str, lesson_slug: str) -> Response:
    course = service.get_course(slug)
    lesson = service.get_lesson(course, lesson_slug)
    service.mark_complete(current_user, lesson, now=utcnow())
    awarded = certification.award_if_earned(current_user, now=utcnow())
    db.session.commit()
    if awarded:
        return redirect(url_for("certification.show_certificate", code=awarded[0].code, new=1))
    following = service.neighbours(service.course_progress(current_user, course), lesson)[1]
    if following is None:
        return redirect(url_for("courses.course", slug=slug, finished=lesson.slug))
    return redirect(url_for("courses.lesson", slug=slug, lesson_slug=following.slug))
