"""Certificates: awarded the moment the last requirement is met, renewed inside the
window, expired by the clock, revoked and reinstated by coordinators."""

import calendar
import enum
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from app.audit import service as audit
from app.audit.models import AuditAction
from app.auth.models import User
from app.certification.models import Certificate
from app.courses.models import Certification
from app.courses.progress import Progress, current_courses, current_practice, progress_for
from app.errors import NotFound, PreceptorError
from app.extensions import db
from app.quizzes.models import Attempt
from app.rows import lock_user

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


class CertificateStateError(PreceptorError):
    status, code = 409, "certificate_state"


def new_code() -> str:
    """80 random bits in four groups, e.g. 7K2M-9QXD-4HTR-WB6P: unguessable, easy to read out."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def status_of(certificate: Certificate, *, now: datetime) -> CertificateStatus:
    if certificate.revoked_at is not None:
        return CertificateStatus.REVOKED
    if certificate.expires_at is not None and certificate.expires_at <= now:
        return CertificateStatus.EXPIRED
    return CertificateStatus.VALID


def get_by_code(code: str) -> Certificate:
    normalized = code.strip().upper()
    if "\x00" in normalized:  # no code has one, and PostgreSQL refuses it in a query
        raise NotFound("There is no certificate with this code.")
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == normalized))
    if certificate is None:
        raise NotFound("There is no certificate with this code.")
    return certificate


def active_certifications() -> list[Certification]:
    return list(
        db.session.scalars(select(Certification).where(Certification.archived_at.is_(None)))
    )


def get_certification(slug: str) -> Certification | None:
    return db.session.scalar(select(Certification).where(Certification.slug == slug))


def certificates_of(user: User) -> list[Certificate]:
    """Newest first."""
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user.id)
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        )
    )


def latest_certificates(
    certification: Certification, user_ids: list[int] | None = None
) -> dict[int, Certificate]:
    """Each holder's newest certificate of this certification (all holders when no ids)."""
    query = select(Certificate).where(Certificate.certification_id == certification.id)
    if user_ids is not None:
        query = query.where(Certificate.user_id.in_(user_ids))
    latest: dict[int, Certificate] = {}
    for certificate in db.session.scalars(query.order_by(Certificate.issued_at, Certificate.id)):
        latest[certificate.user_id] = certificate
    return latest


def latest_certificate(user: User, certification: Certification) -> Certificate | None:
    return latest_certificates(certification, [user.id]).get(user.id)


def current_certificate(
    user: User, certification: Certification, *, now: datetime
) -> Certificate | None:
    """The certificate that makes the user certified now, if any."""
    latest = latest_certificate(user, certification)
    if latest and status_of(latest, now=now) is CertificateStatus.VALID:
        return latest
    return None


def renewal_opens_at(certificate: Certificate, certification: Certification) -> datetime | None:
    if certificate.expires_at is None:
        return None
    return certificate.expires_at - timedelta(days=certification.renewal_window_days or 0)


def _quiz_passes_since(user: User, quiz_ids: list[int], since: datetime) -> set[int]:
    rows = db.session.scalars(
        select(Attempt.quiz_id).where(
            Attempt.user_id == user.id,
            Attempt.quiz_id.in_(quiz_ids),
            Attempt.passed.is_(True),
            Attempt.submitted_at >= since,
        )
    )
    return set(rows)


def _requirements_met(
    user: User, certification: Certification, progress: Progress, since: datetime | None
) -> bool:
    """Every required course complete and every practice item done (by the progress
    model's rules) and, for a renewal, each of the courses' quizzes passed again since the
    renewal window opened: a practice sign-off stays valid for renewal."""
    if len(progress.courses) != len(certification.course_slugs) or not progress.complete():
        return False
    if since is None:
        return True
    quiz_ids = [c.course.quiz_id for c in progress.courses if c.course.has_quiz]
    return set(quiz_ids) <= _quiz_passes_since(user, quiz_ids, since)


def _earned_on(progress: Progress) -> dict:
    earned = {
        "courses": {c.course.slug: c.course.version for c in progress.courses},
        "quizzes": {
            c.course.quiz_slug: c.course.quiz_version for c in progress.courses if c.has_quiz
        },
    }
    if progress.practice:  # the rubric version each sign-off was rated on
        earned["practice"] = {p.slug: p.rated_version for p in progress.practice}
    return earned


def award_if_earned(user: User, *, now: datetime) -> list[Certificate]:
    """Issue every certificate whose last requirement the user has just met."""
    lock_user(user.id)
    connection = db.session.connection()
    awarded = []
    for certification in active_certifications():
        latest = latest_certificate(user, certification)
        since = None
        if latest is not None:
            if latest.revoked_at is not None:
                continue  # only a coordinator's reinstatement undoes a revocation
            since = renewal_opens_at(latest, certification)
            if since is None or now < since:
                continue  # valid for good, or the renewal window is not open yet
        required = current_courses(connection, certification.course_slugs)
        practice = current_practice(connection, certification.id)
        progress = progress_for(connection, [user.id], required, practice)[user.id]
        if _requirements_met(user, certification, progress, since):
            awarded.append(_issue(user, certification, latest, progress, now=now))
    return awarded


def _issue(
    user: User,
    certification: Certification,
    previous: Certificate | None,
    progress: Progress,
    *,
    now: datetime,
) -> Certificate:
    expires_at = None
    if certification.valid_for_months:
        # Renewing early never costs the mentor the time left on the old certificate.
        start = max(now, previous.expires_at) if previous and previous.expires_at else now
        expires_at = add_months(start, certification.valid_for_months)
    certificate = Certificate(
        code=new_code(),
        user_id=user.id,
        certification_id=certification.id,
        holder_name=user.name,
        issued_at=now,
        expires_at=expires_at,
        earned_on=_earned_on(progress),
    )
    db.session.add(certificate)
    db.session.flush()
    audit.record(
        AuditAction.CERTIFICATE_ISSUED,
        actor=user,
        subject=f"certificate {certificate.code}",
        subject_user=user,
        details={
            "certification": certification.slug,
            "renewal_of": previous.code if previous else None,
        },
        now=now,
    )
    return certificate


def revoke(certificate: Certificate, *, by: User, reason: str, now: datetime) -> None:
    if certificate.revoked_at is not None:
        raise CertificateStateError("This certificate is already revoked.")
    certificate.revoked_at = now
    certificate.revoked_reason = reason.strip()
    audit.record(
        AuditAction.CERTIFICATE_REVOKED,
        actor=by,
        subject=f"certificate {certificate.code}",
        subject_user=certificate.holder,
        reason=reason.strip(),
        now=now,
    )


def reinstate(certificate: Certificate, *, by: User, reason: str, now: datetime) -> None:
    if certificate.revoked_at is None:
        raise CertificateStateError("This certificate is not revoked.")
    certificate.revoked_at = None
    certificate.revoked_reason = None
    audit.record(
        AuditAction.CERTIFICATE_REINSTATED,
        actor=by,
        subject=f"certificate {certificate.code}",
        subject_user=certificate.holder,
        reason=reason.strip(),
        now=now,
    )


def set_recognition(certificate: Certificate, shown: bool) -> None:
    certificate.show_in_recognition = shown


def recently_certified(*, now: datetime, limit: int = 12) -> list[Certificate]:
    """Holders who opted in, newest first, one line per person."""
    rows = db.session.scalars(
        select(Certificate)
        .where(Certificate.show_in_recognition.is_(True), Certificate.revoked_at.is_(None))
        .order_by(Certificate.issued_at.desc())
        .limit(limit * 3)
    )
    seen, shown = set(), []
    for certificate in rows:
        if (
            certificate.user_id not in seen
            and status_of(certificate, now=now) is CertificateStatus.VALID
        ):
            seen.add(certificate.user_id)
            shown.append(certificate)
    return shown[:limit]
