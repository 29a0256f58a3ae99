"""The `preceptor` console commands (the same as `flask --app app ...`)."""

import secrets
import sqlite3
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup

from app.auth import service as auth
from app.auth import sessions
from app.auth.models import Role
from app.auth.passwords import password_problem
from app.clock import utcnow
from app.content import ContentError, load_content
from app.database import exclusive
from app.extensions import db


def main() -> None:
    from app import create_app

    FlaskGroup(
        create_app=lambda: create_app(),
        help="Preceptor: training and certification for physician mentors.",
    )(prog_name="preceptor")


content = click.Group("content", help="Check and import courses/ and quizzes/.")
reminders = click.Group("reminders", help="E-mail reminders (safe to run from cron).")
users = click.Group("users", help="Manage accounts.")
keys = click.Group("keys", help="The key that signs Open Badges credentials.")
progress = click.Group("progress", help="The stored mentor standings behind the lists.")


@progress.command("rebuild")
def progress_rebuild() -> None:
    """Recompute every mentor's stored standing (after rows were written in bulk by hand;
    the app keeps them in step by itself)."""
    from app.certification.standing import rebuild_all

    with exclusive("progress rebuild"):
        count = rebuild_all(db.session.connection())
        db.session.commit()
    click.echo(f"rebuilt the standings of {count} mentor(s)")


@keys.command("rotate")
def keys_rotate() -> None:
    """Sign new credentials with a new RSA key; the old one stays published for checking."""
    from app.certification import credential

    old, new = credential.rotate_signing_key(current_app.config["INSTANCE_PATH"])
    click.echo(f"retired key {old} (still published, so what it signed still verifies)")
    click.echo(f"new signing key {new} (RSA {credential.KEY_BITS})")


def _content_dir(directory: str | None) -> Path:
    return Path(directory).resolve() if directory else current_app.config["CONTENT_DIR"]


def _load_or_exit(directory: Path):
    try:
        return load_content(directory)
    except ContentError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(error.problems)} problem(s); nothing imported.", err=True)
        sys.exit(1)


@content.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def content_check(directory: str | None) -> None:
    """Validate the content; print each problem as path:line: message."""
    _load_or_exit(_content_dir(directory))


# `content sync` exits with this when a file and the browser both changed the same file:
# the rest was imported, so `make run` reports it and still starts.
CONFLICT_EXIT = 3


@content.command("sync")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Where a file and the browser conflict, the file wins.")
def content_sync(directory: str | None, force: bool) -> None:
    """Validate, then import; running it twice changes nothing the second time. A file
    unchanged since the last sync leaves what educators changed in the browser alone."""
    from app.authoring import documents

    folder = _content_dir(directory)
    _load_or_exit(folder)
    try:
        report, plan = documents.sync_folder(folder, force=force, now=utcnow())
    except ContentError as error:  # the files are fine: with the browser's edits they are not
        db.session.rollback()
        for problem in error.problems:
            click.echo(f"{problem} (with the edits made in the browser)", err=True)
        click.echo(f"{len(error.problems)} problem(s); nothing imported.", err=True)
        sys.exit(1)
    db.session.commit()
    for line in report.lines():
        click.echo(line)
    for path, why in plan.images.refused if plan.images else []:
        click.echo(f"{folder / path}:1: {why} (not imported)", err=True)
    for path in plan.kept:
        click.echo(f"kept the browser's version of {path} (the file is as last synced)")
    for path in plan.conflicts:
        click.echo(
            f"{folder / path}:1: conflict: changed both in this file and in the browser since "
            f"the last sync; nothing of the file was imported (`--force`: the file wins, the "
            f"browser's text stays in the history)",
            err=True,
        )
    if plan.conflicts:
        sys.exit(CONFLICT_EXIT)


@content.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
def content_export(directory: str) -> None:
    """Write the published courses and quizzes as files that `content sync` reads back."""
    from app.authoring import documents

    written = documents.export(Path(directory).resolve())
    click.echo(f"wrote {len(written)} file(s) to {directory}")


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role])
)
@click.option("--password", help="Omit it to e-mail (and print) a one-hour link to choose one.")
def users_create(email: str, name: str, roles: tuple[str, ...], password: str | None) -> None:
    """Create a user with one or more roles."""
    if password is not None and (problem := password_problem(password, email=email, name=name)):
        raise click.UsageError(f"--password: {problem}")
    try:
        # Without --password, a random one nobody sees: the person chooses their own
        # through the link, so no long-lived secret is ever printed.
        user = auth.create_user(
            email, name, password or secrets.token_urlsafe(32), {Role(r) for r in roles}
        )
    except auth.EmailTaken as error:
        raise click.UsageError(str(error)) from None
    db.session.commit()
    click.echo(f"created {user.email} ({', '.join(sorted(roles))})")
    if password is None:
        link = _send_choose_password_link(user)
        click.echo(f"choose a password within the hour: {link}")


def _send_choose_password_link(user) -> str:
    from flask import render_template

    from app.mail import send_mail
    from app.urls import external_url

    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        token = auth.make_reset_token(user, secret_key=current_app.secret_key, now=utcnow())
        link = external_url("auth.reset_password", token=token)
        body = render_template(
            "auth/email/new_account.txt",
            user=user,
            link=link,
            minutes=current_app.config["RESET_LINK_MAX_AGE_SECONDS"] // 60,
        )
        send_mail(user.email, "Your Preceptor account: choose a password", body)
    db.session.commit()
    _deliver_now()
    return link


def _account(email: str):
    user = auth.find_user(email)
    if user is None:
        raise click.UsageError(f"--email: there is no account for {email}")
    return user


@users.command("deactivate")
@click.option("--email", required=True)
def users_deactivate(email: str) -> None:
    """Refuse the account's sign-ins and sign out every device it is signed in on."""
    user = _account(email)
    auth.deactivate(user, now=utcnow())
    db.session.commit()
    click.echo(f"deactivated {user.email}: signed out everywhere, sign-in refused")


@users.command("reset-mfa")
@click.option("--email", required=True)
def users_reset_mfa(email: str) -> None:
    """Turn off two-step sign-in for someone who lost both phone and recovery codes
    (after checking who they are as carefully as when the account was made)."""
    from app.auth import mfa

    user = _account(email)
    if not user.has_mfa:
        raise click.UsageError(f"--email: {user.email} does not use two-step sign-in")
    mfa.disable(user)
    sessions.end_all_sessions(user, now=utcnow())
    db.session.commit()
    click.echo(f"two-step sign-in is off for {user.email}; they sign in with the password")


@users.command("reactivate")
@click.option("--email", required=True)
def users_reactivate(email: str) -> None:
    """Let a deactivated account sign in again."""
    user = _account(email)
    auth.reactivate(user)
    db.session.commit()
    click.echo(f"reactivated {user.email}")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Write the whole database to FILE (SQLite online backup, or pg_dump)."""
    from app.backup import BackupError, backup

    try:
        backup(file)
    except (BackupError, OSError, sqlite3.Error) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up the database to {file}")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that is not empty.")
def restore_command(file: Path, force: bool) -> None:
    """Replace the database with FILE, a backup; refuses a non-empty one without --force."""
    from app.backup import BackupError, restore

    try:
        restore(file, force=force)
    except (BackupError, OSError, sqlite3.Error) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored the database from {file}")


def _deliver_now() -> None:
    """Send what the command queued; what the mail server refuses waits for `mail retry`."""
    from app.mail import deliver_queued

    _sent, failed = deliver_queued()
    if failed:
        click.echo(
            f"{failed} e-mail(s) could not be sent and stay queued: run `preceptor mail retry`",
            err=True,
        )


mail = click.Group("mail", help="Outgoing e-mail.")


@mail.command("retry")
def mail_retry() -> None:
    """Send every queued e-mail the mail server refused before; safe from cron."""
    from app.mail import deliver_queued

    sent, failed = deliver_queued()
    click.echo(f"{sent} e-mail(s) sent, {failed} still queued")
    if failed:
        raise SystemExit(1)


@reminders.command("send")
def reminders_send() -> None:
    """E-mail renewal and stalled-progress reminders; each goes out once."""
    from flask import render_template

    from app.certification.reminders import reminders_due, send_due
    from app.mail import send_mail

    def send(reminder) -> None:
        body = render_template(reminder.template, **reminder.context)
        send_mail(reminder.user.email, reminder.subject, body)

    now = utcnow()
    due = reminders_due(current_app.config["MATCHING_CERTIFICATION"], now=now)
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        sent = send_due(due, send, now=now)
    _deliver_now()
    for reminder in sent:
        click.echo(f"sent {reminder.key.split(':')[0]} reminder to {reminder.user.email}")
    click.echo(f"{len(sent)} reminder(s) sent")


forum = click.Group("forum", help="The peer forum.")


@forum.command("digest")
def forum_digest() -> None:
    """E-mail each member who asked for it a digest of unread notifications (once each)."""
    from flask import render_template

    from app.forum.digest import send_digests
    from app.forum.service import author_name
    from app.mail import send_mail
    from app.urls import external_url

    def send(digest) -> None:
        body = render_template(
            "forum/email/digest.txt",
            digest=digest,
            actor_name=lambda n: author_name(n.actor, n.actor_hidden, digest.user),
            link=lambda n: external_url("forum.post", post_id=n.post_id),
            notifications_url=external_url("forum.notifications"),
        )
        count = len(digest.notifications)
        subject = f"Preceptor forum: {count} new notification{'s' if count != 1 else ''}"
        send_mail(digest.user.email, subject, body)

    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        sent = send_digests(send, now=utcnow())
    _deliver_now()
    for digest in sent:
        click.echo(f"sent digest of {len(digest.notifications)} to {digest.user.email}")
    click.echo(f"{len(sent)} digest(s) sent")


def register_commands(app: Flask) -> None:
    from app.api.commands import tokens_group
    from app.demo import demo
    from app.quizzes.gift_command import quizzes_group

    app.cli.add_command(content)
    app.cli.add_command(users)
    app.cli.add_command(keys)
    app.cli.add_command(progress)
    app.cli.add_command(mail)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(reminders)
    app.cli.add_command(forum)
    app.cli.add_command(demo)
    app.cli.add_command(quizzes_group)
    app.cli.add_command(tokens_group)
