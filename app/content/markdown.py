"""The one Markdown dialect of course content: CommonMark, tables, strikethrough,
footnotes, heading anchors and callouts. Raw HTML is never rendered."""

import re
from collections.abc import Callable, Iterator, Sequence
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

CALLOUTS = {"note": "Note", "tip": "Tip", "warning": "Warning", "reflect": "Reflect"}
CALLOUT_OPENER = re.compile(r"^\s{0,3}:{3,}\s*(\S+)")
# `![...](images/<name>)`: an image of the course's own images/ folder.
COURSE_IMAGE = re.compile(r"^(?:\./)?images/([^/?#\\]+)$")
LINE_BREAKS = frozenset({"softbreak", "hardbreak"})


def _callout_renderer(name: str):
    def render(self, tokens: Sequence[Token], idx: int, options, env) -> str:
        if tokens[idx].nesting == 1:
            return (
                f'<aside class="callout callout-{name}" aria-label="{CALLOUTS[name]}">\n'
                f'<p class="callout-label">{CALLOUTS[name]}</p>\n'
            )
        return "</aside>\n"

    return render


def _build() -> MarkdownIt:
    md = (
        MarkdownIt("commonmark", {"html": False, "typographer": True})
        .enable(["table", "strikethrough", "replacements", "smartquotes"])
        .use(footnote_plugin)
        .use(anchors_plugin, min_level=2, max_level=3)
    )
    for name in CALLOUTS:
        md.use(container_plugin, name=name, render=_callout_renderer(name))
    return md


_MARKDOWN = _build()


def render_markdown(text: str, image_src: Callable[[str], str] | None = None) -> str:
    """HTML of `text`; with `image_src`, each `images/<name>` image's src becomes
    image_src(name) (the address the site serves the course's image at)."""
    if image_src is None:
        return _MARKDOWN.render(text)
    env: dict = {}
    tokens = _MARKDOWN.parse(text, env)
    for image, _line in _images(tokens):
        if match := COURSE_IMAGE.match(image.attrGet("src") or ""):
            image.attrSet("src", image_src(unquote(match.group(1))))
    return _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, env)


def images_without_alt(text: str) -> list[int]:
    """Line index of each image whose alt text is empty: a screen reader has nothing to
    say for it."""
    lines = text.splitlines()
    found = []
    for image, line in _images(_MARKDOWN.parse(text, {})):
        if _alt_text(image).strip():
            continue
        if line is None:  # a footnote's text, moved to the end: find it in the source
            src = image.attrGet("src") or ""
            line = next((i for i, source in enumerate(lines) if src and src in source), 0)
        found.append(line)
    return found


def _alt_text(image: Token) -> str:
    return "".join(child.content for child in image.children or [])


def _images(tokens: Sequence[Token]) -> Iterator[tuple[Token, int | None]]:
    """Each image with the line index it starts on (None where markdown-it kept no line:
    a footnote's text)."""
    for token in tokens:
        if token.type != "inline":
            continue
        line = token.map[0] if token.map else None
        for child in token.children or []:
            if child.type == "image":
                yield child, line
            breaks = [child, *(child.children or [])] if child.type == "image" else [child]
            if line is not None:
                line += sum(1 for item in breaks if item.type in LINE_BREAKS)


def unknown_callouts(text: str) -> list[tuple[int, str]]:
    """(line index, name) of each `::: name` opener that is not a known callout."""
    found = []
    for index, line in enumerate(text.splitlines()):
        match = CALLOUT_OPENER.match(line)
        if match and match.group(1) not in CALLOUTS:
            found.append((index, match.group(1)))
    return found


def render_inline(text: str) -> str:
    """A single line (a question stem or an option) without a wrapping paragraph."""
    return _MARKDOWN.renderInline(text)
