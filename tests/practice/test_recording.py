"""Recording an observed practice sign-off at /coordinator/mentors/<id>/practice/<item>:
who may (educators, coordinators, admins; never for themselves), what a bad form gets
(the form again, the error beside the field, nothing lost, nothing saved), the e-mail to
the mentor, and the history of every observation."""

import email
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role
from app.clock import utcnow
from app.extensions import db as _db
from app.practice import service as practice
from app.practice.models import PracticeObservation
from tests.certification.conftest import sign_off
from tests.conftest import client_with_role, csrf_token, log_in

ITEM = "observed-meeting"  # tests/fixtures/content_ok/courses/practice/observed-meeting.md
CRITERIA = ("open-questions", "reflects", "next-step")


def url(mentor) -> str:
    return f"/coordinator/mentors/{mentor.id}/practice/{ITEM}"


def form(*, ratings=None, observed_on: date | None = None, comment: str = "Well done.") -> dict:
    chosen = ratings if ratings is not None else dict.fromkeys(CRITERIA, "meets")
    return {
        **{f"rating-{criterion}": value for criterion, value in chosen.items()},
        "observed_on": (observed_on or utcnow().date()).isoformat(),
        "comment": comment,
    }


def post(client, mentor, data: dict):
    return client.post(url(mentor), data={**data, "csrf_token": csrf_token(client, url(mentor))})


def observations() -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(func.count(PracticeObservation.id)))


def outbox(app) -> list[email.message.Message]:
    folder = Path(app.config["OUTBOX_DIR"])
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(path.read_bytes()) for path in files]


@pytest.fixture
def trainee(synced, make_user):
    return make_user(Role.MENTOR, name="Dr. Tia Trainee")


# Who may


@pytest.mark.parametrize("role", [Role.EDUCATOR, Role.COORDINATOR, Role.ADMIN])
def test_educators_coordinators_and_admins_see_the_rubric_and_record(app, make_user, trainee, role):
    observer = client_with_role(app, make_user, role)
    page = observer.get(url(trainee))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Dr. Tia Trainee" in html and "Asks open questions" in html
    assert "most questions invite the mentee to explore." in html
    assert "Record the observation" in html

    response = post(observer, trainee, form())

    assert response.status_code == 302 and response.headers["Location"].endswith(url(trainee))
    assert observations() == 1


def test_a_mentor_is_refused_the_page_and_the_form(app, make_user, trainee):
    other = client_with_role(app, make_user, Role.MENTOR)
    assert other.get(url(trainee)).status_code == 403
    token = csrf_token(other, "/me/")
    assert other.post(url(trainee), data={**form(), "csrf_token": token}).status_code == 403
    assert observations() == 0


def test_someone_signed_out_is_sent_to_sign_in(client, trainee):
    response = client.get(url(trainee))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.post(url(trainee), data=form()).status_code in (302, 400)
    assert observations() == 0


def test_nobody_signs_off_their_own_practice(app, make_user, synced):
    educator_mentor = make_user(Role.EDUCATOR, Role.MENTOR)
    client = app.test_client()
    log_in(client, educator_mentor)

    page = client.get(url(educator_mentor)).get_data(as_text=True)
    assert "You cannot record an observation of your own practice" in page
    assert "Record the observation" not in page
    token = csrf_token(client, url(educator_mentor))
    response = client.post(url(educator_mentor), data={**form(), "csrf_token": token})

    assert response.status_code == 403
    assert observations() == 0


def test_the_service_refuses_a_self_sign_off(db, make_user, synced):
    educator_mentor = make_user(Role.EDUCATOR, Role.MENTOR)
    with pytest.raises(practice.PracticeRefused, match="your own practice"):
        sign_off(educator_mentor, now=utcnow(), by=educator_mentor)


def test_the_database_refuses_a_self_sign_off_whatever_writes_it(db, make_user, synced):
    mentor = make_user(Role.MENTOR)
    item = practice.get_item(ITEM)
    db.session.add(
        PracticeObservation(
            user_id=mentor.id,
            item_id=item.id,
            item_version=item.version,
            observer_id=mentor.id,
            observed_on=utcnow().date(),
            ratings=[],
            comment="",
            recorded_at=utcnow(),
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_service_refuses_a_mentor_signing_off_another_mentor(db, make_user, synced):
    mentor, peer = make_user(Role.MENTOR), make_user(Role.MENTOR)
    with pytest.raises(practice.PracticeRefused):
        sign_off(mentor, now=utcnow(), by=peer)


@pytest.mark.parametrize(
    "path",
    [
        "/coordinator/mentors/999999/practice/observed-meeting",
        "/coordinator/mentors/{mentor}/practice/no-such-item",
        "/coordinator/mentors/{coordinator}/practice/observed-meeting",
        "/coordinator/mentors/99999999999999/practice/observed-meeting",
    ],
)
def test_an_unknown_mentor_or_item_is_not_found(app, make_user, trainee, path):
    coordinator = make_user(Role.COORDINATOR)
    client = app.test_client()
    log_in(client, coordinator)
    found = path.format(mentor=trainee.id, coordinator=coordinator.id)
    assert client.get(found).status_code == 404


# What is recorded, and what the mentor is told


def test_a_recording_keeps_ratings_date_and_comment_and_e_mails_the_mentor(app, make_user, trainee):
    observer = make_user(Role.EDUCATOR, name="Dr. Eve Educator")
    client = app.test_client()
    log_in(client, observer)
    observed_on = utcnow().date() - timedelta(days=2)
    ratings = {"open-questions": "exceeds", "reflects": "not_yet", "next-step": "meets"}

    response = post(
        client,
        trainee,
        form(ratings=ratings, observed_on=observed_on, comment="Reflect before advising."),
    )

    assert response.status_code == 302
    observation = db_observation()
    assert observation.observer_id == observer.id and observation.user_id == trainee.id
    assert observation.observed_on == observed_on and observation.item_version == 1
    assert [(r["id"], r["rating"]) for r in observation.ratings] == list(ratings.items())
    assert observation.ratings[1]["name"] == "Reflects before advising"
    assert observation.comment == "Reflect before advising."
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Observation of Dr. Tia Trainee recorded: not yet." in page
    [message] = outbox(app)
    assert message["To"] == trainee.email
    assert message["Subject"] == "Observed meeting: your observation is recorded"
    body = message.get_payload(decode=True).decode()
    assert "Dr. Eve Educator has recorded an observation" in body
    assert "- Reflects before advising: not yet" in body
    assert "- Asks open questions: exceeds" in body
    assert "Reflect before advising." in body
    assert "http://localhost/me/#practice-observed-meeting" in body


def db_observation() -> PracticeObservation:
    _db.session.expire_all()
    return _db.session.scalars(select(PracticeObservation).order_by(PracticeObservation.id)).one()


def test_every_observation_stays_in_the_history_newest_first(app, make_user, trainee):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    post(coordinator, trainee, form(ratings=dict.fromkeys(CRITERIA, "not_yet"), comment="First"))
    post(coordinator, trainee, form(comment="Second"))

    html = coordinator.get(url(trainee)).get_data(as_text=True)
    history = html[html.index('id="history-heading"') :]
    assert history.index("Second") < history.index("First")
    assert history.count(">Meets the standard<") == 1
    assert history.count('badge-in-progress">Not yet<') == 1
    assert history.count("the one that counts") == 1
    assert observations() == 2


# Bad input: the form again, the error beside its field, nothing lost


def test_a_missing_rating_shows_the_form_again_with_the_error_beside_it(app, make_user, trainee):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    ratings = {"open-questions": "exceeds", "next-step": "meets"}

    response = post(coordinator, trainee, form(ratings=ratings, comment="Kept as typed"))

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    start = html.index("<legend>Reflects before advising</legend>")
    fieldset = html[start : html.index("</fieldset>", start)]
    assert '<p class="field-error" id="rating-reflects-error">Rate this criterion' in fieldset
    assert 'aria-invalid="true"' in fieldset
    assert re.search(r'<input checked[^>]*name="rating-open-questions"[^>]*value="exceeds"', html)
    assert "Kept as typed" in html
    assert observations() == 0


@pytest.mark.parametrize(
    ("observed_on", "message"),
    [
        ("2999-01-01", "The date observed cannot be in the future."),
        ((utcnow() + timedelta(days=2)).date().isoformat(), "cannot be in the future"),
        ("1999-05-01", "cannot be more than a year ago"),
        ("yesterday", "Not a valid date value."),
        ("", "Give the date of the conversation you observed."),
    ],
)
def test_a_bad_date_is_refused_beside_the_field(app, make_user, trainee, observed_on, message):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    data = {**form(comment="Kept"), "observed_on": observed_on}
    response = post(coordinator, trainee, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html[html.index('id="observed_on"') :]
    assert "Kept" in html and observations() == 0


def test_today_in_the_earliest_time_zone_is_not_the_future(db, make_user, synced):
    now = utcnow().replace(hour=20)
    tomorrow = now.date() + timedelta(days=1)  # already today east of UTC+4
    assert practice.latest_observation_date(now) == tomorrow
    [observation] = sign_off(make_user(Role.MENTOR), now=now + timedelta(days=1))
    assert observation.observed_on == tomorrow


def test_an_unknown_rating_or_an_overlong_comment_is_refused(app, make_user, trainee):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    odd = {**dict.fromkeys(CRITERIA, "meets"), "reflects": "brilliant"}
    assert post(coordinator, trainee, form(ratings=odd)).status_code == 422
    long = post(coordinator, trainee, form(comment="x" * 4001))
    assert long.status_code == 422
    assert "Keep the comment under 4000 characters." in long.get_data(as_text=True)
    assert observations() == 0


TYPED = st.text(
    st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=200
)


def test_no_typed_input_answers_a_server_error(app, make_user, trainee):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    token = csrf_token(coordinator, url(trainee))
    fields = {
        **{
            f"rating-{c}": st.one_of(st.sampled_from(["meets", "not_yet", ""]), TYPED)
            for c in CRITERIA
        },
        "observed_on": st.one_of(st.dates().map(date.isoformat), TYPED),
        "comment": TYPED,
    }

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.fixed_dictionaries({}, optional={**fields, "unexpected": TYPED}))
    def post_anything(data):
        response = coordinator.post(url(trainee), data={**data, "csrf_token": token})
        assert response.status_code in (302, 422), (data, response.status_code)

    post_anything()


def test_four_observers_recording_the_last_requirement_at_once_issue_one_certificate(
    served, synced, make_user
):
    """Each observation is kept; the award, behind the mentor's row lock, happens once."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from app.certification.models import Certificate
    from tests.certification.conftest import pass_quiz, read_course

    mentor = make_user(Role.MENTOR)
    read_course(mentor, "listening", now=utcnow())
    read_course(mentor, "goals", now=utcnow())
    pass_quiz(mentor, "goals-check", now=utcnow())
    observers = [make_user(Role.EDUCATOR) for _ in range(4)]
    _db.session.commit()
    browsers = [served.signed_in(observer) for observer in observers]
    tokens = [served.csrf(browser, url(mentor)) for browser in browsers]
    barrier = threading.Barrier(len(browsers))

    def record(index: int) -> int:
        barrier.wait()
        return (
            browsers[index]
            .post(
                served.url + url(mentor),
                data={**form(), "csrf_token": tokens[index]},
                allow_redirects=False,
                timeout=30,
            )
            .status_code
        )

    with ThreadPoolExecutor(len(browsers)) as pool:
        statuses = list(pool.map(record, range(len(browsers))))

    assert statuses == [302] * 4
    assert observations() == 4
    count = select(func.count()).select_from(Certificate).where(Certificate.user_id == mentor.id)
    assert _db.session.scalar(count) == 1


# Where an observer starts: the mentors awaiting an observation


@pytest.mark.parametrize("role", [Role.EDUCATOR, Role.COORDINATOR, Role.ADMIN])
def test_observers_find_the_mentors_awaiting_an_observation(app, make_user, synced, role):
    from tests.certification.conftest import certify, pass_quiz, read_course

    waiting = make_user(Role.MENTOR, name="Dr. Wes Waiting")
    read_course(waiting, "listening", now=utcnow())
    read_course(waiting, "goals", now=utcnow())
    pass_quiz(waiting, "goals-check", now=utcnow())
    reading = make_user(Role.MENTOR, name="Dr. Rhea Reading")
    read_course(reading, "listening", now=utcnow())
    certify(make_user(Role.MENTOR, name="Dr. Cass Certified"), now=utcnow())
    _db.session.commit()
    observer = client_with_role(app, make_user, role)

    page = observer.get("/coordinator/practice/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/coordinator/practice/"' in html and ">Observations</a>" in html
    assert "1 mentor awaiting an observation." in html
    assert f'href="/coordinator/mentors/{waiting.id}/practice/{ITEM}"' in html
    assert "Dr. Rhea Reading" not in html and "Dr. Cass Certified" not in html

    found = observer.get("/coordinator/practice/?q=rhea").get_data(as_text=True)
    assert "1 mentor found." in found
    assert f'href="/coordinator/mentors/{reading.id}/practice/{ITEM}"' in found


def test_mentors_and_people_signed_out_are_refused_the_observations_list(
    app, client, make_user, synced
):
    mentor = client_with_role(app, make_user, Role.MENTOR)
    assert mentor.get("/coordinator/practice/").status_code == 403
    assert ">Observations</a>" not in mentor.get("/me/").get_data(as_text=True)
    response = client.get("/coordinator/practice/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
