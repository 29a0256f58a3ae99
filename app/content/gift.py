"""Moodle GIFT -> our quiz Markdown (DESIGN.md, "Quizzes"). Pure: no Flask, no database.

The GIFT reading follows Moodle's own importer (qformat_gift) wherever it is defined:

- Questions are separated by blank lines; lines starting with `//` are comments and are
  dropped (they do not end a question). A `$CATEGORY:` line is ignored, unless the quiz
  is drawn per lesson: then it names the lesson of the questions after it (until the
  next), its last path segment as a slug (`$CATEGORY: $course$/Communication/Reflective
  listening` -> `lesson=reflective-listening`). Unlike Moodle, a question written on the
  lines right after it is still read.
- `::Name::` names a question; the name (slugified) is its id, else a slug of the stem.
  Ids are made unique with -2, -3...
- `[html]`, `[markdown]`, `[plain]`, `[moodle]` at the start of a text set its format;
  answers and feedback default to the question's format. HTML is reduced to plain text
  (tags dropped, paragraphs and line breaks kept, entities decoded; our Markdown renders
  no raw HTML), plain and Moodle auto-format text is escaped so it shows as written,
  Markdown is kept (with block markers that would break a quiz file escaped).
- Escapes `\\~ \\= \\# \\{ \\} \\: \\n` (and `\\\\` for a backslash) are honoured.
- The type comes from the answer block as in Moodle: `{}` essay, `{#...}` numerical, any
  `~` multiple choice, `=` with `->` matching, `T`/`TRUE`/`F`/`FALSE` (upper case, as in
  Moodle) true/false, anything else short answer.

What becomes what:

- Multiple choice with one `=`: `.single`. Options with a partial positive weight
  (`~%50%...`) are counted wrong and reported as a note.
- Multiple choice with more than one fully right answer (`{=a =b ~c}`, or `=` plus
  `~%100%`): Moodle makes it a one-choice question in which ANY of those answers earns
  full marks. A `.single` question has exactly one right option and turning it into
  `.multiple` would demand all of them, so it is skipped and reported instead.
- Multiple choice without `=` (`{~%50%A ~%50%B ~%-100%C}`): Moodle's multiple-answer
  type -> `.multiple`, the options with a positive weight correct. Our grading is all
  or nothing, so Moodle's partial credit is not kept.
- True/false -> `.single` with the options True and False. Moodle shows the first
  `#feedback` for the wrong choice and the second for the right one; both are kept.
- Short answer (`{=a =b}`) -> `.text`; the answers worth 100% are the accepted ones.
  Answers with partial credit are dropped (reported as a note).
- Feedback: the general `####feedback` and each answer's `#feedback` become the
  explanation block quote: the general feedback, then an "Option: feedback" list.
- Skipped and reported with the line where the question starts: matching, numerical,
  missing word (text after the answer block), essay, description (no answer block),
  and anything that does not parse (unbalanced braces, fewer than two choices, no
  right answer, an empty answer).

Writing our format: the question's heading holds the first line of the stem, the other
lines become the Markdown body between heading and options; every heading ends with an
explicit `{#id .kind}` block, so a brace in the stem is never read as attributes. Plain
text is backslash-escaped only where escaping changes what is shown ("called ___" stays
as written). The accepted answers of a `.text` question are written verbatim: grading
compares the option's source text with what the learner types.

Every converted question is parsed back with our quiz parser and checked (id, type,
options, right answers, stem), so the Markdown produced always loads; a question that
fails the check is skipped, never written half right.
"""

import html
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from app.content.errors import ContentError
from app.content.markdown import render_inline, render_markdown
from app.content.quizzes import SLUG, QuestionKind, parse_quiz, slugify, unescape_markdown

__all__ = ["GiftConversion", "convert_gift"]


@dataclass(frozen=True)
class GiftConversion:
    markdown: str  # a complete quiz file: front matter (title, course), then the questions
    skipped: list[tuple[int, str]]  # (line where the question starts, reason)
    notes: list[tuple[int, str]] = field(default_factory=list)  # converted, with a loss
    question_ids: list[str] = field(default_factory=list)


# --- GIFT escapes -------------------------------------------------------------------------

# Escaped characters become private-use placeholders while the GIFT syntax is read.
_PLACEHOLDER = {
    ":": "\ue000",
    "#": "\ue001",
    "=": "\ue002",
    "{": "\ue003",
    "}": "\ue004",
    "~": "\ue005",
    "n": "\ue006",
    "\\": "\ue007",
}
_RESTORE = {v: ("\n" if k == "n" else k) for k, v in _PLACEHOLDER.items()}
_PLACEHOLDERS = re.compile("[\ue000-\ue007]")
_ESCAPE = re.compile(r"\\([\\:#={}~n])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _protect(text: str) -> str:
    text = _PLACEHOLDERS.sub("\ufffd", text)  # a stray placeholder must not turn into syntax
    return _ESCAPE.sub(lambda m: _PLACEHOLDER[m.group(1)], text)


def _restore(text: str) -> str:
    return _PLACEHOLDERS.sub(lambda m: _RESTORE[m.group(0)], text)


# --- Reading GIFT ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    """Text of one part of a question: plain (shown as written) or Markdown source."""

    source: str
    markdown: bool = False

    def paragraphs(self) -> list[list[str]]:
        found: list[list[str]] = [[]]
        for line in self.source.split("\n"):
            words = line.split()
            if words:
                found[-1].append(" ".join(words))
            elif found[-1]:
                found.append([])
        return [p for p in found if p]

    def one_line(self) -> str:
        return " ".join(line for paragraph in self.paragraphs() for line in paragraph)

    def __bool__(self) -> bool:
        return bool(self.one_line())


@dataclass(frozen=True)
class _Option:
    text: _Text
    correct: bool
    feedback: _Text


@dataclass
class _Draft:
    name: str
    kind: QuestionKind
    stem: _Text
    options: list[_Option]
    general: _Text
    notes: list[str] = field(default_factory=list)
    extra_feedback: list[_Option] = field(default_factory=list)  # answers not kept


class _Skip(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_FORMAT = re.compile(r"^\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d*)?)%")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


def category_lesson(line: str) -> str | None:
    """The lesson a `$CATEGORY:` line names: its last path segment, as a slug."""
    path = line.removeprefix("$CATEGORY:").strip()
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return _ascii_slug(last) or None


def _chunks(text: str) -> list[tuple[int, list[str], str | None]]:
    """(line number of the first line, lines, lesson) of each question; comments dropped."""
    chunks: list[tuple[int, list[str], str | None]] = []
    current: list[tuple[int, str]] = []
    lesson: str | None = None

    def close() -> None:
        nonlocal lesson
        lines = list(current)
        current.clear()
        while lines and lines[0][1].startswith("$CATEGORY:"):
            lesson = category_lesson(lines.pop(0)[1])
        if lines:
            chunks.append((lines[0][0], [line for _, line in lines], lesson))

    for number, raw in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        line = raw.strip()
        if not line:
            close()
        elif not line.startswith("//"):
            current.append((number, line))
    close()
    return chunks


def _html_to_text(source: str) -> str:
    text = re.sub(r"\s+", " ", source)
    text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", "", text)
    text = re.sub(r"(?s)<!--.*?-->", "", text)
    text = re.sub(r"(?i)<br\s*/?>", "\n", text)
    text = re.sub(
        r"(?i)</?(?:p|div|h[1-6]|ul|ol|table|blockquote|pre|section|article)\b[^<>]*>",
        "\n\n",
        text,
    )
    text = re.sub(r"(?i)</?(?:li|tr|dt|dd)\b[^<>]*>", "\n", text)
    text = re.sub(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>", "", text)
    return html.unescape(text).replace("\xa0", " ")


def _format(raw: str, default: str) -> tuple[str, str]:
    """(format, text without its [format] marker)."""
    raw = raw.strip()
    if match := _FORMAT.match(raw):
        return match.group(1).lower(), raw[match.end() :]
    return default, raw


def _text(raw: str, default: str, notes: list[str]) -> _Text:
    """One text of the question; `raw` still holds the escape placeholders."""
    text_format, raw = _format(raw, default)
    value = _restore(raw)
    if text_format == "html":
        if re.search(r"(?i)<img\b", value):
            notes.append("an image in the HTML was dropped")
        return _Text(_html_to_text(value))
    return _Text(value, markdown=text_format == "markdown")


def _split_feedback(raw: str) -> tuple[str, str]:
    text, _, feedback = raw.partition("#")
    return text, feedback


def _weight(raw: str, default: float) -> tuple[float, str]:
    raw = raw.strip()
    if match := _WEIGHT.match(raw):
        return float(match.group(1)), raw[match.end() :]
    return default, raw


def _label(text: _Text) -> str:
    label = text.one_line()
    return label if len(label) <= 40 else label[:39] + "…"


def _multiple_choice(
    answer: str, text_format: str, notes: list[str]
) -> tuple[QuestionKind, list[_Option]]:
    pieces = re.split(r"([~=])", answer)
    items = [("~", pieces[0])] if pieces[0].strip() else []
    items += list(zip(pieces[1::2], pieces[2::2], strict=True))
    if len(items) < 2:
        raise _Skip("a multiple-choice question needs at least two answers")
    single = any(marker == "=" for marker, _ in items)
    parsed = []
    for marker, raw in items:
        weight, rest = _weight(raw, 100.0 if marker == "=" else 0.0)
        text, feedback = _split_feedback(rest)
        option_text = _text(text, text_format, notes)
        if not option_text:
            raise _Skip("an answer has no text")
        parsed.append((option_text, weight, _text(feedback, text_format, notes)))
    if single:
        correct = [weight >= 100 for _, weight, _ in parsed]
        if sum(correct) > 1:
            raise _Skip(
                f"multiple choice with {sum(correct)} fully right answers: Moodle accepts any "
                "one of them, which a .single question cannot express (keep one '=', or use "
                "~%50% weights for a multiple-answer question)"
            )
        if not any(correct):
            raise _Skip("multiple choice with no answer worth 100%")
        for text, weight, _ in parsed:
            if 0 < weight < 100:
                notes.append(f"partial credit for '{_label(text)}' dropped: it counts as wrong")
        kind = QuestionKind.SINGLE
    else:
        correct = [weight > 0 for _, weight, _ in parsed]
        if not any(correct):
            raise _Skip(
                "multiple choice with no right answer: mark it with '=', or give the right "
                "ones a positive weight like ~%50%"
            )
        kind = QuestionKind.MULTIPLE
    options = [
        _Option(text, is_correct, feedback)
        for (text, _, feedback), is_correct in zip(parsed, correct, strict=True)
    ]
    return kind, options


def _true_false(
    answer: str, text_format: str, notes: list[str]
) -> tuple[QuestionKind, list[_Option]]:
    head, *feedback = answer.split("#", 2)
    truth = _TRUE_FALSE[head.strip()]
    wrong = _text(feedback[0], text_format, notes) if feedback else _Text("")
    right = _text(feedback[1], text_format, notes) if len(feedback) > 1 else _Text("")
    return QuestionKind.SINGLE, [
        _Option(_Text("True"), truth, right if truth else wrong),
        _Option(_Text("False"), not truth, wrong if truth else right),
    ]


def _short_answer(
    answer: str, text_format: str, notes: list[str]
) -> tuple[QuestionKind, list[_Option], list[_Option]]:
    pieces = answer.split("=")
    if not pieces[0].strip():
        pieces.pop(0)
    options, feedback_only = [], []
    for raw in pieces:
        weight, rest = _weight(raw, 100.0)
        text, feedback = _split_feedback(rest)
        answer_text = _text(text, text_format, notes)
        if not answer_text:
            raise _Skip("an answer has no text")
        option = _Option(_Text(answer_text.one_line()), True, _text(feedback, text_format, notes))
        if weight >= 100:
            options.append(option)
        else:
            if weight > 0:
                notes.append(f"partial-credit answer '{_label(answer_text)}' dropped")
            feedback_only.append(option)
    if not options:
        raise _Skip("short answer with no answer worth 100%")
    return QuestionKind.TEXT, options, feedback_only


def _read_question(lines: list[str]) -> _Draft:
    text = _protect(
        _CONTROL.sub(lambda m: "\ufffd" if m.group(0) == "\0" else " ", "\n".join(lines))
    )
    name = ""
    if text.startswith("::"):
        text = text[2:]
        end = text.find("::")
        if end >= 0:
            name = _restore(text[:end]).strip()
            text = text[end + 2 :].strip()
    start, end = text.find("{"), text.find("}")
    if start < 0 and end < 0:
        raise _Skip("description (no answer block): not a question")
    if start < 0 or end < start or "{" in text[start + 1 : end]:
        raise _Skip(r"braces do not match (write a literal brace as \{ or \})")
    answer, after = text[start + 1 : end], text[end + 1 :]
    if after.strip():
        raise _Skip("missing-word question (text after the answer block) is not supported")
    general_raw = ""
    if (cut := answer.rfind("####")) >= 0:
        answer, general_raw = answer[:cut], answer[cut + 4 :]
    answer = answer.strip()
    notes: list[str] = []
    text_format = _format(text[:start], "moodle")[0]
    stem = _text(text[:start], text_format, notes)
    general = _text(general_raw, text_format, notes)
    feedback_only: list[_Option] = []
    if not answer:
        raise _Skip("essay question (no answers to grade) is not supported")
    if answer.startswith("#"):
        raise _Skip("numerical question is not supported")
    if "~" in answer:
        kind, options = _multiple_choice(answer, text_format, notes)
    elif "=" in answer and "->" in answer:
        raise _Skip("matching question is not supported")
    elif answer.split("#", 1)[0].strip() in _TRUE_FALSE:
        kind, options = _true_false(answer, text_format, notes)
    else:
        kind, options, feedback_only = _short_answer(answer, text_format, notes)
    if not stem:
        raise _Skip("the question has no text")
    return _Draft(name, kind, stem, options, general, notes, feedback_only)


# --- Writing our Markdown -----------------------------------------------------------------

_INLINE_SPECIAL = re.compile(r"_+|[\\`*\[\]<~|&]")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_ORDERED = re.compile(r"^(\d{1,9})(?=[.)])")
_MARKDOWN_ORDERED = re.compile(r"^(\d{1,9})(?=[.)](?:\s|$))")
_MARKDOWN_BLOCK = re.compile(r"^(?:[-+*](?=\s|$)|#{1,6}(?=\s|$)|(?:=+|-+)\s*$)")


def _escape_inline(text: str) -> str:
    """Plain text -> Markdown that renders as that text on one line."""

    def escape(match: re.Match) -> str:
        found = match.group(0)
        if found == "&":
            return "\\&" if _ENTITY.match(text, match.start()) else "&"
        if found.startswith("_"):
            before = text[match.start() - 1] if match.start() else " "
            after = text[match.end()] if match.end() < len(text) else " "
            inert = (before.isspace() and after.isspace()) or (before.isalnum() and after.isalnum())
            return found if inert else found.replace("_", "\\_")
        return "\\" + found

    return _INLINE_SPECIAL.sub(escape, text)


def _line_start(line: str) -> str:
    """Make a line start no block: a list would become options, a heading a question."""
    if match := _ORDERED.match(line):
        return f"{match.group(1)}\\{line[match.end() :]}"
    if line[:1] in ("#", ">", "+", "-", "=", "_") or line.startswith(":::"):
        return "\\" + line
    return line


def _markdown_line(line: str) -> str:
    """A line of Markdown, with list, heading and underline markers made literal."""
    if match := _MARKDOWN_ORDERED.match(line):
        return f"{match.group(1)}\\{line[match.end() :]}"
    return "\\" + line if _MARKDOWN_BLOCK.match(line) else line


# Plain text is escaped only where escaping changes what is shown, so that the file stays
# pleasant to edit ("is called ___", "5 * 3"); `careful` escapes everything.


def _plain_inline(text: str, careful: bool) -> str:
    strict = _escape_inline(text)
    if careful or strict == text or render_inline(text) != render_inline(strict):
        return strict
    return text


def _plain_paragraph(lines: list[str], careful: bool) -> list[str]:
    strict = [_line_start(_escape_inline(line)) for line in lines]
    lenient = [_line_start(line) for line in lines]
    if careful or strict == lenient:
        return strict
    same = render_markdown("\n".join(lenient)) == render_markdown("\n".join(strict))
    return lenient if same else strict


def _inline(text: _Text, careful: bool) -> str:
    line = text.one_line()
    return line if text.markdown and not careful else _plain_inline(line, careful)


def _block(text: _Text, careful: bool, paragraphs: list[list[str]] | None = None) -> list[str]:
    lines: list[str] = []
    for paragraph in text.paragraphs() if paragraphs is None else paragraphs:
        if paragraph:
            lines += [""] if lines else []
            if text.markdown and not careful:
                lines += [_markdown_line(line) for line in paragraph]
            else:
                lines += _plain_paragraph(paragraph, careful)
    return lines


def _ascii_slug(text: str) -> str:
    text = re.sub(r"['\u2019]", "", text)  # "learner's" -> learners
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return slugify(ascii_text) if re.search(r"[A-Za-z0-9]", ascii_text) else ""


def _render(
    draft: _Draft, key: str, careful: bool, lesson: str | None = None
) -> tuple[str, str, list[str]]:
    """(question Markdown, the heading's stem, each option's text as written)."""
    first, *rest = draft.stem.paragraphs()
    heading = _inline(_Text(first[0], draft.stem.markdown), careful)
    pool = f" lesson={lesson}" if lesson else ""
    lines = [f"## {heading} {{#{key} .{draft.kind.value}{pool}}}", ""]
    if body := _block(draft.stem, careful, [first[1:], *rest]):
        lines += [*body, ""]
    written = []
    for option in draft.options:
        # An accepted answer is compared with what the learner types: write it verbatim.
        text = option.text.one_line() if draft.kind is QuestionKind.TEXT else None
        text = text if text is not None else _inline(option.text, careful)
        written.append(text)
        lines.append(f"- [{'x' if option.correct else ' '}] {text}")
    explanation = _block(draft.general, careful)
    feedback = [
        f"- {_plain_inline(option.text.one_line(), careful)}: {_inline(option.feedback, careful)}"
        for option in [*draft.options, *draft.extra_feedback]
        if option.feedback
    ]
    if explanation and feedback:
        explanation.append("")
    if explanation := explanation + feedback:
        lines += ["", *(f"> {line}" if line else ">" for line in explanation)]
    return "\n".join(lines) + "\n", heading, written


_CHECK_FILE = Path("gift-check.md")
_CHECK_HEADER = "---\ntitle: GIFT check\ncourse: gift-check\n---\n\n"


def _check(draft: _Draft, key: str, rendered: tuple[str, str, list[str]]) -> str | None:
    """Why our parser would not read the question back as intended, or None."""
    markdown, heading, written = rendered
    try:
        quiz = parse_quiz(_CHECK_FILE, _CHECK_HEADER + markdown)
    except ContentError as error:
        return error.problems[0].message
    if len(quiz.questions) != 1:
        return "it would not read back as one question"
    question = quiz.questions[0]
    written = [unescape_markdown(text) for text in written]  # the parser drops escapes
    expected = (key, draft.kind, heading, written, [o.correct for o in draft.options])
    found = (
        question.key,
        question.kind,
        question.stem,
        [o.text for o in question.options],
        [o.correct for o in question.options],
    )
    return None if found == expected else "it would not read back as written"


def _convert(draft: _Draft, key: str, lesson: str | None) -> str:
    """The question's Markdown, checked; Markdown-format text falls back to plain text."""
    problem = None
    for careful in (False, True):
        rendered = _render(draft, key, careful, lesson)
        if (problem := _check(draft, key, rendered)) is None:
            return rendered[0]
    raise _Skip(f"could not be converted: {problem}")


def convert_gift(
    text: str, *, course: str, title: str, draw_per_lesson: int | None = None
) -> GiftConversion:
    """A GIFT file -> one quiz file for `course`. Never raises on bad GIFT: each question
    that cannot be converted is left out and listed in `.skipped` with its line."""
    if not SLUG.match(course):
        raise ValueError(f"course must be a slug (lowercase letters, digits, dashes): {course!r}")
    title = " ".join(title.split())
    if not title:
        raise ValueError("title must not be empty")
    used: list[str] = []
    blocks: list[str] = []
    skipped: list[tuple[int, str]] = []
    notes: list[tuple[int, str]] = []
    for line, lines, category in _chunks(text):
        lesson = category if draw_per_lesson else None
        try:
            draft = _read_question(lines)
            base = (
                _ascii_slug(draft.name) or _ascii_slug(draft.stem.paragraphs()[0][0]) or "question"
            )
            key, number = base, 2
            while key in used:
                key, number = f"{base}-{number}", number + 1
            blocks.append(_convert(draft, key, lesson))
        except _Skip as skip:
            skipped.append((line, skip.reason))
            continue
        used.append(key)
        notes += [(line, note) for note in dict.fromkeys(draft.notes)]
    meta: dict = {"title": title, "course": course}
    if draw_per_lesson:
        meta["draw_per_lesson"] = draw_per_lesson
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10**6)
    markdown = f"---\n{front}---\n" + "".join(f"\n{block}" for block in blocks)
    return GiftConversion(markdown, skipped, notes, used)
