"""`preceptor tokens create`: an API token for an existing user, printed once."""

import click

from app.api import tokens
from app.auth import service as auth
from app.clock import utcnow
from app.extensions import db
from app.permissions import is_staff

tokens_group = click.Group("tokens", help="API tokens for the JSON API (/api/v1).")


@tokens_group.command("create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", "label", required=True, help="A label, e.g. the system that uses it.")
def tokens_create(email: str, label: str) -> None:
    """Make a token and print it; it is stored hashed, so this is the only time it is shown."""
    user = auth.find_user(email)
    if user is None:
        raise click.UsageError(f"--email: there is no user with the e-mail {email}")
    try:
        token, plaintext = tokens.create_token(user, label, now=utcnow())
    except tokens.TokenError as error:
        raise click.UsageError(f"--name: {error}") from None
    db.session.commit()
    if not is_staff(user):
        click.echo(
            f"warning: {user.email} is neither coordinator nor admin, so this token cannot "
            "read mentor data or make matches.",
            err=True,
        )
    click.echo(f"created token {token.prefix}… ({token.label}) for {user.email}", err=True)
    click.echo(plaintext)
