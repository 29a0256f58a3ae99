"""Forum pages. Every signed-in member reads and posts; moderators hide, lock, pin, move
and work the report queue; admins manage categories."""

from collections.abc import Callable
from dataclasses import replace
from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app import permissions
from app.auth.access import role_required
from app.auth.models import Role, User
from app.clock import utcnow
from app.courses.models import Lesson
from app.database import writes
from app.errors import PreceptorError
from app.extensions import db
from app.forum import search as forum_search
from app.forum import service
from app.forum.forms import (
    CategoryForm,
    ComposeForm,
    DigestForm,
    EditForm,
    MoveForm,
    ReasonForm,
    ThreadForm,
)
from app.forum.identifiers import find_identifiers
from app.forum.models import Category, Post
from app.urls import url_for_ids

bp = Blueprint("forum", __name__, url_prefix="/forum")

Page = str | tuple[str, int]


@bp.app_context_processor
def forum_helpers() -> dict:
    # The rules below read the viewer many times per post: hand them the user itself,
    # not the current_user proxy, which looks the user up again on every attribute.
    def viewer() -> User:
        return current_user._get_current_object()

    def unread_notifications() -> int:
        user = viewer()
        return service.unread_notifications(user) if user.is_authenticated else 0

    return {
        "forum_unread": unread_notifications,
        "forum_author": lambda author, anonymous: service.author_name(author, anonymous, viewer()),
    }


MAX_PAGE = 100_000  # beyond any real listing; keeps OFFSET within what databases accept


def _page_arg() -> int:
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


# The links under each post of a thread page, by name, for url_for_ids.
POST_LINKS = {
    "post": "forum.post",
    "history": "forum.history",
    "helpful": "forum.helpful",
    "answer": "forum.answer",
    "edit": "forum.edit",
    "delete": "forum.delete",
    "report": "forum.report",
    "restore": "forum.restore",
    "hide": "forum.hide",
}


def post_links(thread_id: int) -> SimpleNamespace:
    """links.edit(post.id) and the like: each route built once per page, not per post."""
    links = {name: url_for_ids(endpoint, "post_id") for name, endpoint in POST_LINKS.items()}
    return SimpleNamespace(**links, quote=url_for_ids("forum.reply", "quote", thread_id=thread_id))


def post_url(post: Post, **kwargs) -> str:
    return url_for(
        "forum.thread",
        thread_id=post.thread_id,
        page=service.page_of(post.number),
        _anchor=f"post-{post.number}",
        **kwargs,
    )


# --- composing: preview, identifier check, publish -------------------------------------------


def _compose(form: ComposeForm, template: str, publish: Callable[[], str], **context):
    """Validate; on "Preview", or when the text looks like it names a patient and the
    author has not confirmed, show the form again with the preview; else publish."""
    preview = findings = None
    if form.validate_on_submit():
        title = form.title.data if hasattr(form, "title") else ""
        # Line 0 stands for the title; body lines count from 1 as the author sees them.
        findings = [replace(f, line=0) for f in find_identifiers(title or "")]
        findings += find_identifiers(form.body.data)
        wants_preview = request.form.get("action") == "preview"
        if findings and not wants_preview and not form.confirm_identifiers.data:
            form.confirm_identifiers.errors = [
                "This text may identify a patient (see above). Edit it, or tick this box "
                "if you are sure no patient can be recognised."
            ]
        elif not wants_preview:
            try:
                target = publish()
            except PreceptorError as error:
                db.session.rollback()
                if error.status not in (409, 429):
                    raise
                form.body.errors = [str(error)]
            else:
                db.session.commit()
                return redirect(target)
        preview = service.preview_html(form.body.data)
    page = render_template(template, form=form, preview=preview, findings=findings or [], **context)
    return (page, 422) if any(field.errors for field in form) else page


# --- reading --------------------------------------------------------------------------------


@bp.get("/")
@login_required
def index() -> Page:
    return render_template(
        "forum/index.html",
        summaries=service.category_summaries(),
        open_reports=service.open_report_count() if permissions.can_moderate(current_user) else 0,
    )


@bp.get("/c/<slug>/")
@login_required
def category(slug: str) -> Page:
    category = service.get_category(slug)
    listing = service.thread_listing(category, current_user, _page_arg())
    return render_template("forum/category.html", category=category, listing=listing)


@bp.get("/t/<int:thread_id>/")
@login_required
def thread(thread_id: int) -> Page:
    view = service.thread_page(thread_id, current_user, _page_arg())
    thread = view.thread
    move_form = None
    if permissions.can_moderate(current_user):
        move_form = MoveForm(category=str(thread.category_id))
        move_form.category.choices = [SelectChoice(str(c.id), c.name) for c in service.categories()]
    page = render_template(
        "forum/thread.html",
        view=view,
        posts=service.shown_posts(view, current_user._get_current_object()),
        links=post_links(thread.id),
        thread=thread,
        reply_form=ComposeForm(formdata=None),
        move_form=move_form,
    )
    if service.mark_read(current_user, view):
        db.session.commit()  # the read marker; after rendering, so nothing is loaded twice
    return page


@bp.get("/p/<int:post_id>")
@login_required
def post(post_id: int) -> Response:
    return redirect(post_url(service.get_post(post_id)))


@bp.get("/p/<int:post_id>/history")
@login_required
def history(post_id: int) -> Page:
    post = service.get_post(post_id)
    if not permissions.can_see_post(current_user, post):
        abort(404)
    return render_template("forum/history.html", post=post, revisions=service.revisions(post))


@bp.get("/search")
@login_required
def search() -> Page:
    query = request.args.get("q", "").strip()[:200]
    results = None
    if query:
        results = forum_search.search(
            query, page=_page_arg(), include_hidden=permissions.can_moderate(current_user)
        )
    return render_template("forum/search.html", query=query, results=results)


# --- writing --------------------------------------------------------------------------------


@bp.route("/c/<slug>/new", methods=["GET", "POST"])
@login_required
def new_thread(slug: str) -> Page | Response:
    category = service.get_category(slug)
    form = ThreadForm()

    def publish() -> str:
        thread = service.start_thread(
            current_user,
            category,
            title=form.title.data,
            body=form.body.data,
            anonymous=form.anonymous.data,
            now=utcnow(),
        )
        return url_for("forum.thread", thread_id=thread.id)

    return _compose(form, "forum/new_thread.html", publish, category=category)


@bp.route("/t/<int:thread_id>/reply", methods=["GET", "POST"])
@login_required
def reply(thread_id: int) -> Page | Response:
    thread = service.get_thread(thread_id)
    service.check_open_for_replies(current_user, thread)
    form = ComposeForm()
    quoted = request.args.get("quote", type=int)
    if request.method == "GET" and quoted and 0 < quoted < 2**31:
        source = service.get_post(quoted)
        if source.thread_id == thread.id:
            form.body.data = service.quote(source, current_user)

    def publish() -> str:
        post = service.reply(
            current_user, thread, form.body.data, anonymous=form.anonymous.data, now=utcnow()
        )
        return post_url(post)

    return _compose(form, "forum/reply.html", publish, thread=thread)


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int) -> Page | Response:
    post = service.get_post(post_id)
    service.check_changeable(current_user, post)
    form = EditForm(obj=post, title=post.thread.title if post.number == 1 else None)

    def publish() -> str:
        service.edit_post(
            current_user,
            post,
            form.body.data,
            title=form.title.data if post.number == 1 else None,
            now=utcnow(),
        )
        return post_url(post)

    return _compose(form, "forum/edit.html", publish, post=post)


@bp.post("/p/<int:post_id>/delete")
@login_required
def delete(post_id: int) -> Response:
    post = service.get_post(post_id)
    service.delete_post(current_user, post, now=utcnow())
    db.session.commit()
    flash("Your post is deleted; the thread shows where it was.")
    return redirect(post_url(post))


@bp.post("/p/<int:post_id>/helpful")
@login_required
def helpful(post_id: int) -> Response:
    post = service.get_post(post_id)
    marked = service.toggle_helpful(current_user, post, now=utcnow())
    db.session.commit()
    flash("Marked as helpful." if marked else "No longer marked as helpful.")
    return redirect(post_url(post))


@bp.post("/p/<int:post_id>/answer")
@login_required
def answer(post_id: int) -> Response:
    post = service.get_post(post_id)
    marked = service.toggle_answer(current_user, post, now=utcnow())
    db.session.commit()
    flash("Marked as the answer." if marked else "No longer marked as the answer.")
    return redirect(post_url(post))


@bp.post("/t/<int:thread_id>/watch")
@login_required
def watch(thread_id: int) -> Response:
    thread = service.get_thread(thread_id)
    watching = request.form.get("watch") == "1"
    service.set_watching(current_user, thread, watching)
    db.session.commit()
    flash(
        "You will be notified of new replies."
        if watching
        else "You will no longer be notified of replies."
    )
    return redirect(url_for("forum.thread", thread_id=thread.id))


@bp.route("/lessons/<int:lesson_id>/", methods=["GET", "POST"])
@login_required
def lesson_discussion(lesson_id: int) -> Page | Response:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or lesson.archived_at is not None:
        abort(404)
    existing = service.lesson_thread(lesson)
    if existing and request.method == "GET":
        return redirect(url_for("forum.thread", thread_id=existing.id))
    form = ComposeForm()

    def publish() -> str:
        thread = service.start_lesson_thread(current_user, lesson, form.body.data, now=utcnow())
        return url_for("forum.thread", thread_id=thread.id, page=service.page_of(thread.post_count))

    return _compose(
        form,
        "forum/lesson_thread.html",
        publish,
        lesson=lesson,
        title=service.lesson_thread_title(lesson),
    )


@bp.route("/p/<int:post_id>/report", methods=["GET", "POST"])
@login_required
def report(post_id: int) -> Page | Response:
    post = service.get_post(post_id)
    if not permissions.can_see_post(current_user, post):
        abort(404)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            service.report_post(current_user, post, reason=form.reason.data, now=utcnow())
        except service.AlreadyReported as error:
            db.session.rollback()
            flash(str(error))
        else:
            db.session.commit()
            flash("Thank you. A moderator will look at this post.")
        return redirect(post_url(post))
    page = render_template("forum/report.html", form=form, post=post)
    return (page, 422) if form.is_submitted() else page


# --- notifications ------------------------------------------------------------------------


@bp.get("/notifications/")
@login_required
def notifications() -> Page:
    settings = service.settings_of(current_user)
    return render_template(
        "forum/notifications.html",
        listing=service.notifications_of(current_user, _page_arg()),
        digest_form=DigestForm(email_digest=settings.email_digest),
        action_form=FlaskForm(),
    )


@bp.get("/notifications/<int:notification_id>")
@writes
@login_required
def open_notification(notification_id: int) -> Response:
    notification = service.open_notification(current_user, notification_id, now=utcnow())
    db.session.commit()
    return redirect(post_url(notification.post))


@bp.post("/notifications/read")
@login_required
def read_all() -> Response:
    service.mark_all_read(current_user, now=utcnow())
    db.session.commit()
    flash("All notifications are marked read.")
    return redirect(url_for("forum.notifications"))


@bp.post("/notifications/digest")
@login_required
def digest_setting() -> Response:
    form = DigestForm()
    if not form.validate_on_submit():
        abort(400)
    service.set_email_digest(current_user, form.email_digest.data)
    db.session.commit()
    flash(
        "You will get a daily e-mail digest."
        if form.email_digest.data
        else "No more digest e-mails."
    )
    return redirect(url_for("forum.notifications"))


# --- moderation ---------------------------------------------------------------------------


@bp.route("/p/<int:post_id>/hide", methods=["GET", "POST"])
@role_required(*permissions.MODERATORS)
def hide(post_id: int) -> Page | Response:
    post = service.get_post(post_id)
    form = ReasonForm()
    if form.validate_on_submit():
        service.hide_post(current_user, post, reason=form.reason.data, now=utcnow())
        db.session.commit()
        flash("The post is hidden from members.")
        return redirect(post_url(post))
    page = render_template("forum/hide.html", form=form, post=post)
    return (page, 422) if form.is_submitted() else page


@bp.post("/p/<int:post_id>/restore")
@role_required(*permissions.MODERATORS)
def restore(post_id: int) -> Response:
    post = service.get_post(post_id)
    service.restore_post(current_user, post, now=utcnow())
    db.session.commit()
    flash("The post is visible again.")
    return redirect(post_url(post))


@bp.post("/t/<int:thread_id>/lock")
@role_required(*permissions.MODERATORS)
def lock(thread_id: int) -> Response:
    thread = service.get_thread(thread_id)
    locked = request.form.get("locked") == "1"
    service.set_locked(current_user, thread, locked, now=utcnow())
    db.session.commit()
    flash("The thread is locked." if locked else "The thread is open for replies again.")
    return redirect(url_for("forum.thread", thread_id=thread.id))


@bp.post("/t/<int:thread_id>/pin")
@role_required(*permissions.MODERATORS)
def pin(thread_id: int) -> Response:
    thread = service.get_thread(thread_id)
    pinned = request.form.get("pinned") == "1"
    service.set_pinned(current_user, thread, pinned, now=utcnow())
    db.session.commit()
    flash("The thread is pinned to the top." if pinned else "The thread is unpinned.")
    return redirect(url_for("forum.thread", thread_id=thread.id))


@bp.post("/t/<int:thread_id>/move")
@role_required(*permissions.MODERATORS)
def move(thread_id: int) -> Response:
    thread = service.get_thread(thread_id)
    form = MoveForm()
    categories = {str(c.id): c for c in service.categories()}
    form.category.choices = [SelectChoice(key, c.name) for key, c in categories.items()]
    if not form.validate_on_submit():
        abort(400)
    service.move_thread(current_user, thread, categories[form.category.data], now=utcnow())
    db.session.commit()
    flash(f"The thread is now in {thread.category.name}.")
    return redirect(url_for("forum.thread", thread_id=thread.id))


@bp.get("/reports/")
@role_required(*permissions.MODERATORS)
def reports() -> Page:
    return render_template(
        "forum/reports.html", reports=service.open_reports(), action_form=FlaskForm()
    )


@bp.get("/moderation-log/")
@role_required(*permissions.MODERATORS)
def moderation_log() -> Page:
    return render_template("forum/moderation_log.html", log=service.moderation_log(_page_arg()))


@bp.post("/reports/<int:report_id>/dismiss")
@role_required(*permissions.MODERATORS)
def dismiss_report(report_id: int) -> Response:
    service.dismiss_report(current_user, report_id, now=utcnow())
    db.session.commit()
    flash("Report dismissed; the post stays as it is.")
    return redirect(url_for("forum.reports"))


# --- categories (admins) -----------------------------------------------------------------


@bp.route("/categories/", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def manage_categories() -> Page | Response:
    form = CategoryForm()
    if form.validate_on_submit():
        category = service.save_category(
            None,
            name=form.name.data,
            description=form.description.data or "",
            allow_anonymous=form.allow_anonymous.data,
        )
        db.session.commit()
        flash(f"Category {category.name} added.")
        return redirect(url_for("forum.manage_categories"))
    page = render_template(
        "forum/categories.html",
        form=form,
        categories=service.categories(),
        edit_forms={
            c.id: CategoryForm(obj=c, formdata=None, prefix=f"c{c.id}")
            for c in service.categories()
        },
        action_form=FlaskForm(),
    )
    return (page, 422) if form.is_submitted() else page


@bp.post("/categories/<int:category_id>")
@role_required(Role.ADMIN)
def edit_category(category_id: int) -> Page | Response:
    category = _category_by_id(category_id)
    form = CategoryForm(prefix=f"c{category.id}")
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors) or "Check the form.")
        return redirect(url_for("forum.manage_categories"))
    service.save_category(
        category,
        name=form.name.data,
        description=form.description.data or "",
        allow_anonymous=form.allow_anonymous.data,
    )
    db.session.commit()
    flash(f"Category {category.name} saved.")
    return redirect(url_for("forum.manage_categories"))


@bp.post("/categories/<int:category_id>/move")
@role_required(Role.ADMIN)
def reorder_category(category_id: int) -> Response:
    category = _category_by_id(category_id)
    service.move_category(category, -1 if request.form.get("direction") == "up" else 1)
    db.session.commit()
    return redirect(url_for("forum.manage_categories"))


def _category_by_id(category_id: int) -> Category:
    return db.get_or_404(Category, category_id)
