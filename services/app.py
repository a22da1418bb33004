"""The service layer: the one object pages (and page tests) talk to, built once per process.

A page is layout and calls: it never builds a store, a model or a retriever, and never chooses how
to grade. `Services` owns the attempt store, the FSRS scheduler, the grade cache, the coach's
content and uploads, preferences, the keepers of quizzes and interviews in progress, the LLM health
check, the model factory and the knowledge build (the retriever). Its operations are the app's
verbs: start a quiz, submit, regrade, improve, dispute, resolve, ask, start or resume an interview.

Per-candidate choices (the model a candidate picked, the grader mode) come in with each call as the
session's `Settings` and grader choice; what the object holds is shared by every session.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from coach.content import CoachContent
from config import Settings
from core.i18n import say
from evaluators.cache import GradeCache
from llm_server.monitor import PROCESS_MONITOR, HealthMonitor
from practice.quiz import QuizConfig, QuizSession, advance_quiz, start_quiz
from practice.quiz_state import QuizKeeper, ungraded_answer
from question_bank import Question, QuestionBank
from services.knowledge_build import KnowledgeBuild
from storage.attempts import AttemptStore
from storage.documents import UploadedDocuments
from storage.practice_sessions import PracticeSessionStore
from storage.preferences import PreferenceStore
from storage.scheduling import ReviewScheduler

if TYPE_CHECKING:  # the grading stack (LangChain, numpy) loads with the first grade, not with the first page
    from coach.review import ReviewCase, ReviewOutcome
    from core.types import Grade, Verdict
    from evaluators.judge_call import GradeEvent
    from evaluators.request import GraderChoice
    from practice.grading import GradingOptions, GradingRun, Submission


class Services:
    """Everything below the UI, for one database and one knowledge store."""

    def __init__(
        self,
        settings: Settings,
        *,
        health: HealthMonitor = PROCESS_MONITOR,
        chat_model: Any = None,
        knowledge: KnowledgeBuild | None = None,
    ):
        """`chat_model`: a model used as is for every LLM call (tests, benches); None: the one the
        session's settings name, when the health check finds its server answering. `knowledge`: an
        already started build (tests); None: started on first use."""
        url = settings.sqlalchemy_url
        self.settings = settings
        self.attempts = AttemptStore(url)
        self.scheduler = ReviewScheduler(url)
        self.grade_cache = GradeCache(url)
        self.content = CoachContent(url)
        self.documents = UploadedDocuments(url)
        self.preferences = PreferenceStore(url)
        sessions = PracticeSessionStore(url)
        self.quizzes = QuizKeeper(sessions, self.attempts)
        from interview.state import InterviewKeeper

        self.interviews = InterviewKeeper(sessions)
        self.health = health
        self._chat_model = chat_model
        self._knowledge = knowledge
        self._knowledge_lock = threading.Lock()

    # ---- models ---------------------------------------------------------------------------------

    def model_answers(self, settings: Settings, grader: GraderChoice) -> bool:
        """True when the candidate lets a model work and its server answers (the last remembered check)."""
        if grader == "embedded":
            return False
        return self._chat_model is not None or self.health.health(settings).ok

    def chat_model(self, settings: Settings, grader: GraderChoice, max_output_tokens: int) -> Any:
        """The model for a chat page (the interviewer, "Ask the material"), or None when none answers."""
        if not self.model_answers(settings, grader):
            return None
        if self._chat_model is not None:
            return self._chat_model
        from llm_server.providers import get_chat_model

        return get_chat_model(settings, max_output_tokens=max_output_tokens)

    # ---- knowledge ------------------------------------------------------------------------------

    @property
    def knowledge(self) -> KnowledgeBuild:
        """The knowledge build, started on first use (it loads in the background)."""
        with self._knowledge_lock:
            if self._knowledge is None:
                self._knowledge = KnowledgeBuild()
            return self._knowledge

    def references_for(self, question: Question, lang: str, k: int = 4) -> tuple[Any, str | None]:
        """(references, None) or (None, a message): missing excerpts never block or break grading."""
        from knowledge.retrieval import references

        build = self.knowledge
        if not build.done.is_set():
            return None, say("refs_still_indexing", lang, percent=int(100 * build.progress))
        if build.error:
            return None, build.error
        try:
            return references(build.retriever, question, lang, k=k), None
        except Exception as exc:  # the store may be down or corrupt; grading still works without it
            return None, f"{type(exc).__name__}: {exc}"

    def excerpts_for(self, question: Question, lang: str) -> list[str]:
        """The texts of the question's excerpts, for the judge; empty while the index is not ready."""
        refs, _error = self.references_for(question, lang)
        return [hit.text for hit in refs.hits] if refs else []

    # ---- quiz -----------------------------------------------------------------------------------

    def start_quiz(self, bank: QuestionBank, profile: str, config: QuizConfig) -> QuizSession:
        return start_quiz(bank, self.scheduler, profile, config, store=self.attempts)

    def next_question(self, quiz: QuizSession, bank: QuestionBank) -> None:
        """Move on (skip or next); an adaptive quiz picks the next question from the latest scores."""
        advance_quiz(quiz, bank, self.attempts, self.scheduler)

    def saved_answer(self, quiz: QuizSession) -> str | None:
        """The answer saved for the current question but never graded (a crash, a closed tab)."""
        return ungraded_answer(quiz, self.attempts)

    # ---- grading --------------------------------------------------------------------------------

    def grading_options(self, question: Question, lang: str, grader: GraderChoice, **more: Any) -> GradingOptions:
        """How this process grades: the course passages for the judge, its model when one is given, its cache."""
        from practice.grading import GradingOptions

        excerpts = tuple(self.excerpts_for(question, lang)) if grader != "embedded" else ()
        return GradingOptions(
            grader=grader, excerpts=excerpts, chat_model=self._chat_model, cache=self._cache(), **more
        )

    def submit(self, submission: Submission, *, settings: Settings, grader: GraderChoice) -> GradingRun:
        """Save the answer now; iterate the run to grade it (events for the page, then the grade)."""
        from practice.grading import submit_answer

        options = self.grading_options(submission.question, submission.lang, grader)
        return submit_answer(submission, store=self.attempts, scheduler=self.scheduler, settings=settings,
                             options=options)  # fmt: skip

    def regrade(
        self, attempt_id: int, question: Question, answer: str, *, profile: str, lang: str, settings: Settings,
        grader: GraderChoice, fresh: bool = True,
    ) -> GradingRun:  # fmt: skip
        """Grade a saved attempt again (past the cache when `fresh`); its new grade replaces the old one."""
        from practice.grading import grade_saved_attempt

        options = self.grading_options(question, lang, grader, fresh=fresh, expected_lang=lang)
        return grade_saved_attempt(attempt_id, question, answer, profile=profile, store=self.attempts,
                                   scheduler=self.scheduler, settings=settings, options=options)  # fmt: skip

    def improve(
        self, attempt_id: int, question: Question, answer: str, grade: Grade, *, lang: str, settings: Settings
    ) -> Iterator[GradeEvent]:
        """ "How do I improve?" for a graded attempt: the advice is stored with its grade; the score stays."""
        from practice.grading import improve_attempt

        options = self.grading_options(question, lang, "llm")
        return improve_attempt(attempt_id, question, answer, grade, store=self.attempts, settings=settings,
                               options=options)  # fmt: skip

    def dispute(self, attempt_id: int, items: Sequence[str], note: str) -> bool:
        """The candidate contests a grade; returns whether the question's scheduling is held for a coach."""
        from practice.grading import dispute_grade

        return dispute_grade(attempt_id, items, note, store=self.attempts, scheduler=self.scheduler)

    def review_queue(self, bank: QuestionBank) -> list[ReviewCase]:
        from coach.review import review_queue

        return review_queue(self.attempts, {q.id: q for q in bank.questions})

    def resolve(self, case: ReviewCase, verdicts: dict[str, Verdict | str], coach: str) -> ReviewOutcome:
        """A coach's verdicts settle a disputed or doubtful grade (score, scheduling, calibration sample)."""
        from coach.review import resolve

        return resolve(case, verdicts, coach, store=self.attempts, scheduler=self.scheduler, content=self.content)

    def _cache(self) -> GradeCache | None:
        """The shared grade cache; none with a model given as is (a test's fake must not fill it)."""
        return None if self._chat_model is not None else self.grade_cache

    # ---- mock interview and "Ask the material" --------------------------------------------------

    def start_interview(
        self, bank: QuestionBank, profile: str, config: Any, *, settings: Settings, grader: GraderChoice
    ) -> Any:
        """A new mock interview (`interview.session.InterviewSession`), or None when no question matches."""
        from interview.interviewer import Interviewer
        from interview.plan import pick_questions
        from interview.session import InterviewSession

        questions = pick_questions(bank, self.scheduler, profile, config)
        if not questions:
            return None
        model = self._interviewer_model(settings, grader)
        session = InterviewSession(config, questions, profile=profile, interviewer=Interviewer(config, model),
                                   runner=self._interview_runner(settings, grader, model))  # fmt: skip
        session.start()
        return session

    def resume_interview(self, bank: QuestionBank, profile: str, *, settings: Settings, grader: GraderChoice) -> Any:
        """The profile's interview left open (a refresh, a restart), or None."""
        from interview.interviewer import Interviewer
        from interview.plan import InterviewConfig
        from interview.state import restore_interview

        state = self.interviews.open_state(profile)
        if state is None:
            return None
        model = self._interviewer_model(settings, grader)
        interviewer = Interviewer(InterviewConfig(**state["config"]), model)
        return restore_interview(state, bank, interviewer=interviewer,
                                 runner=self._interview_runner(settings, grader, model))  # fmt: skip

    def ask(self, question: str, history: Sequence[Any], *, settings: Settings, grader: GraderChoice, lang: str) -> Any:
        """ "Ask the material": retrieve, check coverage, and prepare a cited reply (`interview.ask.AskReply`).

        Raises when the knowledge store cannot answer (a Chroma server down): the page says so.
        """
        from interview.ask import ANSWER_TOKENS, CONTEXT_TOKENS, answer_question

        build = self.knowledge
        build.done.wait()
        if build.error:
            raise RuntimeError(build.error)
        model = self.chat_model(settings, grader, ANSWER_TOKENS)
        return answer_question(question, history, retriever=build.retriever, chat_model=model, default_lang=lang,
                               context_tokens=min(settings.llm_num_ctx, CONTEXT_TOKENS))  # fmt: skip

    def _interviewer_model(self, settings: Settings, grader: GraderChoice) -> Any:
        from interview.interviewer import build_chat_model

        if not self.model_answers(settings, grader):
            return None
        return self._chat_model if self._chat_model is not None else build_chat_model(settings)

    def _interview_runner(self, settings: Settings, grader: GraderChoice, model: Any) -> Any:
        """Grades the interview's answers in the background; excerpts for the judge only when a model answers."""
        from interview.grading import GradingRunner

        def excerpts(question: Question, lang: str) -> list[str]:
            return self.excerpts_for(question, lang)

        return GradingRunner(
            store=self.attempts, scheduler=self.scheduler, settings=settings, grader=grader,
            chat_model=self._chat_model, excerpts_for=excerpts if model is not None else None,
            llm_expected=model is not None,
        )  # fmt: skip
