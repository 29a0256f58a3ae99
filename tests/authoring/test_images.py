"""Images in lessons: uploads judged by their bytes (never their names), at most 5 MB,
re-encoded without EXIF, stored once by hash, served with their type and cache headers,
and only educators and admins may upload."""

import html
import io
import re

import pytest
from PIL import ExifTags, Image, ImageFile
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.auth.models import Role
from app.authoring import images
from app.authoring.images import ContentImage, ContentImageFile, ImageType
from app.clock import utcnow
from app.content import load_content
from app.extensions import db as _db
from tests.authoring.conftest import file_row
from tests.conftest import client_with_role, csrf_token, log_in, only_sqlite, post_form

PAGE = "/author/courses/listening/images"
LESSON = "courses/listening/01-reflect.md"
LESSON_URL = "/courses/listening/reflect/"


def png_bytes(size: tuple[int, int] = (60, 40), color=(20, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_with_location() -> bytes:
    """A phone photo: EXIF with the GPS position, the camera, a comment and an orientation
    (6: the picture is stored on its side)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PocketPhone"
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (48.0, 51.0, 24.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (2.0, 21.0, 3.0),
    }
    buffer = io.BytesIO()
    Image.new("RGB", (80, 30), (200, 40, 40)).save(
        buffer, "JPEG", exif=exif, comment=b"home address"
    )
    return buffer.getvalue()


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)
HTML_PAGE = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def upload(client, data: bytes, filename: str, alt_text: str = "A chart of listening time"):
    return client.post(
        PAGE,
        data={
            "image": (io.BytesIO(data), filename),
            "alt_text": alt_text,
            "csrf_token": csrf_token(client, PAGE),
        },
        content_type="multipart/form-data",
    )


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def stored() -> list[ContentImageFile]:
    _db.session.expire_all()
    return list(
        _db.session.scalars(
            select(ContentImageFile)
            .options(joinedload(ContentImageFile.image).undefer(ContentImage.data))
            .order_by(ContentImageFile.id)
        )
    )


def count_images() -> int:
    return _db.session.scalar(select(func.count()).select_from(ContentImage))


def assert_refused_on_the_form(response, message: str, status: int = 422) -> None:
    assert response.status_code == status
    page = text_of(response)
    assert 'enctype="multipart/form-data"' in page, "the upload form is shown again"
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*type="file"', page), "marked invalid"
    assert f'<p class="field-error" id="image-error">{message}</p>' in page
    assert stored() == [] and count_images() == 0


# --- the five uploads the issue names ----------------------------------------------------------


def test_a_png_named_jpg_is_accepted_and_stored_as_png(files, educator_client):
    response = upload(educator_client, png_bytes(), "Listening Chart.jpg")
    assert response.status_code == 302
    assert "uploaded=listening-chart.png" in response.headers["Location"]
    [row] = stored()
    assert (row.course_slug, row.name, row.image.media_type) == (
        "listening",
        "listening-chart.png",
        ImageType.PNG,
    )
    assert row.image.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert row.image.original_filename == "Listening Chart.jpg"
    page = text_of(educator_client.get(response.headers["Location"]))
    assert 'value="![A chart of listening time](images/listening-chart.png)"' in page


def test_an_html_file_named_png_is_refused_with_a_message(files, educator_client):
    response = upload(educator_client, HTML_PAGE, "diagram.png")
    assert_refused_on_the_form(response, images.TEXT_REFUSED)


def test_an_svg_with_a_script_is_refused_with_a_message(files, educator_client):
    response = upload(educator_client, SVG_WITH_SCRIPT, "diagram.svg")
    assert_refused_on_the_form(response, images.SVG_REFUSED)


def test_a_6_mb_file_is_refused_on_the_form_not_with_a_bare_413(files, educator_client):
    response = upload(educator_client, b"\x89PNG\r\n\x1a\n" + bytes(6 * 1024 * 1024), "big.png")
    assert_refused_on_the_form(response, images.TOO_LARGE, status=413)
    assert "<h1>Images of" in text_of(response)


def test_a_file_just_over_5_mb_is_refused_too(files, educator_client):
    """Within the request limit (which leaves room for the form), but not an image's."""
    response = upload(educator_client, bytes(images.MAX_BYTES + 1), "big.png")
    assert_refused_on_the_form(response, images.TOO_LARGE)


def test_a_zero_byte_file_is_refused_with_a_message(files, educator_client):
    response = upload(educator_client, b"", "empty.png")
    assert_refused_on_the_form(response, images.EMPTY)


# --- what is stored ----------------------------------------------------------------------------


def test_exif_with_the_gps_position_is_stripped_and_the_orientation_applied(files, educator_client):
    original = jpeg_with_location()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert upload(educator_client, original, "IMG_0042.JPG").status_code == 302
    [row] = stored()
    kept = Image.open(io.BytesIO(row.image.data))
    assert kept.format == "JPEG" and row.image.media_type is ImageType.JPEG
    assert dict(kept.getexif()) == {}
    assert "exif" not in kept.info and "comment" not in kept.info and "xmp" not in kept.info
    assert b"Exif" not in row.image.data and b"home address" not in row.image.data
    assert kept.size == (30, 80) == (row.image.width, row.image.height)  # turned upright


def test_the_same_image_uploaded_twice_is_stored_once(files, educator_client):
    first = upload(educator_client, png_bytes(), "chart.png")
    second = upload(educator_client, png_bytes(), "same-chart.png")
    assert first.headers["Location"] == second.headers["Location"]  # the file already there
    assert count_images() == 1 and len(stored()) == 1


def test_another_image_under_a_taken_name_gets_a_new_name(files, educator_client):
    upload(educator_client, png_bytes(color=(0, 0, 0)), "chart.png")
    upload(educator_client, png_bytes(color=(255, 255, 255)), "chart.png")
    assert [row.name for row in stored()] == ["chart.png", "chart-2.png"]
    assert count_images() == 2


def test_alt_text_is_required_on_the_form(files, educator_client):
    response = upload(educator_client, png_bytes(), "chart.png", alt_text="   ")
    assert response.status_code == 422
    assert "Describe what the image shows: alt text is required." in text_of(response)
    assert stored() == []


def test_a_course_that_does_not_exist_has_no_images_page(files, educator_client):
    assert educator_client.get("/author/courses/no-such-course/images").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a" + bytes(20), "GIF images are not accepted"),
        (b"\x00\x00\x00\x18ftypheic" + bytes(20), "HEIC/HEIF and AVIF photos are not accepted"),
        (png_bytes()[:60], images.DAMAGED),
        (b"just some bytes", images.NOT_AN_IMAGE),
    ],
    ids=["gif", "heic", "cut-off-png", "random-bytes"],
)
def test_other_files_are_refused_with_what_they_are(data, message):
    with pytest.raises(images.ImageRefused, match=re.escape(message)):
        images.clean_image(data)


@pytest.mark.parametrize("pillow_fills_in", [True, False])
@pytest.mark.parametrize("kind", ["PNG", "JPEG", "WEBP"])
def test_a_cut_off_upload_is_refused_even_where_pillow_would_fill_it_in(
    monkeypatch, kind, pillow_fills_in
):
    """WeasyPrint (certificate PDFs) sets Pillow's LOAD_TRUNCATED_IMAGES for the whole
    process; a half-uploaded picture must still be refused."""
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", pillow_fills_in)
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 40, 40)).save(buffer, kind)
    whole = buffer.getvalue()
    with pytest.raises(images.ImageRefused, match=re.escape(images.DAMAGED)):
        images.clean_image(whole[: len(whole) * 2 // 3])
    assert images.clean_image(whole).media_type.name == kind


def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded():
    buffer = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buffer, "PNG")  # 48 megapixels in a few kilobytes
    with pytest.raises(images.ImageRefused, match="8000 by 6000 pixels"):
        images.clean_image(buffer.getvalue())


def test_exported_images_are_read_back_to_the_same_images(files, educator_client, tmp_path):
    upload(educator_client, jpeg_with_location(), "photo.jpg")
    upload(educator_client, png_bytes(), "chart.png")
    written = images.export_images(tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in written) == [
        "courses/listening/images/chart.png",
        "courses/listening/images/photo.jpg",
    ]
    report = images.sync_image_folder(tmp_path / "out", now=utcnow())
    assert (report.added, report.replaced, report.refused) == ([], [], [])
    assert count_images() == 2 and len(stored()) == 2


def test_lessons_read_with_the_stored_images_link_each_at_its_version(files, educator_client):
    """What `content sync` and publishing pass to load_content: an uploaded image's
    address carries its version; one not uploaded yet, the plain address."""
    upload(educator_client, png_bytes(), "chart.png")
    [row] = stored()
    lesson = files / LESSON
    lesson.write_text(
        lesson.read_text(encoding="utf-8")
        + "\n![A chart](images/chart.png) ![A map](images/map.png)\n",
        encoding="utf-8",
    )
    loaded = load_content(files, images.image_sources())
    body = next(
        item.body_html for course in loaded.courses if course.slug == "listening"
        for item in course.lessons if item.slug == "reflect"
    )  # fmt: skip
    assert f'src="/courses/listening/images/chart.png?v={row.version}"' in body
    assert 'src="/courses/listening/images/map.png"' in body


# --- serving -----------------------------------------------------------------------------------


def test_an_image_is_served_with_its_type_nosniff_and_a_year_of_cache(
    files, educator_client, mentor_client
):
    upload(educator_client, png_bytes(), "chart.png")
    [row] = stored()
    versioned = images.image_url(row)
    assert versioned == f"/courses/listening/images/chart.png?v={row.image.sha256[:8]}"
    response = mentor_client.get(versioned)
    assert response.status_code == 200
    assert response.data == row.image.data
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["ETag"] == f'"{row.image.sha256}"'


def test_without_its_version_an_image_is_checked_again_each_time(
    files, educator_client, mentor_client
):
    upload(educator_client, png_bytes(), "chart.png")
    [row] = stored()
    for url in ("/courses/listening/images/chart.png", "/courses/listening/images/chart.png?v=0"):
        response = mentor_client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    again = mentor_client.get(url, headers={"If-None-Match": f'"{row.image.sha256}"'})
    assert again.status_code == 304 and again.data == b""


def test_an_unknown_image_is_not_found(files, mentor_client):
    assert mentor_client.get("/courses/listening/images/nothing.png").status_code == 404
    assert mentor_client.get("/courses/listening/images/..%2Fcourse.md").status_code == 404


def test_a_published_lesson_shows_the_uploaded_image(files, educator_client, mentor_client):
    upload(educator_client, png_bytes(), "chart.png")
    text = file_row(LESSON).text + "\n![A chart of listening time](images/chart.png)\n"
    edit_url = f"/author/files/{file_row(LESSON).id}/"
    opened = re.search(
        r'name="opened" type="hidden" value="(\d+)"', educator_client.get(edit_url).text
    )
    data = {"text": text, "opened": opened.group(1), "action": "save", "note": ""}
    assert post_form(educator_client, edit_url, data).status_code == 302
    published = post_form(
        educator_client, "/author/courses/listening/publish", {"note": ""}, "/author/"
    )
    assert published.status_code == 302
    page = mentor_client.get(LESSON_URL).get_data(as_text=True)
    src = re.search(r'<img src="([^"]+)" alt="A chart of listening time"', page)
    assert src, page
    assert src.group(1).startswith("/courses/listening/images/chart.png")
    assert mentor_client.get(src.group(1)).data == stored()[0].image.data


# --- who may ------------------------------------------------------------------------------------

ROUTES = [("get", PAGE), ("post", PAGE)]


@only_sqlite  # who may open a page: a rule in Python, the same on both databases
@pytest.mark.parametrize(("method", "route"), ROUTES)
@pytest.mark.parametrize("role", [Role.MENTOR, Role.COORDINATOR, None])
def test_only_educators_and_admins_reach_the_images_page_and_upload(
    files, app, make_user, method, route, role
):
    client = app.test_client()
    if role is not None:
        log_in(client, make_user(role))
    token = csrf_token(client, "/auth/login" if role is None else "/")
    data = {"image": (io.BytesIO(png_bytes()), "chart.png"), "alt_text": "A chart"}
    response = getattr(client, method)(
        route, data={**data, "csrf_token": token}, content_type="multipart/form-data"
    )
    if role is None:
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    else:
        assert response.status_code == 403
    assert stored() == [] and count_images() == 0


@pytest.mark.parametrize("role", [Role.MENTOR, Role.COORDINATOR, None])
def test_a_large_upload_by_anyone_else_shows_no_authoring_page(files, app, make_user, role):
    """Past the site's usual 2 MB limit the request is refused before any role check:
    with the plain error page, never the course's images."""
    client = app.test_client()
    if role is not None:
        log_in(client, make_user(role))
    token = csrf_token(client, "/auth/login" if role is None else "/")
    data = {"image": (io.BytesIO(bytes(3 * 1024 * 1024)), "big.png"), "alt_text": "A chart"}
    response = client.post(
        PAGE, data={**data, "csrf_token": token}, content_type="multipart/form-data"
    )
    assert response.status_code == 413
    assert "That upload is too large" in text_of(response)
    assert "Images of" not in text_of(response) and 'type="file"' not in text_of(response)


def test_a_coordinator_who_is_also_an_educator_may_upload(files, app, make_user):
    client = app.test_client()
    log_in(client, make_user(Role.COORDINATOR, Role.EDUCATOR))
    assert upload(client, png_bytes(), "chart.png").status_code == 302


def test_an_admin_may_upload(files, app, make_user):
    client = client_with_role(app, make_user, Role.ADMIN)
    assert upload(client, png_bytes(), "chart.png").status_code == 302


def test_signed_out_visitors_cannot_fetch_images(files, educator_client, app):
    upload(educator_client, png_bytes(), "chart.png")
    response = app.test_client().get(images.image_url(stored()[0]))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
