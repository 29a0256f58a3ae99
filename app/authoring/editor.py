"""The educators' editor: a file's Markdown beside its preview, drafts, publishing a
course, history, diff and restore. Routes of the `authoring` blueprint (/author/...)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

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


class NewCourseForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired("Give the course a title."), Length(max=200)]
    )
    slug = StringField(
        "Address (the course's part of its web address; it cannot change later)",
        validators=[
            DataRequired("Choose the address, e.g. difficult-feedback."),
            Length(max=60),
            Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                   message="Use lowercase letters, digits and dashes, e.g. difficult-feedback."),
        ],
    )  # fmt: skip
    summary = StringField(
        "Summary (one sentence for the catalog)",
        validators=[DataRequired("Write a one-sentence summary."), Length(max=500)],
    )


class CourseSettingsForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired("The course needs a title."), Length(max=200)]
    )
    summary = StringField(
        "Summary", validators=[DataRequired("The course needs a summary."), Length(max=500)]
    )
    order = IntegerField("Place in the catalog (1 first)", validators=[Optional()])
    estimated_minutes = IntegerField(
        "Estimated minutes", validators=[Optional(), NumberRange(min=1, message="At least 1.")]
    )
    quiz = StringField(
        "Quiz (its id, e.g. communication)", validators=[Optional(), Length(max=100)]
    )
    opened = HiddenField()


class NewLessonForm(FlaskForm):
    title = StringField(
        "Title of the new lesson",
        validators=[DataRequired("Give the lesson a title."), Length(max=200)],
    )


def _file(file_id: int) -> ContentFile:
    return db.get_or_404(ContentFile, file_id, description="There is no such file.")


def _lesson_file(file_id: int) -> ContentFile:
    row = _file(file_id)
    parts = row.path.split("/")
    if (
        len(parts) != 3
        or parts[0] != "courses"
        or parts[2] == "course.md"
        or parts[1] == "practice"
    ):
        abort(404, "That file is not a lesson.")
    return row


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


def _course_page(
    slug: str,
    *,
    settings: "CourseSettingsForm | None" = None,
    new_lesson: "NewLessonForm | None" = None,
    status: int = 200,
):
    row, meta = documents.course_settings(slug)
    if row is None:
        abort(404, "There is no such course among the files.")
    if settings is None:
        settings = CourseSettingsForm(
            formdata=None, data={**meta, "opened": str(row.revisions_count)}
        )
    files = documents.files_of_course(slug)
    page = render_template(
        "authoring/course.html",
        slug=slug,
        course_file=row,
        title=meta.get("title") or slug,
        files=files,
        lessons=documents.lessons_of(slug),
        drafts=[f for f in files if documents.has_draft(f)],
        problems=documents.problems_for(slug),
        settings=settings,
        new_lesson=new_lesson or NewLessonForm(formdata=None),
        publish_form=PublishForm(),
        file_state=documents.state_of,
        effective_path=documents.effective_path,
    )
    return page, status


def register(bp) -> None:
    @bp.route("/courses/new", methods=["GET", "POST"])
    @role_required(*AUTHORS)
    def new_course():
        form = NewCourseForm()
        if form.validate_on_submit():
            try:
                documents.create_course(
                    form.slug.data,
                    title=form.title.data.strip(),
                    summary=form.summary.data.strip(),
                    author=current_user,
                    now=utcnow(),
                )
            except documents.CannotChange as refused:
                db.session.rollback()
                form.slug.errors.append(str(refused))
            else:
                db.session.commit()
                flash("Course created as a draft with a first lesson: write it, then publish.")
                return redirect(url_for("authoring.course", slug=form.slug.data))
        status = 422 if form.errors else 200
        return render_template("authoring/new_course.html", form=form), status

    @bp.get("/courses/<slug>/")
    @role_required(*AUTHORS)
    def course(slug: str):
        return _course_page(slug)

    @bp.post("/courses/<slug>/settings")
    @role_required(*AUTHORS)
    def course_settings(slug: str):
        row, _ = documents.course_settings(slug)
        if row is None:
            abort(404, "There is no such course among the files.")
        form = CourseSettingsForm()
        if not form.validate_on_submit():
            return _course_page(slug, settings=form, status=422)
        values = {key: getattr(form, key).data for key in documents.COURSE_FIELDS}
        values["title"], values["summary"] = values["title"].strip(), values["summary"].strip()
        try:
            documents.save_course_settings(
                row, values, opened=int(form.opened.data or -1), author=current_user, now=utcnow()
            )
        except documents.ChangedMeanwhile:
            form.title.errors.append(
                "Someone saved this course's settings after you opened them: look again, then save."
            )
            return _course_page(slug, settings=form, status=409)
        db.session.commit()
        flash("Settings saved as a draft.")
        return redirect(url_for("authoring.course", slug=slug))

    @bp.post("/courses/<slug>/lessons")
    @role_required(*AUTHORS)
    def add_lesson(slug: str):
        if documents.course_settings(slug)[0] is None:
            abort(404, "There is no such course among the files.")
        form = NewLessonForm()
        if not form.validate_on_submit():
            return _course_page(slug, new_lesson=form, status=422)
        row = documents.add_lesson(slug, form.title.data, author=current_user, now=utcnow())
        db.session.commit()
        flash("Lesson added as a draft at the end of the course.")
        return redirect(url_for("authoring.edit_file", file_id=row.id))

    @bp.post("/files/<int:file_id>/move")
    @role_required(*AUTHORS)
    def move_lesson(file_id: int) -> Response:
        row = _lesson_file(file_id)
        step = -1 if request.form.get("step") == "up" else 1
        documents.move_lesson(row, step, author=current_user, now=utcnow())
        db.session.commit()
        slug = documents.course_of(row.path, row.draft or row.text)
        return redirect(url_for("authoring.course", slug=slug, _anchor="lessons"))

    @bp.post("/files/<int:file_id>/archive")
    @role_required(*AUTHORS)
    def archive_lesson(file_id: int) -> Response:
        row = _lesson_file(file_id)
        slug = documents.course_of(row.path, row.draft or row.text)
        documents.archive_lesson(row, author=current_user, now=utcnow())
        db.session.commit()
        flash(
            "The lesson will be archived when the course is published; mentors keep their progress."
        )
        return redirect(url_for("authoring.course", slug=slug, _anchor="lessons"))

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

    @bp.post("/files/<int:file_id>/preview")
    @role_required(*AUTHORS)
    def live_preview(file_id: int) -> str:
        """The preview alone, for the editor's script to show as the educator types."""
        row = _file(file_id)
        text = request.form.get("text", "")[:MAX_TEXT]
        return render_template("authoring/_preview.html", preview=documents.preview(row.path, text))

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
