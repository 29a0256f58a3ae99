"""A certificate as an Open Badges 3.0 credential, signed as a VC-JWT with the site's key.

Spec: 1EdTech Open Badges 3.0 (https://www.imsglobal.org/spec/ob/v3p0/), built on the
W3C Verifiable Credentials Data Model 2.0. The sections followed here:

- B.1.2 AchievementCredential (OpenBadgeCredential is its alias): `@context` is an ordered
  set starting with the VCDM 2.0 context and then the OB 3.0.3 context; `id`, `type`
  (VerifiableCredential + OpenBadgeCredential), `issuer`, `validFrom` (DateTimeZ) and
  `credentialSubject` are required; `name`, `validUntil`, `credentialStatus` optional.
- B.1.3 AchievementSubject: `type` and `achievement` required, and "either id or at least
  one identifier MUST be supplied". B.1.12 IdentityObject: `type`, `hashed`,
  `identityHash`, `identityType` required, `salt` optional; an IdentityHash is
  "sha256$" + hex(SHA-256(identifier + salt)).
- B.1.1 Achievement: `id`, `type`, `name`, `description`, `criteria` required;
  B.1.28 AchievementType "Certification": "time-limited, revocable, renewable credential".
- B.1.14 Profile (the issuer): `id` and `type` ["Profile"] required.
- 8.2 JSON Web Token Proof Format: the JWT payload IS the credential (VCDM 2.0; only
  VCDM 1.1 credentials nest it under a `vc` claim), plus the claims `iss` = issuer.id,
  `jti` = id, `nbf` = validFrom, `sub` = credentialSubject.id and `exp` = validUntil (when
  there is one). JOSE header: `alg` RS256 (the one algorithm every implementation must
  support), `typ` "JWT" if present, and either `kid` (a URI that dereferences to the
  public JWK) or `jwk` (the public key itself); no other header is allowed.

The key pair is made once and kept in the instance folder; its public half is published
as a JWKS at /.well-known/jwks.json.
"""

import base64
import contextlib
import hashlib
import json
import os
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.certification.models import Certificate
from app.certification.service import CertificateStatus, status_of
from app.errors import PreceptorError

KEY_FILE = "signing_key.pem"
RETIRED_KEYS_DIR = "retired_signing_keys"  # public JWKs of keys `preceptor keys rotate` replaced
KEY_BITS = 3072  # 128-bit security (NIST SP 800-57 part 1) for every new key
OLDEST_KEY_BITS = 2048  # a key made before 3072 still signs until it is rotated
ALGORITHM = "RS256"
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# 1EdTech Revocation List 1.0; see build_credential for why this status method.
STATUS_TYPE = "1EdTechRevocationList"
CRITERIA = (
    "Completed every required course of the Preceptor physician mentor program "
    "and passed each course's quiz."
)

RSAPrivateKey = rsa.RSAPrivateKey


class CertificateRevoked(PreceptorError):
    status, code = 409, "certificate_revoked"


class InvalidCredential(Exception):
    """The token is not a credential signed by a published key, or its claims disagree."""


# --- the key -------------------------------------------------------------------------

_loaded: dict[tuple[str, int, int], RSAPrivateKey] = {}


def load_or_create_signing_key(instance_path: Path) -> RSAPrivateKey:
    """The site's RSA signing key, made on first use into `signing_key.pem` (0600).

    Creation is atomic: the PEM is written to a private temporary file and hard-linked
    into place, which fails if another worker got there first; then that key is used.
    So every process signs with the same key and an existing key is never replaced.
    """
    path = Path(instance_path) / KEY_FILE
    if not path.exists():
        _create_key_file(path)
    stat = path.stat()
    cache_key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if cache_key not in _loaded:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < OLDEST_KEY_BITS:
            raise ValueError(f"{path} does not hold an RSA key of at least {OLDEST_KEY_BITS} bits.")
        _loaded[cache_key] = key
    return _loaded[cache_key]


def _write_new_key(directory: Path) -> Path:
    """A new key in a private temporary file of `directory`; the caller moves it."""
    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".signing_key-")
    with os.fdopen(descriptor, "wb") as handle:  # mkstemp: mode 0600 already
        handle.write(pem)
    os.chmod(temporary, 0o600)
    return Path(temporary)


def _create_key_file(path: Path) -> None:
    temporary = _write_new_key(path.parent)
    try:
        # Fails if another process made the key first: then theirs is the key.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def rotate_signing_key(instance_path: Path) -> tuple[str, str]:
    """Sign from now on with a new key; the old key's public half stays in the JWKS, so
    every credential it signed still verifies. Returns the old and the new `kid`."""
    instance_path = Path(instance_path)
    old = load_or_create_signing_key(instance_path)
    retired = instance_path / RETIRED_KEYS_DIR
    retired.mkdir(exist_ok=True)
    old_jwk = public_jwk(old)
    (retired / f"{old_jwk['kid']}.json").write_text(json.dumps(old_jwk, indent=2))
    os.replace(_write_new_key(instance_path), instance_path / KEY_FILE)  # atomic
    return old_jwk["kid"], key_id(load_or_create_signing_key(instance_path))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_uint(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def _rsa_members(public_key: rsa.RSAPublicKey) -> dict:
    numbers = public_key.public_numbers()
    return {"kty": "RSA", "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e)}


def _thumbprint(members: dict) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, without whitespace."""
    required = {name: members[name] for name in ("e", "kty", "n")}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def key_id(private_key: RSAPrivateKey) -> str:
    """The key's stable `kid`: its RFC 7638 JWK thumbprint (the same on every call)."""
    return _thumbprint(_rsa_members(private_key.public_key()))


def public_jwk(private_key: RSAPrivateKey) -> dict:
    """The public half as a JWK; never any private member ("d", "p", ...)."""
    members = _rsa_members(private_key.public_key())
    return {**members, "kid": _thumbprint(members), "alg": ALGORITHM, "use": "sig"}


def jwks(instance_path: Path) -> dict:
    """The JSON Web Key Set served at /.well-known/jwks.json: the signing key first, then
    the keys it replaced (oldest last), which verify what they signed."""
    current = public_jwk(load_or_create_signing_key(instance_path))
    files = (Path(instance_path) / RETIRED_KEYS_DIR).glob("*.json")
    retired = sorted(files, key=lambda file: file.stat().st_mtime_ns, reverse=True)
    older = (json.loads(file.read_text()) for file in retired)
    return {"keys": [current, *(key for key in older if key["kid"] != current["kid"])]}


# --- the credential ------------------------------------------------------------------


def _datetime_z(moment: datetime) -> str:
    """Naive UTC as a DateTimeZ, to the second so it equals its NumericDate claim."""
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _numeric_date(value: str) -> int:
    return int(datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def identity_hash(identifier: str, salt: str) -> str:
    """OB 3.0 IdentityHash: "sha256$" + hex SHA-256 of the identifier followed by the salt."""
    return "sha256$" + hashlib.sha256((identifier + salt).encode("utf-8")).hexdigest()


def holder_id(certificate: Certificate, *, base_url: str) -> str:
    """A stable, opaque URI for the holder (the credential subject), the same on every
    certificate of theirs; it names no personal data (see build_credential)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{base_url}/users/{certificate.user_id}").urn


def build_credential(
    certificate: Certificate, *, base_url: str, issuer_name: str, now: datetime
) -> dict:
    """The certificate as an OpenBadgeCredential (unsigned; see sign_credential).

    - `id` is the certificate's public verify URL, `{base_url}/verify/{code}`: unique
      per certificate (a renewal is a new certificate with a new code), the same on every
      download, and it dereferences to a page showing the live status.
    - `validFrom` is the issue time and `validUntil` the expiry (left out when the
      certificate does not expire), both whole seconds in UTC with a trailing "Z".
    - The holder is identified by an IdentityObject holding their email address hashed
      with SHA-256 and salted with the certificate code (so one email does not give the
      same hash on every certificate), which lets a verifier who knows the email confirm
      the recipient (spec "Verify the Recipient Using an Identifier"). The subject
      also gets an `id`, an opaque urn:uuid for the holder, because the VC-JWT proof
      format requires the `sub` claim and says it is `credentialSubject.id`.
    - `credentialStatus` is `{"id": "{base_url}/api/v1/certificates/{code}",
      "type": "1EdTechRevocationList"}`: 1EdTech's own revocation status method, the one
      used in 1EdTech's OB 3.0 examples. The final OB 3.0 verification
      algorithm only defines a check for W3C "BitstringStatusListEntry", which needs a
      signed status-list credential we do not publish, and whose "revocation" purpose is
      irreversible while our coordinators can reinstate. So verifiers are pointed at our
      public status API and, because many skip this status type, a revoked certificate
      is never signed afresh: this raises CertificateRevoked (409).

    `now` is when the credential is requested; it decides whether the certificate is
    revoked (status_of).
    """
    if status_of(certificate, now=now) is CertificateStatus.REVOKED:
        raise CertificateRevoked(
            "This certificate has been revoked, so it cannot be downloaded as a badge."
        )
    base_url = base_url.rstrip("/")
    certification = certificate.certification
    salt = certificate.code
    credential: dict = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"{base_url}/verify/{certificate.code}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": certification.title,
        "issuer": {"id": f"{base_url}/", "type": ["Profile"], "name": issuer_name},
        "validFrom": _datetime_z(certificate.issued_at),
    }
    if certificate.expires_at is not None:
        credential["validUntil"] = _datetime_z(certificate.expires_at)
    credential["credentialSubject"] = {
        "id": holder_id(certificate, base_url=base_url),
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": identity_hash(certificate.holder.email, salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
            }
        ],
        "achievement": {
            "id": f"{base_url}/certifications/{certification.slug}",
            "type": ["Achievement"],
            "achievementType": "Certification",
            "name": certification.title,
            "description": (
                f"{issuer_name} certifies that the holder has earned the "
                f"{certification.title} certification."
            ),
            "criteria": {"narrative": CRITERIA},
        },
    }
    credential["credentialStatus"] = {
        "id": f"{base_url}/api/v1/certificates/{certificate.code}",
        "type": STATUS_TYPE,
    }
    return credential


# --- signing and verifying -----------------------------------------------------------


def _issuer_id(credential: dict) -> str:
    issuer = credential["issuer"]
    return issuer if isinstance(issuer, str) else issuer["id"]


def _claims(credential: dict) -> dict:
    """The registered JWT claims the OB 3.0 VC-JWT format maps from the credential."""
    claims = {
        "iss": _issuer_id(credential),
        "jti": credential["id"],
        "nbf": _numeric_date(credential["validFrom"]),
        "sub": credential["credentialSubject"]["id"],
    }
    if "validUntil" in credential:
        claims["exp"] = _numeric_date(credential["validUntil"])
    return claims


def sign_credential(credential: dict, private_key: RSAPrivateKey, kid: str) -> str:
    """The credential as a compact VC-JWT: the payload is the credential itself plus
    iss/jti/nbf/sub (and exp), signed RS256.

    The JOSE header is {"alg": "RS256", "typ": "JWT", "jwk": <public JWK>}, where the JWK
    carries `kid` (the thumbprint also used in our JWKS). The spec allows `kid` as a
    top-level header only as a URI that dereferences to the bare JWK, which the
    1EdTech validator fetches; a thumbprint is not such a URI, so the key travels in
    `jwk` and verifiers match it against /.well-known/jwks.json by its kid.
    """
    if kid != key_id(private_key):
        raise ValueError("kid does not name this key; pass key_id(private_key).")
    payload = {**credential, **_claims(credential)}
    jwk = {**_rsa_members(private_key.public_key()), "kid": kid}
    return jwt.encode(payload, private_key, algorithm=ALGORITHM, headers={"typ": "JWT", "jwk": jwk})


def verify_credential(token: str, jwks: dict) -> dict:
    """Check a VC-JWT against a published JWKS and return the credential (the payload).

    The key is the JWKS entry whose kid the header names (top-level `kid`, or the `kid`
    of the header's `jwk`); a header `jwk` must be that same key. The signature must hold
    under RS256 only, `nbf`/`exp` must hold now, and iss/jti/sub/nbf/exp must equal
    issuer.id/id/credentialSubject.id/validFrom/validUntil, as spec 8.2 "Verify a
    Credential" requires. Raises InvalidCredential otherwise.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise InvalidCredential(f"Not a JWT: {error}") from error
    if header.get("alg") != ALGORITHM:
        raise InvalidCredential(f"The algorithm must be {ALGORITHM}.")
    embedded = header.get("jwk") if isinstance(header.get("jwk"), dict) else None
    kid = header.get("kid") or (embedded or {}).get("kid")
    if not kid and embedded:
        kid = _thumbprint(embedded)
    published = next((k for k in jwks.get("keys", []) if kid and k.get("kid") == kid), None)
    if published is None:
        raise InvalidCredential("The token is not signed by a published key.")
    if embedded and any(embedded.get(m) != published.get(m) for m in ("kty", "n", "e")):
        raise InvalidCredential("The key in the header is not the published key.")
    try:
        key = jwt.PyJWK(published, algorithm=ALGORITHM).key
        payload = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"require": ["iss", "jti", "nbf", "sub"]},
        )
    except (jwt.InvalidTokenError, jwt.PyJWKError) as error:
        raise InvalidCredential(str(error)) from error
    _check_claims(payload)
    return payload


def _check_claims(payload: dict) -> None:
    try:
        expected = _claims(payload)
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidCredential(f"The credential is incomplete: {error}") from error
    for claim, value in expected.items():
        if payload.get(claim) != value:
            raise InvalidCredential(f"The {claim} claim does not match the credential.")
    if "exp" in payload and "validUntil" not in payload:
        raise InvalidCredential("The exp claim does not match the credential.")
