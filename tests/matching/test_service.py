"""Eligibility and ranking, on a hand-made set of mentors and mentees."""

from datetime import timedelta

import pytest

from app.auth.models import Role
from app.certification import service as certification
from app.clock import utcnow
from app.matching import service
from app.matching.models import CareerStage
from tests.certification.conftest import certify

PROGRAM = "test-mentor"


@pytest.fixture
def people(db, synced, make_user):
    now = utcnow()

    def mentor(name, specialty, stage, interests, capacity=2, open_to_others=True, certified=True):
        user = make_user(Role.MENTOR, name=name)
        if certified:
            certify(user, now=now)
        service.save_profile(
            user,
            career_stage=stage,
            interests=interests,
            capacity=capacity,
            open_to_other_specialties=open_to_others,
            specialty=specialty,
            now=now,
        )
        return user

    made = {
        "surgeon": mentor(
            "Dr. Surgeon Senior", "Surgery", CareerStage.SENIOR, ["research", "leadership"]
        ),
        "surgeon_mid": mentor("Dr. Surgeon Mid", "Surgery", CareerStage.MID_CAREER, ["teaching"]),
        "internist": mentor(
            "Dr. Internist", "Internal Medicine", CareerStage.SENIOR, ["research", "wellbeing"]
        ),
        "closed": mentor(
            "Dr. Closed Door", "Pediatrics", CareerStage.SENIOR, ["research"], open_to_others=False
        ),
        "peer_level": mentor("Dr. Same Stage", "Surgery", CareerStage.RESIDENT, ["research"]),
        "uncertified": mentor(
            "Dr. Not Yet", "Surgery", CareerStage.SENIOR, ["research"], certified=False
        ),
        "full": mentor("Dr. Full House", "Surgery", CareerStage.SENIOR, ["research"], capacity=0),
    }
    made["no_profile"] = make_user(Role.MENTOR, name="Dr. No Profile")
    certify(made["no_profile"], now=now)
    made["mentee"] = service.add_mentee(
        name="Dr. Resident",
        email="resident@hospital.example",
        specialty="Surgery",
        career_stage=CareerStage.RESIDENT,
        interests=["research", "leadership"],
    )
    db.session.commit()
    return made


def test_mentors_are_ranked_by_fit_with_their_reasons(people):
    ranked = service.suggestions(people["mentee"], certification_slug=PROGRAM, now=utcnow()).ranked
    assert [s.mentor.name for s in ranked] == [
        "Dr. Surgeon Senior",  # same specialty, ahead, two shared interests
        "Dr. Surgeon Mid",  # same specialty, ahead, nothing shared
        "Dr. Internist",  # other specialty but open, ahead, one shared
        "Dr. Same Stage",  # same specialty, not ahead, one shared
    ]
    top = ranked[0]
    assert "same specialty (Surgery)" in top.reasons
    assert "shared interests: leadership, research" in top.reasons
    assert any(r.startswith("career stage ahead") for r in top.reasons)
    assert "capacity left: 2 of 2" in top.reasons
    assert any("open to mentees from other specialties" in r for r in ranked[2].reasons)
    assert ranked[3].notes == ("career stage not ahead of the mentee (Resident)",)


def test_ineligible_mentors_are_listed_apart_with_why(people):
    apart = service.suggestions(people["mentee"], certification_slug=PROGRAM, now=utcnow()).apart
    reasons = {s.mentor.name: s.reasons for s in apart}
    assert reasons == {
        "Dr. Closed Door": ("takes mentees from their own specialty only",),
        "Dr. Full House": ("no capacity left",),
        "Dr. No Profile": ("no mentor profile",),
        "Dr. Not Yet": ("not certified",),
    }


def test_an_uncertified_mentor_never_appears_as_eligible(people):
    ranked = service.suggestions(people["mentee"], certification_slug=PROGRAM, now=utcnow()).ranked
    assert people["uncertified"].id not in {s.mentor.id for s in ranked}
    with pytest.raises(service.MentorNotEligible) as refused:
        service.create_match(
            people["uncertified"],
            people["mentee"],
            by=None,
            certification_slug=PROGRAM,
            now=utcnow(),
        )
    assert refused.value.reasons == ("not certified",)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("expire", "certificate expired"),
        ("revoke", "certificate revoked"),
        ("fill", "no capacity left"),
    ],
)
def test_each_reason_refuses_the_match(people, db, make_user, change, reason):
    mentor, now = people["surgeon"], utcnow()
    [certificate] = certification.certificates_of(mentor)
    if change == "expire":
        now = certificate.expires_at + timedelta(days=1)
    elif change == "revoke":
        certification.revoke(certificate, by=make_user(Role.COORDINATOR), reason="Review", now=now)
    else:
        service.profile_of(mentor).capacity = 0
    check = service.eligibility(mentor, certification_slug=PROGRAM, now=now)
    assert check.reasons == (reason,)
    with pytest.raises(service.MentorNotEligible):
        service.create_match(mentor, people["mentee"], by=None, certification_slug=PROGRAM, now=now)


def test_ending_a_match_frees_capacity(people, db):
    mentor = people["surgeon"]
    service.profile_of(mentor).capacity = 1
    match = service.create_match(
        mentor, people["mentee"], by=None, certification_slug=PROGRAM, now=utcnow()
    )
    assert service.eligibility(mentor, certification_slug=PROGRAM, now=utcnow()).reasons == (
        "no capacity left",
    )
    service.end_match(match, reason="Goals met", now=utcnow())
    assert service.eligibility(mentor, certification_slug=PROGRAM, now=utcnow()).eligible


def test_a_peer_match_needs_the_same_career_stage_and_two_eligible_mentors(people):
    now = utcnow()
    match = service.create_peer_match(
        people["surgeon"], people["internist"], by=None, certification_slug=PROGRAM, now=now
    )
    assert match.kind.value == "peer"
    with pytest.raises(service.MatchError, match="same career stage"):
        service.create_peer_match(
            people["surgeon"], people["surgeon_mid"], by=None, certification_slug=PROGRAM, now=now
        )
    with pytest.raises(service.MentorNotEligible, match="not certified"):
        service.create_peer_match(
            people["surgeon"], people["uncertified"], by=None, certification_slug=PROGRAM, now=now
        )


def test_matches_of_a_mentor_whose_certificate_lapsed_are_flagged(people, db, make_user):
    mentor = people["surgeon"]
    service.create_match(
        mentor, people["mentee"], by=None, certification_slug=PROGRAM, now=utcnow()
    )
    assert service.flagged_matches(certification_slug=PROGRAM, now=utcnow()).total == 0
    [certificate] = certification.certificates_of(mentor)
    certification.revoke(certificate, by=make_user(Role.COORDINATOR), reason="Review", now=utcnow())
    flagged = service.flagged_matches(certification_slug=PROGRAM, now=utcnow())
    [(match, why)] = flagged.matches
    assert flagged.total == 1
    assert match.mentor_id == mentor.id and why == "Dr. Surgeon Senior: certificate revoked"
    few = service.flagged_matches(certification_slug=PROGRAM, now=utcnow(), shown=0)
    assert (few.matches, few.total) == ([], 1), "the count covers what is not shown"


def test_career_stages_are_read_from_values_or_labels():
    assert service.stage_from_text("Early-career attending") is CareerStage.EARLY_CAREER
    assert service.stage_from_text(" mid_career ") is CareerStage.MID_CAREER
    assert service.stage_from_text("intern") is None


def test_a_mentor_who_takes_only_their_own_specialty_cannot_be_matched_across(people):
    with pytest.raises(service.MentorNotEligible) as refused:
        service.create_match(
            people["closed"], people["mentee"], by=None, certification_slug=PROGRAM, now=utcnow()
        )
    assert refused.value.reasons == ("takes mentees from their own specialty only",)
