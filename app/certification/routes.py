from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from app.auth.access import role_required
from app.certification import credential, service
from app.certification.forms import ReasonForm, RecognitionForm
from app.clock import utcnow
from app.errors import Forbidden
from app.extensions import db, heavy_work_limit
from app.permissions import STAFF, can_view_certificate
from app.urls import base_url, external_url

bp = Blueprint("certification", __name__)


def _certificate_for_viewer(code: str):
    """The holder, coordinators and admins may see a certificate's private views."""
    certificate = service.get_by_code(code)
    if not can_view_certificate(current_user, certificate):
        raise Forbidden("Only the holder and program coordinators can open this certificate.")
    return certificate


def verify_url(code: str) -> str:
    return external_url("certification.verify", code=code)


@bp.get("/certificates/<code>/")
@login_required
def show_certificate(code: str) -> str:
    certificate = _certificate_for_viewer(code)
    return render_template(
        "certification/certificate.html",
        certificate=certificate,
        status=service.status_of(certificate, now=utcnow()),
        verify_link=verify_url(certificate.code),
        recognition_form=RecognitionForm(shown=certificate.show_in_recognition),
        reason_form=ReasonForm(),
        is_new=request.args.get("new") == "1",
    )


@bp.get("/certificates/<code>.pdf")
@login_required
@heavy_work_limit()
def certificate_pdf(code: str) -> Response:
    certificate = _certificate_for_viewer(code)
    page_size = "Letter" if request.args.get("size", "").lower() == "letter" else "A4"
    from app.certification import pdf  # loads WeasyPrint (half a second): only here

    document = pdf.render_certificate_pdf(
        certificate, verify_url=verify_url(certificate.code), now=utcnow(), page_size=page_size
    )
    filename = f"preceptor-certificate-{certificate.code}.pdf"
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@bp.get("/certificates/<code>.jwt")
@login_required
def certificate_jwt(code: str) -> Response:
    certificate = _certificate_for_viewer(code)
    instance = current_app.config["INSTANCE_PATH"]
    key = credential.load_or_create_signing_key(instance)
    document = credential.build_credential(
        certificate, base_url=base_url(), issuer_name="Preceptor", now=utcnow()
    )
    token = credential.sign_credential(document, key, credential.key_id(key))
    return Response(
        token,
        mimetype="application/jwt",
        headers={"Content-Disposition": f'attachment; filename="preceptor-{certificate.code}.jwt"'},
    )


@bp.get("/.well-known/jwks.json")
def jwks() -> dict:
    return credential.jwks(current_app.config["INSTANCE_PATH"])


@bp.get("/verify/<code>")
def verify(code: str) -> str:
    certificate = service.get_by_code(code)
    return render_template(
        "certification/verify.html",
        certificate=certificate,
        status=service.status_of(certificate, now=utcnow()),
    )


@bp.post("/certificates/<code>/recognition")
@login_required
def set_recognition(code: str) -> Response:
    certificate = service.get_by_code(code)
    if certificate.user_id != current_user.id:
        raise Forbidden("Only the holder decides whether their name is shown.")
    form = RecognitionForm()
    if form.validate_on_submit():
        service.set_recognition(certificate, form.shown.data)
        db.session.commit()
        flash(
            "Your name is on the recently certified list."
            if form.shown.data
            else "Your name is not shown."
        )
    return redirect(url_for("certification.show_certificate", code=certificate.code))


@bp.post("/certificates/<code>/revoke")
@role_required(*STAFF)
def revoke(code: str) -> Response | tuple[str, int]:
    return _change_state(code, service.revoke, "revoked")


@bp.post("/certificates/<code>/reinstate")
@role_required(*STAFF)
def reinstate(code: str) -> Response | tuple[str, int]:
    return _change_state(code, service.reinstate, "reinstated")


def _change_state(code: str, change, done: str):
    certificate = service.get_by_code(code)
    form = ReasonForm()
    if not form.validate_on_submit():
        page = render_template(
            "certification/certificate.html",
            certificate=certificate,
            status=service.status_of(certificate, now=utcnow()),
            verify_link=verify_url(certificate.code),
            recognition_form=RecognitionForm(),
            reason_form=form,
            is_new=False,
        )
        return page, 422
    change(certificate, by=current_user, reason=form.reason.data, now=utcnow())
    db.session.commit()
    flash(f"Certificate {certificate.code} is {done}.")
    return redirect(url_for("certification.show_certificate", code=certificate.code))
