"""Images in lessons. An upload is judged by its bytes, never its name: PNG, JPEG or WebP
only, at most 5 MB, re-encoded so that no EXIF (a phone's GPS position), XMP or comment
leaves with it. Images are kept in the database by the hash of those clean bytes, so every
app server and every backup has them and the same picture is stored once; a course knows
each by a file name in its folder (`courses/<slug>/images/<name>`), which is what lessons
write: `![what it shows](images/<name>)`."""

import enum
import hashlib
import io
import re
import struct
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError
from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import (
    Mapped,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
    undefer,
)

from app.auth.models import User
from app.authoring.models import ContentFile
from app.clock import utcnow
from app.content.loader import SLUG, ImageSource, course_image_url
from app.courses.models import Course
from app.errors import PreceptorError
from app.extensions import db, value_enum

MAX_BYTES = 5 * 1024 * 1024
# A 5 MB file can still unpack to gigapixels (a "decompression bomb"); no lesson needs more.
MAX_PIXELS = 40_000_000
IMAGE_FOLDER = "images"
# A file name in courses/<slug>/images/, as an upload is named and a lesson refers to it.
IMAGE_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.(?:png|jpg|jpeg|webp)$")
NAME_STEM_LENGTH = 60
VERSION_LENGTH = 8  # hex digits of the hash in an image's address (?v=...)

TOO_LARGE = "The image is larger than 5 MB: make it smaller (fewer pixels or more compression)."
EMPTY = "The file is empty (0 bytes): choose the image file again."
DAMAGED = "The image could not be read: the file may be damaged or incomplete."
NOT_AN_IMAGE = (
    "This file is not a PNG, JPEG or WebP image, whatever its name says. "
    "Save or export it as one of these and upload that."
)
SVG_REFUSED = (
    "SVG images are not accepted: they can carry scripts. "
    "Export the drawing as PNG and upload that."
)
TEXT_REFUSED = (
    "This file is text (HTML or similar), not an image, whatever its name says. "
    "Upload a PNG, JPEG or WebP image."
)
BAD_FILE_NAME = "name the file in lowercase letters, digits and dashes, ending .png, .jpg or .webp"
ANIMATED = "Animated images are not accepted: upload a still PNG, JPEG or WebP image."
# Formats people try, by their first bytes: named in the refusal, never decoded.
OTHER_FORMATS = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
    (b"%PDF", "PDF"),
)
HEIF_BRANDS = (b"heic", b"heix", b"heif", b"mif1", b"msf1", b"avif")


class ImageRefused(PreceptorError):
    status, code = 422, "image_refused"


class ImageType(enum.StrEnum):
    PNG = "image/png"
    JPEG = "image/jpeg"
    WEBP = "image/webp"

    @property
    def extension(self) -> str:
        return {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}[self.value]

    @property
    def pillow_format(self) -> str:
        return self.name


# Pillow's name of each format read; many cameras write MPO: a JPEG with previews after it.
PILLOW_FORMATS = {
    "PNG": ImageType.PNG,
    "JPEG": ImageType.JPEG,
    "MPO": ImageType.JPEG,
    "WEBP": ImageType.WEBP,
}


class ContentImage(db.Model):
    """An image's clean bytes, once per content (its sha256)."""

    __tablename__ = "content_images"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[ImageType] = mapped_column(value_enum(ImageType, "image_media_type"))
    width: Mapped[int]
    height: Mapped[int]
    # Loaded only when the image itself is served or exported, never for a list.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_by: Mapped[User | None] = relationship()


class ContentImageFile(db.Model):
    """An image under a name in a course's folder: `courses/<course_slug>/images/<name>`."""

    __tablename__ = "content_image_files"
    __table_args__ = (UniqueConstraint("course_slug", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_slug: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(120))
    image_id: Mapped[int] = mapped_column(ForeignKey("content_images.id"), index=True)
    # What the uploader said it shows: the alt text of the Markdown offered to paste.
    alt_text: Mapped[str] = mapped_column(String(500), default="")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    image: Mapped[ContentImage] = relationship()
    added_by: Mapped[User | None] = relationship()

    @property
    def path(self) -> str:
        """Where the file is in the content folder."""
        return f"courses/{self.course_slug}/{IMAGE_FOLDER}/{self.name}"

    @property
    def version(self) -> str:
        return self.image.sha256[:VERSION_LENGTH]


# --- reading an upload --------------------------------------------------------------------


@dataclass(frozen=True)
class CleanImage:
    """A picture re-encoded from an upload: the bytes to keep and serve."""

    data: bytes
    media_type: ImageType
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def read_upload(stream: IO[bytes], limit: int = MAX_BYTES) -> bytes:
    """The upload's bytes, reading no more than one past `limit`: ImageRefused beyond."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ImageRefused(TOO_LARGE)
    return data


def clean_image(data: bytes) -> CleanImage:
    """The PNG, JPEG or WebP picture in `data` (decided by its bytes, never its name),
    turned upright as its EXIF orientation says and re-encoded without any metadata
    (EXIF, GPS, XMP, comments, text chunks); its colour profile stays. ImageRefused,
    with a message for the uploader, for anything else."""
    if not data:
        raise ImageRefused(EMPTY)
    if len(data) > MAX_BYTES:
        raise ImageRefused(TOO_LARGE)
    try:
        # Only these three decoders ever see an upload: no other format is parsed.
        with Image.open(io.BytesIO(data), formats=["PNG", "JPEG", "WEBP"]) as image:
            kind = PILLOW_FORMATS[image.format or ""]
            if image.width * image.height > MAX_PIXELS:
                raise ImageRefused(
                    f"The image is {image.width} by {image.height} pixels: make it at most "
                    f"{MAX_PIXELS // 1_000_000} megapixels (a lesson needs far fewer)."
                )
            if image.format != "MPO" and getattr(image, "n_frames", 1) > 1:
                raise ImageRefused(ANIMATED)
            if not _is_complete(kind, data):
                raise ImageRefused(DAMAGED)
            image.load()
            return _reencode(image, kind, data)
    except UnidentifiedImageError:
        raise ImageRefused(_what_it_is(data)) from None
    except ImageRefused:
        raise
    except (OSError, SyntaxError, ValueError, KeyError, Image.DecompressionBombError):
        raise ImageRefused(DAMAGED) from None


def _what_it_is(data: bytes) -> str:
    """Why a file Pillow does not read as PNG, JPEG or WebP is refused, in its words."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in head:
        return SVG_REFUSED
    if head.startswith(b"<"):
        return TEXT_REFUSED
    for magic, name in OTHER_FORMATS:
        if data.startswith(magic):
            return f"{name} images are not accepted. Save it as PNG or JPEG and upload that."
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return (
            "HEIC/HEIF and AVIF photos are not accepted. Export the photo as JPEG "
            "(on an iPhone: Settings, Camera, Formats, Most Compatible) and upload that."
        )
    return NOT_AN_IMAGE


def _is_complete(kind: ImageType, data: bytes) -> bool:
    """Whether the file reaches its own end. Pillow would fill a cut-off picture with grey
    once anything in the process (WeasyPrint does) sets ImageFile.LOAD_TRUNCATED_IMAGES."""
    if kind is ImageType.PNG:
        try:
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                image.verify()  # every chunk and its checksum, up to IEND
        except (OSError, SyntaxError, struct.error):
            return False
        return True
    if kind is ImageType.WEBP:
        (size,) = struct.unpack("<I", data[4:8])
        return len(data) >= 8 + size
    return _jpeg_reaches_its_end(data)


def _jpeg_reaches_its_end(data: bytes) -> bool:
    """Whether the JPEG's markers lead to its end (EOI) marker; what follows (a phone's
    trailer, an MPO's second picture) does not matter."""
    offset = 2  # past the start marker
    while offset + 2 <= len(data):
        if data[offset] != 0xFF:
            return False
        marker = data[offset + 1]
        if marker == 0xD9:
            return True
        if marker == 0xFF or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            offset += 1 if marker == 0xFF else 2  # a fill byte, or a marker without length
            continue
        if offset + 4 > len(data):
            return False
        offset += 2 + int.from_bytes(data[offset + 2 : offset + 4], "big")
        if marker == 0xDA:
            offset = _end_of_scan(data, offset)
    return False


def _end_of_scan(data: bytes, offset: int) -> int:
    """The offset of the marker after a scan's coded data, in which 0xFF is followed by 0
    (a stuffed byte) or a restart marker; len(data) if the data ends first."""
    while (offset := data.find(b"\xff", offset)) != -1 and offset + 1 < len(data):
        following = data[offset + 1]
        if following != 0 and not 0xD0 <= following <= 0xD7:
            return offset
        offset += 2
    return len(data)


def _reencode(image: Image.Image, kind: ImageType, data: bytes) -> CleanImage:
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    upright = ImageOps.exif_transpose(image) if orientation != 1 else image
    options: dict = {}
    if icc := image.info.get("icc_profile"):
        options["icc_profile"] = icc  # colour, not about the photo: without it colours shift
    if kind is ImageType.PNG and "transparency" in image.info:
        options["transparency"] = image.info["transparency"]
    if kind is ImageType.JPEG:
        # An upright JPEG keeps its own quantisation: re-encoding loses next to nothing.
        options["quality"] = "keep" if upright is image and image.format == "JPEG" else 90
    if kind is ImageType.WEBP:
        options.update({"lossless": True} if _is_lossless_webp(data) else {"quality": 90})
    # Pillow writes some of what it read (a JPEG's comment) back unless told otherwise:
    # it writes nothing but the options above from an image without info.
    upright.info = {}
    buffer = io.BytesIO()
    upright.save(buffer, kind.pillow_format, **options)
    return CleanImage(buffer.getvalue(), kind, upright.width, upright.height)


def _is_lossless_webp(data: bytes) -> bool:
    """Whether the WebP's picture is a VP8L (lossless) chunk: a diagram stays sharp."""
    offset = 12
    while offset + 8 <= len(data):
        chunk = data[offset : offset + 4]
        (size,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        if chunk in (b"VP8L", b"VP8 "):
            return chunk == b"VP8L"
        offset += 8 + size + (size & 1)
    return False


# --- storing ---------------------------------------------------------------------------------


def _by_hash(sha256: str) -> ContentImage | None:
    return db.session.scalar(select(ContentImage).where(ContentImage.sha256 == sha256))


def accept_image(
    data: bytes, *, filename: str = "", by: User | None = None, now: datetime
) -> ContentImage:
    """The stored image of these bytes: cleaned and added, or the row that has them. Bytes
    that are already a stored image's (a file `export_images` wrote, read back) are that
    image: not re-encoded, so a JPEG loses nothing on its way out and back."""
    known = _by_hash(hashlib.sha256(data).hexdigest())
    if known is not None:
        return known
    clean = clean_image(data)
    known = _by_hash(clean.sha256)
    if known is not None:
        return known
    image = ContentImage(
        sha256=clean.sha256,
        media_type=clean.media_type,
        width=clean.width,
        height=clean.height,
        data=clean.data,
        original_filename=_base_name(filename)[:255],
        uploaded_at=now,
        uploaded_by_id=by.id if by else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(image)
    except IntegrityError:  # the same picture uploaded at the same moment: one row
        return _by_hash(clean.sha256)
    return image


def _base_name(filename: str) -> str:
    return filename.replace("\\", "/").rsplit("/", 1)[-1]


def name_for(filename: str, kind: ImageType) -> str:
    """A file name for an upload: its own name in lowercase letters, digits and dashes,
    with the extension of what it really is (a PNG named photo.jpg becomes photo.png)."""
    base = _base_name(filename)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem.lower()).strip("-")
    slug = slug[:NAME_STEM_LENGTH].rstrip("-") or "image"
    return f"{slug}.{kind.extension}"


def _candidates(name: str) -> Iterator[str]:
    stem, extension = name.rsplit(".", 1)
    yield name
    for number in range(2, 1000):
        yield f"{stem}-{number}.{extension}"


def attach_image(
    course_slug: str,
    image: ContentImage,
    *,
    filename: str,
    alt_text: str,
    by: User | None,
    now: datetime,
) -> ContentImageFile:
    """The image in the course's images/ folder. Already there: that file, as it is.
    Otherwise under the upload's name, or, where another image has that name (lessons
    may show it), the first free `name-2.png`, `name-3.png`..."""
    rows = db.session.scalars(
        select(ContentImageFile).where(ContentImageFile.course_slug == course_slug)
    ).all()
    for row in rows:
        if row.image_id == image.id:
            return row
    taken = {row.name for row in rows}
    for name in _candidates(name_for(filename, image.media_type)):
        if name in taken:
            continue
        row = ContentImageFile(
            course_slug=course_slug,
            name=name,
            image_id=image.id,
            alt_text=" ".join(alt_text.split())[:500],
            added_at=now,
            added_by_id=by.id if by else None,
        )
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:  # someone took the name meanwhile: the next one
            continue
        return row
    raise ImageRefused("This course has too many images of that name: rename the file.")


def upload_image(
    course_slug: str,
    stream: IO[bytes],
    *,
    filename: str,
    alt_text: str,
    by: User,
    now: datetime,
) -> ContentImageFile:
    """An educator's upload into a course: checked, cleaned, stored, named."""
    data = read_upload(stream)
    image = accept_image(data, filename=filename, by=by, now=now)
    return attach_image(course_slug, image, filename=filename, alt_text=alt_text, by=by, now=now)


# --- reading -------------------------------------------------------------------------------


def course_title(slug: str) -> str | None:
    """The title of a course images may be added to (None: no such course): a published
    one, or one whose files are being written in the browser."""
    if not SLUG.match(slug):
        return None
    title = db.session.scalar(select(Course.title).where(Course.slug == slug))
    if title is not None:
        return title
    prefix = f"courses/{slug}/"
    has_files = db.session.scalar(
        select(ContentFile.id).where(ContentFile.path.startswith(prefix, autoescape=True)).limit(1)
    )
    return slug if has_files is not None else None


def images_of_course(slug: str) -> list[ContentImageFile]:
    """The course's images, the newest first (without their bytes)."""
    return list(
        db.session.scalars(
            select(ContentImageFile)
            .options(joinedload(ContentImageFile.image), selectinload(ContentImageFile.added_by))
            .where(ContentImageFile.course_slug == slug)
            .order_by(ContentImageFile.added_at.desc(), ContentImageFile.id.desc())
        )
    )


def find_image(slug: str, name: str) -> ContentImageFile | None:
    """The image a lesson's `images/<name>` shows, with its bytes."""
    if not IMAGE_NAME.match(name):
        return None
    return db.session.scalar(
        select(ContentImageFile)
        .options(joinedload(ContentImageFile.image).options(undefer(ContentImage.data)))
        .where(ContentImageFile.course_slug == slug, ContentImageFile.name == name)
    )


def markdown_snippet(row: ContentImageFile) -> str:
    """What to paste into a lesson of the course to show the image."""
    alt = re.sub(r"([\\\[\]])", r"\\\1", row.alt_text)
    return f"![{alt}]({IMAGE_FOLDER}/{row.name})"


def image_url(row: ContentImageFile) -> str:
    """The image's address with its version: the same bytes for as long as it exists."""
    return f"{course_image_url(row.course_slug, row.name)}?v={row.version}"


def image_sources() -> ImageSource:
    """For `load_content(folder, image_sources())`: a lesson's `images/<name>` becomes the
    image's address with its version (`?v=<8 hex digits of its hash>`), which browsers may
    keep for a year since a changed image gets a new one. Call it after the images are
    stored (uploads, `sync_image_folder`): an image unknown yet gets the plain address."""
    versions = {
        (slug, name): sha256[:VERSION_LENGTH]
        for slug, name, sha256 in db.session.execute(
            select(ContentImageFile.course_slug, ContentImageFile.name, ContentImage.sha256).join(
                ContentImage, ContentImageFile.image_id == ContentImage.id
            )
        )
    }

    def source(course_slug: str, name: str) -> str:
        url = course_image_url(course_slug, name)
        version = versions.get((course_slug, name))
        return f"{url}?v={version}" if version else url

    return source


# --- the content folder ------------------------------------------------------------------


@dataclass
class ImageFolderSync:
    """What `sync_image_folder` did with each file of courses/<slug>/images/."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


def image_files(folder: Path) -> list[Path]:
    """Every file under courses/<slug>/images/ of a content folder."""
    courses = folder / "courses"
    if not courses.is_dir():
        return []
    return sorted(
        path
        for path in courses.glob(f"*/{IMAGE_FOLDER}/*")
        if path.is_file() and not path.name.startswith(".")
    )


def sync_image_folder(folder: Path, *, now: datetime) -> ImageFolderSync:
    """Store the images of a content folder under their names, before its lessons are
    read (so `image_sources` knows their versions). A file that changed replaces what its
    name showed; an image uploaded in the browser and absent from the folder stays, as
    do names the folder no longer has (published lessons may still show them)."""
    report = ImageFolderSync()
    for path in image_files(folder):
        slug, relative = path.parent.parent.name, path.relative_to(folder).as_posix()
        if not SLUG.match(slug) or not IMAGE_NAME.match(path.name):
            report.refused.append((relative, BAD_FILE_NAME))
            continue
        try:
            with path.open("rb") as stream:
                image = accept_image(read_upload(stream), filename=path.name, now=now)
        except ImageRefused as refused:
            report.refused.append((relative, str(refused)))
            continue
        row = db.session.scalar(
            select(ContentImageFile).where(
                ContentImageFile.course_slug == slug, ContentImageFile.name == path.name
            )
        )
        if row is None:
            db.session.add(
                ContentImageFile(course_slug=slug, name=path.name, image_id=image.id, added_at=now)
            )
            report.added.append(relative)
        elif row.image_id != image.id:
            row.image_id, row.added_at, row.added_by_id = image.id, now, None
            report.replaced.append(relative)
    db.session.flush()
    return report


def export_images(folder: Path) -> list[Path]:
    """Write every course's images into `folder` as courses/<slug>/images/<name>: the
    stored bytes, which `sync_image_folder` reads back to the same images."""
    written = []
    rows = db.session.scalars(
        select(ContentImageFile)
        .options(joinedload(ContentImageFile.image).options(undefer(ContentImage.data)))
        .order_by(ContentImageFile.course_slug, ContentImageFile.name)
        .execution_options(yield_per=20)  # bytes of 20 images in memory at a time
    )
    for row in rows:
        target = folder / row.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(row.image.data)
        written.append(target)
    return written
