"""The JSON API v1 through the test client: auth, roles, lists, details, eligibility, matches."""

import pytest

from app.api import tokens
from app.auth.models import Role
from app.clock import utcnow
from app.extensions import db as _db
from app.matching import service as matching
from app.matching.models import Match
from tests.api.conftest import bearer, give_profile
from tests.conftest import log_in

PROTECTED = [
    ("get", "/api/v1/mentors"),
    ("get", "/api/v1/mentors/1"),
    ("get", "/api/v1/mentors/1/eligibility"),
    ("get", "/api/v1/mentees"),
    ("get", "/api/v1/matches"),
    ("post", "/api/v1/matches"),
]
STAFF_ONLY = [
    ("get", "/api/v1/mentors"),
    ("get", "/api/v1/mentees"),
    ("get", "/api/v1/matches"),
    ("post", "/api/v1/matches"),
]


def assert_json_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) >= {"error", "message"} and body["message"]
    if code:
        assert body["error"] == code
    return body


# --- who may call -------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "url"), PROTECTED)
def test_a_request_without_a_token_gets_401_json_asking_for_one(client, method, url):
    response = getattr(client, method)(url, json={})
    assert_json_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer pre_not-a-real-token",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "pre_token-without-a-scheme",
    ],
)
def test_a_bad_token_gets_401_json(client, header):
    assert_json_error(client.get("/api/v1/mentors", headers={"Authorization": header}), 401)


def test_a_revoked_token_gets_401_json(client, coordinator, make_token):
    plaintext = make_token(coordinator)
    assert client.get("/api/v1/mentors", headers=bearer(plaintext)).status_code == 200
    token = tokens.find_active_token(plaintext)
    tokens.revoke_token(token, now=utcnow())
    _db.session.commit()
    assert_json_error(client.get("/api/v1/mentors", headers=bearer(plaintext)), 401)


def test_the_scheme_name_is_not_case_sensitive(client, coordinator, make_token):
    headers = {"Authorization": "bearer " + make_token(coordinator)}
    assert client.get("/api/v1/mentors", headers=headers).status_code == 200


@pytest.mark.parametrize("role", [Role.MENTOR, Role.EDUCATOR])
@pytest.mark.parametrize(("method", "url"), STAFF_ONLY)
def test_mentor_and_educator_tokens_get_403_on_staff_endpoints(
    client, make_user, make_token, role, method, url
):
    headers = bearer(make_token(make_user(role)))
    response = getattr(client, method)(url, headers=headers, json={"mentor_id": 1, "mentee_id": 1})
    assert_json_error(response, 403, "forbidden")


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinator_and_admin_tokens_read_mentor_data(client, make_user, make_token, role):
    headers = bearer(make_token(make_user(role)))
    assert client.get("/api/v1/mentors", headers=headers).status_code == 200


def test_a_signed_in_browser_session_is_not_an_api_credential(client, coordinator):
    log_in(client, coordinator)
    assert_json_error(client.get("/api/v1/mentors"), 401)


@pytest.mark.parametrize("suffix", ["", "/eligibility"])
def test_a_mentor_token_reads_its_own_record_and_no_one_elses(client, roster, make_token, suffix):
    headers = bearer(make_token(roster["ready"]))
    own = client.get(f"/api/v1/mentors/{roster['ready'].id}{suffix}", headers=headers)
    assert own.status_code == 200
    other = client.get(f"/api/v1/mentors/{roster['reading'].id}{suffix}", headers=headers)
    assert_json_error(other, 403, "forbidden")
    unknown = client.get(f"/api/v1/mentors/999999{suffix}", headers=headers)
    assert_json_error(unknown, 403)  # no hint whether the id exists


# --- errors are JSON everywhere under /api/v1 ---------------------------------------------


def test_an_unknown_api_path_is_a_404_json(client, coordinator_headers):
    assert_json_error(client.get("/api/v1/nothing-here", headers=coordinator_headers), 404)
    assert_json_error(client.get("/api/v1/mentors/not-a-number"), 404)


def test_a_wrong_method_is_a_405_json(client, coordinator_headers):
    assert_json_error(client.delete("/api/v1/matches", headers=coordinator_headers), 405)
    assert_json_error(client.put("/api/v1/mentors", headers=coordinator_headers), 405)


@pytest.mark.parametrize("suffix", ["", "/eligibility"])
def test_an_unknown_or_non_mentor_id_is_a_404_json(
    client, coordinator, coordinator_headers, suffix
):
    for mentor_id in (999999, 2**40, coordinator.id):
        response = client.get(f"/api/v1/mentors/{mentor_id}{suffix}", headers=coordinator_headers)
        assert_json_error(response, 404, "not_found")


def test_an_unknown_certificate_code_is_a_404_json(client):
    assert_json_error(client.get("/api/v1/certificates/AAAA-BBBB-CCCC-DDDD"), 404)


def test_the_openapi_document_is_public_json(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json()["openapi"].startswith("3.1")


# --- mentors ------------------------------------------------------------------------------


def test_mentors_list_each_mentor_with_their_status(client, roster, coordinator_headers):
    body = client.get("/api/v1/mentors", headers=coordinator_headers).get_json()
    assert body["page"] == 1 and body["per_page"] == 50 and body["total"] == 6
    statuses = {item["name"]: item["status"] for item in body["items"]}
    assert statuses == {
        "Dr. Ada Ready": "certified",
        "Dr. Ben Reading": "in_progress",
        "Dr. Cy Fresh": "not_started",
        "Dr. Di Expired": "expired",
        "Dr. Ed Revoked": "revoked",
        "Dr. Fay Unprofiled": "certified",
    }
    first = body["items"][0]
    assert set(first) == {"id", "name", "email", "specialty", "status", "practice_done"}
    assert first == {
        "id": roster["ready"].id,
        "name": "Dr. Ada Ready",
        "email": roster["ready"].email,
        "specialty": "Surgery",
        "status": "certified",
        "practice_done": True,
    }


def test_mentors_filter_by_status_and_specialty(client, roster, coordinator_headers):
    def names(query: str) -> list[str]:
        response = client.get(f"/api/v1/mentors?{query}", headers=coordinator_headers)
        return [item["name"] for item in response.get_json()["items"]]

    assert names("status=certified") == ["Dr. Ada Ready", "Dr. Fay Unprofiled"]
    assert names("status=revoked") == ["Dr. Ed Revoked"]
    assert names("specialty=pediatrics") == ["Dr. Ben Reading"]
    assert names("specialty=Surgery&status=expired") == ["Dr. Di Expired"]
    assert names("specialty=Dermatology") == []


def test_mentors_are_paged(client, roster, coordinator_headers):
    pages = [
        client.get(f"/api/v1/mentors?per_page=4&page={n}", headers=coordinator_headers).get_json()
        for n in (1, 2, 3)
    ]
    assert [len(p["items"]) for p in pages] == [4, 2, 0]
    assert all(p["total"] == 6 and p["per_page"] == 4 for p in pages)
    seen = [item["id"] for p in pages for item in p["items"]]
    assert len(set(seen)) == 6


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page=abc",
        "page=1.5",
        "per_page=0",
        "per_page=101",
        "per_page=1000",
        "status=bogus",
        "status=expiring",
        "page=99999999999999999999",
        "page=",
        "per_page= 5",
        "status=",
    ],
)
def test_bad_list_parameters_are_a_400_json(client, coordinator_headers, query):
    response = client.get(f"/api/v1/mentors?{query}", headers=coordinator_headers)
    body = assert_json_error(response, 400, "invalid_parameter")
    assert query.split("=")[0] in body["message"]


def test_a_mentor_shows_profile_progress_and_current_certificate(
    client, roster, coordinator_headers
):
    ready = roster["ready"]
    body = client.get(f"/api/v1/mentors/{ready.id}", headers=coordinator_headers).get_json()
    assert body["status"] == "certified"
    assert body["profile"] == {
        "career_stage": "senior",
        "interests": ["research", "teaching"],
        "capacity": 2,
        "open_to_other_specialties": True,
    }
    assert [c["course"] for c in body["progress"]] == ["listening", "goals"]
    assert all(c["complete"] for c in body["progress"])
    assert body["certificate"]["status"] == "valid"
    assert body["certificate"]["certification"]["id"] == "test-mentor"


def test_a_mentor_without_profile_or_certificate_shows_nulls(client, roster, coordinator_headers):
    fresh = roster["fresh"]
    body = client.get(f"/api/v1/mentors/{fresh.id}", headers=coordinator_headers).get_json()
    assert body["status"] == "not_started"
    assert body["profile"] is None and body["certificate"] is None
    assert all(c["lessons_done"] == 0 and not c["complete"] for c in body["progress"])


def test_an_expired_mentor_has_no_current_certificate(client, roster, coordinator_headers):
    expired = roster["expired"]
    body = client.get(f"/api/v1/mentors/{expired.id}", headers=coordinator_headers).get_json()
    assert body["status"] == "expired" and body["certificate"] is None


# --- eligibility --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "reasons"),
    [
        ("reading", ["not certified"]),
        ("fresh", ["not certified", "no mentor profile"]),
        ("expired", ["certificate expired"]),
        ("revoked", ["certificate revoked"]),
    ],
)
def test_eligibility_says_why_a_mentor_may_not_be_matched(
    client, roster, coordinator_headers, who, reasons
):
    mentor = roster[who]
    response = client.get(f"/api/v1/mentors/{mentor.id}/eligibility", headers=coordinator_headers)
    assert response.get_json() == {
        "mentor_id": mentor.id,
        "eligible": False,
        "reasons": reasons,
        "certificate": None,
    }


def test_a_certified_mentor_without_a_profile_is_not_eligible_but_shows_the_certificate(
    client, roster, coordinator_headers
):
    mentor = roster["unprofiled"]
    response = client.get(f"/api/v1/mentors/{mentor.id}/eligibility", headers=coordinator_headers)
    body = response.get_json()
    assert body["eligible"] is False and body["reasons"] == ["no mentor profile"]
    assert body["certificate"]["status"] == "valid"


def test_an_eligible_mentor_comes_with_the_certificate(client, roster, coordinator_headers):
    ready = roster["ready"]
    body = client.get(
        f"/api/v1/mentors/{ready.id}/eligibility", headers=coordinator_headers
    ).get_json()
    assert body["eligible"] is True and body["reasons"] == []
    assert body["certificate"]["status"] == "valid"


# --- mentees and matches ------------------------------------------------------------------


def test_mentees_are_listed_by_name_and_paged(client, roster, coordinator_headers):
    body = client.get("/api/v1/mentees?per_page=1", headers=coordinator_headers).get_json()
    assert body["total"] == 2 and body["per_page"] == 1
    assert [m["name"] for m in body["items"]] == ["Gus Mentee"]
    assert body["items"][0]["career_stage"] == "resident"
    assert_json_error(client.get("/api/v1/mentees?per_page=0", headers=coordinator_headers), 400)


def test_matches_are_listed_and_filtered(client, roster, coordinator_headers):
    ready, (gus, hana) = roster["ready"], roster["mentees"]

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/matches?{query}", headers=coordinator_headers)
        assert response.status_code == 200
        return [m["id"] for m in response.get_json()["items"]]

    match_id = roster["match"].id
    assert ids("") == [match_id]
    assert ids(f"mentor_id={ready.id}") == [match_id]
    assert ids(f"mentee_id={gus.id}") == [match_id]
    assert ids(f"mentee_id={hana.id}") == []
    assert ids(f"mentor_id={roster['fresh'].id}&mentee_id={gus.id}") == []
    response = client.get("/api/v1/matches?mentor_id=x", headers=coordinator_headers)
    assert_json_error(response, 400)


def test_a_match_is_made_for_an_eligible_mentor(client, roster, coordinator, coordinator_headers):
    ready, hana = roster["ready"], roster["mentees"][1]
    response = client.post(
        "/api/v1/matches",
        json={"mentor_id": ready.id, "mentee_id": hana.id},
        headers=coordinator_headers,
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["mentor_id"] == ready.id and body["mentee_id"] == hana.id
    assert body["kind"] == "mentee" and body["active"] is True
    assert body["created_by_id"] == coordinator.id
    stored = _db.session.get(Match, body["id"])
    assert stored is not None and stored.mentee_id == hana.id


@pytest.mark.parametrize(
    ("who", "reasons"),
    [
        ("reading", ["not certified"]),
        ("expired", ["certificate expired"]),
        ("revoked", ["certificate revoked"]),
        ("unprofiled", ["no mentor profile"]),
    ],
)
def test_an_ineligible_mentor_is_a_409_with_reasons(
    client, roster, coordinator_headers, who, reasons
):
    mentee = roster["mentees"][1]
    response = client.post(
        "/api/v1/matches",
        json={"mentor_id": roster[who].id, "mentee_id": mentee.id},
        headers=coordinator_headers,
    )
    body = assert_json_error(response, 409, "mentor_not_eligible")
    assert body["reasons"] == reasons
    assert matching.matches(mentee_id=mentee.id) == []


def test_a_mentor_with_no_capacity_left_is_a_409(client, roster, coordinator_headers):
    ready, hana = roster["ready"], roster["mentees"][1]
    give_profile(ready, capacity=1)  # already matched with the first mentee
    response = client.post(
        "/api/v1/matches",
        json={"mentor_id": ready.id, "mentee_id": hana.id},
        headers=coordinator_headers,
    )
    assert assert_json_error(response, 409)["reasons"] == ["no capacity left"]


def test_matching_the_same_pair_twice_is_a_409_conflict(client, roster, coordinator_headers):
    ready, gus = roster["ready"], roster["mentees"][0]
    response = client.post(
        "/api/v1/matches",
        json={"mentor_id": ready.id, "mentee_id": gus.id},
        headers=coordinator_headers,
    )
    assert_json_error(response, 409, "already_matched")


@pytest.mark.parametrize(
    "body", [{"mentor_id": 999999, "mentee_id": 0}, {"mentor_id": 0, "mentee_id": 999999}]
)
def test_an_unknown_mentor_or_mentee_is_a_404(client, roster, coordinator_headers, body):
    known = {"mentor_id": roster["ready"].id, "mentee_id": roster["mentees"][1].id}
    payload = {key: value or known[key] for key, value in body.items()}
    response = client.post("/api/v1/matches", json=payload, headers=coordinator_headers)
    assert_json_error(response, 404, "not_found")


def test_a_non_mentor_cannot_be_matched(client, roster, coordinator, coordinator_headers):
    payload = {"mentor_id": coordinator.id, "mentee_id": roster["mentees"][1].id}
    response = client.post("/api/v1/matches", json=payload, headers=coordinator_headers)
    assert_json_error(response, 404)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("not json", "application/json"),
        ('{"mentor_id": 1, "mentee_id": 2}', "text/plain"),
        ("[1, 2]", "application/json"),
        ("", "application/json"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400(client, coordinator_headers, data, content_type):
    response = client.post(
        "/api/v1/matches", data=data, content_type=content_type, headers=coordinator_headers
    )
    assert_json_error(response, 400, "bad_request")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({}, "mentor_id is required"),
        ({"mentor_id": 1}, "mentee_id is required"),
        ({"mentor_id": "1", "mentee_id": 2}, "mentor_id must be a positive integer"),
        ({"mentor_id": 1.5, "mentee_id": 2}, "mentor_id must be a positive integer"),
        ({"mentor_id": True, "mentee_id": 2}, "mentor_id must be a positive integer"),
        ({"mentor_id": 1, "mentee_id": -3}, "mentee_id must be a positive integer"),
        ({"mentor_id": None, "mentee_id": None}, "mentor_id must be a positive integer"),
    ],
)
def test_missing_or_wrong_typed_fields_are_a_422(client, coordinator_headers, body, problem):
    response = client.post("/api/v1/matches", json=body, headers=coordinator_headers)
    message = assert_json_error(response, 422, "invalid_body")["message"]
    assert problem in message.lower()


def test_a_failed_match_request_changes_nothing(client, roster, coordinator_headers):
    before = len(matching.matches())
    client.post("/api/v1/matches", json={"mentor_id": "x"}, headers=coordinator_headers)
    client.post(
        "/api/v1/matches",
        json={"mentor_id": roster["fresh"].id, "mentee_id": roster["mentees"][1].id},
        headers=coordinator_headers,
    )
    assert len(matching.matches()) == before


def test_every_api_response_is_json(client, roster, coordinator_headers, make_token):
    mentor_headers = bearer(make_token(roster["ready"]))
    requests = [
        ("get", "/api/v1/openapi.json", {}),
        ("get", "/api/v1/mentors", coordinator_headers),
        ("get", "/api/v1/mentors", mentor_headers),
        ("get", "/api/v1/mentors", {}),
        ("get", f"/api/v1/mentors/{roster['ready'].id}", coordinator_headers),
        ("get", f"/api/v1/mentors/{roster['reading'].id}/eligibility", mentor_headers),
        ("get", "/api/v1/mentees?page=x", coordinator_headers),
        ("get", "/api/v1/matches", coordinator_headers),
        ("post", "/api/v1/matches", coordinator_headers),
        ("patch", "/api/v1/matches", coordinator_headers),
        ("get", "/api/v1/missing", {}),
    ]
    for method, url, headers in requests:
        response = getattr(client, method)(url, headers=headers)
        assert response.mimetype == "application/json", (method, url)
        assert "<html" not in response.get_data(as_text=True).lower()


def test_capacity_counts_only_mentee_matches_that_are_active(client, roster, coordinator_headers):
    ready, hana = roster["ready"], roster["mentees"][1]
    give_profile(ready, capacity=1)
    matching.end_match(roster["match"], reason="finished", now=utcnow())
    _db.session.commit()
    response = client.post(
        "/api/v1/matches",
        json={"mentor_id": ready.id, "mentee_id": hana.id},
        headers=coordinator_headers,
    )
    assert response.status_code == 201
