"""The OpenAPI 3.1 description of API v1. tests/api/test_openapi_contract.py checks that the
code answers as described: every route here, every status it can return, every field."""

from app.api.params import DEFAULT_PER_PAGE, MAX_ID, MAX_PAGE, MAX_PER_PAGE
from app.api.tokens import TOKEN_PREFIX
from app.certification.service import CertificateStatus
from app.certification.standing import MentorStatus
from app.matching.models import CareerStage, MatchKind

VERSION = "1.0.0"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict, *, description: str = "") -> dict:
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    return {"description": description, **schema} if description else schema


STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
BOOLEAN = {"type": "boolean"}
ID = {"type": "integer", "minimum": 1}
NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1}
TIMESTAMP = {"type": "string", "format": "date-time"}
NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
STRINGS = {"type": "array", "items": STRING}
PRACTICE_DONE = {
    **BOOLEAN,
    "description": "Every observed practice item of the matching certification is signed "
    "off (true when it asks for none).",
}


def _list_of(name: str) -> dict:
    return _object(
        {
            "items": {"type": "array", "items": _ref(name)},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0},
        },
        description=f"One page of {name} objects, and how many there are in all.",
    )


SCHEMAS = {
    "Error": {
        "type": "object",
        "properties": {
            "error": {"type": "string", "description": "A stable machine-readable code."},
            "message": {"type": "string", "description": "A sentence for people."},
            "reasons": {
                **STRINGS,
                "description": "Only with mentor_not_eligible: why the mentor may not be matched.",
            },
        },
        "required": ["error", "message"],
        "additionalProperties": False,
    },
    "Certificate": _object(
        {
            "code": {"type": "string", "examples": ["7K2M-9QXD-4HTR-WB6P"]},
            "holder": STRING,
            "certification": _object({"id": STRING, "title": STRING}),
            "issued_at": TIMESTAMP,
            "expires_at": NULLABLE_TIMESTAMP,
            "status": {"enum": [s.value for s in CertificateStatus]},
            "verify_url": {"type": "string", "format": "uri"},
        },
        description="What the public verify page shows for a certificate code.",
    ),
    "Mentor": _object(
        {
            "id": ID,
            "name": STRING,
            "email": STRING,
            "specialty": NULLABLE_STRING,
            "status": {
                "enum": [s.value for s in MentorStatus],
                "description": "Where the mentor stands toward the matching certification.",
            },
            "practice_done": PRACTICE_DONE,
        }
    ),
    "MentorProfile": _object(
        {
            "career_stage": {"enum": [s.value for s in CareerStage]},
            "interests": STRINGS,
            "capacity": {"type": "integer", "minimum": 0},
            "open_to_other_specialties": BOOLEAN,
        }
    ),
    "CourseProgress": _object(
        {
            "course": {"type": "string", "description": "The course slug."},
            "title": STRING,
            "lessons_done": {"type": "integer", "minimum": 0},
            "lessons_total": {"type": "integer", "minimum": 0},
            "has_quiz": BOOLEAN,
            "quiz_passed": BOOLEAN,
            "best_quiz_percent": {"type": ["integer", "null"], "minimum": 0, "maximum": 100},
            "complete": BOOLEAN,
        },
        description="A mentor's progress in one course the matching certification requires.",
    ),
    "PracticeProgress": _object(
        {
            "item": {"type": "string", "description": "The practice item's id."},
            "title": STRING,
            "recorded": {**BOOLEAN, "description": "An observation has been recorded."},
            "observed_on": {
                "type": ["string", "null"],
                "format": "date",
                "description": "The date of the latest observation, the one that counts.",
            },
            "done": {
                **BOOLEAN,
                "description": "The latest observation rated every criterion meets or better.",
            },
        },
        description="A mentor's observed practice for one item the certification requires.",
    ),
    "MentorDetail": _object(
        {
            "id": ID,
            "name": STRING,
            "email": STRING,
            "specialty": NULLABLE_STRING,
            "status": {"enum": [s.value for s in MentorStatus]},
            "practice_done": PRACTICE_DONE,
            "profile": _nullable(_ref("MentorProfile")),
            "progress": {"type": "array", "items": _ref("CourseProgress")},
            "practice": {"type": "array", "items": _ref("PracticeProgress")},
            "certificate": {
                **_nullable(_ref("Certificate")),
                "description": "The valid certificate that makes the mentor certified, if any.",
            },
        }
    ),
    "Eligibility": _object(
        {
            "mentor_id": ID,
            "eligible": BOOLEAN,
            "reasons": {**STRINGS, "description": "Why not; empty when eligible."},
            "certificate": _nullable(_ref("Certificate")),
        }
    ),
    "Mentee": _object(
        {
            "id": ID,
            "name": STRING,
            "email": STRING,
            "specialty": STRING,
            "career_stage": {"enum": [s.value for s in CareerStage]},
            "interests": STRINGS,
            "created_at": TIMESTAMP,
        }
    ),
    "Match": _object(
        {
            "id": ID,
            "kind": {
                "enum": [k.value for k in MatchKind],
                "description": "mentee: a mentor and a mentee; peer: two mentors (peer_id).",
            },
            "mentor_id": ID,
            "mentee_id": NULLABLE_ID,
            "peer_id": NULLABLE_ID,
            "created_at": TIMESTAMP,
            "created_by_id": NULLABLE_ID,
            "active": BOOLEAN,
            "ended_at": NULLABLE_TIMESTAMP,
            "end_reason": NULLABLE_STRING,
        }
    ),
    "NewMatch": {
        "type": "object",
        "properties": {"mentor_id": ID, "mentee_id": ID},
        "required": ["mentor_id", "mentee_id"],
    },
    "MentorList": _list_of("Mentor"),
    "MenteeList": _list_of("Mentee"),
    "MatchList": _list_of("Match"),
}

ERRORS = {
    400: ("BadRequest", "A query parameter or the body is malformed."),
    401: ("Unauthorized", "No token, or a token that is unknown or revoked."),
    403: ("Forbidden", "The token's owner does not have the role this needs."),
    404: ("NotFound", "There is no such object."),
    409: (
        "Conflict",
        "The mentor may not be matched now (`mentor_not_eligible`, `reasons` says why), "
        "or the two are already matched (`already_matched`).",
    ),
    422: ("Unprocessable", "The body's fields are missing or of the wrong type."),
    429: ("TooManyRequests", "Too many requests for this token (or address); wait and retry."),
}

RESPONSES = {
    name: {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    for name, description in ERRORS.values()
}


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _responses(success: tuple[int, dict], *errors: int) -> dict:
    status, response = success
    answers = {str(status): response}
    for code in sorted({*errors, 429}):
        answers[str(code)] = {"$ref": f"#/components/responses/{ERRORS[code][0]}"}
    return answers


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _path_id(name: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


PAGING = [
    _query(
        "page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        "Which page, from 1 (omit for the first). A page past the end has no items.",
    ),
    _query(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
        f"Items per page (omit for {DEFAULT_PER_PAGE}).",
    ),
]
QUERY_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
PUBLIC: list = []
STAFF_ONLY = "Coordinator and admin tokens only."
OWN_RECORD = "Coordinator and admin tokens; any other token only for its owner's own id."

PATHS = {
    "/api/v1/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This document.",
            "security": PUBLIC,
            "responses": _responses((200, _json("OpenAPI 3.1", {"type": "object"}))),
        }
    },
    "/api/v1/certificates/{code}": {
        "get": {
            "operationId": "getCertificate",
            "summary": "Verify a certificate code (public; the verify page's data).",
            "security": PUBLIC,
            "parameters": [
                {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": _responses((200, _json("The certificate", _ref("Certificate"))), 400, 404),
        }
    },
    "/api/v1/mentors": {
        "get": {
            "operationId": "listMentors",
            "summary": "Mentors and where each stands, by name.",
            "description": STAFF_ONLY,
            "parameters": [
                _query(
                    "status",
                    {"enum": [s.value for s in MentorStatus]},
                    "Only mentors with this status (omit for all).",
                ),
                _query(
                    "specialty",
                    STRING,
                    "Only this specialty, in any letter case (empty: all).",
                ),
                *PAGING,
            ],
            "responses": _responses(
                (200, _json("A page of mentors", _ref("MentorList"))), 400, 401, 403
            ),
        }
    },
    "/api/v1/mentors/{mentor_id}": {
        "get": {
            "operationId": "getMentor",
            "summary": "A mentor's profile, progress per required course and current certificate.",
            "description": OWN_RECORD,
            "parameters": [_path_id("mentor_id")],
            "responses": _responses(
                (200, _json("The mentor", _ref("MentorDetail"))), 401, 403, 404
            ),
        }
    },
    "/api/v1/mentors/{mentor_id}/eligibility": {
        "get": {
            "operationId": "getEligibility",
            "summary": "Whether the mentor may be matched now, and if not, why not.",
            "description": OWN_RECORD,
            "parameters": [_path_id("mentor_id")],
            "responses": _responses((200, _json("The answer", _ref("Eligibility"))), 401, 403, 404),
        }
    },
    "/api/v1/mentees": {
        "get": {
            "operationId": "listMentees",
            "summary": "Mentees, by name.",
            "description": STAFF_ONLY,
            "parameters": PAGING,
            "responses": _responses(
                (200, _json("A page of mentees", _ref("MenteeList"))), 400, 401, 403
            ),
        }
    },
    "/api/v1/matches": {
        "get": {
            "operationId": "listMatches",
            "summary": "Matches, newest first (a mentor's include their peer matches).",
            "description": STAFF_ONLY,
            "parameters": [
                _query("mentor_id", QUERY_ID, "Only this mentor's matches, peer ones included."),
                _query("mentee_id", QUERY_ID, "Only this mentee's matches."),
                *PAGING,
            ],
            "responses": _responses(
                (200, _json("A page of matches", _ref("MatchList"))), 400, 401, 403
            ),
        },
        "post": {
            "operationId": "createMatch",
            "summary": "Match a mentor with a mentee; only an eligible mentor can be matched.",
            "description": STAFF_ONLY,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("NewMatch")}},
            },
            "responses": _responses(
                (201, _json("The new match", _ref("Match"))), 400, 401, 403, 404, 409, 422
            ),
        },
    },
}


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Preceptor API",
            "version": VERSION,
            "description": (
                "Mentor certification status, eligibility and matches for an external "
                "matching system. Send `Authorization: Bearer <token>`; a token acts with its "
                'owner\'s roles. Errors are JSON: `{"error": code, "message": text}`.'
            ),
        },
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": f"An API token, starting `{TOKEN_PREFIX}`.",
                }
            },
        },
        "security": [{"bearer": []}],
    }
