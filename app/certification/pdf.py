"""Certificate PDFs: a template renders the HTML, one function hands it to WeasyPrint.

WeasyPrint may load only the app's own static files: every URL it meets goes through
`static_only_fetcher`, which refuses other schemes, hosts and paths by raising (WeasyPrint
then logs the refusal and leaves the resource out).
"""

import mimetypes
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import segno
from flask import current_app, render_template
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.certification import service
from app.certification.models import Certificate
from app.certification.service import CertificateStatus

PAGE_SIZES = ("A4", "Letter")
# Longer names and titles (in characters) are set smaller so that they take fewer lines.
LONG_NAME = 34
LONG_TITLE = 40


class ResourceRefused(ValueError):
    """A URL outside the app's static folder; WeasyPrint logs it and skips the resource."""


def static_only_fetcher(url: str, static_folder: str | Path | None = None) -> URLFetcherResponse:
    """Serve `url` if it is a file:// URL of a regular file inside the static folder
    (`current_app.static_folder` unless given); raise ResourceRefused for anything else."""
    folder = static_folder or current_app.static_folder
    if not folder:
        raise ResourceRefused("The app has no static folder to serve from")
    folder = Path(folder).resolve(strict=True)
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise ResourceRefused(f"Only the app's static files may be loaded, not {url[:200]!r}")
    try:
        # url2pathname decodes %2e%2e and friends; resolve() then removes every ".." and
        # follows symlinks, so the containment check sees the real file.
        path = Path(url2pathname(parts.path)).resolve(strict=True)
    except (OSError, ValueError, RuntimeError) as error:
        raise ResourceRefused(f"No such static file: {url[:200]!r}") from error
    if not path.is_relative_to(folder) or not path.is_file():
        raise ResourceRefused(f"Not a file in the static folder: {url[:200]!r}")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return URLFetcherResponse(
        path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
    )


class StaticOnlyFetcher(URLFetcher):
    """The URLFetcher WeasyPrint is given: never opens a connection, only calls
    `static_only_fetcher` (looked up at call time, so tests can record the calls)."""

    def __init__(self, static_folder: str | Path) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.static_folder = static_folder

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        return static_only_fetcher(url, static_folder=self.static_folder)


def _long_date(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def _qr_svg(url: str) -> Markup:
    """The verify URL as an inline SVG QR code. Safe to mark up: segno writes only the
    modules as path data; the URL itself never appears in the SVG as text."""
    qr = segno.make(url, error="m", micro=False)
    svg = qr.svg_inline(scale=4, border=0, dark="#1d2430", svgclass="qr", lineclass=None)
    return Markup(svg)  # noqa: S704 (see the docstring)


def _check_page_size(page_size: str) -> str:
    if page_size not in PAGE_SIZES:
        raise ValueError(f"page_size must be one of {PAGE_SIZES}, not {page_size!r}")
    return page_size


def _void_notice(certificate: Certificate, *, now: datetime) -> tuple[str, str] | None:
    """(stamp, sentence) for a certificate no longer valid, printed on its face: a
    revoked or expired certificate must not pass for a valid one on paper."""
    status = service.status_of(certificate, now=now)
    if status is CertificateStatus.REVOKED:
        when = _long_date(certificate.revoked_at)
        return "Revoked", f"Revoked on {when}. This certificate is not valid."
    if status is CertificateStatus.EXPIRED:
        when = _long_date(certificate.expires_at)
        return "Expired", f"Expired on {when}. This certificate is no longer valid."
    return None


def render_certificate_html(
    certificate: Certificate, *, verify_url: str, now: datetime, page_size: str = "A4"
) -> str:
    """The certificate as one landscape page of HTML (needs an app context)."""
    page_size = _check_page_size(page_size)
    return render_template(
        "certification/pdf.html",
        void=_void_notice(certificate, now=now),
        certificate=certificate,
        title=certificate.certification.title,
        issued_on=_long_date(certificate.issued_at),
        valid_until=_long_date(certificate.expires_at) if certificate.expires_at else None,
        verify_url=verify_url,
        qr_svg=_qr_svg(verify_url),
        page_size=page_size,
        long_name=len(certificate.holder_name) > LONG_NAME,
        long_title=len(certificate.certification.title) > LONG_TITLE,
    )


def render_certificate_pdf(
    certificate: Certificate, *, verify_url: str, now: datetime, page_size: str = "A4"
) -> bytes:
    """The certificate as a one-page PDF; WeasyPrint may load only the app's static files."""
    html = render_certificate_html(certificate, verify_url=verify_url, now=now, page_size=page_size)
    static_folder = Path(current_app.static_folder or "").resolve(strict=True)
    document = HTML(
        string=html,
        base_url=static_folder.as_uri() + "/",
        url_fetcher=StaticOnlyFetcher(static_folder),
    )
    return document.write_pdf()
