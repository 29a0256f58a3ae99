"""Schemathesis reads /api/v1/openapi.json from the app and sends generated requests, valid
and invalid, to every operation with a coordinator's token: no 5xx, and every answer matches
the document (status, content type, body schema, headers, the Allow header of a 405,
required headers, auth enforced, created resources readable)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.api.openapi import PATHS

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    missing_required_header,
    allow_header_conformance,
    ensure_resource_availability,
]
OPERATIONS = [(method.upper(), path) for path, item in PATHS.items() for method in item]


def takes_constrained_input(operation: dict) -> bool:
    """Invalid input exists only where some input is more than any string."""
    parameters = operation.get("parameters", [])
    return "requestBody" in operation or any(p["schema"] != {"type": "string"} for p in parameters)


CASES = [
    pytest.param(method.upper(), path, mode, id=f"{method.upper()} {path} {mode.value}")
    for path, item in PATHS.items()
    for method, operation in item.items()
    for mode in GenerationMode
    if mode is GenerationMode.POSITIVE or takes_constrained_input(operation)
]
EXAMPLES = 25


@pytest.fixture
def config_overrides():
    return {"API_RATE_LIMIT": "1000000 per minute"}  # this test is not about the limit


@pytest.fixture
def api_schema(app, roster):
    """The document as the app serves it, with the roster's data behind it."""

    def fresh_context_app(environ, start_response):
        # As in production (and tests.conftest.FreshContextClient): each request gets its
        # own application context, so nothing in `g` carries over from the last one.
        with app.app_context():
            return app(environ, start_response)

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fresh_context_app)


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_the_api_answers_as_its_openapi_document_says(
    api_schema, coordinator_headers, method, path, mode
):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case):
        case.call_and_validate(headers=coordinator_headers, checks=CHECKS)

    answers_as_documented()


def test_the_document_describes_every_api_route_and_no_other(app):
    routes = {
        (method, rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}"))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == set(OPERATIONS)


def test_the_document_names_its_schemas_and_the_bearer_scheme(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    schemas = document["components"]["schemas"]
    named = {"Mentor", "MentorDetail", "Eligibility", "Certificate", "Mentee", "Match", "Error"}
    assert named <= set(schemas)
    for name in ("MentorList", "MenteeList", "MatchList"):
        assert set(schemas[name]["required"]) == {"items", "page", "per_page", "total"}
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    public = {path for path, item in document["paths"].items() if item["get"].get("security") == []}
    assert public == {"/api/v1/openapi.json", "/api/v1/certificates/{code}"}
