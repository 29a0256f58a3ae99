"""JSON API v1 (the contract in DESIGN.md; openapi.py describes it). Errors are always
JSON: app/errors.py answers for every /api/ path, and MentorNotEligible adds its reasons."""

from flask import Blueprint, current_app, request
from werkzeug.wrappers import Response

from app.api import payloads, service
from app.api.auth import (
    api_user,
    rate_limit_key,
    require_mentor_reader,
    token_required,
)
from app.api.openapi import openapi_document
from app.api.params import (
    MAX_ID,
    PageRequest,
    choice,
    id_fields,
    json_body,
    json_object,
    whole_number,
)
from app.certification import service as certification
from app.certification.standing import MentorStatus
from app.clock import utcnow
from app.extensions import csrf, db, limiter
from app.matching import service as matching
from app.matching.service import MentorNotEligible
from app.permissions import STAFF

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies here: a bearer token cannot be sent by another site's form

DEFAULT_RATE_LIMIT = "300 per minute"


def _rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT)


# One budget per token across the whole API, not one per endpoint.
limiter.shared_limit(_rate_limit, scope="api", key_func=rate_limit_key)(bp)


def _certification_slug() -> str:
    return current_app.config["MATCHING_CERTIFICATION"]


@bp.errorhandler(MentorNotEligible)
def mentor_not_eligible(error: MentorNotEligible) -> tuple[dict, int]:
    db.session.rollback()
    return {"error": error.code, "message": str(error), "reasons": list(error.reasons)}, 409


@bp.after_request
def ask_for_a_token(response: Response) -> Response:
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="preceptor"'
    return response


@bp.get("/openapi.json")
def get_openapi() -> dict:
    return openapi_document()


@bp.get("/certificates/<code>")
def get_certificate(code: str) -> dict:
    return payloads.certificate_payload(certification.get_by_code(code), now=utcnow())


@bp.get("/mentors")
@token_required(*STAFF)
def list_mentors() -> dict:
    paging = PageRequest.from_args(request.args)
    rows, total = service.mentor_page(
        status=choice(request.args, "status", [s.value for s in MentorStatus]),
        specialty=request.args.get("specialty", ""),
        certification_slug=_certification_slug(),
        now=utcnow(),
        page=paging.page,
        per_page=paging.per_page,
    )
    return paging.page_envelope(rows, total, payloads.mentor_payload)


@bp.get("/mentors/<int:mentor_id>")
def get_mentor(mentor_id: int) -> dict:
    require_mentor_reader(mentor_id)
    mentor, now = service.get_mentor(mentor_id), utcnow()
    row = service.mentor_standing(mentor, certification_slug=_certification_slug(), now=now)
    current = row.certificate if row.status is MentorStatus.CERTIFIED else None
    return payloads.mentor_detail_payload(row, matching.profile_of(mentor), current, now=now)


@bp.get("/mentors/<int:mentor_id>/eligibility")
def get_eligibility(mentor_id: int) -> dict:
    require_mentor_reader(mentor_id)
    mentor, now = service.get_mentor(mentor_id), utcnow()
    check = matching.eligibility(mentor, certification_slug=_certification_slug(), now=now)
    certificate = check.certificate
    return {
        "mentor_id": mentor.id,
        "eligible": check.eligible,
        "reasons": list(check.reasons),
        "certificate": payloads.certificate_payload(certificate, now=now) if certificate else None,
    }


@bp.get("/mentees")
@token_required(*STAFF)
def list_mentees() -> dict:
    paging = PageRequest.from_args(request.args)
    return paging.envelope(matching.list_mentees(), payloads.mentee_payload)


@bp.get("/matches")
@token_required(*STAFF)
def list_matches() -> dict:
    paging = PageRequest.from_args(request.args)
    found = matching.matches(
        mentor_id=whole_number(request.args, "mentor_id", maximum=MAX_ID),
        mentee_id=whole_number(request.args, "mentee_id", maximum=MAX_ID),
    )
    return paging.envelope(found, payloads.match_payload)


@bp.post("/matches")
@token_required(*STAFF)
def create_match() -> tuple[dict, int]:
    ids = id_fields(json_object(json_body(request)), "mentor_id", "mentee_id")
    mentor, mentee = service.get_mentor(ids["mentor_id"]), service.get_mentee(ids["mentee_id"])
    match = matching.create_match(
        mentor, mentee, by=api_user(), certification_slug=_certification_slug(), now=utcnow()
    )
    db.session.commit()
    return payloads.match_payload(match), 201
