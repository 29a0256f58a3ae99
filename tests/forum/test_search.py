"""Forum full-text search: FTS5 on SQLite, tsvector expressions on PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.clock import utcnow
from app.extensions import db as _db
from app.forum import search as search_module
from app.forum.models import Category, Post, Thread
from app.forum.search import is_search_table, query_words, search
from tests.conftest import only_postgresql, only_sqlite


@pytest.fixture
def category(db):
    category = Category(slug="teaching", name="Teaching on the wards")
    db.session.add(category)
    db.session.commit()
    return category


@pytest.fixture
def author(make_user):
    return make_user()


@pytest.fixture
def start(db, category, author):
    """A new thread with its opening post; returns the thread."""

    def start(title: str, body: str, **post_fields) -> Thread:
        thread = Thread(category_id=category.id, title=title, author_id=author.id)
        db.session.add(thread)
        db.session.flush()
        db.session.add(
            Post(
                thread_id=thread.id,
                number=1,
                author_id=author.id,
                body=body,
                body_html="<p>…</p>",
                **post_fields,
            )
        )
        db.session.commit()
        return thread

    return start


@pytest.fixture
def reply(db, author):
    def reply(thread: Thread, body: str, **post_fields) -> Post:
        number = db.session.scalar(
            select(func.coalesce(func.max(Post.number), 0) + 1).where(Post.thread_id == thread.id)
        )
        post = Post(
            thread_id=thread.id,
            number=number,
            author_id=author.id,
            body=body,
            body_html="<p>…</p>",
            **post_fields,
        )
        db.session.add(post)
        db.session.commit()
        return post

    return reply


def found(query: str, **options) -> set[int]:
    return {hit.post_id for hit in search(query, **options).hits}


def opening_post(thread: Thread) -> Post:
    return _db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))


def test_a_word_in_a_post_body_is_found(start, reply, category, author):
    thread = start("Night shifts", "How do you keep interns awake?")
    post = reply(thread, "Coffee and a checklist for every handover.")
    start("Unrelated", "Nothing about that here.")

    page = search("checklist")

    assert page.total == 1
    [hit] = page.hits
    assert (hit.post_id, hit.thread_id, hit.post_number) == (post.id, thread.id, 2)
    assert hit.category_name == "Teaching on the wards"
    assert hit.author_id == author.id
    assert hit.anonymous is False
    assert hit.created_at == post.created_at
    assert "<mark>checklist</mark>" in hit.snippet_html
    assert hit.thread_title_html == "Night shifts"


def test_a_word_in_a_thread_title_finds_the_opening_post(start, reply):
    thread = start("Feedback that residents can use", "Short and specific, I find.")
    reply(thread, "Agreed, and soon after the event.")

    page = search("feedback")

    assert [hit.post_number for hit in page.hits] == [1]
    assert page.hits[0].thread_title_html == "<mark>Feedback</mark> that residents can use"


def test_a_reply_shows_its_thread_title_highlighted(start, reply):
    thread = start("Bedside teaching", "Any tips?")
    reply(thread, "Teaching at the bedside works best with a small group.")

    page = search("bedside")

    assert page.total == 2
    for hit in page.hits:
        assert hit.thread_title_html == "<mark>Bedside</mark> teaching"


def test_stemming_finds_other_forms_of_a_word(start):
    start("A question", "Who was your first mentor?")

    assert search("mentoring").total == 1
    assert search("MENTORS").total == 1


def test_every_word_must_match(start):
    start("Rounds", "Teaching rounds with students on Monday.")

    assert search("teaching students").total == 1
    assert search("teaching surgeons").total == 0


def test_matches_are_highlighted_within_a_short_excerpt(start):
    body = " ".join(["filler"] * 60 + ["the", "mentoring", "relationship"] + ["filler"] * 60)
    start("Long post", body)

    [hit] = search("mentor").hits

    assert "<mark>mentoring</mark>" in hit.snippet_html
    assert len(hit.snippet_html.split()) < 50
    assert "…" in hit.snippet_html


def test_the_snippet_is_escaped(start):
    start(
        "<b>Bold</b> title & more",
        'Careful: <script>alert(1)</script> and <img src=x onerror="alert(2)"> wrote the mentor',
    )

    [hit] = search("mentor").hits
    assert "<script" not in hit.snippet_html
    assert "<img" not in hit.snippet_html
    assert "<mark>mentor</mark>" in hit.snippet_html
    assert hit.thread_title_html == "&lt;b&gt;Bold&lt;/b&gt; title &amp; more"

    [hit] = search("bold").hits
    assert "<b>" not in hit.thread_title_html
    assert "<mark>Bold</mark>" in hit.thread_title_html


def test_a_script_near_the_match_stays_text(start):
    start("Markup", "<script>alert(1)</script> in a post about rotas")

    [hit] = search("rotas").hits

    assert "<script" not in hit.snippet_html
    assert "<mark>rotas</mark>" in hit.snippet_html


def test_sentinel_characters_in_a_body_cannot_unbalance_the_markup(start):
    start("Odd", "a \x02 stray mentor \x03\x03 marker")

    [hit] = search("mentor").hits

    assert hit.snippet_html.count("<mark>") == hit.snippet_html.count("</mark>")


def test_markdown_syntax_is_lightly_cleaned_from_snippets(start):
    start("Formatting", "## Heading\n\n**Strong** mentor and a [link](https://example.org/x)")

    [hit] = search("mentor").hits

    assert "**" not in hit.snippet_html
    assert "##" not in hit.snippet_html
    assert "https://" not in hit.snippet_html
    assert "link" in hit.snippet_html


def test_hidden_posts_are_found_only_for_moderators(start, reply):
    thread = start("Hidden", "Opening post")
    hidden = reply(thread, "An unkind remark about registrars", hidden_at=utcnow())

    assert found("registrars") == set()
    assert found("registrars", include_hidden=True) == {hidden.id}


def test_deleted_posts_are_never_found(start, reply):
    thread = start("Deleted", "Opening post")
    reply(thread, "Regrettable words about consultants", deleted_at=utcnow())
    reply(thread, "Hidden and deleted consultants", deleted_at=utcnow(), hidden_at=utcnow())

    assert found("consultants") == set()
    assert found("consultants", include_hidden=True) == set()


def test_an_edited_body_is_searched_anew(db, start, reply):
    thread = start("Edits", "Opening post")
    post = reply(thread, "Simulation training helps")

    post.body = "Journal clubs help"
    db.session.commit()

    assert found("simulation") == set()
    assert found("journal") == {post.id}


def test_an_edited_opening_post_keeps_its_title_searchable(db, start):
    thread = start("Handover checklists", "First version")
    post = opening_post(thread)

    post.body = "Second version"
    db.session.commit()

    assert found("handover") == {post.id}
    assert found("second") == {post.id}
    assert found("first") == set()


def test_a_renamed_thread_is_searched_by_its_new_title(db, start, reply):
    thread = start("Original heading", "Opening post words")
    reply(thread, "A reply")

    thread.title = "Renamed topic"
    db.session.commit()

    assert found("original") == set()
    assert found("renamed") == {opening_post(thread).id}
    assert found("words") == {opening_post(thread).id}


def test_a_hard_deleted_post_is_gone(db, start, reply):
    thread = start("Removal", "Opening post")
    post = reply(thread, "Temporary note about parking")

    db.session.delete(post)
    db.session.commit()

    assert found("parking") == set()


def test_a_deleted_thread_takes_its_posts_out_of_the_index(db, start, reply):
    thread = start("Cascade", "Opening words about lanyards")
    reply(thread, "More lanyards")

    db.session.delete(thread)
    db.session.commit()

    assert search("lanyards").total == 0


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"mentor',
        "*",
        "mentor*",
        "AND OR NOT",
        "mentor AND",
        "OR",
        "(",
        "NEAR(",
        "NEAR(mentor feedback, 2)",
        "a:b",
        "title:mentor",
        "{title}: x",
        "-x",
        "-",
        "''",
        "'",
        "mentor's",
        "émigré",
        "日本語",
        "^mentor",
        "mentor & !feedback | (x <-> y)",
        "\\",
        "%_",
        "a\x00b",
        "x" * 5000,
        " ".join(["word"] * 500),
    ],
)
def test_hostile_queries_never_fail(start, query):
    start("Mentor feedback", "An émigré mentor's feedback on NEAR misses AND title:mentor")

    page = search(query)

    assert page.total == len(page.hits)


def test_operator_words_are_searched_as_words(start):
    start("Logic", "Neither NEAR nor far")

    assert search("NEAR").total == 1
    assert search("far NEAR").total == 1


def test_accented_words_are_found(start):
    start("Travel", "An émigré physician's first year")

    assert search("émigré").total == 1


@pytest.mark.parametrize("query", ["", "   ", "!!!", '"" *', "-", "()"])
def test_an_empty_query_finds_nothing(start, query):
    start("Anything", "Some text")

    page = search(query)

    assert (page.hits, page.total) == ([], 0)


def test_results_are_paginated_newest_first_among_equals(db, start):
    now = utcnow()
    threads = [
        start(f"Thread {n}", "Identical words about rotas", created_at=now + timedelta(minutes=n))
        for n in range(25)
    ]
    post_ids = [opening_post(thread).id for thread in reversed(threads)]

    first = search("rotas", per_page=10)
    third = search("rotas", page=3, per_page=10)

    assert (first.total, first.page, first.per_page, len(first.hits)) == (25, 1, 10, 10)
    assert (third.total, third.page, len(third.hits)) == (25, 3, 5)
    assert [hit.post_id for hit in first.hits] == post_ids[:10]
    assert [hit.post_id for hit in third.hits] == post_ids[20:]
    past_the_end = search("rotas", page=4, per_page=10)
    assert past_the_end.page == 3
    assert [hit.post_id for hit in past_the_end.hits] == post_ids[20:]
    assert search("rotas", page=0, per_page=10).page == 1


def test_a_passing_mention_ranks_below_the_post_about_it(start):
    start("Scheduling", "Rotas rotas rotas: rotas everywhere, rotas again.")
    start("Rotas", "Rotas")
    passing = opening_post(start("Other", "A long post " + "with many other words " * 20 + "rotas"))

    page = search("rotas")

    assert page.total == 3
    assert page.hits[-1].post_id == passing.id


def test_query_words_drop_punctuation():
    assert query_words('NEAR("mentor" -x) a:b') == ["near", "mentor", "x", "a", "b"]
    assert query_words("***") == []


def test_search_tables_are_recognised():
    for name in ["forum_search", "forum_search_data", "forum_search_idx", "forum_search_content"]:
        assert is_search_table(name)
    assert is_search_table("forum_search_docsize")
    assert is_search_table("forum_search_config")
    assert not is_search_table("forum_posts")
    assert not is_search_table("forum_search_other")


@pytest.mark.fresh_database
@only_sqlite
def test_the_sqlite_search_table_comes_and_goes_with_the_models(app, db, database):
    names = {
        row.name
        for row in db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
    }
    assert {"forum_search", "forum_search_data", "forum_search_config"} <= names
    db.session.commit()

    db.drop_all()

    assert db.session.execute(text("SELECT name, type FROM sqlite_master")).all() == []
    db.create_all()


@pytest.mark.fresh_database
@only_sqlite
def test_the_sqlite_ddl_indexes_posts_written_before_it(app, db, database, start):
    thread = start("Backfill", "Older words")
    for statement in search_module.SQLITE_SEARCH_DROP:
        db.session.execute(text(statement))
    for statement in search_module.SQLITE_SEARCH_DDL:
        db.session.execute(text(statement))
    db.session.commit()

    assert found("older") == {opening_post(thread).id}
    assert found("backfill") == {opening_post(thread).id}


@only_postgresql
def test_postgresql_matches_bodies_through_the_gin_index(app, db, database, start):
    start("Indexed", "Words in an indexed body")
    statement = select(func.count()).select_from(search_module._postgres_matches(["indexed"]))
    sql = statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})

    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.connection().exec_driver_sql(f"EXPLAIN {sql}").scalars())
    db.session.rollback()

    assert "ix_forum_posts_body_search" in plan
