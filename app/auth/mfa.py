"""Two-step sign-in: after the password, a 6-digit code from an authenticator app (TOTP,
RFC 6238: 30-second steps, SHA-1, as every authenticator app expects) or one of ten
single-use recovery codes.

A code is accepted once: the step it belongs to is claimed in one UPDATE, so a code
seen over a shoulder, or sent twice at once, does not work a second time.
"""

import calendar
import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, func, or_, select, update

from app.auth.models import RecoveryCode, User
from app.extensions import db

ISSUER = "Preceptor"
STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_secret() -> str:
    return pyotp.random_base32(length=32)  # 160 bits, as RFC 4226 recommends


def setup_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The setup link as a QR code for a phone's camera (an SVG data URI)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _clean(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (now, or one either side for a phone's clock) the code belongs to."""
    if len(code) != 6 or not code.isdigit():
        return None
    # `now` is naive UTC (app.clock): timegm reads it as UTC, whatever the server's zone.
    totp, step = pyotp.TOTP(secret), calendar.timegm(now.utctimetuple()) // STEP_SECONDS
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.at(candidate * STEP_SECONDS), code):
            return candidate
    return None


def _salted_hash(code: str, salt: str | None = None) -> str:
    """ "salt$sha256(salt + code)": a recovery code has about 49 bits, so each is salted
    (ASVS 6.5.2) and the sign-in limit stops guessing."""
    salt = salt or secrets.token_hex(8)
    return f"{salt}${hashlib.sha256((salt + _clean(code)).encode()).hexdigest()}"


def _is_code(code: str, stored: str) -> bool:
    salt, _, _digest = stored.partition("$")
    return hmac.compare_digest(_salted_hash(code, salt), stored)


def new_recovery_codes(user: User) -> list[str]:
    """Ten new codes (the old ones stop working); shown once, kept only as hashes."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_salted_hash(c)) for c in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


def enable(user: User, secret: str, code: str, *, now: datetime) -> list[str] | None:
    """Turn two-step sign-in on when `code` shows the app holds `secret`; returns the
    recovery codes, or None when the code is wrong."""
    step = _matching_step(secret, _clean(code), now)
    if step is None:
        return None
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, now, step
    return new_recovery_codes(user)


def disable(user: User) -> None:
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def verify(user: User, code: str, *, now: datetime) -> str | None:
    """ "app" or "recovery" when the code is accepted (and used up), else None."""
    cleaned = _clean(code)
    if not user.has_mfa or not cleaned:
        return None
    step = _matching_step(user.totp_secret, cleaned, now)
    if step is not None:
        claimed = db.session.execute(
            update(User)
            .where(
                User.id == user.id,
                or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        ).rowcount
        return "app" if claimed else None
    unused = db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    match = next((row for row in unused if _is_code(cleaned, row.code_hash)), None)
    if match is None:
        return None
    used = db.session.execute(  # claimed in one statement: two tabs cannot both use it
        update(RecoveryCode)
        .where(RecoveryCode.id == match.id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return "recovery" if used else None


def required_for(user: User, required_roles: tuple[str, ...]) -> bool:
    """Whether the deployment asks this user's roles for two-step sign-in."""
    return not {role.value for role in user.roles}.isdisjoint(required_roles)
