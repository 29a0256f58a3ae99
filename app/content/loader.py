"""Read courses/ (and certifications.yml) into frozen objects, or report every problem."""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import yaml

from app.content.errors import ContentError, Problem
from app.content.frontmatter import (
    Key,
    check_mapping,
    mapping_lines,
    not_blank,
    not_negative,
    parse_document,
    positive,
)
from app.content.markdown import images_without_alt, render_markdown, unknown_callouts
from app.content.practice import (
    PRACTICE_FOLDER,
    PracticeSource,
    Rubric,
    load_rubrics,
    read_practice,
)
from app.content.quizzes import QuizReading, QuizSource, read_quiz

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LESSON_PREFIX = re.compile(r"^\d+-")

# (course slug, file name in courses/<slug>/images/) -> the src the rendered HTML uses.
ImageSource = Callable[[str, str], str]


def course_image_url(course_slug: str, name: str) -> str:
    """Where the site serves courses/<slug>/images/<name> (the route courses.serve_image):
    what a lesson's `![...](images/<name>)` points at once rendered."""
    return f"/courses/{quote(course_slug)}/images/{quote(name, safe='')}"


def _slug_check(value: str) -> str | None:
    return None if SLUG.match(value) else "must be lowercase letters, digits and dashes"


def _short(limit: int):
    def check(value: str) -> str | None:
        return not_blank(value) or (
            None if len(value) <= limit else f"must be at most {limit} characters"
        )

    return check


COURSE_KEYS = {
    "title": Key(str, required=True, check=_short(200)),
    "summary": Key(str, required=True, check=_short(500)),
    "order": Key(int),
    "estimated_minutes": Key(int, check=positive),
    "quiz": Key(str, check=_slug_check),
}
LESSON_KEYS = {
    "title": Key(str, required=True, check=_short(200)),
    "estimated_minutes": Key(int, check=positive),
    "workbook": Key(bool),  # the page offers the learner a private writing box
}
CERTIFICATION_KEYS = {
    "id": Key(str, required=True, check=_slug_check),
    "title": Key(str, required=True, check=_short(200)),
    "courses": Key(list, required=True),
    "valid_for_months": Key(int, check=positive),
    "renewal_window_days": Key(int, check=not_negative),
    "practice": Key(list),  # observed practice items (app.content.practice)
}


@dataclass(frozen=True)
class LessonSource:
    slug: str
    title: str
    position: int
    estimated_minutes: int | None
    body_html: str
    content_hash: str
    path: Path
    workbook: bool = False


@dataclass(frozen=True)
class CourseSource:
    slug: str
    title: str
    summary: str
    position: int
    estimated_minutes: int | None
    quiz_id: str | None
    overview_html: str
    content_hash: str
    lessons: tuple[LessonSource, ...]
    path: Path
    quiz_line: int = 1


@dataclass(frozen=True)
class CertificationSource:
    slug: str
    title: str
    course_slugs: tuple[str, ...]
    valid_for_months: int | None
    renewal_window_days: int | None
    practice: tuple[PracticeSource, ...] = ()


@dataclass(frozen=True)
class ContentSet:
    courses: tuple[CourseSource, ...]
    certifications: tuple[CertificationSource, ...]
    quizzes: tuple[QuizSource, ...] = ()


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def lesson_slug(path: Path) -> str:
    return LESSON_PREFIX.sub("", path.stem)


def _read(path: Path, problems: list[Problem]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(path, 1, "file is not UTF-8 text"))
    except OSError as error:
        problems.append(Problem(path, 1, f"cannot read file: {error.strerror}"))
    return None


def _markdown_problems(path: Path, body: str, body_line: int) -> list[Problem]:
    callouts = [
        Problem(
            path, body_line + index, f"unknown callout '{name}' (use note, tip, warning or reflect)"
        )
        for index, name in unknown_callouts(body)
    ]
    images = [
        Problem(path, body_line + index, "image without alt text: describe what it shows")
        for index in images_without_alt(body)
    ]
    return sorted(callouts + images, key=lambda problem: problem.line)


def _load_lesson(
    path: Path, position: int, problems: list[Problem], image_src: ImageSource
) -> LessonSource | None:
    text = _read(path, problems)
    if text is None:
        return None
    document = parse_document(path, text, LESSON_KEYS)
    problems += document.problems
    slug = lesson_slug(path)
    if not SLUG.match(slug):
        problems.append(
            Problem(
                path, 1, f"lesson file name '{path.name}' must be like '01-active-listening.md'"
            )
        )
    if not document.body.strip() and not document.problems:
        problems.append(
            Problem(path, document.body_line, "lesson has no text after the front matter")
        )
    problems += _markdown_problems(path, document.body, document.body_line)
    if document.problems:
        return None
    meta = document.meta
    course_slug = path.parent.name
    body_html = render_markdown(document.body, lambda name: image_src(course_slug, name))
    return LessonSource(
        slug=slug,
        title=meta["title"].strip(),
        position=position,
        estimated_minutes=meta.get("estimated_minutes"),
        body_html=body_html,
        content_hash=_digest(
            meta["title"], meta.get("estimated_minutes"), body_html, meta.get("workbook", False)
        ),
        path=path,
        workbook=meta.get("workbook", False),
    )


def _load_course(
    folder: Path, problems: list[Problem], image_src: ImageSource
) -> CourseSource | None:
    course_file = folder / "course.md"
    if not SLUG.match(folder.name):
        problems.append(
            Problem(
                folder,
                1,
                f"course folder '{folder.name}' must be lowercase letters, digits and dashes",
            )
        )
        return None
    if not course_file.is_file():
        problems.append(
            Problem(course_file, 1, "missing course.md (title, summary and overview of the course)")
        )
        return None
    text = _read(course_file, problems)
    if text is None:
        return None
    document = parse_document(course_file, text, COURSE_KEYS)
    problems += document.problems
    problems += _markdown_problems(course_file, document.body, document.body_line)

    lessons: list[LessonSource] = []
    seen: dict[str, Path] = {}
    lesson_files = sorted(p for p in folder.glob("*.md") if p.name != "course.md")
    for position, path in enumerate(lesson_files, start=1):
        slug = lesson_slug(path)
        if slug in seen:
            problems.append(
                Problem(path, 1, f"duplicate lesson slug '{slug}' (also {seen[slug].name})")
            )
            continue
        seen[slug] = path
        lesson = _load_lesson(path, position, problems, image_src)
        if lesson:
            lessons.append(lesson)
    if not lesson_files:
        problems.append(
            Problem(course_file, 1, "course has no lessons: add a file like 01-introduction.md")
        )
    if document.problems:
        return None
    meta = document.meta
    overview_html = render_markdown(document.body, lambda name: image_src(folder.name, name))
    return CourseSource(
        slug=folder.name,
        title=meta["title"].strip(),
        summary=meta["summary"].strip(),
        position=meta.get("order", 0),
        estimated_minutes=meta.get("estimated_minutes"),
        quiz_id=meta.get("quiz"),
        overview_html=overview_html,
        content_hash=_digest(sorted(meta.items()), overview_html),
        lessons=tuple(lessons),
        path=folder,
        quiz_line=document.line_of("quiz"),
    )


def _load_certifications(
    path: Path,
    course_slugs: set[str],
    problems: list[Problem],
    rubrics: dict[str, Rubric | None] | None = None,
) -> list[CertificationSource]:
    text = _read(path, problems) if path.exists() else None
    if text is None:
        return []
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reason = getattr(error, "problem", None) or "invalid YAML"
        problems.append(Problem(path, mark.line + 1 if mark else 1, f"not valid YAML: {reason}"))
        return []
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode) or not isinstance(data, list):
        problems.append(Problem(path, 1, "must be a list of certifications ('- id: ...')"))
        return []
    certifications, seen = [], set()
    practice_ids: dict[str, int] = {}
    for item_node, item in zip(node.value, data, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item_node, yaml.MappingNode) or not isinstance(item, dict):
            problems.append(Problem(path, line, "each certification must be 'key: value' lines"))
            continue
        lines, duplicates = mapping_lines(item_node, offset=1)
        problems.extend(Problem(path, ln, f"key '{key}' is given twice") for key, ln in duplicates)
        found = check_mapping(path, item, lines, CERTIFICATION_KEYS, fallback_line=line)
        found += _certification_course_problems(path, item, item_node, lines, course_slugs)
        practice_node = next(
            (v for k, v in reversed(item_node.value) if k.value == "practice"), None
        )
        practice, practice_problems = read_practice(
            path, item.get("practice"), practice_node, rubrics or {}, practice_ids
        )
        found += practice_problems
        if not found and item["id"] in seen:
            found.append(Problem(path, lines["id"], f"duplicate certification id '{item['id']}'"))
        problems += found
        if found:
            continue
        seen.add(item["id"])
        certifications.append(
            CertificationSource(
                slug=item["id"],
                title=item["title"].strip(),
                course_slugs=tuple(item["courses"]),
                valid_for_months=item.get("valid_for_months"),
                renewal_window_days=item.get("renewal_window_days"),
                practice=tuple(practice),
            )
        )
    return certifications


def _certification_course_problems(
    path: Path,
    item: dict,
    item_node: yaml.MappingNode,
    lines: dict[str, int],
    course_slugs: set[str],
) -> list[Problem]:
    slugs = item.get("courses")
    if not isinstance(slugs, list):
        return []
    if not slugs:
        return [Problem(path, lines["courses"], "'courses' must name at least one course")]
    courses_node = next(value for key, value in item_node.value if key.value == "courses")
    problems = []
    for index, slug in enumerate(slugs):
        entry_line = courses_node.value[index].start_mark.line + 1
        if not isinstance(slug, str) or slug not in course_slugs:
            problems.append(
                Problem(
                    path, entry_line, f"unknown course '{slug}' in certification '{item.get('id')}'"
                )
            )
    return problems


def load_content(content_dir: Path, image_src: ImageSource = course_image_url) -> ContentSet:
    """Every course and certification under content_dir; ContentError lists all problems.
    `image_src` gives the address of a course's image (the app's adds its version)."""
    problems: list[Problem] = []
    courses_dir = content_dir / "courses"
    if not courses_dir.is_dir():
        raise ContentError([Problem(courses_dir, 1, "no courses/ folder here")])
    folders = sorted(
        p
        for p in courses_dir.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name != PRACTICE_FOLDER
    )
    courses = [c for folder in folders if (c := _load_course(folder, problems, image_src))]
    all_slugs = {folder.name for folder in folders}
    rubrics = load_rubrics(courses_dir / PRACTICE_FOLDER, problems)
    certifications = _load_certifications(
        courses_dir / "certifications.yml", all_slugs, problems, rubrics
    )
    readings = _read_quizzes(content_dir / "quizzes", problems)
    problems += _link_problems(courses, readings, all_slugs, _lesson_files(folders))
    quizzes = [reading.source for reading in readings if reading.source]
    if problems:
        raise ContentError(problems)
    ordered = sorted(courses, key=lambda c: (c.position, c.slug))
    return ContentSet(
        courses=tuple(ordered), certifications=tuple(certifications), quizzes=tuple(quizzes)
    )


def _read_quizzes(folder: Path, problems: list[Problem]) -> list[QuizReading]:
    readings = []
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        text = _read(path, problems)
        if text is None:
            continue
        reading = read_quiz(path, text)
        problems += reading.problems
        readings.append(reading)
    return readings


def _lesson_files(folders: list[Path]) -> dict[str, list[str]]:
    """Each course folder's lesson slugs by file, those that do not load included: a quiz
    naming a lesson whose own file has a problem is not a second problem."""
    return {
        folder.name: [lesson_slug(p) for p in sorted(folder.glob("*.md")) if p.name != "course.md"]
        for folder in folders
    }


def _link_problems(
    courses: list[CourseSource],
    readings: list[QuizReading],
    course_slugs: set[str],
    lessons_of: dict[str, list[str]],
) -> list[Problem]:
    """A course's quiz must exist and a quiz's course must exist and name it back; a
    quiz's lesson= must name a lesson of its course. A quiz file with problems of its
    own is still checked here, so that no problem waits behind another."""
    problems = []
    by_slug = {reading.slug: reading for reading in readings}
    for course in courses:
        if course.quiz_id and course.quiz_id not in by_slug:
            message = f"quiz '{course.quiz_id}' does not exist: add quizzes/{course.quiz_id}.md"
            problems.append(Problem(course.path / "course.md", course.quiz_line, message))
    quiz_of_course = {course.slug: course.quiz_id for course in courses}
    for quiz in readings:
        path = quiz.path
        if quiz.course_slug is None:
            continue  # its front matter's own problem is reported already
        if quiz.course_slug not in course_slugs:
            problems.append(
                Problem(path, quiz.course_line, f"course '{quiz.course_slug}' does not exist")
            )
            continue
        if quiz_of_course.get(quiz.course_slug, quiz.slug) != quiz.slug:
            message = (
                f"course '{quiz.course_slug}' does not name this quiz: "
                f"add 'quiz: {quiz.slug}' to its course.md"
            )
            problems.append(Problem(path, quiz.course_line, message))
        if quiz.course_slug in lessons_of:
            problems += _lesson_problems(quiz, path, lessons_of[quiz.course_slug])
    return problems


def _lesson_problems(quiz: QuizReading, path: Path, lessons: list[str]) -> list[Problem]:
    problems = []
    named = set()
    for heading in quiz.headings:
        if heading.lesson is None:
            continue
        named.add(heading.lesson)
        if heading.lesson not in lessons:
            problems.append(
                Problem(
                    path,
                    heading.line,
                    f"lesson '{heading.lesson}' is not a lesson of course '{quiz.course_slug}' "
                    f"(its lessons: {', '.join(lessons)})",
                )
            )
    if quiz.draw_per_lesson:
        for lesson in lessons:
            if lesson not in named:
                problems.append(
                    Problem(
                        path,
                        quiz.course_line,
                        f"lesson '{lesson}' of course '{quiz.course_slug}' has no questions: "
                        f"with draw_per_lesson each lesson needs at least {quiz.draw_per_lesson}",
                    )
                )
    return problems
