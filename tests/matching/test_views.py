"""Matching pages: the mentor's profile, and the coordinators' mentees, suggestions, matches,
peer matches and flagged matches, with a test per role boundary."""

import html
import re
from email import message_from_bytes
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.auth.models import Role, User
from app.certification import service as certification
from app.clock import utcnow
from app.matching import service
from app.matching.models import CareerStage, Match, MatchKind, Mentee, MentorProfile
from tests.certification.conftest import certify
from tests.conftest import client_with_role, csrf_token, log_in, post_form

# --- data -----------------------------------------------------------------------------------


def give_profile(
    user: User,
    *,
    stage: CareerStage = CareerStage.SENIOR,
    capacity: int = 2,
    specialty: str = "Pediatrics",
    interests: tuple[str, ...] = ("research",),
) -> None:
    service.save_profile(
        user,
        career_stage=stage,
        interests=list(interests),
        capacity=capacity,
        open_to_other_specialties=True,
        specialty=specialty,
        now=utcnow(),
    )


def add_mentee(name: str = "Dr. Mia Mentee", email: str = "mia@school.example") -> Mentee:
    return service.add_mentee(
        name=name,
        email=email,
        specialty="Pediatrics",
        career_stage=CareerStage.RESIDENT,
        interests=["research", "teaching"],
    )


@pytest.fixture
def certified(db, synced, make_user) -> User:
    """A certified mentor with a profile and room for two mentees."""
    mentor = make_user(Role.MENTOR, name="Dr. Cara Certified", email="cara@hospital.example")
    certify(mentor, now=utcnow())
    give_profile(mentor)
    db.session.commit()
    return mentor


@pytest.fixture
def uncertified(db, synced, make_user) -> User:
    mentor = make_user(Role.MENTOR, name="Dr. Uma Uncertified")
    give_profile(mentor)
    db.session.commit()
    return mentor


@pytest.fixture
def mentee(db) -> Mentee:
    mentee = add_mentee()
    db.session.commit()
    return mentee


@pytest.fixture
def coordinator(app, make_user):
    return client_with_role(app, make_user, Role.COORDINATOR)


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def outbox(app) -> list[Path]:
    folder = Path(app.config["OUTBOX_DIR"])
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def count(db, model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def mentee_url(mentee: Mentee) -> str:
    return f"/matching/mentees/{mentee.id}/"


def match(client, mentee: Mentee, mentor_id: int):
    return post_form(
        client,
        f"/matching/mentees/{mentee.id}/match",
        {"mentor_id": str(mentor_id)},
        form_url=mentee_url(mentee),
    )


# --- role boundaries ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_every_matching_page_renders_for_coordinators_and_admins(
    app, make_user, role, mentee, certified
):
    client = client_with_role(app, make_user, role)
    for url in ("/matching/", mentee_url(mentee), "/matching/peers"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert 'href="/matching/"' in client.get("/courses/").get_data(as_text=True)


def staff_routes(mentee_id: int, match_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", "/matching/"),
        ("POST", "/matching/mentees"),
        ("POST", "/matching/import"),
        ("GET", f"/matching/mentees/{mentee_id}/"),
        ("POST", f"/matching/mentees/{mentee_id}/match"),
        ("POST", f"/matching/matches/{match_id}/end"),
        ("GET", "/matching/peers"),
        ("POST", "/matching/peers"),
    ]


@pytest.mark.parametrize("role", [Role.MENTOR, Role.EDUCATOR])
def test_mentors_and_educators_get_403_on_every_matching_route(
    app, db, make_user, role, mentee, certified
):
    existing = service.create_match(
        certified, mentee, by=None, certification_slug="test-mentor", now=utcnow()
    )
    db.session.commit()
    client = client_with_role(app, make_user, role)
    token = csrf_token(client, "/me/")
    for method, url in staff_routes(mentee.id, existing.id):
        data = {"csrf_token": token, "mentor_id": str(certified.id), "reason": "x"}
        response = client.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code == 403, (method, url)
    assert count(db, Match) == 1
    assert 'href="/matching/"' not in client.get("/me/").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client, mentee):
    for url in ("/matching/", mentee_url(mentee), "/matching/peers", "/me/profile"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("role", [Role.EDUCATOR, Role.COORDINATOR, Role.ADMIN])
def test_the_profile_page_is_for_mentors_only(app, make_user, role):
    client = client_with_role(app, make_user, role)
    assert client.get("/me/profile").status_code == 403
    response = client.post("/me/profile", data={"csrf_token": csrf_token(client, "/me/")})
    assert response.status_code == 403
    assert 'href="/me/profile"' not in client.get("/me/").get_data(as_text=True)


# --- the mentor's profile -------------------------------------------------------------------

PROFILE = {
    "specialty": "Internal medicine",
    "career_stage": "mid_career",
    "interests": ["research", "leadership"],
    "capacity": "3",
    "open_to_other_specialties": "y",
}


def test_a_mentor_saves_their_profile_and_sees_it_again(db, synced, mentor, mentor_client):
    page = mentor_client.get("/me/profile").get_data(as_text=True)
    assert 'href="/me/profile" aria-current="page"' in page
    assert 'value="2"' in page  # the default capacity for a new profile
    assert "You cannot be matched yet: not certified; no mentor profile." in text_of(
        mentor_client.get("/me/profile")
    )
    response = post_form(mentor_client, "/me/profile", PROFILE)
    assert response.status_code == 302
    assert response.headers["Location"] == "/me/profile"
    again = text_of(mentor_client.get("/me/profile"))
    assert "Your mentor profile is saved." in again
    assert 'value="Internal medicine"' in again
    assert '<option selected value="mid_career">Mid-career</option>' in again
    db.session.expire_all()
    profile = db.session.scalar(select(MentorProfile).where(MentorProfile.user_id == mentor.id))
    assert profile.career_stage is CareerStage.MID_CAREER
    assert profile.interests == ["leadership", "research"]
    assert (profile.capacity, profile.open_to_other_specialties) == (3, True)
    assert db.session.get(User, mentor.id).specialty == "Internal medicine"


def test_unticking_other_specialties_is_saved(db, mentor, mentor_client):
    post_form(mentor_client, "/me/profile", {**PROFILE, "open_to_other_specialties": ""})
    db.session.expire_all()
    profile = db.session.scalar(select(MentorProfile).where(MentorProfile.user_id == mentor.id))
    assert profile.open_to_other_specialties is False


def test_a_capacity_of_50_is_refused_beside_the_field_and_nothing_is_saved(
    db, mentor, mentor_client
):
    response = post_form(mentor_client, "/me/profile", {**PROFILE, "capacity": "50"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(
        r'<div class="field invalid">\s*<label for="capacity">Capacity</label>.*?'
        r'<p class="field-error" id="capacity-error">Choose a number from 0 to 10.</p>',
        page,
        re.DOTALL,
    )
    assert count(db, MentorProfile) == 0


def test_a_profile_without_specialty_or_with_an_unknown_interest_is_refused(
    db, mentor, mentor_client
):
    response = post_form(
        mentor_client, "/me/profile", {**PROFILE, "specialty": " ", "interests": ["golf"]}
    )
    assert response.status_code == 422
    page = text_of(response)
    assert "Say which specialty you practise." in page
    assert "'golf' is not a valid choice" in page
    assert count(db, MentorProfile) == 0


# --- mentees --------------------------------------------------------------------------------

MENTEE = {
    "name": "Dr. Noor Novice",
    "email": "Noor@School.example",
    "specialty": "Surgery",
    "career_stage": "student",
    "interests": ["research"],
}


def test_a_coordinator_adds_a_mentee_and_lands_on_their_page(db, coordinator):
    response = post_form(coordinator, "/matching/mentees", MENTEE, form_url="/matching/")
    assert response.status_code == 302
    page = text_of(coordinator.get(response.headers["Location"]))
    assert "Dr. Noor Novice is added." in page and "noor@school.example" in page
    listing = text_of(coordinator.get("/matching/"))
    assert "Dr. Noor Novice" in listing and "Student" in listing and "none yet" in listing


def test_adding_a_mentee_with_a_bad_email_shows_the_error_beside_the_field(db, coordinator):
    response = post_form(
        coordinator, "/matching/mentees", {**MENTEE, "email": "noor@"}, form_url="/matching/"
    )
    assert response.status_code == 422
    assert re.search(
        r'<p class="field-error" id="email-error">This is not a valid e-mail address.</p>',
        response.get_data(as_text=True),
    )
    assert 'value="Dr. Noor Novice"' in response.get_data(as_text=True)
    assert count(db, Mentee) == 0


def test_adding_a_mentee_twice_is_refused_beside_the_email(db, coordinator, mentee):
    response = post_form(
        coordinator,
        "/matching/mentees",
        {**MENTEE, "email": "MIA@school.example"},
        form_url="/matching/",
    )
    assert response.status_code == 422
    assert (
        '<p class="field-error" id="email-error">There is already a mentee with the e-mail '
        "mia@school.example.</p>"
    ) in response.get_data(as_text=True)
    assert count(db, Mentee) == 1


# --- suggestions and matching --------------------------------------------------------------


def test_the_mentee_page_ranks_eligible_mentors_and_lists_the_others_apart(
    coordinator, mentee, certified, uncertified
):
    page = text_of(coordinator.get(mentee_url(mentee)))
    suggested, _, apart = page.partition("Mentors who cannot be matched now")
    assert "Dr. Cara Certified" in suggested and "Dr. Uma Uncertified" not in suggested
    assert "Score 7.00" in suggested
    assert "same specialty (Pediatrics)" in suggested
    assert "shared interests: research" in suggested
    assert "capacity left: 2 of 2" in suggested
    assert "Match with Dr. Cara Certified" in suggested
    assert re.search(r"Dr. Uma Uncertified</td><td>not certified</td>", apart)


def test_matching_the_top_suggestion_creates_the_match_and_emails_both(
    app, db, coordinator, mentee, certified, uncertified
):
    page = coordinator.get(mentee_url(mentee)).get_data(as_text=True)
    top = re.search(r'name="mentor_id" value="(\d+)"', page).group(1)
    assert int(top) == certified.id
    response = match(coordinator, mentee, int(top))
    assert response.status_code == 302
    assert response.headers["Location"] == mentee_url(mentee)
    after = text_of(coordinator.get(mentee_url(mentee)))
    assert "Dr. Mia Mentee is matched with Dr. Cara Certified. We e-mailed them both." in after
    assert "capacity left: 1 of 2" in after
    [created] = db.session.scalars(select(Match)).all()
    assert (created.kind, created.mentor_id, created.mentee_id) == (
        MatchKind.MENTEE,
        certified.id,
        mentee.id,
    )
    mails = [message_from_bytes(path.read_bytes()) for path in outbox(app)]
    by_recipient = {mail["To"]: mail for mail in mails}
    assert set(by_recipient) == {"cara@hospital.example", "mia@school.example"}
    to_mentor = by_recipient["cara@hospital.example"].get_payload(decode=True).decode()
    to_mentee = by_recipient["mia@school.example"].get_payload(decode=True).decode()
    assert "Dr. Mia Mentee" in to_mentor and "mia@school.example" in to_mentor
    assert "Dr. Cara Certified" in to_mentee and "cara@hospital.example" in to_mentee
    assert "Dr. Mia Mentee" in text_of(coordinator.get("/matching/")).split("Add a mentee")[1]


def test_posting_an_uncertified_mentor_is_refused_with_the_reason_and_creates_nothing(
    app, db, coordinator, mentee, certified, uncertified
):
    response = match(coordinator, mentee, uncertified.id)
    assert response.status_code == 409
    page = text_of(response)
    assert "This mentor cannot be matched: not certified." in page
    assert "Nothing was saved." in page
    assert count(db, Match) == 0
    assert outbox(app) == []


def test_posting_an_unknown_mentor_id_is_refused(db, coordinator, mentee):
    assert match(coordinator, mentee, 99999).status_code == 422
    assert count(db, Match) == 0


def test_the_same_pair_cannot_be_matched_twice(db, coordinator, mentee, certified):
    match(coordinator, mentee, certified.id)
    response = match(coordinator, mentee, certified.id)
    assert response.status_code == 422
    assert "These two are already matched." in text_of(response)
    assert count(db, Match) == 1


def test_ending_a_match_frees_the_mentors_capacity(db, coordinator, certified):
    give_profile(certified, capacity=1)
    first, second = add_mentee(), add_mentee("Dr. Sam Second", "sam@school.example")
    db.session.commit()
    assert match(coordinator, first, certified.id).status_code == 302
    page = text_of(coordinator.get(mentee_url(second)))
    assert "Dr. Cara Certified</td><td>no capacity left" in page
    assert match(coordinator, second, certified.id).status_code == 409

    [active] = service.matches(mentee_id=first.id, active_only=True)
    end_url = f"/matching/matches/{active.id}/end"
    field = f"end-{active.id}-reason"
    refused = post_form(coordinator, end_url, {field: ""}, form_url=mentee_url(first))
    assert refused.status_code == 422
    assert f'id="{field}-error">Say why the match ends.</p>' in refused.get_data(as_text=True)

    response = post_form(
        coordinator, end_url, {field: "Mentee moved abroad"}, form_url=mentee_url(first)
    )
    assert response.status_code == 302
    assert response.headers["Location"] == mentee_url(first)
    ended = text_of(coordinator.get(mentee_url(first)))
    assert "The match has ended." in ended and "Mentee moved abroad" in ended
    assert "Match with Dr. Cara Certified" in text_of(coordinator.get(mentee_url(second)))
    assert match(coordinator, second, certified.id).status_code == 302


def test_flagged_matches_show_after_the_mentors_certificate_is_revoked(
    db, make_user, coordinator, mentee, certified
):
    assert match(coordinator, mentee, certified.id).status_code == 302
    assert "Certificate lapsed" not in text_of(coordinator.get("/matching/"))
    certificate = certification.latest_certificate(
        certified, certification.get_certification("test-mentor")
    )
    certification.revoke(
        certificate, by=make_user(Role.COORDINATOR), reason="Licence review", now=utcnow()
    )
    db.session.commit()
    page = text_of(coordinator.get("/matching/"))
    assert "Certificate lapsed: review these matches" in page
    assert "Dr. Cara Certified with Dr. Mia Mentee" in page
    assert "Dr. Cara Certified: certificate revoked" in page


# --- peer matches ---------------------------------------------------------------------------


@pytest.fixture
def second_certified(db, make_user) -> User:
    mentor = make_user(Role.MENTOR, name="Dr. Dev Peer")
    certify(mentor, now=utcnow())
    give_profile(mentor, specialty="Surgery")
    db.session.commit()
    return mentor


def peer(client, first: User, second: User):
    data = {"first": str(first.id), "second": str(second.id)}
    return post_form(client, "/matching/peers", data)


def test_two_certified_mentors_at_the_same_stage_become_peers(
    db, coordinator, certified, second_certified
):
    page = coordinator.get("/matching/peers").get_data(as_text=True)
    assert '<label for="first">First mentor</label>' in page
    assert '<label for="second">Second mentor</label>' in page
    assert "Dr. Cara Certified (Senior)" in page
    response = peer(coordinator, certified, second_certified)
    assert response.status_code == 302
    listing = text_of(coordinator.get("/matching/peers"))
    assert "are now peer mentors" in listing
    assert "Dr. Cara Certified and Dr. Dev Peer" in listing
    assert count(db, Match) == 1


def test_a_peer_match_across_career_stages_is_refused_beside_the_field(
    db, coordinator, certified, second_certified
):
    give_profile(second_certified, stage=CareerStage.FELLOW)
    db.session.commit()
    response = peer(coordinator, certified, second_certified)
    assert response.status_code == 422
    assert (
        '<p class="field-error" id="second-error">Peer matches are between mentors at the same '
        "career stage.</p>"
    ) in response.get_data(as_text=True)
    assert count(db, Match) == 0


def test_a_peer_match_with_an_uncertified_mentor_is_refused_with_the_reason(
    db, coordinator, certified, uncertified
):
    response = peer(coordinator, certified, uncertified)
    assert response.status_code == 409
    assert "Dr. Uma Uncertified: not certified" in text_of(response)
    assert count(db, Match) == 0


def test_a_peer_match_with_oneself_or_a_mentor_without_a_profile_is_refused(
    db, make_user, coordinator, certified
):
    assert peer(coordinator, certified, certified).status_code == 422
    outsider = make_user(Role.MENTOR, name="Dr. No Profile")
    response = peer(coordinator, certified, outsider)
    assert response.status_code == 422
    assert "Not a valid choice" in text_of(response)
    assert count(db, Match) == 0


def test_ending_a_peer_match_returns_to_the_peer_page(db, coordinator, certified, second_certified):
    peer(coordinator, certified, second_certified)
    [active] = service.matches(active_only=True)
    response = post_form(
        coordinator,
        f"/matching/matches/{active.id}/end",
        {f"end-{active.id}-reason": "Both moved on"},
        form_url="/matching/peers",
    )
    assert response.headers["Location"] == "/matching/peers"
    assert "None yet." in text_of(coordinator.get("/matching/peers"))


def test_a_mentor_logged_in_sees_the_profile_link(app, mentor):
    client = app.test_client()
    log_in(client, mentor)
    assert 'href="/me/profile"' in client.get("/courses/").get_data(as_text=True)


def test_a_large_program_shows_the_best_fits_and_finds_anyone_apart_by_name(
    db, coordinator, mentee, certified, uncertified, make_user, monkeypatch
):
    monkeypatch.setattr(service, "SUGGESTIONS_SHOWN", 2)
    for name, interests in (("Dr. Ada Apt", ("research", "wellbeing")), ("Dr. Bo Basic", ())):
        mentor = make_user(Role.MENTOR, name=name)
        certify(mentor, now=utcnow())
        give_profile(mentor, interests=interests)
    for name in ("Dr. Uli Unready", "Dr. Una Unready"):
        give_profile(make_user(Role.MENTOR, name=name))
    db.session.commit()

    page = text_of(coordinator.get(mentee_url(mentee)))
    suggested, _, apart = page.partition("Mentors who cannot be matched now")
    assert "The 2 best of 3." in suggested
    assert suggested.index("Dr. Ada Apt") < suggested.index("Dr. Cara Certified")
    assert "Dr. Bo Basic" not in suggested
    assert "3 mentors cannot take this mentee now." in apart
    assert "Search by name to see why not." in apart
    assert "Dr. Uli Unready" in apart and "Dr. Una Unready" not in apart  # the first two by name

    found = text_of(coordinator.get(mentee_url(mentee) + "?who=UNA"))
    _, _, apart = found.partition("Mentors who cannot be matched now")
    assert re.search(r"Dr. Una Unready</td><td>not certified</td>", apart)
    assert "Dr. Uli Unready" not in apart
    nobody = text_of(coordinator.get(mentee_url(mentee) + "?who=%25"))
    assert "No mentor who cannot be matched has “%” in their name." in nobody
