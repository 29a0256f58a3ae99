"""Links that leave the site (e-mails, certificates, signed credentials) are built on
the configured public address, never on the request's Host header, which a client
chooses and could point at a site of its own."""

from flask import current_app, url_for


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def external_url(endpoint: str, **values) -> str:
    return base_url() + url_for(endpoint, _external=False, **values)
