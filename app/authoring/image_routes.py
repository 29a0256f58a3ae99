"""A course's images: the educators' page that lists them with the Markdown to paste and
takes uploads (/author/courses/<slug>/images), and the route readers' browsers fetch them
from (/courses/<slug>/images/<name>)."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.auth.access import role_required
from app.authoring import images
from app.clock import utcnow
from app.courses.routes import bp as courses_bp
from app.errors import TITLES, NotFound
from app.extensions import db, heavy_work_limit
from app.permissions import AUTHORS, can_author
from app.validators import single_line

# The image and the form around it (alt text, CSRF token, multipart boundaries).
UPLOAD_REQUEST_LIMIT = images.MAX_BYTES + 64 * 1024
CACHE_FOR_A_YEAR = "public, max-age=31536000, immutable"


class ImageForm(FlaskForm):
    image = FileField(
        "Image file",
        description="PNG, JPEG or WebP, at most 5 MB. Location and camera details are removed.",
        validators=[FileRequired("Choose an image file to upload.")],
        render_kw={"accept": "image/png,image/jpeg,image/webp"},
    )
    alt_text = StringField(
        "Alt text: what the image shows",
        description=(
            "Read aloud to mentors who cannot see the image, and shown if it does not load."
        ),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired("Describe what the image shows: alt text is required."),
            Length(max=500, message="Keep the alt text under 500 characters."),
            single_line,
        ],
    )


def _course_title_or_404(slug: str) -> str:
    title = images.course_title(slug)
    if title is None:
        raise NotFound("There is no such course.")
    return title


def _images_page(slug: str, title: str, form: ImageForm, *, status: int = 200):
    rows = images.images_of_course(slug)
    uploaded = request.args.get("uploaded")
    page = render_template(
        "authoring/images.html",
        slug=slug,
        title=title,
        form=form,
        rows=rows,
        uploaded=next((row for row in rows if row.name == uploaded), None),
        snippet=images.markdown_snippet,
        image_url=images.image_url,
    )
    return page, status


def _is_upload_by_an_author() -> bool:
    return request.endpoint == "authoring.upload_image" and can_author(current_user)


def _allow_image_uploads(_endpoint: str | None, _values: dict | None) -> None:
    # The site's request limit (MAX_CONTENT_LENGTH) is below an image's 5 MB. It is raised
    # for an author's upload alone, here: URL value preprocessors run before every
    # before_request function, and the CSRF check among those reads the form.
    if _is_upload_by_an_author():
        request.max_content_length = UPLOAD_REQUEST_LIMIT


def _too_large(error: RequestEntityTooLarge):
    """A file past the limit is refused before the view runs: the upload page says so
    beside the file field, rather than a bare 413."""
    slug = (request.view_args or {}).get("slug", "")
    title = images.course_title(slug) if _is_upload_by_an_author() else None
    if title is None:
        message = error.description or ""
        page = render_template("errors/error.html", status=413, title=TITLES[413], message=message)
        return page, 413
    form = ImageForm(formdata=None)  # the body is not read: it is what was too large
    form.image.errors = [images.TOO_LARGE]
    return _images_page(slug, title, form, status=413)


def serve_image(slug: str, name: str) -> Response:
    """An image's bytes as stored, with its type. At its versioned address (`?v=` the start
    of its hash, as lessons link it) browsers keep it a year; elsewhere they ask again
    each time (a 304 while it is unchanged)."""
    row = images.find_image(slug, name)
    if row is None:
        raise NotFound("There is no such image.")
    response = Response(row.image.data, mimetype=row.image.media_type.value)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = f'inline; filename="{row.name}"'
    response.set_etag(row.image.sha256)
    fresh = request.args.get("v") == row.version
    response.headers["Cache-Control"] = CACHE_FOR_A_YEAR if fresh else "no-cache"
    return response.make_conditional(request)


def register(bp: Blueprint) -> None:
    bp.url_value_preprocessor(_allow_image_uploads)
    bp.register_error_handler(RequestEntityTooLarge, _too_large)
    # Readers fetch images beside the lessons that show them, as lesson pages are read:
    # by anyone signed in.
    courses_bp.add_url_rule(
        "/<slug>/images/<name>", "serve_image", login_required(serve_image), methods=["GET"]
    )

    @bp.get("/courses/<slug>/images")
    @role_required(*AUTHORS)
    def list_images(slug: str):
        return _images_page(slug, _course_title_or_404(slug), ImageForm(formdata=None))

    @bp.post("/courses/<slug>/images")
    @role_required(*AUTHORS)
    @heavy_work_limit()
    def upload_image(slug: str):
        title = _course_title_or_404(slug)
        form = ImageForm()
        if not form.validate_on_submit():
            return _images_page(slug, title, form, status=422)
        upload = form.image.data
        try:
            row = images.upload_image(
                slug, upload.stream, filename=upload.filename or "",
                alt_text=form.alt_text.data, by=current_user, now=utcnow(),
            )  # fmt: skip
        except images.ImageRefused as refused:
            db.session.rollback()
            form.image.errors = [str(refused)]
            return _images_page(slug, title, form, status=422)
        db.session.commit()
        flash(f"Uploaded as images/{row.name}. Paste its Markdown where the image belongs.")
        return redirect(
            url_for("authoring.list_images", slug=slug, uploaded=row.name, _anchor="uploaded")
        )
