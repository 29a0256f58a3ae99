"""/author/: the educators' workspace (educators and admins)."""

from flask import Blueprint, render_template
from sqlalchemy import func, select

from app.auth.access import role_required
from app.authoring import documents, editor, image_routes, stats
from app.extensions import db
from app.permissions import AUTHORS
from app.quizzes.models import Attempt, Quiz

bp = Blueprint("authoring", __name__, url_prefix="/author")


@bp.get("/")
@role_required(*AUTHORS)
def index() -> str:
    counts = dict(
        db.session.execute(
            select(Attempt.quiz_id, func.count())
            .where(Attempt.submitted_at.is_not(None))
            .group_by(Attempt.quiz_id)
        ).all()
    )
    quizzes = db.session.scalars(
        select(Quiz).where(Quiz.archived_at.is_(None)).order_by(Quiz.title)
    ).all()
    return render_template(
        "authoring/index.html",
        quizzes=quizzes,
        counts=counts,
        workspace=documents.workspace(),
        file_state=documents.state_of,
        publish_form=editor.PublishForm(),
    )


@bp.get("/quizzes/<int:quiz_id>/stats")
@role_required(*AUTHORS)
def quiz_stats(quiz_id: int) -> str:
    quiz = db.get_or_404(Quiz, quiz_id, description="There is no such quiz.")
    return render_template(
        "authoring/stats.html", quiz=quiz, found=stats.quiz_statistics(quiz.id), limits=stats
    )


editor.register(bp)
image_routes.register(bp)
