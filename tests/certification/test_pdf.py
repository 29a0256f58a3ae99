"""Certificate PDFs: what they show, one landscape page in A4 and Letter, and WeasyPrint
loading nothing but the app's own static files, whatever the holder's name contains."""

import io
import socket
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pypdf
import pytest
import segno
from weasyprint import HTML

from app.certification import pdf
from app.certification.models import Certificate
from app.courses.models import Certification

CODE = "7K2M-9QXD-4HTR-WB6P"
VERIFY_URL = f"https://preceptor.example.org/certificates/verify/{CODE}"
ISSUED = datetime(2026, 3, 14, 9, 30)
EXPIRES = datetime(2028, 3, 14, 9, 30)
NOW = datetime(2026, 6, 1, 12, 0)  # while the certificate is valid
# Landscape page sizes in PDF points (1/72 inch).
SIZES = {"A4": (841.89, 595.28), "Letter": (792.0, 612.0)}

HOSTILE = (
    '<b>Bold</b> <img src="http://evil.example/x.png"> '
    '<link rel=stylesheet href="file:///etc/passwd"> '
    'url(file:///etc/passwd) </style><style>@import "http://x"'
)
# holder_name is a String(120) column: the full payload above is rendered from an unsaved
# certificate, this shorter one from a saved one.
HOSTILE_SHORT = (
    '<b>Bold</b> <img src="http://evil.example/x.png"> '
    '</style><style>@import "http://x" url(file:///etc/passwd)'
)


@pytest.fixture
def certification(db) -> Certification:
    certification = Certification(
        slug="physician-mentor",
        title="Certified Physician Mentor",
        course_slugs=[],
        valid_for_months=24,
        renewal_window_days=60,
    )
    db.session.add(certification)
    db.session.commit()
    return certification


@pytest.fixture
def make_certificate(db, make_user, certification) -> Callable[..., Certificate]:
    def make(
        holder_name: str = "Dr. Amelia Okonkwo-Hartmann",
        *,
        expires_at: datetime | None = EXPIRES,
        save: bool = True,
    ) -> Certificate:
        user = make_user()
        certificate = Certificate(
            code=CODE,
            user_id=user.id,
            certification_id=certification.id,
            holder_name=holder_name,
            issued_at=ISSUED,
            expires_at=expires_at,
            earned_on={"courses": {}, "quizzes": {}},
        )
        if not save:
            certificate.certification = certification
            return certificate
        db.session.add(certificate)
        db.session.commit()
        return db.session.get(Certificate, certificate.id)

    return make


@pytest.fixture
def fetch_log(monkeypatch) -> list[tuple[str, str]]:
    """Every URL WeasyPrint asks the fetcher for, with "served" or "refused"."""
    log: list[tuple[str, str]] = []
    real = pdf.static_only_fetcher

    def recording(url, static_folder=None):
        try:
            response = real(url, static_folder=static_folder)
        except Exception:
            log.append((url, "refused"))
            raise
        log.append((url, "served"))
        return response

    monkeypatch.setattr(pdf, "static_only_fetcher", recording)
    return log


@pytest.fixture
def connections(monkeypatch) -> list:
    """Network connections attempted while the test runs (recorded, then refused)."""
    attempts: list = []

    def refuse(self, address):
        attempts.append(address)
        raise OSError("network access is not allowed in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def static_uri(app, name: str = "") -> str:
    return Path(app.static_folder).resolve().as_uri() + "/" + name


def pdf_text(document: bytes) -> str:
    """The text of the only page, with runs of whitespace (line breaks) made one space."""
    reader = pypdf.PdfReader(io.BytesIO(document))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


def squash(text: str) -> str:
    """Without whitespace: lines may wrap anywhere, and letter-spaced capitals come out of
    text extraction as "P R E C E P T O R"."""
    return "".join(text.split())


def render(app, certificate: Certificate, page_size: str = "A4") -> bytes:
    # Load what the template reads before any socket is refused (PostgreSQL runs).
    _ = certificate.holder_name, certificate.certification.title
    return pdf.render_certificate_pdf(
        certificate, verify_url=VERIFY_URL, now=NOW, page_size=page_size
    )


def test_the_pdf_shows_the_certificate(app, make_certificate, fetch_log):
    document = render(app, make_certificate())

    assert document.startswith(b"%PDF-")
    text = pdf_text(document)
    flat = squash(text)
    folded = flat.casefold()  # labels are set in capitals by the stylesheet
    assert "preceptorphysicianmentorshipprogram" in folded
    assert "Certified Physician Mentor awarded to Dr. Amelia Okonkwo-Hartmann" in text
    assert "issued14march2026" in folded
    assert "validuntil14march2028" in folded
    assert CODE in text
    assert VERIFY_URL in flat  # it may wrap at the end of a line
    # Its stylesheet comes from static/, through the fetcher.
    assert fetch_log == [(static_uri(app, "certificate.css"), "served")]


def test_a_certificate_that_does_not_expire_says_so(app, make_certificate):
    text = pdf_text(render(app, make_certificate(expires_at=None)))

    assert "Does not expire" in text
    assert "validuntildoesnotexpire" in squash(text).casefold()


def test_the_html_holds_a_qr_code_of_the_verify_url(app, make_certificate):
    html = pdf.render_certificate_html(make_certificate(), verify_url=VERIFY_URL, now=NOW)

    expected = segno.make(VERIFY_URL, error="m", micro=False).svg_inline(
        scale=4, border=0, dark="#1d2430", svgclass="qr", lineclass=None
    )
    assert expected in html
    # Nothing in the page for WeasyPrint to fetch but its one stylesheet.
    assert "<img" not in html and "data:" not in html and "url(" not in html
    assert "@import" not in html and "http://" not in html


@pytest.mark.parametrize("page_size", ["A4", "Letter"])
def test_one_landscape_page_of_the_right_size(app, make_certificate, page_size):
    long_name = "Dr. Maximiliana Alexandrovna Konstantinopoulou-Wolfeschlegelsteinhausen Ruiz"
    for certificate in (make_certificate(), make_certificate(long_name, save=False)):
        reader = pypdf.PdfReader(io.BytesIO(render(app, certificate, page_size)))

        assert len(reader.pages) == 1
        box = reader.pages[0].mediabox
        width, height = SIZES[page_size]
        assert float(box.width) == pytest.approx(width, abs=0.5)
        assert float(box.height) == pytest.approx(height, abs=0.5)


def test_an_unknown_page_size_is_refused(app, make_certificate):
    with pytest.raises(ValueError, match="page_size"):
        pdf.render_certificate_html(
            make_certificate(), verify_url=VERIFY_URL, now=NOW, page_size="A3"
        )


@pytest.mark.parametrize("saved", [True, False], ids=["saved", "full-payload-unsaved"])
def test_a_hostile_name_is_printed_literally_and_fetches_nothing(
    app, make_certificate, fetch_log, connections, saved
):
    name = HOSTILE_SHORT if saved else HOSTILE
    certificate = make_certificate(name, save=saved)

    html = pdf.render_certificate_html(certificate, verify_url=VERIFY_URL, now=NOW)
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html
    assert "<b>" not in html and "<img" not in html
    assert html.count("<style>") == html.count("</style>") == 1  # only the @page size

    text = pdf_text(render(app, certificate))
    assert "<b>Bold</b>" in text
    assert '<img src="http://evil.example/x.png">' in text
    assert squash(name) in squash(text)  # all of it, as typed (lines wrap anywhere)
    # WeasyPrint asked for the stylesheet in static/ and nothing else, and opened no socket.
    assert fetch_log == [(static_uri(app, "certificate.css"), "served")]
    assert connections == []


def test_weasyprint_skips_what_the_fetcher_refuses(app, fetch_log, connections):
    folder = Path(app.static_folder).resolve()
    html = (
        '<link rel="stylesheet" href="file:///etc/passwd">'
        '<link rel="stylesheet" href="http://evil.example/x.css">'
        '<link rel="stylesheet" href="../app/__init__.py">'
        '<link rel="stylesheet" href="site.css">'
        '<img src="https://evil.example/x.png"><img src="data:image/png;base64,iVBORw0KGgo=">'
        "<p>Still rendered</p>"
    )
    document = HTML(
        string=html, base_url=folder.as_uri() + "/", url_fetcher=pdf.StaticOnlyFetcher(folder)
    ).write_pdf()

    assert "Still rendered" in pdf_text(document)
    assert dict(fetch_log) == {
        "file:///etc/passwd": "refused",
        "http://evil.example/x.css": "refused",
        folder.parent.joinpath("app", "__init__.py").as_uri(): "refused",
        static_uri(app, "site.css"): "served",
        "https://evil.example/x.png": "refused",
        "data:image/png;base64,iVBORw0KGgo=": "refused",
    }
    assert connections == []


def test_the_fetcher_serves_a_static_file(app):
    response = pdf.static_only_fetcher(static_uri(app, "site.css"))

    assert response.read() == Path(app.static_folder, "site.css").read_bytes()
    assert response.content_type == "text/css"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "http://evil.example/x.png",
        "https://evil.example/x.css",
        "ftp://evil.example/x.css",
        "data:text/css,body{color:red}",
        "site.css",
        "//evil.example/site.css",
    ],
)
def test_the_fetcher_refuses_other_schemes(app, connections, url):
    with pytest.raises(pdf.ResourceRefused):
        pdf.static_only_fetcher(url)
    with pytest.raises(pdf.ResourceRefused):
        pdf.StaticOnlyFetcher(app.static_folder).fetch(url)
    assert connections == []


@pytest.mark.parametrize(
    "path",
    [
        "../app/__init__.py",
        "%2e%2e/app/__init__.py",
        "..%2fapp%2f__init__.py",
        "../../../../../../etc/passwd",
        "css/../../pyproject.toml",
        "",  # the folder itself
        "no-such-file.css",
        "site.css%00.png",
    ],
)
def test_the_fetcher_refuses_paths_outside_static(app, path):
    with pytest.raises(pdf.ResourceRefused):
        pdf.static_only_fetcher(static_uri(app, path))


def test_the_fetcher_refuses_other_hosts_and_escaping_symlinks(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "ok.css").write_text("p { color: black }")
    (tmp_path / "secret.css").write_text("secret")
    (static / "link.css").symlink_to(tmp_path / "secret.css")
    (tmp_path / "static-evil").mkdir()
    (tmp_path / "static-evil" / "x.css").write_text("secret")

    assert pdf.static_only_fetcher((static / "ok.css").as_uri(), static_folder=static).read()
    for url in [
        (static / "link.css").as_uri(),
        (tmp_path / "static-evil" / "x.css").as_uri(),
        (static / "ok.css").as_uri().replace("file://", "file://evil.example"),
    ]:
        with pytest.raises(pdf.ResourceRefused):
            pdf.static_only_fetcher(url, static_folder=static)


def test_a_revoked_certificate_says_so_on_its_face(app, db, make_certificate):
    certificate = make_certificate()
    certificate.revoked_at, certificate.revoked_reason = datetime(2026, 5, 2, 8, 0), "left"
    db.session.commit()

    text = pdf_text(render(app, certificate))

    assert "Revoked on 2 May 2026. This certificate is not valid." in text
    assert "REVOKED" in squash(text).upper()
    assert "validuntil" not in squash(text).casefold()


def test_an_expired_certificate_says_so_on_its_face(app, make_certificate):
    certificate = make_certificate(expires_at=datetime(2026, 4, 1, 9, 30))

    text = pdf_text(render(app, certificate))

    assert "Expired on 1 April 2026. This certificate is no longer valid." in text
    assert "validuntil" not in squash(text).casefold()


def test_a_valid_certificate_carries_no_stamp(app, make_certificate):
    text = pdf_text(render(app, make_certificate()))
    assert "not valid" not in text and "Revoked" not in text and "Expired" not in text
