"""Links that leave the site (e-mails, certificates, signed credentials) are built on
the configured public address, never on the request's Host header, which a client
chooses and could point at a site of its own."""

from collections.abc import Callable

from flask import current_app, has_request_context, request, url_for


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def external_url(endpoint: str, **values) -> str:
    path = url_for(endpoint, _external=False, **values)
    # BASE_URL already ends with any prefix the site is served under.
    root = request.script_root if has_request_context() else ""
    if root and path.startswith(root + "/"):
        path = path[len(root) :]
    return base_url() + path


# Stands in for the id while the route is built: no table's ids get near it.
_ID_MARK = 8_191_819_181_918


def url_for_ids(endpoint: str, key: str, **values) -> Callable[[int], str]:
    """url_for(endpoint, **{key: id}, **values) for many ids on one page (a link under each
    post): the route is built once and each id filled in, instead of matching the
    route's rule again for every link."""
    head, _, tail = url_for(endpoint, **{key: _ID_MARK}, **values).partition(str(_ID_MARK))
    return lambda id_: f"{head}{int(id_)}{tail}"
