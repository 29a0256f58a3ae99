"""Courses and quizzes as files kept in the database: the texts `content sync` reads from
the folder, the drafts educators save in the browser, publishing, history and export.

Whatever the source, content reaches the courses, lessons and quizzes one way: its files
are laid out in a folder and read by `load_content` (the validation of `content check`),
then imported by `sync_content`. Publishing from the browser is that same import, of the
published files with one course's drafts in place of theirs."""

import difflib
import hashlib
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.authoring import images
from app.authoring.models import ContentFile, ContentRevision
from app.content import ContentError, load_content
from app.content.errors import Problem
from app.content.loader import LESSON_PREFIX, SLUG, ContentSet
from app.content.markdown import render_markdown
from app.content.quizzes import QuizSource, read_quiz
from app.courses.sync import SyncReport, sync_content
from app.database import exclusive
from app.extensions import db

CERTIFICATIONS = "courses/certifications.yml"


def content_paths(folder: Path) -> list[Path]:
    """Every file `load_content` reads under a content folder."""
    courses = folder / "courses"
    found = [courses / "certifications.yml"] if (courses / "certifications.yml").is_file() else []
    if courses.is_dir():
        found += sorted(courses.glob("*/*.md"))
    found += sorted((folder / "quizzes").glob("*.md"))
    return [path for path in found if not any(part.startswith(".") for part in path.parts[-2:])]


def read_folder(folder: Path) -> dict[str, str]:
    """Path (relative, with /) -> text of every content file; the folder must have passed
    `load_content`, which reports an unreadable file at its path."""
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in content_paths(folder)
    }


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_texts(texts: dict[str, str]) -> ContentSet:
    """`load_content` of these files, laid out in a temporary folder; a problem names the
    file by its path in the content folder (`courses/x/02-y.md`)."""
    with tempfile.TemporaryDirectory(prefix="preceptor-content-") as folder:
        root = Path(folder)
        (root / "courses").mkdir()
        for relative, text in texts.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        try:
            return load_content(root, images.image_sources())
        except ContentError as error:
            raise ContentError(
                [Problem(Path(_relative(p.path, root)), p.line, p.message) for p in error.problems]
            ) from None


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


# --- which course a file belongs to ---------------------------------------------------------


def course_of(path: str, text: str | None) -> str | None:
    """The course a file is part of: its folder, or for a quiz the course it names."""
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "courses" and parts[1] != "practice":
        return parts[1]
    if parts[0] == "quizzes" and text is not None:
        return read_quiz(Path(path), text).course_slug
    return None


def files_of_course(slug: str) -> list[ContentFile]:
    """course.md first, then the lessons in order (as they will be once published), then
    the course's quiz. Files removed from the folder (text and draft None) are left out."""
    rows = db.session.scalars(
        select(ContentFile).where(ContentFile.text.is_not(None) | ContentFile.draft.is_not(None))
    ).all()
    mine = [row for row in rows if course_of(row.path, row.draft or row.text) == slug]
    return sorted(mine, key=_reading_order)


def _reading_order(row: ContentFile) -> tuple:
    path = effective_path(row)
    return (not path.endswith("/course.md"), path.startswith("quizzes/"), path)


def effective_path(row: ContentFile) -> str:
    """Where the file will be once its course is published (a lesson moved is renamed)."""
    return row.draft_path or row.path


def has_draft(row: ContentFile) -> bool:
    return row.draft is not None or row.draft_path is not None or row.draft_removed


def published_texts() -> dict[str, str]:
    rows = db.session.execute(select(ContentFile.path, ContentFile.text)).all()
    return {path: text for path, text in rows if text is not None}


def texts_with_drafts(slug: str) -> dict[str, str]:
    """What publishing course `slug` would import: the published files with that course's
    drafts in place (texts, moves and removals)."""
    texts = published_texts()
    for row in files_of_course(slug):
        if not has_draft(row):
            continue
        texts.pop(row.path, None)
        if not row.draft_removed:
            texts[effective_path(row)] = row.draft if row.draft is not None else row.text
    return texts


def problems_for(slug: str) -> list[Problem]:
    """`content check` of the content as it would be with the course's drafts published."""
    try:
        load_texts(texts_with_drafts(slug))
    except ContentError as error:
        return error.problems
    return []


# --- saving, publishing, restoring ---------------------------------------------------------


class ChangedMeanwhile(Exception):
    """The file was saved by someone else after the editor opened it."""

    def __init__(self, row: ContentFile):
        self.row = row
        super().__init__(row.path)


class CannotPublish(Exception):
    def __init__(self, problems: list[Problem], message: str = ""):
        self.problems = problems
        super().__init__(message or f"{len(problems)} problem(s)")


def _add_revision(
    row: ContentFile, text: str, kind: str, *, number: int, author: User | None, note: str, now
) -> ContentRevision:
    revision = ContentRevision(
        file_id=row.id,
        number=number,
        text=text,
        kind=kind,
        note=note.strip()[:200],
        author_id=author.id if author else None,
        created_at=now,
    )
    db.session.add(revision)
    return revision


def save_draft(
    row: ContentFile, text: str, *, opened: int, author: User, note: str = "", now: datetime
) -> ContentRevision:
    """Keep `text` as the file's draft and as a new revision, unless someone saved the
    file after the editor opened it (`opened`: the revision count it showed)."""
    text = normalise(text)
    moved = db.session.execute(
        update(ContentFile)
        .where(ContentFile.id == row.id, ContentFile.revisions_count == opened)
        .values(revisions_count=opened + 1, draft=text, updated_at=now, updated_by_id=author.id)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        db.session.rollback()
        raise ChangedMeanwhile(db.session.get(ContentFile, row.id))
    revision = _add_revision(row, text, "draft", number=opened, author=author, note=note, now=now)
    db.session.flush()
    db.session.refresh(row)
    return revision


def normalise(text: str) -> str:
    """Browsers send CRLF line ends; files keep LF and end with one newline."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.rstrip("\n") + "\n"


def publish(slug: str, *, author: User, note: str = "", now: datetime) -> SyncReport:
    """Publish every draft of the course at once (a new lesson and its quiz questions go
    together): validated and imported as `content sync` does; refused with the problems."""
    with exclusive("content sync"):
        missing = _missing_course_files()
        if missing:
            message = (
                f"the files of {', '.join(missing)} are not in the database yet: "
                f"run `preceptor content sync` once"
            )
            raise CannotPublish([], message)
        drafts = [row for row in files_of_course(slug) if has_draft(row)]
        if not drafts:
            raise CannotPublish([], "there is no draft to publish")
        try:
            loaded = load_texts(texts_with_drafts(slug))
        except ContentError as error:
            raise CannotPublish(error.problems) from None
        report = sync_content(loaded, now=now)
        for row in drafts:
            _publish_file(row, author=author, note=note, now=now)
        db.session.flush()
    return report


def _publish_file(row: ContentFile, *, author: User, note: str, now: datetime) -> None:
    if row.draft is not None:
        _add_revision(
            row, row.draft, "published", number=row.revisions_count, author=author,
            note=note, now=now,
        )  # fmt: skip
        row.text, row.draft = row.draft, None
        row.revisions_count += 1
    if row.draft_removed:
        row.text, row.draft_removed = None, False  # the row stays: its history, and what
        # the folder held, so that a sync does not bring the file back
    elif row.draft_path is not None:
        _move(row, row.draft_path)
    row.draft_path = None
    row.updated_at, row.updated_by_id = now, author.id


def _move(row: ContentFile, path: str) -> None:
    """Rename a published file. What the folder held at the old path stays known (a
    stand-in row), so a later sync of an unchanged folder does not bring the old name
    back as a second lesson; a stand-in already at the new path gives way."""
    waiting = db.session.scalar(select(ContentFile).where(ContentFile.path == path))
    old_path, old_hash = row.path, row.synced_hash
    row.synced_hash = None
    if waiting is not None:
        row.synced_hash = waiting.synced_hash
        db.session.delete(waiting)
        db.session.flush()
    row.path = path
    db.session.flush()
    if old_hash is not None:
        db.session.add(
            ContentFile(path=old_path, text=None, synced_hash=old_hash, updated_at=row.updated_at)
        )


def _missing_course_files() -> list[str]:
    from app.courses.models import Course

    slugs = db.session.scalars(select(Course.slug).where(Course.archived_at.is_(None))).all()
    have = {
        path.split("/")[1]
        for path in db.session.scalars(
            select(ContentFile.path).where(
                ContentFile.path.like("courses/%/course.md"), ContentFile.text.is_not(None)
            )
        )
    }
    return sorted(set(slugs) - have)


def discard_draft(row: ContentFile, *, author: User, now: datetime) -> None:
    row.draft, row.draft_path, row.draft_removed = None, None, False
    row.updated_at, row.updated_by_id = now, author.id


def restore(
    row: ContentFile, revision: ContentRevision, *, opened: int, author: User, now: datetime
) -> ContentRevision:
    """An earlier text back, as a new draft (published only when someone publishes it)."""
    return save_draft(
        row,
        revision.text,
        opened=opened,
        author=author,
        note=f"restored revision {revision.number + 1}",
        now=now,
    )


def history(row: ContentFile) -> list[ContentRevision]:
    return db.session.scalars(
        select(ContentRevision)
        .where(ContentRevision.file_id == row.id)
        .order_by(ContentRevision.number.desc())
    ).all()


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "same" or "gap"
    old: int | None
    new: int | None
    text: str


def diff(old: str, new: str, context: int = 3) -> list[DiffLine]:
    """The lines that differ, with `context` unchanged lines around each change."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [
                    DiffLine("same", i + 1, j + 1, a[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            lines += [DiffLine("removed", i + 1, None, a[i]) for i in range(i1, i2)]
            lines += [DiffLine("added", None, j + 1, b[j]) for j in range(j1, j2)]
    return lines


# --- the folder and the database --------------------------------------------------------------


@dataclass
class FolderSync:
    """What `content sync` of a folder does with each file."""

    texts: dict[str, str] = field(default_factory=dict)  # imported (files, browser edits)
    from_files: dict[str, str] = field(default_factory=dict)  # read from the folder now
    conflicts: list[str] = field(default_factory=list)  # changed in both places
    kept: list[str] = field(default_factory=list)  # browser edits a sync left alone
    removed: list[str] = field(default_factory=list)  # gone from the folder
    images: "images.ImageFolderSync | None" = None  # what became of courses/*/images/*


def _edited_in_browser(row: ContentFile) -> bool:
    """Changed in the browser since the last sync: a draft, a published edit, or a file
    moved or removed there (no text, but the hash of what the folder held)."""
    if has_draft(row):
        return True
    if row.text is None:
        return row.synced_hash is not None
    return digest(row.text) != row.synced_hash


def plan_folder_sync(files: dict[str, str], *, force: bool = False) -> FolderSync:
    """Per file: one unchanged since the last sync keeps what the browser made of it; one
    changed on disk is imported, unless the browser changed it too (a conflict: the
    browser's text stays, nothing of the file is imported) or `force` (the file wins)."""
    plan = FolderSync()
    rows = {row.path: row for row in db.session.scalars(select(ContentFile))}
    for path, text in files.items():
        row = rows.pop(path, None)
        if row is not None and row.synced_hash == digest(text):
            # The file is as last synced: what the browser made of it stands, a move or
            # removal included.
            if row.text is not None:
                plan.texts[path] = row.text
            if row.text != text:
                plan.kept.append(path)
        elif (
            row is None
            or force
            or not _edited_in_browser(row)
            or (row.draft is None and row.text == text)
        ):
            plan.texts[path] = plan.from_files[path] = text
        else:
            plan.conflicts.append(path)
            if row.text is not None:
                plan.texts[path] = row.text
    for path, row in rows.items():
        if row.text is None:
            continue
        if row.synced_hash is None or (_edited_in_browser(row) and not force):
            if row.synced_hash is not None:
                plan.conflicts.append(path)  # deleted from the folder, edited in the browser
            plan.texts[path] = row.text  # written in the browser: not the folder's to remove
        else:
            plan.removed.append(path)
    return plan


def sync_folder(
    folder: Path, *, force: bool = False, now: datetime
) -> tuple[SyncReport, FolderSync]:
    """`content sync` of a folder that passed `load_content`: its files with the browser's
    edits kept (see plan_folder_sync), imported; ContentError if the two together have
    problems (nothing is imported then)."""
    with exclusive("content sync"):  # a second run waits, then finds nothing to change
        plan = plan_folder_sync(read_folder(folder), force=force)
        plan.images = images.sync_image_folder(folder, now=now)
        loaded = load_texts(plan.texts)
        report = sync_content(loaded, now=now)
        record_folder_sync(plan, now=now)
    return report, plan


def record_folder_sync(plan: FolderSync, *, now: datetime) -> None:
    """After the import: the files' texts as published and as last synced."""
    rows = {row.path: row for row in db.session.scalars(select(ContentFile))}
    for path, text in plan.from_files.items():
        row = rows.get(path)
        if row is None:
            row = ContentFile(path=path, revisions_count=0, updated_at=now)
            db.session.add(row)
            db.session.flush()
        if row.text != text or row.draft is not None:
            _add_revision(row, text, "synced", number=row.revisions_count, author=None,
                          note="read from the folder", now=now)  # fmt: skip
            row.revisions_count += 1
            row.text, row.draft, row.updated_at, row.updated_by_id = text, None, now, None
        row.synced_hash = digest(text)
    for path in plan.removed:
        row = rows[path]
        row.text, row.synced_hash, row.updated_at, row.updated_by_id = None, None, now, None


def export(folder: Path, paths: Iterable[str] | None = None) -> list[Path]:
    """Write the published files into `folder`, laid out as the content folder."""
    written = []
    for path, text in sorted(published_texts().items()):
        if paths is not None and path not in paths:
            continue
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    if paths is None:
        written += images.export_images(folder)
    return written


# --- preview ----------------------------------------------------------------------------------

FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)


@dataclass
class Preview:
    """A file as mentors would see it, rendered by the code that renders the site."""

    html: str = ""  # a lesson's body, a course's overview, a quiz's introduction
    quiz: QuizSource | None = None
    problems: list[Problem] = field(default_factory=list)


def preview(path: str, text: str) -> Preview:
    text = normalise(text)
    slug = course_of(path, text)
    texts = texts_with_drafts(slug) if slug else published_texts()
    texts[path] = text
    try:
        loaded = load_texts(texts)
    except ContentError as error:
        return _rough_preview(path, text, error.problems)
    name = path.rsplit("/", 1)[-1]
    if path.startswith("quizzes/"):
        quiz = next((q for q in loaded.quizzes if q.path.name == name), None)
        return Preview(html=quiz.intro_html if quiz else "", quiz=quiz)
    for course in loaded.courses:
        if course.slug != slug:
            continue
        if name == "course.md":
            return Preview(html=course.overview_html)
        lesson = next((item for item in course.lessons if item.path.name == name), None)
        if lesson is not None:
            return Preview(html=lesson.body_html)
    return Preview()


def _rough_preview(path: str, text: str, problems: list[Problem]) -> Preview:
    """With problems somewhere, still show what can be shown: the Markdown after the front
    matter, or the questions of a quiz that reads on its own."""
    if path.startswith("quizzes/"):
        reading = read_quiz(Path(path), text)
        return Preview(html="", quiz=reading.source, problems=problems)
    if path.endswith(".md"):
        return Preview(html=render_markdown(FRONT_MATTER.sub("", text)), problems=problems)
    return Preview(problems=problems)


# --- the workspace ----------------------------------------------------------------------------


@dataclass
class CourseFiles:
    slug: str
    title: str
    archived: bool
    files: list[ContentFile]

    @property
    def drafts(self) -> list[ContentFile]:
        return [row for row in self.files if has_draft(row)]

    @property
    def last_changed(self) -> ContentFile | None:
        return max(self.files, key=lambda row: row.updated_at, default=None)


def state_of(row: ContentFile) -> str:
    if row.draft_removed:
        return "to be archived"
    if row.text is None:
        return "new, not published"
    if row.draft is not None:
        return "draft waiting"
    if row.draft_path is not None:
        return "moved, not published"
    return "published"


def workspace() -> list[CourseFiles]:
    """Every course with its files (course.md, lessons, quiz) in the order an educator
    reads them: published ones first by catalog order, then any archived."""
    from app.courses.models import Course

    rows = db.session.scalars(
        select(ContentFile)
        .options(selectinload(ContentFile.updated_by))
        .where((ContentFile.text.is_not(None)) | (ContentFile.draft.is_not(None)))
        .order_by(ContentFile.path)
    ).all()
    grouped: dict[str, list[ContentFile]] = {}
    for row in rows:
        slug = course_of(row.path, row.draft or row.text)
        if slug is not None:
            grouped.setdefault(slug, []).append(row)
    courses = {c.slug: c for c in db.session.scalars(select(Course))}
    found = []
    for slug, files in grouped.items():
        course = courses.get(slug)
        files.sort(key=_reading_order)
        found.append(
            CourseFiles(
                slug=slug,
                title=course.title if course else slug,
                archived=bool(course and course.archived_at),
                files=files,
            )
        )
    order = {slug: (c.archived_at is not None, c.position, slug) for slug, c in courses.items()}
    return sorted(found, key=lambda item: order.get(item.slug, (False, 10**6, item.slug)))


# --- courses and lessons: created, moved, archived --------------------------------------------


class CannotChange(Exception):
    """A change to a course's files refused, with the reason for the form."""


def _slugify(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower().encode("ascii", "ignore").decode())
    return "-".join(words)[:60].strip("-") or "lesson"


def front_matter(meta: dict, body: str) -> str:
    dumped = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return normalise(f"---\n{dumped}---\n{body.lstrip(chr(10))}")


def split_front_matter(text: str) -> tuple[dict, str]:
    """The front matter as a mapping (empty when it does not read as one) and the body."""
    match = FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(0)[4:-4]) or {}
    except yaml.YAMLError:
        meta = {}
    return (meta if isinstance(meta, dict) else {}), text[match.end() :]


def _new_file(path: str, text: str, *, author: User, note: str, now: datetime) -> ContentFile:
    row = db.session.scalar(select(ContentFile).where(ContentFile.path == path))
    if row is not None and (row.text is not None or row.draft is not None):
        raise CannotChange(f"{path} exists already")
    if row is None:  # else: a file removed earlier, its history kept, comes back
        row = ContentFile(path=path, revisions_count=0, updated_at=now)
        db.session.add(row)
        db.session.flush()
    save_draft(row, text, opened=row.revisions_count, author=author, note=note, now=now)
    return row


def create_course(
    slug: str, *, title: str, summary: str, author: User, now: datetime
) -> ContentFile:
    """A new course as drafts: its course.md and a first lesson to write."""
    with exclusive("content sync"):  # two educators choosing one address: one gets it
        return _create_course(slug, title=title, summary=summary, author=author, now=now)


def _create_course(
    slug: str, *, title: str, summary: str, author: User, now: datetime
) -> ContentFile:
    if not SLUG.match(slug):
        raise CannotChange("Use lowercase letters, digits and dashes, e.g. difficult-feedback.")
    taken = db.session.scalar(
        select(ContentFile.id).where(ContentFile.path.like(f"courses/{slug}/%"))
    )
    from app.courses.models import Course

    if taken or db.session.scalar(select(Course.id).where(Course.slug == slug)):
        raise CannotChange(f"There is a course '{slug}' already: choose another address.")
    course = _new_file(
        f"courses/{slug}/course.md",
        front_matter({"title": title, "summary": summary}, "What mentors will learn here.\n"),
        author=author, note="new course", now=now,
    )  # fmt: skip
    _add_lesson(slug, "Introduction", author=author, now=now)
    return course


def lessons_of(slug: str) -> list[ContentFile]:
    return [
        row
        for row in files_of_course(slug)
        if row.path.startswith("courses/") and not row.path.endswith("/course.md")
        and not row.draft_removed
    ]  # fmt: skip


def _file_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def add_lesson(slug: str, title: str, *, author: User, now: datetime) -> ContentFile:
    """A new lesson at the end of the course: a draft with its title, to be written."""
    with exclusive("content sync"):  # numbered after the others, one at a time
        return _add_lesson(slug, title, author=author, now=now)


def _add_lesson(slug: str, title: str, *, author: User, now: datetime) -> ContentFile:
    title = title.strip()
    if not title:
        raise CannotChange("Give the lesson a title.")
    lessons = lessons_of(slug)
    taken = {LESSON_PREFIX.sub("", _file_name(effective_path(row)))[:-3] for row in lessons}
    base = lesson_slug = _slugify(title)
    counter = 2
    while lesson_slug in taken:
        lesson_slug, counter = f"{base}-{counter}", counter + 1
    path = f"courses/{slug}/{len(lessons) + 1:02d}-{lesson_slug}.md"
    body = "Write the lesson here: a scenario from clinical training, what to do, and why.\n"
    return _new_file(
        path, front_matter({"title": title, "estimated_minutes": 10}, body), author=author,
        note="new lesson", now=now,
    )  # fmt: skip


def move_lesson(row: ContentFile, step: int, *, author: User, now: datetime) -> None:
    """One place earlier (-1) or later (+1) in the course: the lessons' files numbered
    again in the new order (their slugs, and so addresses and progress, stay)."""
    with exclusive("content sync"):  # the numbering read and written by one at a time
        db.session.refresh(row)
        slug = course_of(row.path, row.draft or row.text)
        lessons = lessons_of(slug)
        index = next(i for i, item in enumerate(lessons) if item.id == row.id)
        target = index + step
        if 0 <= target < len(lessons):
            lessons[index], lessons[target] = lessons[target], lessons[index]
            _number(slug, lessons, author=author, now=now)


def _number(slug: str, lessons: list[ContentFile], *, author: User, now: datetime) -> None:
    for position, item in enumerate(lessons, start=1):
        name = LESSON_PREFIX.sub("", _file_name(effective_path(item)))
        wanted = f"courses/{slug}/{position:02d}-{name}"
        if wanted != effective_path(item):
            item.draft_path = None if wanted == item.path else wanted
            item.updated_at, item.updated_by_id = now, author.id


def archive_lesson(row: ContentFile, *, author: User, now: datetime) -> None:
    """Removed from the course when it is next published; mentors keep their progress on
    it (the lesson is archived, as when its file is deleted)."""
    with exclusive("content sync"):  # the numbering read and written by one at a time
        db.session.refresh(row)
        slug = course_of(row.path, row.draft or row.text)
        if row.text is None:  # never published: nothing to archive, the draft just goes
            row.draft = None
        else:
            row.draft_removed = True
        row.updated_at, row.updated_by_id = now, author.id
        _number(slug, lessons_of(slug), author=author, now=now)


COURSE_FIELDS = ("title", "summary", "order", "estimated_minutes", "quiz")


def course_settings(slug: str) -> tuple[ContentFile | None, dict]:
    row = db.session.scalar(
        select(ContentFile).where(ContentFile.path == f"courses/{slug}/course.md")
    )
    if row is None:
        return None, {}
    meta, _ = split_front_matter(row.draft if row.draft is not None else row.text or "")
    return row, meta


def save_course_settings(
    row: ContentFile, values: dict, *, opened: int, author: User, now: datetime
) -> ContentRevision:
    """The course's front matter from the form; its overview (the body) stays."""
    meta, body = split_front_matter(row.draft if row.draft is not None else row.text or "")
    for key in COURSE_FIELDS:
        if values.get(key) in (None, ""):
            meta.pop(key, None)
        else:
            meta[key] = values[key]
    return save_draft(
        row, front_matter(meta, body), opened=opened, author=author, note="course settings",
        now=now,
    )  # fmt: skip
