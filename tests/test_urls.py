"""Links built once per page and filled in per id are the links url_for builds."""

import pytest
from flask import url_for

from app.urls import url_for_ids


@pytest.mark.parametrize("script_root", ["", "/preceptor"])
def test_each_id_gets_the_link_url_for_builds(app, script_root):
    with app.test_request_context("/", base_url=f"http://localhost{script_root}"):
        edit = url_for_ids("forum.edit", "post_id")
        quote = url_for_ids("forum.reply", "quote", thread_id=7)
        for post_id in (1, 42, 8_191_819):
            assert edit(post_id) == url_for("forum.edit", post_id=post_id)
            assert quote(post_id) == url_for("forum.reply", thread_id=7, quote=post_id)
        assert edit(5).startswith(f"{script_root}/forum/")
