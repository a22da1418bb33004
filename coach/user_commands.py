"""`python cli.py users ...`: the accounts of a shared server (team mode, AGENTPREP_TEAM_MODE=true)."""

from __future__ import annotations

import sys

import click


def _store():  # type: ignore[no-untyped-def]
    from config import get_settings
    from storage.accounts import AccountStore

    return AccountStore(get_settings().sqlalchemy_url)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group("users")
def users_group() -> None:
    """Accounts for team mode: candidates and coaches sign in; each sees only their own history."""


@users_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["candidate", "coach"]), default="candidate", show_default=True)
@click.option("--password-stdin", "from_stdin", is_flag=True, help="Read the password from the first line of stdin.")
def add_user(username: str, role: str, from_stdin: bool) -> None:
    """Create an account (the password is stored as a scrypt hash, never in clear)."""
    from coach.auth import hash_password
    from core.text import clean_profile_name

    if clean_profile_name(username) != username:
        click.echo(f"Error: {username!r}: use letters, digits, space, . @ - _ (at most 40 characters).", err=True)
        sys.exit(1)
    password = _password(from_stdin)
    if len(password) < 8:
        click.echo("Error: the password needs at least 8 characters.", err=True)
        sys.exit(1)
    try:
        _store().add(username, role, hash_password(password))
    except ValueError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Account {username!r} ({role}) created.")


@users_group.command("list")
def list_users() -> None:
    """The accounts and their roles."""
    for account in _store().all():
        click.echo(f"{account.username}\t{account.role}")


@users_group.command("password")
@click.argument("username")
@click.option("--password-stdin", "from_stdin", is_flag=True, help="Read the password from the first line of stdin.")
def set_user_password(username: str, from_stdin: bool) -> None:
    """Set a new password; the account's open sign-ins end."""
    from coach.auth import hash_password

    password = _password(from_stdin)
    if len(password) < 8:
        click.echo("Error: the password needs at least 8 characters.", err=True)
        sys.exit(1)
    try:
        _store().set_password(username, hash_password(password))
    except KeyError:
        click.echo(f"Error: no account {username!r}.", err=True)
        sys.exit(1)
    click.echo(f"Password of {username!r} changed; its sign-ins have ended.")


@users_group.command("remove")
@click.argument("username")
def remove_user(username: str) -> None:
    """Delete an account and its sign-ins (its attempts stay, under its name)."""
    if not _store().remove(username):
        click.echo(f"Error: no account {username!r}.", err=True)
        sys.exit(1)
    click.echo(f"Account {username!r} removed.")
