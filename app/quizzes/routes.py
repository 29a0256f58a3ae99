from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.auth import service as auth
from app.auth.access import role_required
from app.auth.models import Role
from app.certification import service as certification
from app.clock import utcnow
from app.database import writes
from app.extensions import db
from app.permissions import STAFF
from app.quizzes import service
from app.quizzes.forms import AccommodationForm, AttemptGrantForm, EmptyForm

bp = Blueprint("quizzes", __name__, url_prefix="/quizzes")


@bp.get("/<slug>/")
@writes
@role_required(Role.MENTOR)
def show_quiz(slug: str) -> str:
    quiz = service.get_quiz(slug)
    now = utcnow()
    attempts = service.attempts_of(current_user, quiz)
    service.close_expired(attempts, now=now)
    db.session.commit()
    return render_template(
        "quizzes/quiz.html",
        quiz=quiz,
        course=service.quiz_course(quiz),
        attempts=attempts,
        best=service.best_attempt(attempts),
        state=service.availability(current_user, quiz, attempts, now=now),
        allowance=service.allowance(current_user, quiz, attempts, now=now),
        per_attempt=service.questions_per_attempt(quiz),
        time_allowed=service.time_allowed(quiz, service.accommodation_for(current_user)),
        form=EmptyForm(),
        now=now,
    )


@bp.post("/<slug>/start")
@role_required(Role.MENTOR)
def start_attempt(slug: str) -> Response:
    if not EmptyForm().validate_on_submit():
        flash("The page had expired; please try again.")
        return redirect(url_for("quizzes.show_quiz", slug=slug))
    quiz = service.get_quiz(slug)
    try:
        attempt = service.start_attempt(current_user, quiz, now=utcnow())
    except service.CannotStart as reason:
        db.session.commit()
        flash(str(reason))
        return redirect(url_for("quizzes.show_quiz", slug=slug))
    db.session.commit()
    return redirect(url_for("quizzes.show_attempt", slug=slug, attempt_id=attempt.id))


@bp.get("/<slug>/attempts/<int:attempt_id>/")
@writes
@role_required(Role.MENTOR)
def show_attempt(slug: str, attempt_id: int) -> str:
    quiz = service.get_quiz(slug)
    attempt = service.get_attempt(current_user, quiz, attempt_id)
    service.close_expired([attempt], now=utcnow())
    db.session.commit()
    if not attempt.is_submitted:
        return render_template("quizzes/attempt.html", quiz=quiz, attempt=attempt, form=EmptyForm())
    attempts = service.attempts_of(current_user, quiz)
    return render_template(
        "quizzes/result.html",
        quiz=quiz,
        course=service.quiz_course(quiz),
        attempt=attempt,
        reveal=service.may_reveal_answers(quiz, attempts),
        by_lesson=service.lesson_results(attempt),
        state=service.availability(current_user, quiz, attempts, now=utcnow()),
    )


@bp.post("/<slug>/attempts/<int:attempt_id>/")
@role_required(Role.MENTOR)
def submit_attempt(slug: str, attempt_id: int) -> Response:
    quiz = service.get_quiz(slug)
    attempt = service.get_attempt(current_user, quiz, attempt_id)
    if not EmptyForm().validate_on_submit():
        flash("The page had expired, so the answers were not sent. Please answer and submit again.")
        return redirect(url_for("quizzes.show_attempt", slug=slug, attempt_id=attempt.id))
    answers = service.parse_answers(attempt, request.form.to_dict(flat=False))
    submission = service.submit(attempt, answers, now=utcnow())
    # Only the submission that graded the attempt may award: a duplicate must not issue twice.
    awarded = (
        certification.award_if_earned(current_user, now=utcnow())
        if submission.recorded and submission.passed
        else []
    )
    db.session.commit()
    if awarded:
        flash(f"You passed {quiz.title} and earned a certificate.")
        return redirect(url_for("certification.show_certificate", code=awarded[0].code, new=1))
    return redirect(url_for("quizzes.show_attempt", slug=slug, attempt_id=attempt.id))


@bp.route("/accommodations", methods=["GET", "POST"])
@role_required(*STAFF)
def accommodations() -> str | Response:
    form = AccommodationForm()
    if form.validate_on_submit():
        mentor = auth.find_user(form.email.data)
        if mentor is None or not mentor.has_role(Role.MENTOR):
            form.email.errors.append("There is no mentor with this e-mail.")
        else:
            service.grant_accommodation(
                mentor,
                multiplier=float(form.multiplier.data),
                untimed=form.untimed.data,
                note=form.note.data or "",
                by=current_user,
                now=utcnow(),
            )
            db.session.commit()
            flash(f"Timing for {mentor.name} is saved.")
            return redirect(url_for("quizzes.accommodations"))
    return _accommodations_page(form, _grant_form(formdata=None))


@bp.post("/accommodations/attempts")
@role_required(*STAFF)
def grant_attempts() -> Response | tuple[str, int]:
    form = _grant_form()
    if form.validate_on_submit():
        mentor = auth.find_user(form.email.data)
        quiz = service.find_quiz(form.quiz.data)
        if mentor is None or not mentor.has_role(Role.MENTOR):
            form.email.errors.append("There is no mentor with this e-mail.")
        elif quiz is None:
            form.quiz.errors.append("Choose a quiz from the list.")
        else:
            try:
                service.grant_attempts(
                    mentor,
                    quiz,
                    extra=form.extra.data,
                    reason=form.reason.data,
                    by=current_user,
                    now=utcnow(),
                )
            except service.CannotGrant as refusal:
                form.email.errors.append(str(refusal))
            else:
                db.session.commit()
                more = (
                    "1 more attempt" if form.extra.data == 1 else f"{form.extra.data} more attempts"
                )
                flash(f"{mentor.name} has {more} at {quiz.title}.")
                return redirect(url_for("quizzes.accommodations"))
    return _accommodations_page(AccommodationForm(formdata=None), form), 422


def _grant_form(**kwargs) -> AttemptGrantForm:
    form = AttemptGrantForm(**kwargs)
    form.quiz.choices = [SelectChoice(q.slug, q.title) for q in service.current_quizzes()]
    return form


def _accommodations_page(form: AccommodationForm, grant_form: AttemptGrantForm) -> str:
    return render_template(
        "quizzes/accommodations.html",
        form=form,
        grant_form=grant_form,
        rows=service.list_accommodations(),
        grants=service.recent_grants(),
    )
