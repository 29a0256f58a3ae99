"""Full-text search over thread titles and post bodies.

SQLite: an FTS5 table, forum_search, whose rowid is the post id; it holds each post's body
and, for a thread's opening post (number 1), the thread's title. Triggers keep it in step
with forum_posts and forum_threads. `db.create_all()` makes it (listeners below) and the
migrations run SQLITE_SEARCH_DDL.

PostgreSQL: no extra table. Post bodies are matched through the GIN expression index
ix_forum_posts_body_search (`to_tsvector('english', body)`, declared on Post), titles by
scanning forum_threads (short strings, one per thread).

On both, a match is a post whose body holds every word of the query, or an opening post
whose thread title holds every word. Users' text never reaches either query syntax: it is
cut into words of letters and digits, each quoted as a string, so quotes, `*`, `AND`,
`NEAR(`, `-`, `:` and the like are plain text (or dropped).

Highlighted snippets come back from the database with sentinel characters around the
matches; the text is HTML-escaped before the sentinels become <mark> tags, so a post body
holding `<script>` shows as text.
"""

import html
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import (
    DDL,
    ColumnElement,
    Select,
    Subquery,
    Text,
    bindparam,
    case,
    column,
    event,
    func,
    literal_column,
    select,
    table,
    union,
)

from app.extensions import db
from app.forum.models import Category, Post, Thread

SEARCH_TABLE = "forum_search"
# The tables FTS5 creates alongside a virtual table, named "<table>_<suffix>".
_FTS5_SHADOW_SUFFIXES = ("data", "idx", "content", "docsize", "config")
_SEARCH_TABLES = frozenset(
    {SEARCH_TABLE, *(f"{SEARCH_TABLE}_{suffix}" for suffix in _FTS5_SHADOW_SUFFIXES)}
)

# Self-contained and idempotent: `db.create_all()` runs them after creating forum_posts
# (forum_threads exists by then), and the forum migration runs them on SQLite.
SQLITE_SEARCH_DDL: tuple[str, ...] = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS forum_search "
    "USING fts5(title, body, tokenize='porter unicode61')",
    """CREATE TRIGGER IF NOT EXISTS forum_search_post_insert
AFTER INSERT ON forum_posts BEGIN
    INSERT INTO forum_search (rowid, title, body) VALUES (
        new.id,
        CASE WHEN new.number = 1
            THEN COALESCE((SELECT title FROM forum_threads WHERE id = new.thread_id), '')
            ELSE '' END,
        new.body
    );
END""",
    """CREATE TRIGGER IF NOT EXISTS forum_search_post_update
AFTER UPDATE OF body, number, thread_id ON forum_posts BEGIN
    DELETE FROM forum_search WHERE rowid = old.id;
    INSERT INTO forum_search (rowid, title, body) VALUES (
        new.id,
        CASE WHEN new.number = 1
            THEN COALESCE((SELECT title FROM forum_threads WHERE id = new.thread_id), '')
            ELSE '' END,
        new.body
    );
END""",
    """CREATE TRIGGER IF NOT EXISTS forum_search_post_delete
AFTER DELETE ON forum_posts BEGIN
    DELETE FROM forum_search WHERE rowid = old.id;
END""",
    """CREATE TRIGGER IF NOT EXISTS forum_search_thread_title
AFTER UPDATE OF title ON forum_threads BEGIN
    DELETE FROM forum_search
        WHERE rowid IN (SELECT id FROM forum_posts WHERE thread_id = new.id AND number = 1);
    INSERT INTO forum_search (rowid, title, body)
        SELECT id, new.title, body FROM forum_posts WHERE thread_id = new.id AND number = 1;
END""",
    # Index posts written before the table existed (none on a fresh database).
    """INSERT INTO forum_search (rowid, title, body)
SELECT p.id, CASE WHEN p.number = 1 THEN t.title ELSE '' END, p.body
FROM forum_posts AS p JOIN forum_threads AS t ON t.id = p.thread_id
WHERE p.id NOT IN (SELECT rowid FROM forum_search)""",
)

# The reverse, for `db.drop_all()` and a migration's downgrade (before dropping the tables).
SQLITE_SEARCH_DROP: tuple[str, ...] = (
    "DROP TRIGGER IF EXISTS forum_search_thread_title",
    "DROP TRIGGER IF EXISTS forum_search_post_delete",
    "DROP TRIGGER IF EXISTS forum_search_post_update",
    "DROP TRIGGER IF EXISTS forum_search_post_insert",
    "DROP TABLE IF EXISTS forum_search",
)

for _statement in SQLITE_SEARCH_DDL:
    event.listen(Post.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in SQLITE_SEARCH_DROP:
    event.listen(Post.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))


def is_search_table(name: str) -> bool:
    """The FTS5 table or one of its shadow tables: not described by the models, so Alembic
    must leave them alone."""
    return name in _SEARCH_TABLES


@dataclass(frozen=True)
class SearchHit:
    post_id: int
    thread_id: int
    post_number: int
    thread_title_html: str  # escaped, <mark>…</mark> around the query's words (a Markup)
    snippet_html: str  # escaped excerpt of the body, ~30 words, with <mark>…</mark> (a Markup)
    category_name: str
    created_at: datetime
    author_id: int | None
    anonymous: bool


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(-(-self.total // self.per_page), 1)


MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 16
MAX_PER_PAGE = 100
SNIPPET_WORDS = 30
ELLIPSIS = "…"

_START, _STOP = "\x02", "\x03"  # around matches in the database's output, until escaped
_WORD = re.compile(r"[^\W_]+")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def search(
    query: str, *, page: int = 1, per_page: int = 20, include_hidden: bool = False
) -> SearchPage:
    """Posts (not deleted; not hidden unless include_hidden) matching every word of
    `query` in their body, or in the thread title for opening posts; best match first,
    then newest."""
    page = max(page, 1)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    words = query_words(query)
    if not words:
        return SearchPage(hits=[], total=0, page=page, per_page=per_page)
    run = (
        _search_postgresql if db.session.get_bind().dialect.name == "postgresql" else _search_sqlite
    )
    total, hits = run(words, page, per_page, include_hidden)
    last_page = max(math.ceil(total / per_page), 1)
    if page > last_page:  # a page past the end shows the last one, as listings do
        page = last_page
        total, hits = run(words, page, per_page, include_hidden)
    return SearchPage(hits=hits, total=total, page=page, per_page=per_page)


def query_words(query: str) -> list[str]:
    """The words of a user's query: runs of letters and digits, everything else dropped."""
    text = unicodedata.normalize("NFC", query[:MAX_QUERY_CHARS])
    return list(dict.fromkeys(word.lower() for word in _WORD.findall(text)))[:MAX_QUERY_WORDS]


def _quoted(words: list[str], joiner: str = " ") -> str:
    """Each word as a quoted string: a term, never an operator, in FTS5 and in
    websearch_to_tsquery alike (the words hold no quotes)."""
    return joiner.join(f'"{word}"' for word in words)


def _visible(include_hidden: bool) -> list[ColumnElement[bool]]:
    conditions = [Post.deleted_at.is_(None)]
    if not include_hidden:
        conditions.append(Post.hidden_at.is_(None))
    return conditions


# --- SQLite: FTS5 ----------------------------------------------------------------------------

_fts = table(SEARCH_TABLE, column("rowid"), column("title"), column("body"))
_fts_name = literal_column(SEARCH_TABLE)  # FTS5 wants the table's own name in MATCH and
# its auxiliary functions (bm25, snippet, highlight)


def _search_sqlite(
    words: list[str], page: int, per_page: int, include_hidden: bool
) -> tuple[int, list[SearchHit]]:
    terms = _quoted(words)
    match = _fts_name.op("MATCH")(
        bindparam("fts_query", f"{{title}} : ({terms}) OR {{body}} : ({terms})", type_=Text)
    )
    filters = [match, *_visible(include_hidden)]
    total = db.session.scalar(
        select(func.count()).select_from(_fts).join(Post, Post.id == _fts.c.rowid).where(*filters)
    )
    if not total:
        return 0, []
    rows = db.session.execute(
        select(
            Post.id,
            Post.thread_id,
            Post.number,
            Thread.title,
            func.snippet(_fts_name, 1, _START, _STOP, ELLIPSIS, SNIPPET_WORDS).label("snippet"),
            Category.name,
            Post.created_at,
            Post.author_id,
            Post.anonymous,
        )
        .select_from(_fts)
        .join(Post, Post.id == _fts.c.rowid)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Category, Category.id == Thread.category_id)
        .where(*filters)
        .order_by(func.bm25(_fts_name, 2.0, 1.0), Post.created_at.desc(), Post.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    titles = _sqlite_titles(words, {row.thread_id for row in rows})
    hits = [
        _hit(row, titles.get(row.thread_id, row.title), _snippet_text(row.snippet)) for row in rows
    ]
    return total, hits


def _sqlite_titles(words: list[str], thread_ids: set[int]) -> dict[int, str]:
    """Thread titles with any of the words marked, from their opening posts' rows: a
    reply's hit shows its thread's title highlighted too."""
    if not thread_ids:
        return {}
    match = _fts_name.op("MATCH")(
        bindparam("fts_titles", f"{{title}} : ({_quoted(words, ' OR ')})", type_=Text)
    )
    rows = db.session.execute(
        select(Post.thread_id, func.highlight(_fts_name, 0, _START, _STOP).label("title"))
        .select_from(_fts)
        .join(Post, Post.id == _fts.c.rowid)
        .where(match, Post.number == 1, Post.thread_id.in_(thread_ids))
    ).all()
    return {row.thread_id: row.title for row in rows}


# --- PostgreSQL: tsvector expressions ---------------------------------------------------------

# A literal, not a parameter: the expression must be the index's own, to_tsvector('english',
# body), for the planner to use ix_forum_posts_body_search.
_ENGLISH = literal_column("'english'")
_HEADLINE_OPTIONS = f"StartSel={_START}, StopSel={_STOP}, MaxWords={SNIPPET_WORDS}, MinWords=15"
_TITLE_OPTIONS = f"HighlightAll=true, StartSel={_START}, StopSel={_STOP}"


def _body_vector() -> ColumnElement:
    return func.to_tsvector(_ENGLISH, Post.body)


def _title_vector() -> ColumnElement:
    return func.to_tsvector(_ENGLISH, Thread.title)


def _tsquery(words: list[str]) -> ColumnElement:
    return func.websearch_to_tsquery(_ENGLISH, bindparam("tsquery", _quoted(words), type_=Text))


def _postgres_matches(words: list[str]) -> Subquery:
    """Ids of the posts matching in their body (through the index) or, for opening posts,
    in their thread's title. Two queries in a UNION, so that the body's can use the index."""
    tsquery = _tsquery(words)
    by_body = select(Post.id).where(_body_vector().bool_op("@@")(tsquery))
    by_title = (
        select(Post.id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.number == 1, _title_vector().bool_op("@@")(tsquery))
    )
    return union(by_body, by_title).subquery("matches")


def _postgres_visible(words: list[str], include_hidden: bool, *columns) -> Select:
    matches = _postgres_matches(words)
    return (
        select(*columns)
        .select_from(matches)
        .join(Post, Post.id == matches.c.id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(*_visible(include_hidden))
    )


def _search_postgresql(
    words: list[str], page: int, per_page: int, include_hidden: bool
) -> tuple[int, list[SearchHit]]:
    total = db.session.scalar(_postgres_visible(words, include_hidden, func.count()))
    if not total:
        return 0, []
    tsquery = _tsquery(words)
    score = func.ts_rank(_body_vector(), tsquery) + case(
        (Post.number == 1, 2 * func.ts_rank(_title_vector(), tsquery)), else_=0.0
    )
    # The page's ids first, so that the costly headlines are made for its posts only.
    page_ids = (
        _postgres_visible(words, include_hidden, Post.id, score.label("score"), Post.created_at)
        .order_by(score.desc(), Post.created_at.desc(), Post.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery("page_ids")
    )
    rows = db.session.execute(
        select(
            Post.id,
            Post.thread_id,
            Post.number,
            func.ts_headline(_ENGLISH, Thread.title, tsquery, _TITLE_OPTIONS).label("title"),
            func.ts_headline(_ENGLISH, Post.body, tsquery, _HEADLINE_OPTIONS).label("snippet"),
            Category.name,
            Post.created_at,
            Post.author_id,
            Post.anonymous,
            Post.body,
        )
        .select_from(page_ids)
        .join(Post, Post.id == page_ids.c.id)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Category, Category.id == Thread.category_id)
        .order_by(page_ids.c.score.desc(), page_ids.c.created_at.desc(), Post.id.desc())
    ).all()
    hits = [
        _hit(row, row.title, _with_ellipses(_snippet_text(row.snippet), row.body)) for row in rows
    ]
    return total, hits


def _with_ellipses(snippet: str, body: str) -> str:
    """ts_headline gives no sign of what it cut: compare the words with the body's."""
    shown = _WORD.findall(snippet.replace(_START, "").replace(_STOP, ""))
    if not shown:
        return snippet
    words = _WORD.findall(_TAG.sub(" ", body))  # ts_headline leaves tags out
    if words[: len(shown)] != shown:
        snippet = f"{ELLIPSIS} {snippet}"
    if words[-len(shown) :] != shown:
        snippet = f"{snippet} {ELLIPSIS}"
    return snippet


# --- output --------------------------------------------------------------------------------------

_MARKDOWN_NOISE = (
    (re.compile(r"!?\[([^\]\n]*)\]\([^)\s]*\)"), r"\1"),  # a link or image: its text
    (re.compile(r"\]\([^)\s]*\)"), ""),  # the end of one whose start was cut off
    (re.compile(r"(?m)^[ \t]*(?:#{1,6}|>+|[-*+]|\d+[.)])[ \t]+"), ""),  # heading, quote, list
    (re.compile(r"\*\*|__|~~|`+"), ""),  # strong, strikethrough, code
)


def _snippet_text(text: str) -> str:
    """An excerpt of raw Markdown, lightly cleaned of its syntax, on one line."""
    for pattern, replacement in _MARKDOWN_NOISE:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def _marked_html(text: str) -> Markup:
    """Escaped text with the sentinels turned into <mark> tags, always balanced (a body
    could hold a sentinel character of its own)."""
    parts: list[str] = []
    marking = False
    for piece in re.split(f"([{_START}{_STOP}])", text):
        if piece == _START:
            if not marking:
                parts.append("<mark>")
            marking = True
        elif piece == _STOP:
            if marking:
                parts.append("</mark>")
            marking = False
        else:
            parts.append(html.escape(piece))
    if marking:
        parts.append("</mark>")
    return Markup("".join(parts))  # noqa: S704 (every piece of text escaped above)


def _hit(row, title: str, snippet: str) -> SearchHit:
    return SearchHit(
        post_id=row.id,
        thread_id=row.thread_id,
        post_number=row.number,
        thread_title_html=_marked_html(title),
        snippet_html=_marked_html(snippet),
        category_name=row.name,
        created_at=row.created_at,
        author_id=row.author_id,
        anonymous=row.anonymous,
    )
