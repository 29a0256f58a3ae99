"""YAML front matter with the line of every key, checked against a schema."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.content.errors import Problem

Check = Callable[[Any], str | None]


@dataclass(frozen=True)
class Key:
    kind: type
    required: bool = False
    check: Check | None = None


@dataclass
class Document:
    meta: dict[str, Any]
    key_lines: dict[str, int]
    body: str
    body_line: int  # 1-based line of the body's first line in the file
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, 1)


def positive(value: Any) -> str | None:
    return None if value > 0 else "must be greater than 0"


def not_negative(value: Any) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def not_blank(value: Any) -> str | None:
    return None if value.strip() else "must not be empty"


def _type_name(kind: type) -> str:
    return {int: "a whole number", str: "text", bool: "true or false", list: "a list"}[kind]


def _is_instance(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def mapping_lines(node: yaml.Node, offset: int) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Lines of each key of a YAML mapping node, and the keys given twice."""
    lines: dict[str, int] = {}
    duplicates = []
    for key_node, _ in node.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + offset
        if key in lines:
            duplicates.append((key, line))
        lines[key] = line
    return lines, duplicates


def check_mapping(
    path: Path, data: dict, lines: dict[str, int], schema: dict[str, Key], fallback_line: int
) -> list[Problem]:
    problems = []
    for key in data:
        if key not in schema:
            known = ", ".join(schema)
            problems.append(
                Problem(
                    path,
                    lines.get(key, fallback_line),
                    f"unknown key '{key}' (known keys: {known})",
                )
            )
    for key, spec in schema.items():
        if key not in data or data[key] is None:
            if spec.required:
                problems.append(Problem(path, fallback_line, f"missing required key '{key}'"))
            continue
        value, line = data[key], lines.get(key, fallback_line)
        if not _is_instance(value, spec.kind):
            problems.append(Problem(path, line, f"'{key}' must be {_type_name(spec.kind)}"))
        elif spec.check and (message := spec.check(value)):
            problems.append(Problem(path, line, f"'{key}' {message}"))
    return problems


def parse_document(path: Path, text: str, schema: dict[str, Key]) -> Document:
    """Split front matter from body; every problem is collected, none raised."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return Document(
            {},
            {},
            text,
            1,
            [Problem(path, 1, "missing front matter: start the file with a line '---'")],
        )
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if closing is None:
        return Document(
            {}, {}, "", 1, [Problem(path, 1, "front matter is not closed by a line '---'")]
        )
    yaml_text = "".join(lines[1:closing])
    body = "".join(lines[closing + 1 :])
    document = Document({}, {}, body, closing + 2)
    try:
        node = yaml.compose(yaml_text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        # A mark at the end of the block (an unclosed bracket) is clamped to its last line.
        line = min(mark.line, closing - 2) + 2 if mark else 2
        reason = getattr(error, "problem", None) or "invalid YAML"
        document.problems.append(Problem(path, line, f"front matter is not valid YAML: {reason}"))
        return document
    if node is None:
        data, node_lines, duplicates = {}, {}, []
    elif not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        document.problems.append(Problem(path, 2, "front matter must be 'key: value' lines"))
        return document
    else:
        node_lines, duplicates = mapping_lines(node, offset=2)
    document.problems += [
        Problem(path, line, f"key '{key}' is given twice") for key, line in duplicates
    ]
    document.meta = {str(k): v for k, v in data.items()}
    document.key_lines = node_lines
    document.problems += check_mapping(path, document.meta, node_lines, schema, fallback_line=1)
    return document
