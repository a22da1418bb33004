"""The end-of-interview report: scores, strengths and gaps with the candidate's own words, what to read.

Built from the saved grades (the judge's, or the embedded grader's when no model answered); a grade
that failed falls back to the triage grade so the report is never empty. Evidence quotes are the
quotes each rubric verdict was based on, so a strength or a gap always points at what was said.

What was covered, and the quotes that show it, are read from the question's grade of record: the
last one, on the cumulative answer (`question_grade`), which is also the grade the page details
under "Grading details". Reading them from one grade, with the grade view's rule (a verdict whose
quotes were rejected earned nothing), is what keeps the report and the details from disagreeing.
A point named by the rubric is shown in the interview's language, in the rubric's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from core import i18n
from core.text import escape_markdown, strip_images_and_html
from core.types import Grade, Verdict
from interview.explain import passage
from interview.plan import label
from interview.prompting import counted, phrase
from interview.session import Exchange, InterviewSession, QuestionRun, Turn

WEAK_BELOW = 7.0


@dataclass(frozen=True)
class Evidence:
    question_number: int
    point: str
    kind: str  # "met" | "partly_met" | "not_met" | "misconception"
    quotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reading:
    title: str
    source: str


@dataclass(frozen=True)
class QuestionSummary:
    number: int
    question_id: str
    prompt: str
    status: str  # "answered" | "dont_know" | "skipped" | "not_reached"
    first_score: float | None
    final_score: float | None
    follow_ups: int
    hints: int
    graders: tuple[str, ...] = ()
    follow_ups_dont_know: int = 0
    follow_ups_skipped: int = 0


@dataclass(frozen=True)
class InterviewReport:
    lang: str
    level: str
    focus: str
    date: str
    questions: list[QuestionSummary]
    strengths: list[Evidence]
    gaps: list[Evidence]
    reading: list[Reading]
    transcript: list[Turn] = field(default_factory=list)

    @property
    def average(self) -> float | None:
        scores = [q.final_score for q in self.questions if q.final_score is not None]
        return round(sum(scores) / len(scores), 1) if scores else None

    def markdown(self) -> str:
        return report_markdown(self)


def exchange_grade(exchange: Exchange) -> Grade | None:
    """The saved grade of an exchange, or its triage grade if grading failed or is still running."""
    if exchange.pending is not None and exchange.pending.grade is not None:
        return exchange.pending.grade
    return exchange.triage


def _graded(run: QuestionRun) -> list[Grade]:
    return [g for g in (exchange_grade(e) for e in run.exchanges if e.graded_text) if g is not None]


def document_title(source: str, corpus_dir: Path | None) -> str:
    """The title of a corpus document (its first heading); a readable name made from the path if unreadable."""
    return passage(source, corpus_dir).title


def question_grade(run: QuestionRun) -> Grade | None:
    """The question's grade of record: the last one, on the cumulative answer (the one the page details)."""
    grades = _graded(run)
    return grades[-1] if grades else None


def covered_points(run: QuestionRun, lang: str) -> list[tuple[str, Verdict, tuple[str, ...]]]:
    """Each rubric item's verdict in the question's grade of record, with the quotes that grade gave for it.

    A verdict whose quotes were rejected earned no credit: it reads as not covered and quotes
    nothing, as in the grade view, which shows it "missing".
    """
    grade = question_grade(run)
    if grade is None:
        return []
    texts = {item.id: item.text.get(lang) for item in run.question.rubric}
    points = []
    for criterion in grade.criteria:
        verdict = criterion.verdict if criterion.evidence_ok else Verdict.not_met
        quotes = tuple(criterion.evidence) if verdict != Verdict.not_met else ()
        points.append((criterion.id, texts.get(criterion.id, criterion.text), verdict, quotes))
    order = {item_id: i for i, item_id in enumerate(texts)}
    points.sort(key=lambda point: order.get(point[0], len(order)))
    return [(text, verdict, quotes) for _, text, verdict, quotes in points]


def _follow_ups_ending(run: QuestionRun, outcome: str) -> int:
    return sum(1 for exchange in run.follow_ups if exchange.outcome == outcome)


def build_report(
    session: InterviewSession, corpus_dir: Path | None = None, now: datetime | None = None
) -> InterviewReport:
    lang = session.lang
    summaries: list[QuestionSummary] = []
    strengths: list[Evidence] = []
    gaps: list[Evidence] = []
    sources: list[str] = []
    for run in session.runs:
        grades = _graded(run)
        first, final = (grades[0] if grades else None), question_grade(run)
        summaries.append(
            QuestionSummary(
                number=run.number, question_id=run.question.id, prompt=run.question.prompt_in(lang), status=run.status,
                first_score=first.score if first else None, final_score=final.score if final else None,
                follow_ups=len(run.follow_ups), hints=len(run.hints),
                graders=tuple(dict.fromkeys(g.model or g.grader for g in grades)),
                follow_ups_dont_know=_follow_ups_ending(run, "dont_know"),
                follow_ups_skipped=_follow_ups_ending(run, "skipped"),
            )
        )  # fmt: skip
        if final is not None:
            for point, verdict, quotes in covered_points(run, lang):
                evidence = Evidence(run.number, point, verdict.value, quotes)
                (strengths if verdict == Verdict.met else gaps).append(evidence)
            gaps += [Evidence(run.number, m, "misconception") for m in final.misconceptions]
        if final is None or final.score < WEAK_BELOW or run.status != "answered":
            preferred = [s for s in run.question.sources if s.startswith(f"{lang}/")]
            sources += [s for s in preferred or run.question.sources if s not in sources]
    for question in session.questions[len(session.runs) :]:
        summaries.append(
            QuestionSummary(len(summaries) + 1, question.id, question.prompt_in(lang), "not_reached", None, None, 0, 0)
        )
    gaps.sort(key=lambda e: (e.kind != "not_met", e.kind != "misconception", e.question_number))
    return InterviewReport(
        lang=lang,
        level=label(session.config.level, lang),
        focus=label(session.config.focus, lang),
        date=(now or datetime.now()).strftime("%Y-%m-%d %H:%M"),
        questions=summaries,
        strengths=strengths,
        gaps=gaps,
        reading=[Reading(document_title(s, corpus_dir), s) for s in sources],
        transcript=list(session.transcript),
    )


def _score(value: float | None, lang: str) -> str:
    return "—" if value is None else f"{i18n.number(value, lang)}/10"


def report_markdown(report: InterviewReport, *, transcript: bool = True, reading: bool = True) -> str:
    """The report as Markdown; every text that is not ours is escaped, so the page can render it too.

    The page leaves out the reading list (`reading=False`) to show it as links into the course reader.
    """
    lang = report.lang

    def say(key: str, **values: object) -> str:
        return phrase(key, lang, **values)

    meta = say("report_meta", level=report.level, focus=report.focus, date=report.date)
    lines = [f"# {say('report_title')}", "", meta]
    average = None if report.average is None else i18n.number(report.average, lang)
    average_line = say("report_no_score") if average is None else say("report_average", score=average)
    lines += ["", f"**{average_line}**"]
    lines += ["", f"## {say('report_per_question')}", ""]
    header = (say("report_question"), say("report_first"), say("report_final"), say("report_notes"))
    lines += ["| # | " + " | ".join(header) + " |", "|---|---|---|---|---|"]
    for q in report.questions:
        notes = [say(f"report_status_{q.status}")]
        if q.follow_ups:
            notes.append(counted("report_follow_ups", lang, q.follow_ups))
        if q.follow_ups_dont_know:  # said on a follow-up, it saves no grade: the notes are where it shows
            notes.append(counted("report_follow_ups_dont_know", lang, q.follow_ups_dont_know))
        if q.follow_ups_skipped:
            notes.append(counted("report_follow_ups_skipped", lang, q.follow_ups_skipped))
        if q.hints:
            notes.append(counted("report_hints", lang, q.hints))
        scores = f"{_score(q.first_score, lang)} | {_score(q.final_score, lang)}"
        prompt = escape_markdown(q.prompt, one_line=True)
        lines.append(f"| {q.number} | {prompt} | {scores} | {', '.join(notes)} |")
    answered = any(q.final_score is not None for q in report.questions)
    sections = (
        (say("report_strengths"), report.strengths, say("report_no_strengths") if answered else say("report_none")),
        (say("report_gaps"), report.gaps, say("report_no_gaps") if answered else say("report_none")),
    )
    for title, items, empty in sections:
        lines += ["", f"## {title}", ""]
        lines += [_evidence_line(e, say, lang) for e in items] or [empty]
    if reading:
        lines += ["", f"## {say('report_reading')}", ""]
        titles = [escape_markdown(r.title, one_line=True) for r in report.reading]
        lines += [f"- {title} — `{r.source}`" for title, r in zip(titles, report.reading, strict=True)] or [
            say("report_no_reading")
        ]
    if transcript and report.transcript:
        lines += ["", f"## {say('report_transcript')}", ""]
        for turn in report.transcript:
            who = say("report_interviewer" if turn.role == "interviewer" else "report_candidate")
            if turn.role == "interviewer":
                body = strip_images_and_html(turn.text)
            else:
                body = escape_markdown(turn.text, one_line=True)
            lines += [i18n.say("speaker_line", lang, who=who, body=body), ""]
    return "\n".join(lines).rstrip() + "\n"


def _evidence_line(evidence: Evidence, say, lang: str) -> str:  # type: ignore[no-untyped-def]
    head = f"- **Q{evidence.question_number}** — {escape_markdown(evidence.point, one_line=True)}"
    quotes = " / ".join(
        i18n.say("quoted", lang, text=escape_markdown(quote, one_line=True)) for quote in evidence.quotes
    )
    said = f" — {i18n.say('said_colon', lang, said=say('report_you_said'), quotes=quotes)}" if quotes else ""
    if evidence.kind == "misconception":
        return f"{head} ({say('report_misconception')})"
    if evidence.kind == "met":
        return head + said
    status = say("report_partly" if evidence.kind == "partly_met" else "report_not_covered")
    return f"{head} ({status}){said}"
