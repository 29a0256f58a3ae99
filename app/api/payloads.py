"""The JSON the API answers with: one function per object, matching openapi.py's schemas."""

from datetime import datetime

from app.api.service import MentorRow
from app.certification import service as certification
from app.certification.models import Certificate
from app.certification.standing import Standing
from app.matching.models import Match, Mentee, MentorProfile
from app.urls import external_url


def timestamp(moment: datetime | None) -> str | None:
    """Stored times are naive UTC; the API says so."""
    return moment.isoformat() + "Z" if moment else None


def certificate_payload(certificate: Certificate, *, now: datetime) -> dict:
    return {
        "code": certificate.code,
        "holder": certificate.holder_name,
        "certification": {
            "id": certificate.certification.slug,
            "title": certificate.certification.title,
        },
        "issued_at": timestamp(certificate.issued_at),
        "expires_at": timestamp(certificate.expires_at),
        "status": certification.status_of(certificate, now=now).value,
        "verify_url": external_url("certification.verify", code=certificate.code),
    }


def mentor_payload(row: "MentorRow") -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "email": row.email,
        "specialty": row.specialty,
        "status": row.status.value,
        "practice_done": row.practice_done,
    }


def profile_payload(profile: MentorProfile | None) -> dict | None:
    if profile is None:
        return None
    return {
        "career_stage": profile.career_stage.value,
        "interests": list(profile.interests or []),
        "capacity": profile.capacity,
        "open_to_other_specialties": profile.open_to_other_specialties,
    }


def mentor_detail_payload(
    row: Standing,
    profile: MentorProfile | None,
    current: Certificate | None,
    *,
    now: datetime,
) -> dict:
    mentor = row.mentor
    return {
        **mentor_payload(
            MentorRow(
                mentor.id,
                mentor.name,
                mentor.email,
                mentor.specialty,
                row.status,
                row.practice_done,
            )
        ),
        "profile": profile_payload(profile),
        "progress": [
            {
                "course": course.slug,
                "title": course.title,
                "lessons_done": course.lessons_done,
                "lessons_total": course.lessons_total,
                "has_quiz": course.has_quiz,
                "quiz_passed": course.quiz_passed,
                "best_quiz_percent": course.best_percent,
                "complete": course.complete,
            }
            for course in row.courses
        ],
        "practice": [
            {
                "item": item.slug,
                "title": item.title,
                "recorded": item.recorded,
                "observed_on": item.observed_on.isoformat() if item.observed_on else None,
                "done": item.done,
            }
            for item in row.practice
        ],
        "certificate": certificate_payload(current, now=now) if current else None,
    }


def mentee_payload(mentee: Mentee) -> dict:
    return {
        "id": mentee.id,
        "name": mentee.name,
        "email": mentee.email,
        "specialty": mentee.specialty,
        "career_stage": mentee.career_stage.value,
        "interests": list(mentee.interests or []),
        "created_at": timestamp(mentee.created_at),
    }


def match_payload(match: Match) -> dict:
    return {
        "id": match.id,
        "kind": match.kind.value,
        "mentor_id": match.mentor_id,
        "mentee_id": match.mentee_id,
        "peer_id": match.peer_id,
        "created_at": timestamp(match.created_at),
        "created_by_id": match.created_by_id,
        "active": match.is_active,
        "ended_at": timestamp(match.ended_at),
        "end_reason": match.end_reason,
    }
