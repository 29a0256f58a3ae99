"""Quiz files: front matter, then one `## ` heading per question (see DESIGN.md)."""

import enum
import hashlib
import re
import string
from dataclasses import dataclass, replace
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from app.content.errors import ContentError, Problem
from app.content.frontmatter import Document, Key, not_negative, parse_document, positive
from app.content.markdown import render_inline, render_markdown


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TEXT = "text"


class Reveal(enum.StrEnum):
    AFTER_SUBMIT = "after_submit"
    AFTER_PASS = "after_pass"  # noqa: S105 (not a password)
    NEVER = "never"


def _percent(value: int) -> str | None:
    return None if 1 <= value <= 100 else "must be between 1 and 100"


def _reveal(value: str) -> str | None:
    allowed = ", ".join(r.value for r in Reveal)
    return None if value in {r.value for r in Reveal} else f"must be one of {allowed}"


def _slug(value: str) -> str | None:
    return None if SLUG.match(value) else "must be lowercase letters, digits and dashes"


SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

QUIZ_KEYS = {
    "title": Key(str, required=True),
    "course": Key(str, required=True, check=_slug),
    "pass_percent": Key(int, check=_percent),
    "max_attempts": Key(int, check=positive),
    "attempt_window_days": Key(int, check=positive),
    "cooldown_minutes": Key(int, check=not_negative),
    "time_limit_minutes": Key(int, check=positive),
    "draw": Key(int, check=positive),
    "draw_per_lesson": Key(int, check=positive),
    "shuffle": Key(bool),
    "reveal_answers": Key(str, check=_reveal),
}

# A trailing {...} block; an escaped \\{ in the stem is text, not attributes.
ATTRIBUTES = re.compile(r"^(?P<stem>.*?)\s*(?<!\\)\{(?P<attributes>[^{}]*)\}\s*$", re.DOTALL)
LIST_MARKER = re.compile(r"^\s*[-*+]\s?")
CHECKBOX = re.compile(r"^\[(?P<mark>[ xX])\](?:\s+(?P<text>.*))?$", re.DOTALL)
_BLOCKS = MarkdownIt("commonmark", {"html": False})  # as in rendering: no HTML blocks


@dataclass(frozen=True)
class OptionSource:
    key: str  # a, b, c... in file order; stable while the options keep their order
    html: str
    text: str
    correct: bool


@dataclass(frozen=True)
class QuestionSource:
    key: str
    kind: QuestionKind
    points: int
    stem: str
    stem_html: str
    body_html: str
    options: tuple[OptionSource, ...]
    explanation_html: str
    line: int
    lesson: str | None = None  # the slug of the lesson it assesses

    @property
    def accepted_answers(self) -> tuple[str, ...]:
        return tuple(option.text for option in self.options if option.correct)


@dataclass(frozen=True)
class QuizSource:
    slug: str
    title: str
    course_slug: str
    intro_html: str
    pass_percent: int
    max_attempts: int | None
    attempt_window_days: int | None
    cooldown_minutes: int
    time_limit_minutes: int | None
    draw: int | None
    draw_per_lesson: int | None
    shuffle: bool
    reveal_answers: Reveal
    questions: tuple[QuestionSource, ...]
    content_hash: str
    path: Path
    course_line: int


@dataclass(frozen=True)
class Heading:
    """A question's heading as read, whether or not the rest of the question parsed: the
    pools are counted on these, so a broken question is reported once, as itself."""

    key: str
    line: int  # in the file
    lesson: str | None
    points: int


@dataclass(frozen=True)
class QuizReading:
    """All that could be read of a quiz file, with every problem found in it; the loader
    checks it against the courses even when the file has problems of its own."""

    path: Path
    slug: str
    course_slug: str | None
    course_line: int
    draw_per_lesson: int | None
    headings: tuple[Heading, ...]
    problems: tuple[Problem, ...]
    source: QuizSource | None  # None when it has problems


def slugify(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return words[:60].rstrip("-") or "question"


def unescape_markdown(text: str) -> str:
    """Markdown backslash escapes removed: what a learner would type for `C\\#` is `C#`."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def _option_key(index: int) -> str:
    letters = string.ascii_lowercase
    return letters[index] if index < 26 else f"{letters[index // 26 - 1]}{letters[index % 26]}"


class _QuestionParser:
    """Parses the blocks of one question; problems are collected on the way."""

    def __init__(self, path: Path, lines: list[str], line_offset: int, problems: list[Problem]):
        self.path, self.lines, self.offset, self.problems = path, lines, line_offset, problems

    def problem(self, line_index: int, message: str) -> None:
        self.problems.append(Problem(self.path, line_index + self.offset, message))

    def source(self, start: int, end: int) -> str:
        return "".join(self.lines[start:end])

    def heading(
        self, text: str, line: int
    ) -> tuple[str, str | None, QuestionKind | None, int, str | None]:
        stem, key, kind, points, lesson = text.strip(), None, None, 1, None
        match = ATTRIBUTES.match(stem)
        if not match:
            return stem, key, kind, points, lesson
        stem = match.group("stem").strip()
        for attribute in match.group("attributes").split():
            if attribute.startswith("#") and SLUG.match(attribute[1:]):
                key = attribute[1:]
            elif attribute.startswith(".") and attribute[1:] in {k.value for k in QuestionKind}:
                kind = QuestionKind(attribute[1:])
            elif attribute.startswith("points="):
                value = attribute.removeprefix("points=")
                if value.isdigit() and int(value) > 0:
                    points = int(value)
                else:
                    self.problem(line, f"points must be a whole number above 0, not '{value}'")
            elif attribute.startswith("lesson="):
                value = attribute.removeprefix("lesson=")
                if SLUG.match(value):
                    lesson = value
                else:
                    self.problem(line, f"lesson= must name a lesson's slug, not '{value}'")
            else:
                self.problem(
                    line,
                    f"unknown question attribute '{attribute}' "
                    "(use #id, .single, .multiple, .text, points=N or lesson=<slug>)",
                )
        return stem, key, kind, points, lesson

    def options(self, items: list[tuple[int, int]]) -> list[tuple[str, bool, int]]:
        parsed = []
        for start, end in items:
            raw = LIST_MARKER.sub("", self.source(start, end), count=1).strip()
            raw = re.sub(r"\n\s+", "\n", raw)
            match = CHECKBOX.match(raw)
            if not match or not (match.group("text") or "").strip():
                self.problem(
                    start, "each option must start with '[ ] ' or '[x] ' followed by its text"
                )
                continue
            parsed.append((match.group("text").strip(), match.group("mark") != " ", start))
        return parsed


def _top_level_blocks(tokens: list[Token]) -> list[Token]:
    return [t for t in tokens if t.level == 0 and t.map is not None and t.nesting != -1]


def _list_items(tokens: list[Token], list_token: Token) -> list[tuple[int, int]]:
    start = tokens.index(list_token)
    items = []
    for token in tokens[start + 1 :]:
        if token.type == "bullet_list_close" and token.level == 0:
            break
        if token.type == "list_item_open" and token.level == 1 and token.map:
            items.append((token.map[0], token.map[1]))
    return items


def _kind_problem(kind: QuestionKind, correct: int) -> str | None:
    if kind is QuestionKind.SINGLE and correct != 1:
        return f"a .single question needs exactly one correct option marked [x], not {correct}"
    if kind in (QuestionKind.MULTIPLE, QuestionKind.TEXT) and correct == 0:
        return f"a .{kind.value} question needs at least one option marked [x]"
    return None


def _parse_questions(
    path: Path, body: str, body_line: int, problems: list[Problem]
) -> tuple[str, list[QuestionSource], list[Heading]]:
    lines = body.splitlines(keepends=True)
    parser = _QuestionParser(path, lines, body_line, problems)
    tokens = _BLOCKS.parse(body)
    blocks = _top_level_blocks(tokens)
    headings = [i for i, t in enumerate(blocks) if t.type == "heading_open" and t.tag == "h2"]
    intro_end = blocks[headings[0]].map[0] if headings else len(lines)
    intro_html = render_markdown(parser.source(0, intro_end))
    questions: list[QuestionSource] = []
    read: list[Heading] = []
    seen: dict[str, int] = {}
    for number, heading_index in enumerate(headings):
        heading = blocks[heading_index]
        line = heading.map[0]
        following = blocks[
            heading_index + 1 : headings[number + 1] if number + 1 < len(headings) else len(blocks)
        ]
        inline = tokens[tokens.index(heading) + 1]
        stem, key, kind, points, lesson = parser.heading(inline.content, line)
        if not stem:
            parser.problem(line, "a question needs text in its heading")
            continue
        key = key or slugify(stem)
        if key in seen:
            parser.problem(
                line, f"duplicate question id '{key}' (also line {seen[key] + body_line})"
            )
            continue
        seen[key] = line
        read.append(Heading(key, line + body_line, lesson, points))
        question = _parse_question(parser, tokens, following, stem, key, kind, points, line)
        if question:
            questions.append(replace(question, lesson=lesson))
    return intro_html, questions, read


def _parse_question(parser, tokens, blocks, stem, key, kind, points, line) -> QuestionSource | None:
    list_at = next(
        (i for i, b in enumerate(blocks) if b.type in ("bullet_list_open", "ordered_list_open")),
        None,
    )
    if list_at is None:
        parser.problem(line, f"question '{key}' has no options: add a list of '- [ ] ...' lines")
        return None
    option_list = blocks[list_at]
    if option_list.type == "ordered_list_open":
        parser.problem(
            option_list.map[0], "options must be a bulleted list ('- [x] ...'), not a numbered one"
        )
        return None
    body_end = option_list.map[0]
    body_html = render_markdown(parser.source(line + 1, body_end)) if list_at else ""
    explanation_html = ""
    for extra in blocks[list_at + 1 :]:
        if extra.type == "blockquote_open" and not explanation_html:
            quote = parser.source(extra.map[0], extra.map[1])
            explanation_html = render_markdown(re.sub(r"(?m)^\s{0,3}> ?", "", quote))
        else:
            parser.problem(
                extra.map[0], "only a block quote (the explanation) may follow the options"
            )
            return None
    options = parser.options(_list_items(tokens, option_list))
    if not options:
        return None
    correct = sum(1 for _, is_correct, _ in options if is_correct)
    kind = kind or (QuestionKind.SINGLE if correct == 1 else QuestionKind.MULTIPLE)
    if kind is QuestionKind.TEXT and correct != len(options):
        parser.problem(
            line, "every item of a .text question is an accepted answer: mark each one [x]"
        )
        return None
    if problem := _kind_problem(kind, correct):
        parser.problem(line, problem)
        return None
    return QuestionSource(
        key=key,
        kind=kind,
        points=points,
        stem=stem,
        stem_html=render_inline(stem),
        body_html=body_html,
        options=tuple(
            OptionSource(_option_key(i), render_inline(text), unescape_markdown(text), is_correct)
            for i, (text, is_correct, _) in enumerate(options)
        ),
        explanation_html=explanation_html,
        line=line + parser.offset,
    )


def parse_quiz(path: Path, text: str) -> QuizSource:
    """One quiz file; ContentError lists every problem in it, each at its line."""
    reading = read_quiz(path, text)
    if reading.source is None:
        raise ContentError(list(reading.problems))
    return reading.source


def _whole_number(meta: dict, key: str) -> int | None:
    value = meta.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _draw_problems(path: Path, document: Document, headings: list[Heading]) -> list[Problem]:
    """The draw against the questions there are: counted on every question heading, so
    that a question with problems of its own does not also shrink its pool."""
    meta, problems = document.meta, []
    draw, per_lesson = _whole_number(meta, "draw"), _whole_number(meta, "draw_per_lesson")
    if "draw" in meta and "draw_per_lesson" in meta:
        problems.append(
            Problem(
                path,
                document.line_of("draw_per_lesson"),
                "use draw or draw_per_lesson, not both",
            )
        )
    elif draw and headings and draw > len(headings):
        problems.append(
            Problem(
                path,
                document.line_of("draw"),
                f"draw is {draw} but the quiz has only {len(headings)} questions",
            )
        )
    if not per_lesson:
        return problems
    pools: dict[str, list[Heading]] = {}
    for heading in headings:
        if heading.lesson is None:
            problems.append(
                Problem(
                    path,
                    heading.line,
                    f"question '{heading.key}' names no lesson: with draw_per_lesson every "
                    "question needs lesson=<slug> in its {...} block",
                )
            )
        else:
            pools.setdefault(heading.lesson, []).append(heading)
    for lesson, pool in pools.items():
        if len(pool) < per_lesson:
            problems.append(
                Problem(
                    path,
                    pool[0].line,
                    f"lesson '{lesson}' has {len(pool)} question{'s' * (len(pool) != 1)} but "
                    f"draw_per_lesson is {per_lesson}",
                )
            )
        first = pool[0]
        for heading in pool[1:]:
            if heading.points != first.points:
                problems.append(
                    Problem(
                        path,
                        heading.line,
                        f"question '{heading.key}' is worth {heading.points} points but "
                        f"'{first.key}' (line {first.line}), of the same lesson's pool, "
                        f"{first.points}: every drawn form must carry the same total",
                    )
                )
    return problems


def read_quiz(path: Path, text: str) -> QuizReading:
    """One quiz file, read as far as it can be, with every problem in it."""
    problems: list[Problem] = []
    slug = path.stem
    if not SLUG.match(slug):
        problems.append(
            Problem(path, 1, f"quiz file name '{path.name}' must be like 'communication.md'")
        )
    document = parse_document(path, text, QUIZ_KEYS)
    problems += document.problems
    intro_html, questions, headings = _parse_questions(
        path, document.body, document.body_line, problems
    )
    if not headings and not problems:
        problems.append(
            Problem(path, document.body_line, "the quiz has no questions: add '## ' headings")
        )
    problems += _draw_problems(path, document, headings)
    problems.sort(key=lambda problem: problem.line)
    meta = document.meta
    course = meta.get("course") if isinstance(meta.get("course"), str) else None
    source = None
    if not problems:
        source = QuizSource(
            slug=slug,
            title=meta["title"].strip(),
            course_slug=meta["course"],
            intro_html=intro_html,
            pass_percent=meta.get("pass_percent", 80),
            max_attempts=meta.get("max_attempts"),
            attempt_window_days=meta.get("attempt_window_days"),
            cooldown_minutes=meta.get("cooldown_minutes", 0),
            time_limit_minutes=meta.get("time_limit_minutes"),
            draw=meta.get("draw"),
            draw_per_lesson=meta.get("draw_per_lesson"),
            shuffle=meta.get("shuffle", True),
            reveal_answers=Reveal(meta.get("reveal_answers", Reveal.AFTER_PASS.value)),
            questions=tuple(questions),
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
            path=path,
            course_line=document.line_of("course"),
        )
    return QuizReading(
        path=path,
        slug=slug,
        course_slug=course,
        course_line=document.line_of("course"),
        draw_per_lesson=_whole_number(meta, "draw_per_lesson"),
        headings=tuple(headings),
        problems=tuple(problems),
        source=source,
    )
