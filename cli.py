"""AgentPrep's command line, for coaches and automation.

Heavy imports (torch, chromadb, LangChain) happen inside the commands that need them, so
`--help` and `bank` commands answer instantly.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from config import get_settings


@click.group()
def cli() -> None:
    """AgentPrep: practise agentic-AI interview questions (see README.md)."""


# --- bank -------------------------------------------------------------------------------------


@cli.group()
def bank() -> None:
    """Validate and summarise the question bank."""


def _print_summary(stats: dict) -> None:
    click.echo(f"{stats['questions']} questions")
    for section in ("by_kind", "by_level", "by_topic", "by_language"):
        parts = ", ".join(f"{k}: {v}" for k, v in stats[section].items())
        click.echo(f"  {section.removeprefix('by_')}: {parts}")


@bank.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--lenient", is_flag=True, help="Load the good files and list the skipped ones.")
def bank_validate(path: Path | None, lenient: bool) -> None:
    """Check every question file under PATH (default: the shipped bank); exit 1 on errors."""
    from question_bank import QuestionBank

    settings = get_settings()
    bank_dir = path or settings.bank_dir
    loaded = QuestionBank.load(bank_dir, settings.corpus_dir, lenient=True)
    result = loaded.load_result
    assert result is not None
    if result.problems:
        click.echo(f"{len(result.problems)} problem(s) found:", err=True)
        for problem in result.problems:
            click.echo(f"  - {problem}", err=True)
    if result.problems and not lenient:
        click.echo("The bank is not valid. Fix the problems above (or pass --lenient to skip bad files).", err=True)
        sys.exit(1)
    if result.skipped_files:
        click.echo(f"Skipped {len(result.skipped_files)} file(s): {', '.join(result.skipped_files)}", err=True)
    _print_summary(loaded.stats())


@bank.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--lenient", is_flag=True, help="Count the good files even if some are invalid.")
def bank_stats(as_json: bool, lenient: bool) -> None:
    """Counts of questions by level, kind, topic and language (the shipped ones and the coaches')."""
    from coach.content import load_bank
    from question_bank import BankValidationError

    settings = get_settings()
    try:
        loaded = load_bank(settings, lenient=lenient)
    except BankValidationError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    stats = loaded.stats()
    if as_json:
        click.echo(json.dumps(stats, ensure_ascii=False))
    else:
        _print_summary(stats)


# --- commands defined beside the code they drive ---------------------------------------------
# Each module imports only click at import time; heavy libraries load inside the command.
# retrieval commands (knowledge/commands.py):
from knowledge.commands import index_command, search_command  # noqa: E402 - beside its comment on purpose

cli.add_command(index_command)
cli.add_command(search_command)

# grading commands (evaluators/commands.py):
from evaluators.commands import grade_command, judge_group  # noqa: E402

cli.add_command(grade_command)
cli.add_command(judge_group)

# coach commands (question_bank/commands.py): bank format|import|export, coach hash-password
from question_bank.commands import bank_export, bank_format, bank_import, coach_group  # noqa: E402

bank.add_command(bank_format)
bank.add_command(bank_import)
bank.add_command(bank_export)
cli.add_command(coach_group)

# database commands (storage/commands.py): db current|upgrade|revision
from coach.user_commands import users_group  # noqa: E402
from storage.commands import db_group  # noqa: E402

cli.add_command(db_group)
cli.add_command(users_group)


if __name__ == "__main__":
    cli()
