"""The certificate as an Open Badges 3.0 credential signed as a VC-JWT: every property the
spec requires, one test each, and a signature that verifies only with the published key."""

import base64
import hashlib
import json
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app.certification import credential
from app.certification.models import Certificate
from app.clock import utcnow
from app.courses.models import Certification

BASE = "https://preceptor.example"
CODE = "7K2M-9QXD-4HTR-WB6P"
EMAIL = "ada.mentor@hospital.example"
CRITERIA = (
    "Completed every required course of the Preceptor physician mentor program "
    "and passed each course's quiz."
)
DATETIME_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def whole_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


@pytest.fixture
def issued_at() -> datetime:
    # Real time matters: verification checks nbf/exp against the wall clock.
    return utcnow() - timedelta(days=3, microseconds=-123456)


@pytest.fixture
def certificate(db, make_user, issued_at) -> Certificate:
    holder = make_user(email=EMAIL, name="Dr. Ada Mentor")
    program = Certification(
        slug="physician-mentor",
        title="Certified Physician Mentor",
        course_slugs=[],
        valid_for_months=24,
        renewal_window_days=60,
    )
    db.session.add(program)
    db.session.flush()
    row = Certificate(
        code=CODE,
        user_id=holder.id,
        certification_id=program.id,
        holder_name="Dr. Ada Mentor",
        issued_at=issued_at,
        expires_at=issued_at + timedelta(days=730),
        earned_on={"courses": {}, "quizzes": {}},
    )
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def document(certificate) -> dict:
    return credential.build_credential(
        certificate, base_url=BASE, issuer_name="Preceptor", now=utcnow()
    )


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


@pytest.fixture
def token(document, instance) -> str:
    key = credential.load_or_create_signing_key(instance)
    return credential.sign_credential(document, key, credential.key_id(key))


def segment(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def at(document: dict, path: str):
    value = document
    for step in path.split("."):
        value = value[int(step)] if isinstance(value, list) else value[step]
    return value


# --- every required property (spec B.1 data models), one test each -------------------

REQUIRED = [
    ("@context.0", "https://www.w3.org/ns/credentials/v2"),
    ("@context.1", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"),
    ("id", f"{BASE}/verify/{CODE}"),
    ("type", ["VerifiableCredential", "OpenBadgeCredential"]),
    ("name", "Certified Physician Mentor"),
    ("issuer.id", f"{BASE}/"),
    ("issuer.type", ["Profile"]),
    ("issuer.name", "Preceptor"),
    ("credentialSubject.type", ["AchievementSubject"]),
    ("credentialSubject.identifier.0.type", "IdentityObject"),
    ("credentialSubject.identifier.0.identityType", "emailAddress"),
    ("credentialSubject.identifier.0.hashed", True),
    ("credentialSubject.achievement.id", f"{BASE}/certifications/physician-mentor"),
    ("credentialSubject.achievement.type", ["Achievement"]),
    ("credentialSubject.achievement.achievementType", "Certification"),
    ("credentialSubject.achievement.name", "Certified Physician Mentor"),
    ("credentialSubject.achievement.criteria.narrative", CRITERIA),
    ("credentialStatus.id", f"{BASE}/api/v1/certificates/{CODE}"),
    ("credentialStatus.type", "1EdTechRevocationList"),
]


@pytest.mark.parametrize(("path", "expected"), REQUIRED, ids=[p for p, _ in REQUIRED])
def test_the_credential_carries_the_required_property(document, path, expected):
    assert at(document, path) == expected


def test_the_context_has_exactly_the_vc_then_the_ob_context_first(document):
    assert document["@context"][:2] == [credential.VC_CONTEXT, credential.OB_CONTEXT]


def test_valid_from_is_the_issue_time_as_datetime_z(document, issued_at):
    assert DATETIME_Z.match(document["validFrom"])
    assert document["validFrom"] == whole_seconds(issued_at).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_valid_until_is_the_expiry_as_datetime_z(document, certificate):
    assert DATETIME_Z.match(document["validUntil"])
    expected = whole_seconds(certificate.expires_at).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert document["validUntil"] == expected


def test_the_achievement_has_a_description(document):
    description = document["credentialSubject"]["achievement"]["description"]
    assert "Certified Physician Mentor" in description
    assert "Preceptor" in description


def test_the_identity_hash_is_the_salted_sha256_of_the_holders_email(document):
    identity = document["credentialSubject"]["identifier"][0]
    assert identity["salt"]
    digest = hashlib.sha256((EMAIL + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${digest}"
    assert EMAIL not in json.dumps(document)


def test_the_subject_has_an_opaque_id_for_the_sub_claim(document, certificate):
    subject_id = document["credentialSubject"]["id"]
    assert subject_id.startswith("urn:uuid:")
    assert "Ada" not in subject_id
    assert EMAIL not in subject_id
    again = credential.build_credential(certificate, base_url=BASE, issuer_name="P", now=utcnow())
    assert again["credentialSubject"]["id"] == subject_id


def test_a_trailing_slash_on_the_base_url_changes_nothing(certificate, document):
    other = credential.build_credential(
        certificate, base_url=BASE + "/", issuer_name="Preceptor", now=utcnow()
    )
    assert other == document


# --- expiry --------------------------------------------------------------------------


def test_no_valid_until_and_no_exp_when_the_certificate_does_not_expire(db, certificate, instance):
    certificate.expires_at = None
    db.session.commit()
    document = credential.build_credential(
        certificate, base_url=BASE, issuer_name="Preceptor", now=utcnow()
    )
    assert "validUntil" not in document
    key = credential.load_or_create_signing_key(instance)
    token = credential.sign_credential(document, key, credential.key_id(key))
    assert "exp" not in segment(token.split(".")[1])
    assert "exp" not in credential.verify_credential(token, credential.jwks(instance))


def test_an_expired_credential_fails_verification(db, certificate, instance):
    certificate.issued_at = utcnow() - timedelta(days=800)
    certificate.expires_at = utcnow() - timedelta(days=70)
    db.session.commit()
    document = credential.build_credential(
        certificate, base_url=BASE, issuer_name="Preceptor", now=utcnow()
    )
    key = credential.load_or_create_signing_key(instance)
    token = credential.sign_credential(document, key, credential.key_id(key))
    with pytest.raises(credential.InvalidCredential, match="expired"):
        credential.verify_credential(token, credential.jwks(instance))


def test_a_revoked_certificate_is_not_signed(db, certificate):
    certificate.revoked_at = utcnow()
    db.session.commit()
    with pytest.raises(credential.CertificateRevoked):
        credential.build_credential(certificate, base_url=BASE, issuer_name="P", now=utcnow())


# --- the VC-JWT (spec 8.2) -----------------------------------------------------------


def test_the_payload_is_the_credential_itself_not_under_a_vc_claim(token, document):
    payload = segment(token.split(".")[1])
    assert "vc" not in payload
    assert {k: v for k, v in payload.items() if k in document} == document


def test_the_registered_claims_map_to_the_credential(token, document, certificate, issued_at):
    payload = segment(token.split(".")[1])
    assert payload["iss"] == document["issuer"]["id"]
    assert payload["jti"] == document["id"]
    assert payload["sub"] == document["credentialSubject"]["id"]
    assert payload["nbf"] == int(whole_seconds(issued_at).replace(tzinfo=UTC).timestamp())
    expires = whole_seconds(certificate.expires_at).replace(tzinfo=UTC)
    assert payload["exp"] == int(expires.timestamp())


def test_the_jose_header_is_rs256_jwt_with_the_public_key_only(token, instance):
    header = segment(token.split(".")[0])
    assert set(header) == {"alg", "typ", "jwk"}
    assert header["alg"] == "RS256"
    assert header["typ"] == "JWT"
    published = credential.jwks(instance)["keys"][0]
    assert header["jwk"] == {k: published[k] for k in ("kty", "n", "e", "kid")}
    assert "d" not in header["jwk"]


def test_the_signature_verifies_with_the_published_jwks(token, document, instance):
    payload = credential.verify_credential(token, credential.jwks(instance))
    assert payload["credentialSubject"] == document["credentialSubject"]
    assert payload["id"] == document["id"]


def test_the_published_key_verifies_with_a_plain_jwt_library(token, instance):
    published = credential.jwks(instance)["keys"][0]
    key = jwt.PyJWK(published).key
    claims = jwt.decode(token, key, algorithms=["RS256"])
    assert claims["jti"] == f"{BASE}/verify/{CODE}"


def test_a_tampered_token_fails_verification(token, instance):
    header, payload, signature = token.split(".")
    changed = segment(payload)
    changed["credentialSubject"]["achievement"]["name"] = "Chief of Medicine"
    forged_payload = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode()
    forged = f"{header}.{forged_payload}.{signature}"
    with pytest.raises(credential.InvalidCredential, match=r"[Ss]ignature"):
        credential.verify_credential(forged, credential.jwks(instance))


def test_a_token_signed_by_another_key_fails_even_if_it_names_our_kid(document, instance):
    ours = credential.load_or_create_signing_key(instance)
    theirs = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    payload = {**document, "iss": f"{BASE}/", "jti": document["id"]}
    forged = jwt.encode(
        payload, theirs, algorithm="RS256", headers={"kid": credential.key_id(ours)}
    )
    with pytest.raises(credential.InvalidCredential):
        credential.verify_credential(forged, credential.jwks(instance))


def test_a_token_signed_by_another_key_with_its_own_jwk_fails(document, tmp_path, instance):
    credential.load_or_create_signing_key(instance)
    other = credential.load_or_create_signing_key(tmp_path / "elsewhere")
    token = credential.sign_credential(document, other, credential.key_id(other))
    with pytest.raises(credential.InvalidCredential, match="published key"):
        credential.verify_credential(token, credential.jwks(instance))


def test_an_unsigned_token_is_refused(document, instance):
    credential.load_or_create_signing_key(instance)
    unsigned = jwt.encode(document, None, algorithm="none")
    with pytest.raises(credential.InvalidCredential, match="RS256"):
        credential.verify_credential(unsigned, credential.jwks(instance))


def test_claims_that_disagree_with_the_credential_fail(document, instance):
    key = credential.load_or_create_signing_key(instance)
    kid = credential.key_id(key)
    jwk = {k: v for k, v in credential.public_jwk(key).items() if k in ("kty", "n", "e", "kid")}
    good = segment(credential.sign_credential(document, key, kid).split(".")[1])
    bad = jwt.encode(
        {**good, "sub": "urn:uuid:00000000-0000-0000-0000-000000000000"},
        key,
        algorithm="RS256",
        headers={"typ": "JWT", "jwk": jwk},
    )
    with pytest.raises(credential.InvalidCredential, match="sub"):
        credential.verify_credential(bad, credential.jwks(instance))


def test_signing_refuses_a_kid_that_is_not_the_keys(document, instance):
    key = credential.load_or_create_signing_key(instance)
    with pytest.raises(ValueError, match="kid"):
        credential.sign_credential(document, key, "some-other-kid")


# --- the key pair --------------------------------------------------------------------


def test_the_key_is_made_once_and_reused(instance):
    first = credential.load_or_create_signing_key(instance)
    pem = (instance / "signing_key.pem").read_bytes()
    second = credential.load_or_create_signing_key(instance)
    assert credential.key_id(first) == credential.key_id(second)
    assert (instance / "signing_key.pem").read_bytes() == pem
    assert credential.jwks(instance)["keys"][0]["kid"] == credential.key_id(first)
    assert [p.name for p in instance.iterdir()] == ["signing_key.pem"]


def test_the_key_file_is_private(instance):
    credential.load_or_create_signing_key(instance)
    mode = stat.S_IMODE((instance / "signing_key.pem").stat().st_mode)
    assert mode == 0o600


def test_a_new_key_is_rsa_3072(instance):
    """128-bit security (NIST SP 800-57 part 1, table 2): 3072 bits, not 2048."""
    key = credential.load_or_create_signing_key(instance)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 3072


def write_key(instance: Path, bits: int) -> rsa.RSAPrivateKey:
    from cryptography.hazmat.primitives import serialization

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    instance.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (instance / "signing_key.pem").write_bytes(pem)
    return key


def test_rotation_replaces_an_old_2048_key_and_keeps_what_it_signed_verifiable(document, instance):
    old = write_key(instance, 2048)  # as a deployment from before 3072 has it
    assert credential.key_id(credential.load_or_create_signing_key(instance)) == (
        credential.key_id(old)
    )
    signed_before = credential.sign_credential(document, old, credential.key_id(old))

    retired, new = credential.rotate_signing_key(instance)
    key = credential.load_or_create_signing_key(instance)
    assert retired == credential.key_id(old) and new == credential.key_id(key) != retired
    assert key.key_size == 3072
    keys = credential.jwks(instance)["keys"]
    assert [k["kid"] for k in keys] == [new, retired], "the signing key first"
    assert all("d" not in k for k in keys)
    signed_after = credential.sign_credential(document, key, new)
    for token in (signed_before, signed_after):
        assert credential.verify_credential(token, credential.jwks(instance))["id"]
    assert stat.S_IMODE((instance / "signing_key.pem").stat().st_mode) == 0o600


def test_a_key_smaller_than_2048_bits_is_refused(instance):
    write_key(instance, 1024)
    with pytest.raises(ValueError, match="at least 2048 bits"):
        credential.load_or_create_signing_key(instance)


def test_the_key_survives_a_restart(instance):
    """A fresh process (no in-memory cache) loads the same key from the file."""
    kid = credential.key_id(credential.load_or_create_signing_key(instance))
    credential._loaded.clear()
    assert credential.key_id(credential.load_or_create_signing_key(instance)) == kid


def test_another_instance_folder_gets_another_key(instance, tmp_path):
    one = credential.key_id(credential.load_or_create_signing_key(instance))
    two = credential.key_id(credential.load_or_create_signing_key(tmp_path / "other"))
    assert one != two


def test_the_jwks_publishes_only_the_public_key(instance):
    keys = credential.jwks(instance)["keys"]
    assert len(keys) == 1
    assert set(keys[0]) == {"kty", "n", "e", "kid", "alg", "use"}
    assert keys[0]["kty"] == "RSA"
    assert keys[0]["alg"] == "RS256"
    assert keys[0]["use"] == "sig"
    assert keys[0]["e"] == "AQAB"


def test_the_kid_is_the_rfc7638_thumbprint(instance):
    published = credential.jwks(instance)["keys"][0]
    canonical = json.dumps(
        {"e": published["e"], "kty": "RSA", "n": published["n"]}, separators=(",", ":")
    )
    digest = hashlib.sha256(canonical.encode()).digest()
    assert published["kid"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
