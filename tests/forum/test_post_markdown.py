"""Forum posts are untrusted: whatever is written, the HTML must be inert."""

import re
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.forum.markdown import MENTION, find_mentions, plain_text, render_post

REL = "nofollow ugc noopener"
ALLOWED_TAGS = {
    *("p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li"),
    *("a", "span", "h3", "h4", "h5", "h6", "hr"),
    *("table", "thead", "tbody", "tr", "th", "td"),
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "rel"},
    "span": {"class"},
    "code": {"class"},
    "ol": {"start"},
}
# Same-site paths are allowed; "//host" and "/\host" are other sites to a browser.
SAFE_HREF = re.compile(r"(?:https?:|mailto:|/(?![/\\]))")
URL_NOISE = re.compile(r"[\x00-\x20\x7f-\x9f]")


class Walker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.tags.append(("<!--", []))

    def handle_decl(self, decl: str) -> None:
        self.tags.append(("<!", []))

    def handle_pi(self, data: str) -> None:
        self.tags.append(("<?", []))

    def unknown_decl(self, data: str) -> None:
        self.tags.append(("<![", []))


def walk(html: str) -> list[tuple[str, dict[str, str]]]:
    walker = Walker()
    walker.feed(html)
    walker.close()
    return [(tag, {name: value or "" for name, value in attrs}) for tag, attrs in walker.tags]


def assert_inert(html: str) -> None:
    walker = Walker()
    walker.feed(html)
    walker.close()
    for tag, attrs in walker.tags:
        assert tag in ALLOWED_TAGS, (tag, html)
        names = [name for name, _ in attrs]
        assert len(names) == len(set(names)), html
        assert set(names) <= ALLOWED_ATTRIBUTES.get(tag, set()), (tag, names, html)
        assert not any(name.startswith("on") or name == "style" for name in names), html
        if tag == "a":
            values = dict(attrs)
            href = values.get("href") or ""
            decoded = URL_NOISE.sub("", unquote(href)).lower()
            assert SAFE_HREF.match(href.lower()) and SAFE_HREF.match(decoded), (href, html)
            assert values.get("rel") == REL, html


def hrefs(html: str) -> list[str]:
    return [attrs["href"] for tag, attrs in walk(html) if tag == "a"]


HTML_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    "<style>body { display: none }</style>",
    '<form action="https://evil.example"><input name="password"></form>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<div style="position:fixed">x</div>',
    "<div>\n<script>alert(1)</script>\n</div>",
    "<details open ontoggle=alert(1)>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<?xml version='1.0'?>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    '```js" onmouseover="alert(1)\nx\n```',
    "@<script>alert(1)</script>",
    "@bob<img src=x onerror=alert(1)>",
    '@bob"onmouseover="alert(1)',
    "[@bob](javascript:alert(1))",
    "`@bob<script>alert(1)</script>`",
    '[x](https://a.example "a\\" onmouseover=\\"alert(1)")',
    "[x](https://a.example 'a' onmouseover='alert(1)')",
    '[x](https://a.example"onmouseover="alert(1))',
    "[x](https://a.example/<script>)",
]
CONTEXTS = [
    "{}",
    "# {}",
    "> {}",
    "- {}",
    "**{}**",
    "| a |\n|---|\n| {} |",
    "[{}](https://a.example)",
]


@pytest.mark.parametrize("payload", HTML_PAYLOADS)
def test_html_and_markup_payloads_are_inert(payload: str) -> None:
    for context in CONTEXTS:
        assert_inert(render_post(context.format(payload)))


def test_raw_html_is_shown_as_text() -> None:
    html = render_post("<script>alert(1)</script> &lt;b&gt;")
    assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;</p>\n"


BAD_URLS = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java&#115;cript:alert(1)",
    "jav&#x09;ascript:alert(1)",
    "jav&#9;ascript:alert(1)",
    "javascript&colon;alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "java%09script:alert(1)",
    "&#0;javascript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:text/html,<script>alert(1)</script>",
    "data:image/png;base64,iVBORw0KGgo=",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example",
    "/\\evil.example",
    "/%2Fevil.example",
    "\\\\evil.example",
    "ftp://evil.example",
    "#top",
    "page.html",
]
LINK_FORMS = [
    "[x]({url})",
    "[x](   {url})",
    "[x](<{url}>)",
    "[x](< \t{url}>)",
    '[x]({url} "title")',
    "[x][1]\n\n[1]: {url}",
    "[x][]\n\n[x]: {url}",
    "[x]\n\n[x]: <{url}>",
    "<{url}>",
    "![x]({url})",
    "![x][1]\n\n[1]: {url}",
    "[![x]({url})]({url})",
]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("form", LINK_FORMS)
def test_links_to_other_schemes_are_not_links(form: str, url: str) -> None:
    html = render_post(form.format(url=url))
    assert_inert(html)
    assert hrefs(html) == []


def test_a_refused_link_keeps_its_label() -> None:
    assert render_post("[click me](javascript:alert(1))") == "<p>click me</p>\n"
    assert render_post("[x][1]\n\n[1]: javascript:alert(1)") == "<p>x</p>\n"


def test_link_title_quotes_stay_in_the_title() -> None:
    html = render_post('[x](https://a.example "a\\" onmouseover=\\"alert(1)")')
    assert_inert(html)
    assert walk(html) == [
        ("p", {}),
        ("a", {"href": "https://a.example", "title": 'a" onmouseover="alert(1)', "rel": REL}),
    ]


def test_https_link_gets_rel_and_no_target() -> None:
    html = render_post("[Guide](https://example.org/guide?a=1&b=2)")
    assert html == (
        f'<p><a href="https://example.org/guide?a=1&amp;b=2" rel="{REL}">Guide</a></p>\n'
    )


def test_autolinks_and_mailto_work() -> None:
    html = render_post("<https://example.org> <mentor@example.org> [mail](mailto:a@example.org)")
    assert_inert(html)
    assert hrefs(html) == [
        "https://example.org",
        "mailto:mentor@example.org",
        "mailto:a@example.org",
    ]


def test_bare_urls_become_links_but_bare_scripts_do_not() -> None:
    html = render_post("see https://example.org and www.example.org, not javascript:alert(1)")
    assert_inert(html)
    assert hrefs(html) == ["https://example.org", "http://www.example.org"]


def test_a_mention_inside_a_bare_url_is_part_of_the_link() -> None:
    assert find_mentions("https://medium.com/@bob and @amy") == {"amy"}


def test_same_site_paths_are_links_and_protocol_relative_are_not() -> None:
    assert hrefs(render_post("[thread](/forum/t/3/)")) == ["/forum/t/3/"]
    assert render_post("[x](//evil.example/forum/)") == "<p>x</p>\n"


@pytest.mark.parametrize(
    "url", ["https://evil.example/x.png", "http://evil.example/x.png", "HTTPS://EVIL.EXAMPLE/X"]
)
def test_images_are_never_embedded(url: str) -> None:
    html = render_post(f"![a *chart*]({url})")
    assert_inert(html)
    assert walk(html) == [("p", {}), ("a", {"href": url, "rel": REL}), ("em", {})]
    assert plain_text(f"![a *chart*]({url})") == "a chart"


def test_images_with_other_urls_are_their_alt_text() -> None:
    assert render_post("![the chart](/static/chart.png)") == "<p>the chart</p>\n"
    assert render_post("![the chart](data:image/png;base64,iVBORw0KGgo=)") == "<p>the chart</p>\n"


def test_an_image_without_alt_shows_its_url() -> None:
    html = render_post("![](https://example.org/x.png)")
    assert (
        html
        == f'<p><a href="https://example.org/x.png" rel="{REL}">https://example.org/x.png</a></p>\n'
    )


def test_a_linked_image_is_one_link() -> None:
    html = render_post("[![badge](https://img.example/b.svg)](https://example.org)")
    assert html == f'<p><a href="https://example.org" rel="{REL}">badge</a></p>\n'


def test_headings_are_demoted() -> None:
    html = render_post("# One\n## Two\n### Three\n#### Four\nFive\n=====")
    assert [tag for tag, _ in walk(html)] == ["h3", "h4", "h5", "h6", "h3"]


def test_formatting() -> None:
    text = (
        "**bold** *em* ~~gone~~ `code`  \nnext\n\n"
        "> quoted\n\n- one\n- two\n\n3. three\n\n```python\nprint(1)\n```\n\n---\n\n"
        "| a | b |\n|:--|--:|\n| 1 | 2 |"
    )
    html = render_post(text)
    assert_inert(html)
    assert "<strong>bold</strong> <em>em</em> <del>gone</del> <code>code</code><br />" in html
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert '<ol start="3">\n<li>three</li>\n</ol>' in html
    assert '<pre><code class="language-python">print(1)\n</code></pre>' in html
    assert "<hr />" in html
    assert "<th>a</th>" in html and "<td>2</td>" in html  # alignment styles dropped


def test_typographer_is_off() -> None:
    assert render_post('"quoted" -- (c)') == "<p>&quot;quoted&quot; -- (c)</p>\n"


def test_mentions_are_spans_when_the_handle_exists() -> None:
    seen: list[str] = []

    def is_handle(handle: str) -> bool:
        seen.append(handle)
        return handle == "tomas-rivera"

    html = render_post("Thanks @Tomas-Rivera and @nobody!", is_handle)
    assert html == '<p>Thanks <span class="mention">@Tomas-Rivera</span> and @nobody!</p>\n'
    assert seen == ["tomas-rivera", "nobody"]


def test_mentions_in_formatting_and_link_labels() -> None:
    html = render_post("**@ann** [ask @bob](https://example.org)")
    assert html == (
        '<p><strong><span class="mention">@ann</span></strong> '
        f'<a href="https://example.org" rel="{REL}">ask <span class="mention">@bob</span></a></p>\n'
    )


@pytest.mark.parametrize(
    "text",
    [
        "`@bob`",
        "```\n@bob\n```",
        "    @bob",
        "bob@example.org",
        "first.last@example.org",
        "<bob@example.org>",
        "@@bob",
        ".@bob",
        "x@bob",
        "[x](https://example.org/@bob)",
        "<https://example.org/@bob>",
        "https://medium.example/@bob",
        "www.example.org/@bob",
        "ftp://example.org/@bob",
        "@b",
        "@-bob",
        "@" + "a" * 41,
    ],
)
def test_not_mentions(text: str) -> None:
    assert find_mentions(text) == set()
    assert "mention" not in render_post(text)


def test_find_mentions_lower_cases_and_dedups() -> None:
    text = "@Bob, @bob and @BOB (cc @ann-2); @" + "a" * 40 + "\n\n> @carl"
    assert find_mentions(text) == {"bob", "ann-2", "a" * 40, "carl"}


def test_mention_pattern() -> None:
    assert [m.group("handle") for m in MENTION.finditer("hi @Ann, (@bob-2) a@c @@d")] == [
        "Ann",
        "bob-2",
    ]


def test_plain_text() -> None:
    text = (
        "# Week 3\n\nSee **the** [guide](https://example.org) &amp; `code`, @ann.\n\n"
        "- one\n- two\n\n![chart](https://x.example/c.png) <b>hi</b>"
    )
    assert plain_text(text) == "Week 3 See the guide & code, @ann. one two chart <b>hi</b>"


MARKDOWN_BITS = st.sampled_from(
    [
        *("[", "]", "(", ")", "<", ">", "!", "*", "_", "~~", "`", "```", "#", "|", "-", ":"),
        *("\\", "/", "//", "&", ";", "&#", "&colon;", "\n", "\n\n", " ", "\t", "    ", "x"),
        *("@bob", "@", "javascript:", "https://", "mailto:", "data:", "<script>", "onerror="),
        *("[x]: ", "\n|---|\n", '"', "'", "![", "](", "\x00", "\x0b", "%2F", "www."),
    ]
)
POSTS = st.lists(st.one_of(MARKDOWN_BITS, st.text(max_size=8)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), POSTS))
def test_any_text_renders_inert(text: str) -> None:
    assert_inert(render_post(text))
    assert_inert(render_post(text, lambda handle: False))
    assert all(MENTION.fullmatch("@" + handle) for handle in find_mentions(text))
    plain_text(text)
