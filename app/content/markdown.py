"""The one Markdown dialect of course content: CommonMark, tables, strikethrough,
footnotes, heading anchors and callouts. Raw HTML is never rendered."""

import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

CALLOUTS = {"note": "Note", "tip": "Tip", "warning": "Warning", "reflect": "Reflect"}
CALLOUT_OPENER = re.compile(r"^\s{0,3}:{3,}\s*(\S+)")


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


def render_markdown(text: str) -> str:
    return _MARKDOWN.render(text)


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
