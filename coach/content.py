"""The bank as candidates see it, and the operations that change it: one place for the studio, the
review queue, `bank import` and the CLI.

The shipped YAML is read-only at run time; every change is a row in the database
(`storage.coach_content`), laid over the shipped bank by `question_bank.overlay`. Deleting a
shipped question hides it and reverting brings it back as shipped; a coach's own question is
simply removed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from config import Settings
from question_bank.bank import QuestionBank
from question_bank.model import CalibrationSample, Question
from question_bank.overlay import ADDED, EDITED, HIDDEN, SHIPPED, apply_coach_content
from storage.coach_content import CoachContentStore, StoredSample


def shipped_bank(settings: Settings, *, lenient: bool = True) -> QuestionBank:
    """The YAML bank of the repository, by default leniently (one broken file does not stop practice)."""
    return QuestionBank.load(settings.bank_dir, settings.corpus_dir, lenient=lenient)


class CoachContent:
    """The coaches' changes to the bank, kept in the settings' database."""

    def __init__(self, database_url: str):
        self.store = CoachContentStore(database_url)

    def version(self) -> str:
        return self.store.version()

    def bank(self, shipped: QuestionBank) -> QuestionBank:
        """`shipped` with every coach's question, edit, deletion and calibration sample."""
        edits = self.store.edits()
        samples = {qid: [stored.sample for stored in rows] for qid, rows in edits.samples.items()}
        return apply_coach_content(shipped, edits.questions, samples)

    def stored_samples(self, question_id: str) -> list[StoredSample]:
        """The samples coaches added to a question (removable), without the shipped ones."""
        return self.store.samples(question_id)

    def save_question(self, question: Question, *, by: str | None = None) -> None:
        """Add a question or store an edit (of a shipped question: an override that can be reverted)."""
        self.store.save_question(question, by=by)
        if question.calibration:
            self.store.add_samples(question.id, question.calibration, source="studio", by=by)

    def import_questions(self, questions: Sequence[Question], *, by: str | None = None) -> list[str]:
        """Store imported questions in one transaction; their calibration samples join the stored ones."""
        self.store.save_questions(questions, by=by)
        for question in questions:
            if question.calibration:
                self.store.add_samples(question.id, question.calibration, source="import", by=by)
        return [question.id for question in questions]

    def delete_question(self, bank: QuestionBank, question_id: str, *, by: str | None = None) -> None:
        """A coach's own question goes; a shipped one is hidden from candidates until reverted."""
        origin = bank.origin(question_id)
        if origin == ADDED:
            self.store.revert_question(question_id)
        elif origin in (SHIPPED, EDITED):
            self.store.hide_question(question_id, by=by)
        else:
            raise KeyError(f"no question {question_id!r} in the bank")

    def revert_question(self, bank: QuestionBank, question_id: str) -> bool:
        """A shipped question edited or hidden by a coach is as shipped again; False if it was not changed."""
        if bank.origin(question_id) not in (EDITED, HIDDEN):
            return False
        return self.store.revert_question(question_id)

    def add_samples(
        self,
        question_id: str,
        samples: Iterable[CalibrationSample],
        *,
        source: str = "studio",
        by: str | None = None,
        attempt_id: int | None = None,
    ) -> list[int]:
        return self.store.add_samples(question_id, samples, source=source, by=by, attempt_id=attempt_id)

    def remove_sample(self, sample_id: int) -> bool:
        return self.store.remove_sample(sample_id)


def load_bank(settings: Settings, *, lenient: bool = True) -> QuestionBank:
    """The bank as candidates see it, for the CLI (the app caches it in `ui.resources`)."""
    return CoachContent(settings.sqlalchemy_url).bank(shipped_bank(settings, lenient=lenient))
