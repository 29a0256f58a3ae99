"""Links that leave the site (e-mails, certificates, signed credentials) are built on
the configured public address, never on the request's Host header, which a client
chooses and could point at a site of its own."""

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
