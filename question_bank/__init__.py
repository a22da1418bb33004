"""The bilingual question bank: model, loader and validator, and the YAML files under `bank/`."""

from question_bank.bank import QuestionBank
from question_bank.loader import BankProblem, BankValidationError, load_bank, load_topics
from question_bank.model import Kind, Level, Localized, Question, RubricItem

__all__ = [
    "BankProblem",
    "BankValidationError",
    "Kind",
    "Level",
    "Localized",
    "Question",
    "QuestionBank",
    "RubricItem",
    "load_bank",
    "load_topics",
]
