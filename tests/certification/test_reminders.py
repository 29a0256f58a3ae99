"""`preceptor reminders send`: renewal and stalled reminders, each exactly once."""

from datetime import timedelta

import pytest

from app.auth.models import Role
from app.certification.reminders import reminders_due, send_due
from app.clock import utcnow
from tests.certification.conftest import certify, read_course


def run(now):
    sent = []
    due = reminders_due("test-mentor", now=now)
    send_due(due, sent.append, now=now)
    return [(r.key.split(":")[0], r.user.email) for r in sent]


def test_a_renewal_reminder_goes_out_once_inside_the_window(db, program, mentor):
    [certificate] = certify(mentor, now=utcnow())
    assert run(certificate.expires_at - timedelta(days=61)) == []
    inside = certificate.expires_at - timedelta(days=59)
    assert run(inside) == [("renewal", mentor.email)]
    assert run(inside) == []
    assert run(inside + timedelta(days=10)) == []


def test_a_stalled_mentor_is_reminded_once_per_stall(db, program, make_user):
    stalled = make_user(Role.MENTOR)
    started = utcnow()
    read_course(stalled, "listening", now=started)
    db.session.commit()
    assert run(started + timedelta(days=29)) == []
    assert run(started + timedelta(days=31)) == [("stalled", stalled.email)]
    assert run(started + timedelta(days=45)) == []
    read_course(stalled, "goals", now=started + timedelta(days=46))
    db.session.commit()
    assert run(started + timedelta(days=80)) == [("stalled", stalled.email)]


def test_mentors_who_never_started_or_are_certified_are_not_called_stalled(db, program, make_user):
    make_user(Role.MENTOR)
    certify(make_user(Role.MENTOR), now=utcnow() - timedelta(days=40))
    assert [kind for kind, _ in run(utcnow())] == []


def test_a_failed_send_is_retried_on_the_next_run(db, program, mentor):
    [certificate] = certify(mentor, now=utcnow())
    inside = certificate.expires_at - timedelta(days=30)

    def broken(_reminder):
        raise OSError("SMTP down")

    with pytest.raises(OSError, match="SMTP down"):
        send_due(reminders_due("test-mentor", now=inside), broken, now=inside)
    assert run(inside) == [("renewal", mentor.email)]


def test_the_command_writes_eml_files_and_is_safe_to_repeat(app, db, program, mentor, tmp_path):
    from app.cli import reminders

    [certificate] = certify(mentor, now=utcnow() - timedelta(days=24 * 30))
    runner = app.test_cli_runner()
    first = runner.invoke(reminders, ["send"])
    assert first.exit_code == 0, first.output
    assert f"sent renewal reminder to {mentor.email}" in first.output
    assert "1 reminder(s) sent" in first.output
    again = runner.invoke(reminders, ["send"])
    assert "0 reminder(s) sent" in again.output
    mails = list((tmp_path / "outbox").glob("*.eml"))
    assert len(mails) == 1 and certificate.code in mails[0].read_text()
