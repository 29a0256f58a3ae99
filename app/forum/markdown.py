"""The Markdown dialect of forum posts, which are written by users and so untrusted.

CommonMark with tables and strikethrough, raw HTML off, typographer off. Bare URLs
(`https://...`, `www.example.org`) become links, as do `<https://...>` autolinks.

Links keep only http, https and mailto URLs and same-site paths (`/forum/t/3/`); any
other link (`javascript:`, `//host`, `#anchor`, `page.html`, ...) is rendered as its label.
Every link gets rel="nofollow ugc noopener". Images are never embedded: an http(s) image
becomes a link to it, any other one its alt text. Headings are demoted to h3-h6 because
the page owns h1 and h2. `@handle` mentions outside code and URLs become
`<span class="mention">` when `is_handle` says the handle exists.

The output is safe to insert with Jinja's `|safe`.
"""

import re
from collections.abc import Callable, Sequence
from html import unescape
from html.parser import HTMLParser
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

MENTION = re.compile(r"(?<![\w@.])@(?P<handle>[a-z0-9][a-z0-9-]{1,39})(?![\w-])", re.IGNORECASE)
REL = "nofollow ugc noopener"

_LINK_URL = re.compile(r"(?:https?:|mailto:|/(?![/\\]))", re.IGNORECASE)
_IMAGE_URL = re.compile(r"https?:", re.IGNORECASE)
# What browsers drop or trim inside a URL's scheme (tabs, newlines, spaces, controls).
_URL_NOISE = re.compile(r"[\x00-\x20\x7f-\x9f]")
# URLs in text, including autolinks' labels: "https://example.org/@bob" mentions nobody.
_BARE_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+", re.IGNORECASE)


def _allowed(url: str, pattern: re.Pattern[str]) -> bool:
    # markdown-it hands over the URL entity-decoded and percent-encoded; check it both as
    # emitted and fully decoded, so neither reading can smuggle in another scheme or host.
    decoded = _URL_NOISE.sub("", unescape(unquote(url)))
    return all(pattern.match(candidate) for candidate in (url, decoded))


def _text(content: str) -> Token:
    return Token("text", "", 0, content=content)


def _link(href: str, title: str = "") -> Token:
    token = Token("link_open", "a", 1, attrs={"href": href})
    if title:
        token.attrSet("title", title)
    token.attrSet("rel", REL)
    return token


def _split_mentions(token: Token) -> list[Token]:
    text = token.content
    urls = [match.span() for match in _BARE_URL.finditer(text)]
    pieces: list[Token] = []
    last = 0
    for match in MENTION.finditer(text):
        if any(start <= match.start() < end for start, end in urls):
            continue
        if match.start() > last:
            pieces.append(_text(text[last : match.start()]))
        handle = match.group("handle").lower()
        pieces.append(Token("mention", "span", 0, content=match.group(), meta={"handle": handle}))
        last = match.end()
    if not pieces:
        return [token]
    if last < len(text):
        pieces.append(_text(text[last:]))
    return pieces


def _image(image: Token, in_link: bool) -> list[Token]:
    src = str(image.attrGet("src") or "")
    as_link = not in_link and _allowed(src, _IMAGE_URL)
    label = _rewrite_inline(image.children or [], in_link=in_link or as_link)
    if not as_link:
        return label
    link = _link(src, str(image.attrGet("title") or ""))
    return [link, *(label or [_text(src)]), Token("link_close", "a", -1)]


def _rewrite_inline(tokens: Sequence[Token], in_link: bool = False) -> list[Token]:
    out: list[Token] = []
    open_links: list[bool] = []  # for each enclosing link_open: whether it was kept
    for token in tokens:
        inside_link = in_link or any(open_links)
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            kept = not inside_link and _allowed(href, _LINK_URL)
            open_links.append(kept)
            if kept:
                out.append(_link(href, str(token.attrGet("title") or "")))
        elif token.type == "link_close":
            if open_links.pop():
                out.append(token)
        elif token.type == "image":
            out.extend(_image(token, inside_link))
        elif token.type == "text":
            out.extend(_split_mentions(token))
        else:
            if token.type in ("s_open", "s_close"):
                token.tag = "del"
            out.append(token)
    return out


def _sanitize(state: StateCore) -> None:
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"
        elif token.type in ("th_open", "td_open"):
            token.attrs.pop("style", None)  # column alignment: posts carry no inline styles
        elif token.type == "inline" and token.children:
            token.children = _rewrite_inline(token.children)


def _render_mention(
    self: object, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    is_handle: Callable[[str], bool] = env.get("is_handle", lambda handle: True)
    if is_handle(token.meta["handle"]):
        return f'<span class="mention">{escapeHtml(token.content)}</span>'
    return escapeHtml(token.content)


class _PostMarkdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:
        # Accept every URL while parsing so a refused link keeps its label; _sanitize then
        # drops every link and image whose URL is not allowed.
        return True


def _build() -> MarkdownIt:
    md = _PostMarkdown("commonmark", {"html": False, "typographer": False, "linkify": True}).enable(
        ["table", "strikethrough", "linkify"]
    )
    md.core.ruler.push("forum_sanitize", _sanitize)
    md.add_render_rule("mention", _render_mention)
    return md


_MARKDOWN = _build()


def find_mentions(text: str) -> set[str]:
    """Lower-cased handles @mentioned in the post, outside code and URLs."""
    return {
        child.meta["handle"]
        for token in _MARKDOWN.parse(text)
        for child in token.children or []
        if child.type == "mention"
    }


def render_post(text: str, is_handle: Callable[[str], bool] = lambda handle: True) -> str:
    return _MARKDOWN.render(text, {"is_handle": is_handle})


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(text: str) -> str:
    """The post's words without Markdown syntax, for search snippets and e-mail digests."""
    collector = _TextCollector()
    collector.feed(render_post(text))
    collector.close()
    return " ".join("".join(collector.parts).split())
