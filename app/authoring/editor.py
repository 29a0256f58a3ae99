"""The educators' editor: a file's Markdown beside its preview, drafts, publishing a
course, history, diff and restore. Routes of the `authoring` blueprint (/author/...)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length

from app import security_log
from app.auth.access import role_required
from app.authoring import documents
from app.authoring.models import ContentFile, ContentRevision
from app.clock import utcnow
from app.extensions import csrf, db
from app.permissions import AUTHORS

MAX_TEXT = 200_000  # characters: a long lesson is about 30,000


class EditorForm(FlaskForm):
    text = TextAreaField(
        "Markdown",
        validators=[Length(max=MAX_TEXT, message=f"Keep a file under {MAX_TEXT:,} characters.")],
        render_kw={"rows": 28, "spellcheck": "true", "class": "editor-text"},
    )
    opened = HiddenField()
    note = StringField(
        "Note for the history (optional)",
        validators=[Length(max=200, message="Keep the note under 200 characters.")],
    )


class PublishForm(FlaskForm):
    note = StringField(
        "Note for the history (optional)",
        validators=[Length(max=200, message="Keep the note under 200 characters.")],
    )


def _file(file_id: int) -> ContentFile:
    return db.get_or_404(ContentFile, file_id, description="There is no such file.")


def _editor(row: ContentFile, form: EditorForm, *, status: int = 200, **extra):
    text = form.text.data if form.text.data is not None else (row.draft or row.text or "")
    slug = documents.course_of(row.path, text)
    shown = extra.pop("preview", None) or documents.preview(row.path, text)
    page = render_template(
        "authoring/edit.html",
        row=row,
        form=form,
        slug=slug,
        preview=shown,
        problems=[p for p in shown.problems if p.path.as_posix() == row.path],
        elsewhere=[p for p in shown.problems if p.path.as_posix() != row.path],
        **extra,
    )
    return page, status


def register(bp) -> None:
    @bp.get("/files/<int:file_id>/")
    @role_required(*AUTHORS)
    def edit_file(file_id: int):
        row = _file(file_id)
        form = EditorForm(
            formdata=None,
            data={"text": row.draft if row.draft is not None else row.text or "",
                  "opened": str(row.revisions_count)},
        )  # fmt: skip
        return _editor(row, form)

    # The form checks its own CSRF token, so that an editor left open past the token's
    # life re-shows the text typed into it rather than an error page.
    @csrf.exempt
    @bp.post("/files/<int:file_id>/")
    @role_required(*AUTHORS)
    def save_file(file_id: int):
        row = _file(file_id)
        form = EditorForm()
        if not form.validate_on_submit():
            if form.csrf_token.errors:
                security_log.event("csrf_failed", reason="; ".join(form.csrf_token.errors))
                form.text.errors.append(
                    "The page had expired, so this was not saved yet: your text is below. "
                    "Save again."
                )
            return _editor(row, form, status=422)
        if request.form.get("action") == "preview":
            return _editor(row, form)
        try:
            opened = int(form.opened.data or "")
        except ValueError:
            abort(400, "The editor's form is incomplete: open the file again.")
        try:
            documents.save_draft(
                row, form.text.data or "", opened=opened, author=current_user,
                note=form.note.data or "", now=utcnow(),
            )  # fmt: skip
        except documents.ChangedMeanwhile as changed:
            latest = changed.row
            who = latest.updated_by.name if latest.updated_by else "content sync"
            form.text.errors.append(
                f"{who} saved this file after you opened it. Your text is below, not saved: "
                f"compare it with theirs under History, then save again."
            )
            form.opened.data = str(latest.revisions_count)
            return _editor(latest, form, status=409, theirs=latest.draft or latest.text)
        db.session.commit()
        flash("Draft saved. Mentors still see the published version until you publish.")
        return redirect(url_for("authoring.edit_file", file_id=row.id))

    @bp.post("/courses/<slug>/publish")
    @role_required(*AUTHORS)
    def publish_course(slug: str):
        form = PublishForm()
        if not form.validate_on_submit():
            flash("; ".join(form.note.errors) or "The form had expired: publish again.")
            return redirect(url_for("authoring.index"))
        try:
            report = documents.publish(
                slug, author=current_user, note=form.note.data or "", now=utcnow()
            )
        except documents.CannotPublish as refused:
            db.session.rollback()
            return render_template(
                "authoring/refused.html", slug=slug, refused=refused,
                files={row.path: row for row in documents.files_of_course(slug)},
            ), 422  # fmt: skip
        db.session.commit()
        security_log.event("content_published", course=slug)
        flash(f"Published. {' '.join(report.lines())}")
        return redirect(url_for("authoring.index", _anchor=f"course-{slug}"))

    @bp.post("/files/<int:file_id>/discard")
    @role_required(*AUTHORS)
    def discard_draft(file_id: int) -> Response:
        row = _file(file_id)
        documents.discard_draft(row, author=current_user, now=utcnow())
        db.session.commit()
        flash(
            "Draft discarded: the editor shows the published text (the draft stays in the history)."
        )
        return redirect(url_for("authoring.edit_file", file_id=row.id))

    @bp.get("/files/<int:file_id>/history")
    @role_required(*AUTHORS)
    def file_history(file_id: int) -> str:
        row = _file(file_id)
        return render_template(
            "authoring/history.html", row=row, revisions=documents.history(row), form=PublishForm()
        )

    @bp.get("/files/<int:file_id>/diff")
    @role_required(*AUTHORS)
    def file_diff(file_id: int) -> str:
        row = _file(file_id)
        revisions = {r.id: r for r in documents.history(row)}
        old = revisions.get(request.args.get("old", type=int) or 0)
        new = revisions.get(request.args.get("new", type=int) or 0)
        if old is None or new is None:
            abort(404, "Choose two revisions of this file to compare.")
        if old.number > new.number:
            old, new = new, old
        return render_template(
            "authoring/diff.html", row=row, old=old, new=new,
            lines=documents.diff(old.text, new.text),
        )  # fmt: skip

    @bp.post("/files/<int:file_id>/revisions/<int:revision_id>/restore")
    @role_required(*AUTHORS)
    def restore_revision(file_id: int, revision_id: int) -> Response:
        row = _file(file_id)
        revision = db.session.get(ContentRevision, revision_id)
        if revision is None or revision.file_id != row.id:
            abort(404, "There is no such revision of this file.")
        try:
            documents.restore(
                row, revision, opened=row.revisions_count, author=current_user, now=utcnow()
            )
        except documents.ChangedMeanwhile:
            flash("Someone saved this file a moment ago: look at the history again.")
            return redirect(url_for("authoring.file_history", file_id=file_id))
        db.session.commit()
        flash(f"Revision {revision.number + 1} is back as a draft: publish it when ready.")
        return redirect(url_for("authoring.edit_file", file_id=row.id))
