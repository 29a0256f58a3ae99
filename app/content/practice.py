"""Observed practice: the `practice:` items of certifications.yml and their rubric files in
courses/practice/ (see README.md, "Observed practice").

A rubric file is front matter with a `title`, an introduction in Markdown for the mentor
and the observer, then a `## Criteria` heading followed by one line per criterion:

    - {#asks-open-questions} Asks open questions: most questions invite the mentee to ...

The id is stable (ratings follow it across edits); the name and the description of what
"meets" looks like are one line each.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from app.content.errors import Problem
from app.content.frontmatter import Key, check_mapping, mapping_lines, not_blank, parse_document
from app.content.markdown import render_markdown, unknown_callouts

PRACTICE_FOLDER = "practice"  # courses/practice/ holds rubrics, never a course
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RUBRIC_FILE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.md$")
CRITERIA_HEADING = re.compile(r"^##\s+Criteria\s*#*\s*$", re.IGNORECASE)
CRITERION = re.compile(r"^-\s+\{#(?P<id>[^}]*)\}\s*(?P<rest>.*)$")
CRITERION_EXAMPLE = "'- {#id} Name: what meets looks like'"
NAME_LIMIT, DESCRIPTION_LIMIT = 120, 500


def _title(value: str) -> str | None:
    return not_blank(value) or (None if len(value) <= 200 else "must be at most 200 characters")


def _slug(value: str) -> str | None:
    return None if SLUG.match(value) else "must be lowercase letters, digits and dashes"


def _rubric_name(value: str) -> str | None:
    if RUBRIC_FILE.match(value):
        return None
    return (
        f"must be the name of a file in courses/{PRACTICE_FOLDER}/, like 'observed-conversation.md'"
    )


RUBRIC_KEYS = {"title": Key(str, required=True, check=_title)}
PRACTICE_KEYS = {
    "id": Key(str, required=True, check=_slug),
    "title": Key(str, required=True, check=_title),
    "rubric": Key(str, required=True, check=_rubric_name),
}


@dataclass(frozen=True)
class Criterion:
    id: str
    name: str
    description: str  # what "meets" looks like


@dataclass(frozen=True)
class Rubric:
    path: Path
    title: str
    intro_html: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class PracticeSource:
    """One practice item of a certification, with its rubric."""

    slug: str
    title: str
    position: int
    rubric: Rubric
    content_hash: str


def _criteria(
    path: Path, lines: list[str], first_line: int, problems: list[Problem]
) -> list[Criterion]:
    """The criterion lines after the heading; `first_line` is the file line of lines[0]."""
    criteria: list[Criterion] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(lines):
        line_number, text = first_line + index, raw.strip()
        if not text:
            continue
        match = CRITERION.match(text)
        if match is None:
            message = (
                f"criterion has no id: write {CRITERION_EXAMPLE}"
                if text.startswith("- ")
                else f"only criteria may follow '## Criteria': write {CRITERION_EXAMPLE}"
            )
            problems.append(Problem(path, line_number, message))
            continue
        criterion_id = match.group("id").strip()
        name, colon, description = match.group("rest").partition(":")
        name, description = name.strip(), description.strip()
        if not SLUG.match(criterion_id):
            problems.append(
                Problem(
                    path,
                    line_number,
                    f"criterion id '{criterion_id}' must be lowercase letters, digits and dashes",
                )
            )
        elif criterion_id in seen:
            problems.append(
                Problem(
                    path,
                    line_number,
                    f"duplicate criterion id '{criterion_id}' (also line {seen[criterion_id]})",
                )
            )
        elif not (colon and name and description):
            problems.append(
                Problem(
                    path,
                    line_number,
                    f"criterion '{criterion_id}' needs a name and a description: "
                    f"write {CRITERION_EXAMPLE}",
                )
            )
        elif len(name) > NAME_LIMIT or len(description) > DESCRIPTION_LIMIT:
            problems.append(
                Problem(
                    path,
                    line_number,
                    f"criterion '{criterion_id}': the name may have at most {NAME_LIMIT} "
                    f"characters and the description at most {DESCRIPTION_LIMIT}",
                )
            )
        else:
            criteria.append(Criterion(criterion_id, name, description))
        seen.setdefault(criterion_id, line_number)
    return criteria


def parse_rubric(path: Path, text: str) -> tuple[Rubric | None, list[Problem]]:
    """A rubric file, or None with every problem found in it."""
    document = parse_document(path, text, RUBRIC_KEYS)
    problems = list(document.problems)
    body_lines = document.body.splitlines()
    heading = next(
        (index for index, line in enumerate(body_lines) if CRITERIA_HEADING.match(line.strip())),
        None,
    )
    criteria: list[Criterion] = []
    if heading is None:
        if not document.problems:
            problems.append(
                Problem(
                    path,
                    document.body_line,
                    "rubric has no criteria: add a '## Criteria' heading, then one line "
                    f"per criterion like {CRITERION_EXAMPLE}",
                )
            )
        intro = document.body
    else:
        intro = "\n".join(body_lines[:heading]) + "\n"
        heading_line = document.body_line + heading
        criteria = _criteria(path, body_lines[heading + 1 :], heading_line + 1, problems)
        if not criteria and len(problems) == len(document.problems):
            problems.append(
                Problem(
                    path,
                    heading_line,
                    f"rubric has no criteria: add lines like {CRITERION_EXAMPLE} under it",
                )
            )
    problems += [
        Problem(
            path,
            document.body_line + index,
            f"unknown callout '{name}' (use note, tip, warning or reflect)",
        )
        for index, name in unknown_callouts(intro)
    ]
    if problems:
        return None, problems
    rubric = Rubric(
        path=path,
        title=document.meta["title"].strip(),
        intro_html=render_markdown(intro),
        criteria=tuple(criteria),
    )
    return rubric, []


def load_rubrics(folder: Path, problems: list[Problem]) -> dict[str, Rubric | None]:
    """Every rubric file in courses/practice/ by file name (None for one with problems,
    which are added to `problems`), whether or not a certification names it yet."""
    rubrics: dict[str, Rubric | None] = {}
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(path, 1, "file is not UTF-8 text"))
            rubrics[path.name] = None
            continue
        except OSError as error:
            problems.append(Problem(path, 1, f"cannot read file: {error.strerror}"))
            rubrics[path.name] = None
            continue
        rubric, found = parse_rubric(path, text)
        problems += found
        rubrics[path.name] = rubric
    return rubrics


def _digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def read_practice(
    path: Path,
    value: object,
    node: yaml.Node,
    rubrics: dict[str, Rubric | None],
    seen: dict[str, int],
) -> tuple[list[PracticeSource], list[Problem]]:
    """A certification's `practice:` list (its YAML node for the lines). `seen` holds the
    practice ids met so far in the file, with their lines: an id names one item
    everywhere (its records and its page), so it is unique across certifications."""
    if not isinstance(value, list) or not isinstance(node, yaml.SequenceNode):
        return [], []  # check_mapping reports a `practice:` that is not a list
    items, problems = [], []
    for position, (entry_node, entry) in enumerate(zip(node.value, value, strict=False), 1):
        line = entry_node.start_mark.line + 1
        if not isinstance(entry_node, yaml.MappingNode) or not isinstance(entry, dict):
            problems.append(
                Problem(
                    path, line, "each practice item must be 'key: value' lines (id, title, rubric)"
                )
            )
            continue
        lines, duplicates = mapping_lines(entry_node, offset=1)
        found = [Problem(path, ln, f"key '{key}' is given twice") for key, ln in duplicates]
        found += check_mapping(path, entry, lines, PRACTICE_KEYS, fallback_line=line)
        if found:
            problems += found
            continue
        slug = entry["id"]
        if slug in seen:
            problems.append(
                Problem(
                    path, lines["id"], f"duplicate practice id '{slug}' (also line {seen[slug]})"
                )
            )
            continue
        seen[slug] = lines["id"]
        name = entry["rubric"]
        if name not in rubrics:
            problems.append(
                Problem(
                    path,
                    lines["rubric"],
                    f"rubric file '{name}' does not exist: add courses/{PRACTICE_FOLDER}/{name}",
                )
            )
            continue
        rubric = rubrics[name]
        if rubric is None:
            continue  # its own problems are reported at its lines
        title = entry["title"].strip()
        items.append(
            PracticeSource(
                slug=slug,
                title=title,
                position=position,
                rubric=rubric,
                content_hash=_digest(title, rubric.title, rubric.intro_html, rubric.criteria),
            )
        )
    return items, problems
