"""A mock interview as a state machine: questions, answers, follow-ups, hints, skips and the end.

The page calls `start()` once, then `reply(text)` for each candidate message (or `reply("", intent)`
for a button); each returns the interviewer's next message as an `Utterance` to stream. All state
lives here, so the flow is tested without Streamlit and the page only renders.

How follow-ups are graded: a follow-up answer is saved and graded *as the same question*, on the
candidate's cumulative answer (the first answer plus every follow-up answer so far) against the
whole rubric. A follow-up answer alone, graded on the whole rubric, would look like a failure;
graded on the probed items alone, it would become the question's latest score in Progress and in
spaced repetition while covering one point. The cumulative attempt stands on its own: re-grading
it later from the Progress page means the same thing, and its score is what the candidate showed
on the question by the end of the exchange. A probed point answered "I don't know" adds nothing to
grade, so it saves no new attempt and stays a gap in the report.

Without an LLM the interviewer still helps: follow-ups are the bank's authored ones, hints are the
ones written for the question (a plain-words fallback otherwise), and "I don't know" is answered
with the missing key point in two or three sentences and the passage of the course to read. On a
follow-up, that point is the one the follow-up asked about (`followups.follow_up_point`), and the
explanation with its reading is a turn of its own, before the next question.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from core.types import Grade
from interview.explain import explanation, passage, source_for
from interview.followups import Probe, choose_probe, follow_up_point, hint_item, keyword_topic, missing_items
from interview.grading import GradingRunner, PendingGrade
from interview.intents import Intent, detect_intent
from interview.interviewer import TURN_BREAK, Interviewer, Utterance
from interview.plan import InterviewConfig, label
from interview.prompting import counted, lower_first
from practice.grading import Submission
from question_bank import Question
from question_bank.model import Kind, RubricItem

MAX_HINTS_PER_QUESTION = 2


@dataclass
class Exchange:
    """One thing the interviewer asked (the main question or a follow-up) and what came back."""

    kind: str  # "main" | "follow_up"
    asked: str
    probe: Probe | None = None
    answer: str | None = None
    outcome: str | None = None  # "answered" | "dont_know" | "skipped"; None while waiting
    graded_text: str | None = None
    pending: PendingGrade | None = None
    triage: Grade | None = None
    asked_at: float = field(default_factory=time.time)


@dataclass
class QuestionRun:
    """One bank question in the interview, with its follow-ups and hints."""

    question: Question
    number: int
    exchanges: list[Exchange] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    hinted_items: list[str] = field(default_factory=list)
    question_hint_given: bool = False
    status: str = "asking"  # "asking" | "answered" | "dont_know" | "skipped"

    @property
    def follow_ups(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.kind == "follow_up"]

    @property
    def cumulative_answer(self) -> str:
        return "\n\n".join(e.answer for e in self.exchanges if e.outcome == "answered" and e.answer)

    @property
    def latest_triage(self) -> Grade | None:
        return next((e.triage for e in reversed(self.exchanges) if e.triage is not None), None)

    @property
    def pendings(self) -> list[PendingGrade]:
        return [e.pending for e in self.exchanges if e.pending is not None]


@dataclass
class Turn:
    """A message of the transcript; a candidate's answer points at its exchange (and so its grade)."""

    role: str  # "interviewer" | "candidate"
    text: str
    run_index: int | None = None
    exchange_index: int | None = None
    reading: tuple[str, str | None] | None = None  # (source, heading path): the passage the turn points to


class InterviewSession:
    """One interview, from the greeting to the report."""

    def __init__(
        self,
        config: InterviewConfig,
        questions: list[Question],
        *,
        profile: str,
        interviewer: Interviewer,
        runner: GradingRunner,
        corpus_dir: Path | None = None,
    ):
        if not questions:
            raise ValueError("an interview needs at least one question: none matches this level and focus")
        self.id = uuid.uuid4().hex
        self.config = config
        self.lang = config.lang
        self.questions = questions
        self.profile = profile
        self.interviewer = interviewer
        self.runner = runner
        self.corpus_dir = corpus_dir if corpus_dir is not None else getattr(runner.settings, "corpus_dir", None)
        self.runs: list[QuestionRun] = []
        self.transcript: list[Turn] = []
        self.pending: Utterance | None = None
        self.started = False
        self.finished = False
        self.ended_early = False
        self._messages = 0
        self._reading: tuple[str, str | None] | None = None  # what the next interviewer turn points to

    # --- state ---------------------------------------------------------------------------------
    @property
    def current_run(self) -> QuestionRun | None:
        return self.runs[-1] if self.runs and not self.finished else None

    @property
    def grades_waiting(self) -> int:
        """How many answers are still being graded in the background."""
        return sum(not p.done for run in self.runs for p in run.pendings)

    def grades_ready(self) -> bool:
        return self.grades_waiting == 0

    def wait_for_grades(self, timeout: float | None = None) -> bool:
        """Block until every answer is graded (or `timeout` seconds pass); True when all are."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for run in self.runs:
            for pending in run.pendings:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                pending.wait(left)
        return self.grades_ready()

    # --- turn-taking ---------------------------------------------------------------------------
    def start(self) -> Utterance:
        if self.started:
            raise RuntimeError("the interview has already started")
        self.started = True
        self.runner.warm_up()
        opening = self.interviewer.say(
            "opening",
            level=label(self.config.level, self.lang),
            focus=label(self.config.focus, self.lang),
            count=len(self.questions),
            questions=counted("question_count", self.lang, len(self.questions)),
        )
        return self._ask_question([self.interviewer.model_or_template("opening", opening)])

    def reply(self, text: str, intent: Intent | str | None = None) -> Utterance:
        """The candidate's message (typed, or a button's intent); returns the interviewer's answer."""
        if not self.started or self.finished:
            raise RuntimeError("the interview is not running: start it first, or read its report")
        if self.pending is not None and not self.pending.done:
            raise RuntimeError("the interviewer's previous message has not been shown yet")
        intent = Intent(intent) if intent else detect_intent(text)
        text = (text or "").strip()
        if intent == Intent.answer and not text:
            return self._utter([self.interviewer.say("empty_message")])
        run, exchange = self.runs[-1], self.runs[-1].exchanges[-1]
        shown = text or self.interviewer.say(f"said_{intent.value}")
        turn = Turn("candidate", shown)
        self.transcript.append(turn)
        if intent in (Intent.answer, Intent.dont_know):  # the turns whose grade the page shows beneath them
            turn.run_index, turn.exchange_index = len(self.runs) - 1, len(run.exchanges) - 1
        if intent == Intent.end:
            return self._finish(early=True)
        if intent == Intent.hint:
            return self._hint(run, exchange)
        if intent == Intent.skip:
            exchange.outcome = "skipped"
            if exchange.kind == "main":
                run.status = "skipped"
            return self._next_question(self.interviewer.say("skip", self._messages))
        exchange.answer = text or shown
        if intent == Intent.dont_know:
            exchange.outcome = "dont_know"
            if exchange.kind == "main":
                # Saved and graded (zero) like any answer: spaced repetition must bring it back soon.
                run.status = "dont_know"
                exchange.graded_text = exchange.answer
                exchange.pending = self.runner.submit(self._submission(run, exchange), grader="embedded")
            return self._next_question(self._teach(run, exchange), own_turn=True)
        exchange.outcome = "answered"
        if exchange.kind == "main":
            run.status = "answered"
        exchange.graded_text = run.cumulative_answer
        exchange.pending = self.runner.submit(self._submission(run, exchange))
        exchange.triage = self.runner.triage(run.question, exchange.graded_text, exchange.pending)
        return self._probe_or_next(run, exchange)

    # --- steps ---------------------------------------------------------------------------------
    def _submission(self, run: QuestionRun, exchange: Exchange) -> Submission:
        return Submission(
            profile=self.profile,
            question=run.question,
            answer=exchange.graded_text or "",
            lang=self.lang,
            mode="interview",
            session_id=self.id,
            answer_seconds=round(time.time() - exchange.asked_at, 1),
        )

    def _probe_or_next(self, run: QuestionRun, exchange: Exchange) -> Utterance:
        probe = None
        if len(run.follow_ups) < self.config.max_follow_ups:
            probe = choose_probe(
                run.question,
                exchange.triage,
                self.lang,
                probed_items={e.probe.item_id for e in run.follow_ups if e.probe and e.probe.item_id},
                used_bank={e.probe.bank_index for e in run.follow_ups if e.probe},
            )
        if probe is None:
            transition = self.interviewer.say("transition", self._messages)
            return self._next_question(
                self.interviewer.model_or_template(
                    "transition", transition, question=run.question.prompt_in(self.lang), answer=exchange.answer or ""
                )
            )
        asked = self.interviewer.say("bank_follow_up", self._messages, question=probe.question)
        part: object = asked
        if self.interviewer.uses_model and probe.item_id is not None:  # the persona words its own probe
            part = self.interviewer.model_or_template(
                "probe", asked, question=run.question.prompt_in(self.lang), point=probe.point,
                answer=run.cumulative_answer,
            )  # fmt: skip
        run.exchanges.append(Exchange(kind="follow_up", asked=asked, probe=probe))
        return self._utter([part])

    def _item(self, run: QuestionRun, item_id: str | None) -> RubricItem | None:
        return next((i for i in run.question.rubric if i.id == item_id), None)

    def _hint(self, run: QuestionRun, exchange: Exchange) -> Utterance:
        """A nudge, at most two a question: an authored hint first, else the topic in plain words."""
        say = self.interviewer.say
        if len(run.hints) >= MAX_HINTS_PER_QUESTION:
            return self._utter([say("no_more_hints")])
        question = run.question
        focus = self._item(run, exchange.probe.focus_item) if exchange.probe is not None else None
        item = focus or hint_item(question, run.latest_triage, set(run.hinted_items))
        variant = len(run.hints)
        authored = None
        if item is not None and item.hint is not None and item.id not in run.hinted_items:
            authored = item.hint.get(self.lang)
        elif focus is None and question.hint is not None and not run.question_hint_given:
            authored = question.hint.get(self.lang)
            run.question_hint_given = True
            item = None  # the question's hint is about no single item: the next hint may name one
        if authored is not None:
            hint = say("hint", variant, hint=lower_first(authored))
        elif item is None or item.id in run.hinted_items:
            return self._utter([say("no_more_hints")])
        else:
            topic = keyword_topic(item, self.lang)
            hint = say("hint_topic", variant, topic=topic) if topic else say("hint_generic", variant)
        run.hints.append(hint)
        if item is not None:
            run.hinted_items.append(item.id)
        return self._utter([hint])

    def _taught_item(self, run: QuestionRun, exchange: Exchange) -> RubricItem:
        """The point "I don't know" teaches: the one the follow-up asked about, else the heaviest missing one."""
        question, probe = run.question, exchange.probe
        item = None
        if probe is not None:
            if self._model_worded(exchange, probe):  # the persona asked about the probe's item in its words
                item = self._item(run, probe.item_id)
            else:  # the authored follow-up was asked word for word: teach what it is about
                item = follow_up_point(question, probe, run.latest_triage) or self._item(run, probe.item_id)
        if item is None and exchange.kind == "follow_up":
            item = next(iter(missing_items(question, run.latest_triage)), None)
        return item or max(question.rubric, key=lambda i: i.weight)

    def _model_worded(self, exchange: Exchange, probe: Probe) -> bool:
        """Whether the follow-up the candidate saw was the persona's wording rather than the authored one."""
        said = (turn.text for turn in self.transcript if turn.role == "interviewer")
        return probe.item_id is not None and not any(probe.question in text for text in said)

    def _teach(self, run: QuestionRun, exchange: Exchange) -> str:
        """After "I don't know": the missing key point in a few sentences, and where to read about it."""
        say = self.interviewer.say
        question = run.question
        item = self._taught_item(run, exchange)
        if question.kind == Kind.behavioral and question.hint is not None:
            # The reference answer of a behavioral question is someone else's story: say what to tell instead.
            parts = [say("dont_know_behavioral", self._messages, explanation=question.hint.get(self.lang))]
        else:
            point = explanation(question, item, self.lang)
            if not point:
                return say("dont_know", self._messages)
            parts = [say("dont_know_teach", self._messages, explanation=point)]
        source = source_for(question, self.lang)
        if source is not None:
            where = passage(source, self.corpus_dir, item, self.lang)
            self._reading = (source, f"{where.title} > {where.section}" if where.section else None)
            if where.section:
                parts.append(say("dont_know_read_section", title=where.title, section=where.section))
            else:
                parts.append(say("dont_know_read", title=where.title))
        return " ".join(parts)

    def _ask_question(self, lead: list) -> Utterance:
        number = len(self.runs) + 1
        question = self.questions[number - 1]
        text = question.prompt_in(self.lang)
        self.runs.append(QuestionRun(question=question, number=number))
        self.runs[-1].exchanges.append(Exchange(kind="main", asked=text))
        header = self.interviewer.say("question_header", n=number, total=len(self.questions), question=text)
        if not question.written_in(self.lang):  # a question a coach wrote in the other language only
            header += " " + self.interviewer.say("question_other_language")
        separator = [] if lead and lead[-1] is TURN_BREAK else ["\n\n"]
        return self._utter([*lead, *separator, header])

    def _next_question(self, lead: object, *, own_turn: bool = False) -> Utterance:
        """The next question (or the end) after `lead`; `own_turn` keeps the lead a turn of its own.

        A lead with a reading link (an explanation after "I don't know") is its own turn, so the
        link is shown under it and not under the next question.
        """
        if len(self.runs) >= len(self.questions):
            return self._finish(early=False, lead=lead, own_turn=own_turn)
        return self._ask_question([lead, TURN_BREAK] if own_turn else [lead])

    def _finish(self, *, early: bool, lead: object | None = None, own_turn: bool = False) -> Utterance:
        self.finished = True
        self.ended_early = early
        for run in self.runs:
            if run.status == "asking":
                run.status = "skipped"
        closing = self.interviewer.say("closing_early" if early else "closing")
        # A spoken lead ("let's skip this one") stays; a model transition would only repeat the closing.
        parts: list = [lead, TURN_BREAK if own_turn else " "] if isinstance(lead, str) else []
        parts.append(self.interviewer.model_or_template("closing", closing))
        return self._utter(parts)

    def _utter(self, parts: list) -> Utterance:
        self._messages += 1
        reading, self._reading = self._reading, None

        def record(texts: list[str]) -> None:
            # A reading belongs to the message's first turn: the explanation that names it.
            for i, text in enumerate(texts):
                self.transcript.append(Turn("interviewer", text, reading=None if i else reading))
            if self.pending is utterance:
                self.pending = None

        utterance = Utterance(parts, record)
        self.pending = utterance
        return utterance
