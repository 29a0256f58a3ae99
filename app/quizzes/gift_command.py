"""`preceptor quizzes import-gift`: a Moodle GIFT file -> a quiz file in our Markdown."""

import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app

from app.content.errors import ContentError, display_path
from app.content.gift import convert_gift
from app.content.quizzes import SLUG, parse_quiz

quizzes_group = click.Group("quizzes", help="Quiz tools: import quizzes written for Moodle.")


def _course_slug(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
    if not SLUG.match(value):
        raise click.BadParameter("must be a course slug: lowercase letters, digits and dashes")
    return value


def _fail(*lines: str) -> NoReturn:
    for line in lines:
        click.echo(line, err=True)
    sys.exit(1)


def _read(file: Path) -> str:
    try:
        data = file.read_bytes()
    except OSError as error:
        _fail(f"{file}: cannot read file: {error.strerror or error}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        _fail(f"{file}:{line}: file is not UTF-8 text")


def _default_title(file: Path) -> str:
    words = " ".join(file.stem.replace("-", " ").replace("_", " ").split())
    return words[:1].upper() + words[1:] if words else "Imported quiz"


@quizzes_group.command("import-gift")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--course", required=True, callback=_course_slug, help="Slug of the course the quiz tests."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Quiz file to write (default: quizzes/<course>.md in the content folder).",
)
@click.option("--title", help="Quiz title (default: from the file name).")
@click.option(
    "--draw-per-lesson",
    type=click.IntRange(min=1),
    help="Questions drawn from each lesson's pool per attempt ($CATEGORY names the lesson).",
)
@click.option("--force", is_flag=True, help="Replace the quiz file if it exists.")
def import_gift(
    file: Path,
    course: str,
    out: Path | None,
    title: str | None,
    draw_per_lesson: int | None,
    force: bool,
) -> None:
    """Convert the Moodle GIFT FILE to a quiz file in our Markdown.

    Questions that cannot be converted (matching, numerical, missing word, essay, or
    not valid GIFT) are left out and reported as FILE:line: skipped: reason."""
    title = _default_title(file) if title is None else title
    if not title.strip():
        raise click.BadParameter("must not be empty", param_hint="--title")
    out = out or current_app.config["CONTENT_DIR"] / "quizzes" / f"{course}.md"
    if out.suffix != ".md":
        raise click.BadParameter("the quiz file must end in .md", param_hint="--out")
    if out.exists() and not force:
        _fail(f"{display_path(out)} already exists: use --force to replace it")
    conversion = convert_gift(
        _read(file), course=course, title=title, draw_per_lesson=draw_per_lesson
    )
    reports = [(line, f"skipped: {reason}") for line, reason in conversion.skipped]
    reports += [(line, f"note: {note}") for line, note in conversion.notes]
    for line, message in sorted(reports):
        click.echo(f"{file}:{line}: {message}", err=True)
    try:
        parse_quiz(out, conversion.markdown)
    except ContentError as error:
        count = len(error.problems)
        _fail(*map(str, error.problems), f"{count} problem(s); {display_path(out)} not written.")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w" if force else "x", encoding="utf-8") as handle:
            handle.write(conversion.markdown)
    except FileExistsError:
        _fail(f"{display_path(out)} already exists: use --force to replace it")
    except OSError as error:
        _fail(f"{display_path(out)}: cannot write file: {error.strerror or error}")
    converted, skipped = len(conversion.question_ids), len(conversion.skipped)
    noun = "question" if converted == 1 else "questions"
    click.echo(f"wrote {display_path(out)}: {converted} {noun}, {skipped} skipped")
