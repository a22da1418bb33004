"""`cli.py grade` and `cli.py judge eval`: grade one answer, or measure a grader on a graded set.

Only click is imported at module level; the embedding model and LangChain load inside the commands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from config import get_settings

GRADER_CHOICE = click.Choice(["auto", "llm", "embedded"])


def _adhoc_question(prompt: str, reference: str, key_points: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """A throw-away question from the command line, so a coach can try a rubric before writing YAML."""
    from question_bank.model import Kind, Level, Localized, Question, RubricItem

    rubric = [
        RubricItem(id=f"key-point-{n}", weight=1.0, text=Localized(fr=text, en=text))
        for n, text in enumerate(key_points, start=1)
    ]
    return Question(
        id="adhoc",
        kind=Kind.technical,
        level=Level.intermediate,
        topics=["adhoc"],
        prompt=Localized(fr=prompt, en=prompt),
        reference_answer=Localized(fr=reference, en=reference),
        rubric=rubric,
    )


def _load_questions(settings) -> dict:  # type: ignore[no-untyped-def]
    """The questions candidates see: the shipped bank with the coaches' questions and edits."""
    from coach.content import load_bank

    bank = load_bank(settings)
    return {q.id: q for q in bank.questions}


def _print_grade(grade) -> None:  # type: ignore[no-untyped-def]
    score = f"about {grade.score:g}/10, ±{grade.error_margin:.1f}" if grade.error_margin else f"{grade.score:g}/10"
    model = f" ({grade.model})" if grade.model else ""
    click.echo(f"Score: {score}   grader: {grade.grader}{model}   confidence: {grade.confidence.value}")
    if grade.fallback_reason:
        click.echo(f"Note: {grade.fallback_reason}")
    if grade.flags:
        click.echo("Flags: " + ", ".join(flag.value for flag in grade.flags))
    for criterion in grade.criteria:
        credit = "" if criterion.evidence_ok else "  (evidence rejected: no credit)"
        head = f"  [{criterion.verdict.value:>10}] {criterion.id} (weight {criterion.weight:g})"
        click.echo(f"{head}: {criterion.text}{credit}")
        for quote in criterion.evidence:
            click.echo(f"                 > {quote}")
    if grade.feedback:
        click.echo(f"Feedback: {grade.feedback}")


@click.command("grade")
@click.option("--question", "question_id", help="Id of a bank question.")
@click.option("--prompt", help="Ad-hoc question text (with --reference and --key-point).")
@click.option("--reference", help="Ad-hoc reference answer.")
@click.option("--key-point", "key_points", multiple=True, help="Ad-hoc rubric item; repeat for each.")
@click.option("--answer", help="The candidate's answer.")
@click.option(
    "--answer-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Read the answer from a file."
)
@click.option(
    "--batch", "batch_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='Grade a JSONL file: one {"question": ID, "answer": ...} or {"prompt", "reference", "key_points", '
    '"answer"} per line; prints one grade per line, in order.',
)  # fmt: skip
@click.option("--grader", type=GRADER_CHOICE, default="auto", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the grade as JSON (with --batch: one JSON per line).")
def grade_command(
    question_id: str | None,
    prompt: str | None,
    reference: str | None,
    key_points: tuple[str, ...],
    answer: str | None,
    answer_file: Path | None,
    batch_file: Path | None,
    grader: str,
    as_json: bool,
) -> None:
    """Grade one answer against a bank question or an ad-hoc rubric, or a whole file with --batch."""
    if batch_file is not None:
        if any(v for v in (question_id, prompt, reference, key_points, answer, answer_file)):
            raise click.UsageError("--batch takes the questions and answers from the file: give no other input.")
        _grade_batch(batch_file, grader, as_json)
        return
    if (answer is None) == (answer_file is None):
        raise click.UsageError("Give the answer with exactly one of --answer TEXT or --answer-file FILE.")
    if question_id and (prompt or reference or key_points):
        raise click.UsageError("Use either --question ID or --prompt/--reference/--key-point, not both.")
    if not question_id and not (prompt and reference and key_points):
        raise click.UsageError("Give --question ID, or all of --prompt TEXT --reference TEXT --key-point TEXT.")
    if answer_file is not None:
        try:
            answer = answer_file.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            message = f"{answer_file} is not UTF-8 text (byte {exc.start})"
            raise click.BadParameter(message, param_hint="--answer-file") from exc

    from evaluators.service import grade_answer

    settings = get_settings()
    if question_id:
        questions = _load_questions(settings)
        question = questions.get(question_id)
        if question is None:
            close = [q for q in sorted(questions) if question_id.split("-")[0] in q][:5]
            hint = f" Did you mean: {', '.join(close)}?" if close else " See `python cli.py bank stats`."
            click.echo(f"No question {question_id!r} in the bank.{hint}", err=True)
            sys.exit(2)
    else:
        question = _adhoc_question(prompt or "", reference or "", key_points)
    grade = grade_answer(question, answer or "", settings=settings, grader=grader)  # type: ignore[arg-type]
    if as_json:
        click.echo(grade.model_dump_json(indent=2))
    else:
        _print_grade(grade)


def _grade_batch(batch_file: Path, grader: str, as_json: bool) -> None:
    from evaluators.batch import grade_batch

    settings = get_settings()
    try:
        lines = batch_file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise click.BadParameter(f"{batch_file} is not UTF-8 text (byte {exc.start})", param_hint="--batch") from exc
    errors = 0
    results = grade_batch(lines, settings=settings, grader=grader, questions=_load_questions(settings),
                          adhoc=_adhoc_question)  # fmt: skip
    for result in results:
        errors += result.error is not None
        if as_json:
            click.echo(result.as_json())
        elif result.grade is None:
            click.echo(f"line {result.line}: error: {result.error}")
        else:
            grade = result.grade
            click.echo(f"line {result.line}: {grade.score:g}/10 ({grade.grader}, confidence {grade.confidence.value})")
    if errors:
        click.echo(f"{batch_file}: {errors} line(s) could not be graded; see their error objects.", err=True)
        sys.exit(1)


def _echo_figures(figures: dict, indent: str = "") -> None:
    """Nested figures (per language, per part) as an indented list, one figure per line."""
    for key, value in figures.items():
        if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            click.echo(f"{indent}{key}:")
            for name, sub in value.items():
                click.echo(f"{indent}  {name}:")
                _echo_figures(sub, indent + "    ")
        else:
            click.echo(f"{indent}{key}: {value}")


@click.group("judge")
def judge_group() -> None:
    """Measure the graders against human-graded answers."""


@judge_group.command("eval")
@click.option(
    "--set",
    "set_path",
    type=click.Path(exists=True, path_type=Path),
    help="A graded YAML file, or a folder of them (tests/data/graded).",
)
@click.option("--calibration", is_flag=True, help="Also use the coaches' calibration samples kept in the bank.")
@click.option("--grader", type=GRADER_CHOICE, default="embedded", show_default=True)
@click.option(
    "--examples",
    type=click.Choice(["both", "with", "without"]),
    default="both",
    show_default=True,
    help="Grade with the judge seeing coach-graded examples, without, or both ways to compare "
    "(the embedded grader never uses them: it runs once).",
)
@click.option(
    "--set-as-examples/--bank-examples-only",
    default=True,
    show_default=True,
    help="Let the set's other answers to the same question serve as the judge's examples "
    "(leave-one-out), besides the bank's calibration samples.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Grade only the first N entries (a slow model).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--rows", is_flag=True, help="Also list each answer's human and machine scores.")
def judge_eval(
    set_path: Path | None, calibration: bool, grader: str, examples: str, set_as_examples: bool,
    limit: int | None, as_json: bool, rows: bool,
) -> None:  # fmt: skip
    """Spearman, quadratic weighted kappa, MAE and the highest score given to an injection.

    With an LLM grader the figures are printed with and without coach-graded examples in the
    judge's prompt (see --examples), so a coach sees what the examples are worth.
    """
    from coach.content import load_bank
    from evaluators.harness import evaluate, load_graded_set, with_entries_as_samples
    from question_bank.calibration import calibration_samples

    settings = get_settings()
    if set_path is None and not calibration:
        raise click.UsageError("give --set FILE_OR_FOLDER, --calibration, or both")
    entries, problems = load_graded_set(set_path) if set_path else ([], [])
    if calibration:
        entries = [*entries, *calibration_samples(load_bank(settings))]
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
    if not entries:
        click.echo(f"No graded entries found in {set_path or 'the calibration samples'}.", err=True)
        sys.exit(1)
    questions = _load_questions(settings)
    if set_as_examples:
        questions = with_entries_as_samples(questions, entries)
    entries = entries[:limit] if limit else entries
    modes = {"both": [False, True], "with": [True], "without": [False]}[examples] if grader != "embedded" else [False]
    reports = {}
    for use_examples in modes:
        report = evaluate(entries, questions, settings, grader=grader, use_examples=use_examples)
        reports["with_examples" if use_examples else "without_examples"] = report
    for skipped in report.skipped:
        click.echo(f"warning: skipped {skipped}", err=True)
    if as_json:
        payloads = {name: {**r.summary(), "rows": r.rows} if rows else r.summary() for name, r in reports.items()}
        click.echo(json.dumps(next(iter(payloads.values())) if len(payloads) == 1 else payloads, ensure_ascii=False))
        return
    for name, report in reports.items():
        if len(reports) > 1:
            click.echo(f"== {name.replace('_', ' ')} ==")
        for row in report.rows if rows else []:
            flags = ",".join(row["flags"])
            trap = row["trap"] or ""
            click.echo(f"{row['source']:<28} {trap:<17} human {row['human']:>4g}  score {row['score']:>4g}  {flags}")
        _echo_figures(report.summary())
        if grader == "embedded":
            click.echo(
                "(the embedded grader's weights are fitted on tests/data/independent/tuning: "
                "quote figures from tests/data/independent/heldout)"
            )


@judge_group.command("fit-embedded")
@click.option(
    "--set",
    "set_paths",
    multiple=True,
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="A graded YAML file or folder to fit on; repeat. Never the held-out set.",
)
def judge_fit_embedded(set_paths: tuple[Path, ...]) -> None:
    """Fit the embedded grader's weights on human-graded answers and print them.

    Paste the printed weights into `EmbeddedTuning` (evaluators/embedded.py), then measure on the
    held-out set: `cli.py judge eval --set tests/data/independent/heldout`.
    """
    from evaluators.embedded import SIGNALS
    from evaluators.embedded_fit import collect_samples, fit_tuning, predicted_score
    from evaluators.harness import load_graded_set

    entries = []
    for path in set_paths:
        if "heldout" in path.parts:
            raise click.BadParameter(f"{path} is held out: fit on the tuning sets only", param_hint="--set")
        found, problems = load_graded_set(path)
        for problem in problems:
            click.echo(f"warning: {problem}", err=True)
        entries.extend(found)
    samples = collect_samples(entries, _load_questions(get_settings()))
    tuning = fit_tuning(samples)
    errors = [abs(predicted_score(s, tuning) - s.human) for s in samples]
    click.echo(f"fitted on {len(samples)} answers; mean absolute error on them {sum(errors) / len(errors):.2f}")
    click.echo("weights: (" + ", ".join(f"{w:.4f}" for w in tuning.weights) + ")")
    click.echo(f"bias: {tuning.bias:.4f}")
    for name, weight in zip(SIGNALS, tuning.weights, strict=True):
        click.echo(f"  {name:<22} {weight:+.4f}")
