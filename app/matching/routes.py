"""Matching pages: a mentor's own profile; coordinators' mentees, suggestions and matches."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.auth.access import role_required
from app.auth.models import Role, User
from app.clock import utcnow
from app.extensions import db
from app.mail import send_mail
from app.matching import mentee_import, service
from app.matching.forms import (
    EndMatchForm,
    MatchForm,
    MenteeForm,
    MenteeImportForm,
    PeerMatchForm,
    ProfileForm,
)
from app.matching.models import CareerStage, Match, MatchKind, Mentee
from app.permissions import STAFF

bp = Blueprint("matching", __name__, url_prefix="/matching")
profile_bp = Blueprint("mentor_profile", __name__)

Page = str | tuple[str, int]


def _certification_slug() -> str:
    return current_app.config["MATCHING_CERTIFICATION"]


# --- the mentor's own profile -------------------------------------------------------------


@profile_bp.route("/me/profile", methods=["GET", "POST"])
@role_required(Role.MENTOR)
def edit_profile() -> Page | Response:
    profile = service.profile_of(current_user)
    form = ProfileForm(obj=profile, specialty=current_user.specialty)
    if form.validate_on_submit():
        service.save_profile(
            current_user,
            career_stage=CareerStage(form.career_stage.data),
            interests=form.interests.data,
            capacity=form.capacity.data,
            open_to_other_specialties=form.open_to_other_specialties.data,
            specialty=form.specialty.data,
            now=utcnow(),
        )
        db.session.commit()
        flash("Your mentor profile is saved.")
        return redirect(url_for("mentor_profile.edit_profile"))
    check = service.eligibility(
        current_user, certification_slug=_certification_slug(), now=utcnow()
    )
    page = render_template("matching/profile.html", form=form, profile=profile, check=check)
    return (page, 422) if form.is_submitted() else page


# --- mentees --------------------------------------------------------------------------------


@bp.get("/")
@role_required(*STAFF)
def list_mentees() -> Page:
    return _mentees_page()


@bp.post("/mentees")
@role_required(*STAFF)
def add_mentee() -> Page | Response:
    form = MenteeForm()
    if not form.validate_on_submit():
        return _mentees_page(add_form=form, status=422)
    try:
        mentee = service.add_mentee(
            name=form.name.data,
            email=form.email.data,
            specialty=form.specialty.data,
            career_stage=CareerStage(form.career_stage.data),
            interests=form.interests.data,
        )
    except service.MatchError as error:
        db.session.rollback()
        form.email.errors.append(str(error))
        return _mentees_page(add_form=form, status=422)
    db.session.commit()
    flash(f"{mentee.name} is added. Choose a mentor below.")
    return redirect(url_for("matching.show_mentee", mentee_id=mentee.id))


@bp.post("/import")
@role_required(*STAFF)
def import_mentees() -> Page | Response:
    form = MenteeImportForm()
    if not form.validate_on_submit():
        return _mentees_page(import_form=form, status=422)
    try:
        text = mentee_import.decode_upload(form.file.data.read())
    except mentee_import.UnreadableFile as error:
        form.file.errors.append(str(error))
        return _mentees_page(import_form=form, status=422)
    known = [mentee.email for mentee in service.list_mentees()]
    rows, problems = mentee_import.parse_mentees_csv(text, existing_emails=known)
    if problems:
        form.file.errors.append("Nothing was imported: correct these lines and upload again.")
        return _mentees_page(import_form=form, problems=problems, status=422)
    try:
        for row in rows:
            service.add_mentee(
                name=row.name,
                email=row.email,
                specialty=row.specialty,
                career_stage=row.career_stage,
                interests=list(row.interests),
            )
    except service.MatchError as error:  # someone added the same mentee meanwhile
        db.session.rollback()
        form.file.errors.append(f"Nothing was imported: {error}")
        return _mentees_page(import_form=form, status=422)
    db.session.commit()
    flash(f"Imported {len(rows)} mentee{'' if len(rows) == 1 else 's'}.")
    return redirect(url_for("matching.list_mentees"))


def _mentees_page(
    *,
    add_form: MenteeForm | None = None,
    import_form: MenteeImportForm | None = None,
    problems: list[mentee_import.Problem] | None = None,
    status: int = 200,
) -> Page:
    mentors_of: dict[int, list[User]] = {}
    for match in service.matches(active_only=True):
        if match.mentee_id is not None:
            mentors_of.setdefault(match.mentee_id, []).append(match.mentor)
    page = render_template(
        "matching/mentees.html",
        mentees=service.list_mentees(),
        mentors_of=mentors_of,
        flagged=service.flagged_matches(certification_slug=_certification_slug(), now=utcnow()),
        add_form=add_form or MenteeForm(formdata=None),
        import_form=import_form or MenteeImportForm(formdata=None),
        problems=[mentee_import.format_problem(p) for p in problems or []],
        header=mentee_import.HEADER,
    )
    return page, status


# --- one mentee: suggestions and matches --------------------------------------------------------


@bp.get("/mentees/<int:mentee_id>/")
@role_required(*STAFF)
def show_mentee(mentee_id: int) -> Page:
    return _mentee_page(service.get_mentee(mentee_id))


@bp.post("/mentees/<int:mentee_id>/match")
@role_required(*STAFF)
def match_mentee(mentee_id: int) -> Page | Response:
    mentee = service.get_mentee(mentee_id)
    form = MatchForm()
    if not form.validate_on_submit():
        refusal = (
            "The page had expired, so nothing was saved. Please try again."
            if form.csrf_token.errors
            else "Choose a mentor from the list."
        )
        return _mentee_page(mentee, refusal=refusal, status=422)
    mentor = db.session.get(User, form.mentor_id.data)
    if mentor is None:
        return _mentee_page(mentee, refusal="There is no such mentor.", status=422)
    try:
        service.create_match(
            mentor,
            mentee,
            by=current_user,
            certification_slug=_certification_slug(),
            now=utcnow(),
        )
    except service.MentorNotEligible as error:
        db.session.rollback()
        return _mentee_page(mentee, refusal=str(error), status=409)
    except service.MatchError as error:
        db.session.rollback()
        return _mentee_page(mentee, refusal=str(error), status=422)
    _announce_match(mentor, mentee)
    db.session.commit()
    flash(f"{mentee.name} is matched with {mentor.name}. We e-mailed them both.")
    return redirect(url_for("matching.show_mentee", mentee_id=mentee.id))


@bp.post("/matches/<int:match_id>/end")
@role_required(*STAFF)
def end_match(match_id: int) -> Page | Response:
    match = service.get_match(match_id)
    form = EndMatchForm(prefix=f"end-{match.id}")
    if not form.validate_on_submit():
        if match.kind is MatchKind.PEER:
            return _peers_page(PeerMatchForm(formdata=None), end_forms={match.id: form}, status=422)
        return _mentee_page(match.mentee, end_forms={match.id: form}, status=422)
    try:
        service.end_match(match, reason=form.reason.data, now=utcnow())
    except service.MatchError as error:
        db.session.rollback()
        flash(str(error))
    else:
        db.session.commit()
        flash("The match has ended.")
    if match.kind is MatchKind.PEER:
        return redirect(url_for("matching.peers"))
    return redirect(url_for("matching.show_mentee", mentee_id=match.mentee_id))


def _mentee_page(
    mentee: Mentee,
    *,
    refusal: str = "",
    end_forms: dict[int, EndMatchForm] | None = None,
    status: int = 200,
) -> Page:
    found = service.suggestions(
        mentee,
        certification_slug=_certification_slug(),
        now=utcnow(),
        apart_named=request.args.get("who", "")[:120],
    )
    history = service.matches(mentee_id=mentee.id)
    active = [m for m in history if m.is_active]
    page = render_template(
        "matching/mentee.html",
        mentee=mentee,
        active=active,
        ended=[m for m in history if not m.is_active],
        end_forms=_end_forms(active, end_forms or {}),
        found=found,
        who=request.args.get("who", "")[:120].strip(),
        refusal=refusal,
    )
    return page, status


def _end_forms(matches: list[Match], failed: dict[int, EndMatchForm]) -> dict[int, EndMatchForm]:
    """One form per active match, prefixed so that field ids stay unique on the page."""
    return {
        m.id: failed.get(m.id) or EndMatchForm(formdata=None, prefix=f"end-{m.id}") for m in matches
    }


def _announce_match(mentor: User, mentee: Mentee) -> None:
    """Tell both people (queued with the match: a mail server that is down delays the
    e-mails, never the match)."""
    messages = (
        (mentor.email, f"You are matched with {mentee.name}", "mentor"),
        (mentee.email, f"Meet your mentor, {mentor.name}", "mentee"),
    )
    for to, subject, template in messages:
        body = render_template(f"matching/email/{template}.txt", mentor=mentor, mentee=mentee)
        send_mail(to, subject, body)


# --- peer matches ------------------------------------------------------------------------------


@bp.route("/peers", methods=["GET", "POST"])
@role_required(*STAFF)
def peers() -> Page | Response:
    form = PeerMatchForm()
    if not form.is_submitted():
        return _peers_page(form)
    _offer_mentors(form)
    if not form.validate():
        return _peers_page(form, status=422)
    first, second = db.session.get(User, form.first.data), db.session.get(User, form.second.data)
    try:
        service.create_peer_match(
            first, second, by=current_user, certification_slug=_certification_slug(), now=utcnow()
        )
    except service.MentorNotEligible as error:
        db.session.rollback()
        return _peers_page(form, refusal=str(error), status=409)
    except service.MatchError as error:
        db.session.rollback()
        form.second.errors.append(str(error))
        return _peers_page(form, status=422)
    db.session.commit()
    flash(f"{first.name} and {second.name} are now peer mentors.")
    return redirect(url_for("matching.peers"))


def _peers_page(
    form: PeerMatchForm,
    *,
    refusal: str = "",
    end_forms: dict[int, EndMatchForm] | None = None,
    status: int = 200,
) -> Page:
    if form.first.choices is None:
        _offer_mentors(form)
    active = [m for m in service.matches(active_only=True) if m.kind is MatchKind.PEER]
    page = render_template(
        "matching/peers.html",
        form=form,
        active=active,
        end_forms=_end_forms(active, end_forms or {}),
        refusal=refusal,
    )
    return page, status


def _offer_mentors(form: PeerMatchForm) -> None:
    choices = [
        SelectChoice(user.id, f"{user.name} ({profile.career_stage.label})")
        for user, profile in service.mentors_with_profiles()
    ]
    form.first.choices = form.second.choices = choices
