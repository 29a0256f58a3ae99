"""JSON API v1: errors are always JSON (see app/errors.py)."""

from flask import Blueprint, url_for

from app.certification import service as certification
from app.clock import utcnow
from app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def certificate_json(code: str) -> dict:
    certificate = certification.get_by_code(code)
    return {
        "code": certificate.code,
        "holder": certificate.holder_name,
        "certification": {
            "id": certificate.certification.slug,
            "title": certificate.certification.title,
        },
        "issued_at": certificate.issued_at.isoformat() + "Z",
        "expires_at": certificate.expires_at.isoformat() + "Z" if certificate.expires_at else None,
        "status": certification.status_of(certificate, now=utcnow()).value,
        "verify_url": url_for("certification.verify", code=certificate.code, _external=True),
    }


@bp.get("/certificates/<code>")
def get_certificate(code: str) -> dict:
    return certificate_json(code)
