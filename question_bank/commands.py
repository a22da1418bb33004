"""`bank format|import|export` and `coach hash-password`: the coach's command-line tools.

Registered on the `bank` group and the top-level `cli` in cli.py. Only click is imported at module
level; problems go to stderr with exit code 1, so scripts and CI can rely on them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click


def _settings():  # type: ignore[no-untyped-def]
    from config import get_settings

    return get_settings()


@click.command("format")
@click.option("--check", is_flag=True, help="Only list the files that are not canonical; exit 1 if any.")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
def bank_format(check: bool, path: Path | None) -> None:
    """Rewrite every question file under PATH (default: the bank) into the canonical form.

    Idempotent: a second run changes nothing. Invalid files are listed and left untouched.
    """
    from question_bank.writer import format_bank

    bank_dir = path or _settings().bank_dir
    report = format_bank(bank_dir, check_only=check)
    for problem in report.problems:
        click.echo(f"  - {problem}", err=True)
    verb = "would rewrite" if check else "rewrote"
    click.echo(f"{verb} {len(report.changed)} file(s), {len(report.unchanged)} already canonical")
    for name in report.changed:
        click.echo(f"  {name}")
    if report.problems:
        click.echo(f"{len(report.problems)} problem(s): the files above were left as they are.", err=True)
    if report.problems or (check and report.changed):
        sys.exit(1)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows and skip (and list) the invalid ones.")
@click.option("--replace", is_flag=True, help="Overwrite questions whose id already exists in the bank.")
def bank_import(file: Path, skip_invalid: bool, replace: bool) -> None:
    """Import questions from a .csv or .yaml FILE (formats in docs/bank-format.md) into the database.

    Every row is checked first, against the file and the whole bank (ids, origin ranks, topics,
    sources); with any problem, nothing is imported unless --skip-invalid. The shipped YAML bank
    is not changed: imported questions live in the database with the coaches' other work.
    """
    from coach.content import CoachContent, shipped_bank
    from question_bank.transfer import ImportRefused, apply_import, bank_claims, format_of, read_import

    settings = _settings()
    try:
        fmt = format_of(file)
        text = file.read_bytes().decode("utf-8-sig")
    except (ValueError, UnicodeDecodeError) as exc:
        click.echo(f"Error: {file.name}: {exc}", err=True)
        sys.exit(1)
    content = CoachContent(settings.sqlalchemy_url)
    bank = content.bank(shipped_bank(settings))
    existing, ranks = bank_claims(bank)
    plan = read_import(
        text, fmt, existing_ids=existing, taken_ranks=ranks, topics=bank.topics, corpus_dir=settings.corpus_dir,
        replace=replace,
    )  # fmt: skip
    if plan.file_error:
        click.echo(f"Error: {file.name}: {plan.file_error}", err=True)
        sys.exit(1)
    for problem in plan.problems:
        click.echo(f"  - {problem}", err=True)
    try:
        written = apply_import(plan, content, bank, skip_invalid=skip_invalid, by="cli")
    except ImportRefused as exc:
        click.echo(f"{exc}. Fix the rows above, or pass --skip-invalid to import the valid ones.", err=True)
        sys.exit(1)
    click.echo(f"Imported {len(written)} question(s) into the database ({settings.safe_database_label})")
    if plan.problems:
        click.echo(
            f"Skipped {len(plan.invalid_rows)} invalid row(s): {', '.join(map(str, plan.invalid_rows))}", err=True
        )


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv"]), default="yaml", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.option("--topic", "topics", multiple=True, help="Only questions with this topic (repeatable).")
def bank_export(fmt: str, output: Path | None, topics: tuple[str, ...]) -> None:
    """Export the bank as candidates see it (shipped questions with the coaches' additions and edits) as
    YAML or CSV, or only the questions of some topics."""
    from coach.content import load_bank
    from question_bank.transfer import export_csv, export_yaml
    from question_bank.writer import atomic_write_text

    settings = _settings()
    bank = load_bank(settings)
    for skipped in bank.load_result.skipped_files if bank.load_result else []:
        click.echo(f"warning: skipped invalid file {skipped} (run `bank validate`)", err=True)
    unknown = [t for t in topics if t not in bank.topics]
    if unknown:
        click.echo(f"Error: unknown topic(s): {', '.join(unknown)}; known: {', '.join(bank.topics)}", err=True)
        sys.exit(1)
    questions = bank.filter(topics=list(topics)) if topics else list(bank.questions)
    text = export_csv(questions) if fmt == "csv" else export_yaml(questions)
    if output is None:
        click.echo(text, nl=False)
        return
    atomic_write_text(output, ("\ufeff" + text) if fmt == "csv" else text)  # the BOM makes Excel read UTF-8
    click.echo(f"Exported {len(questions)} question(s) to {output}", err=True)


@click.group("coach")
def coach_group() -> None:
    """Coach studio administration."""


@coach_group.command("hash-password")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from the first line of stdin.")
def hash_password_command(from_stdin: bool) -> None:
    """Print a hash for AGENTPREP_COACH_PASSWORD_HASH (the password itself is never stored)."""
    from coach.auth import hash_password

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Coach password", hide_input=True, confirmation_prompt=True)
    if not password:
        click.echo("Error: the password is empty.", err=True)
        sys.exit(1)
    click.echo(hash_password(password))
