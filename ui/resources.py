"""Process-wide resources for the Streamlit app, each built once with `st.cache_resource`.

Heavy things (the embedding model, Chroma, the BM25 index, the database engine) load lazily, the
first time a page needs them, so the app shows its first page in a couple of seconds.
"""

from __future__ import annotations

import streamlit as st

from config import Settings, get_settings
from question_bank import QuestionBank
from storage.attempts import AttemptStore
from storage.scheduling import ReviewScheduler


@st.cache_resource(show_spinner=False)
def load_bank() -> QuestionBank:
    """The bank, loaded leniently: a candidate can practise even if a coach broke one file."""
    settings = get_settings()
    return QuestionBank.load(settings.bank_dir, settings.corpus_dir, lenient=True)


def reload_bank() -> QuestionBank:
    load_bank.clear()
    return load_bank()


@st.cache_resource(show_spinner=False)
def attempt_store(database_url: str) -> AttemptStore:
    return AttemptStore(database_url)


@st.cache_resource(show_spinner=False)
def review_scheduler(database_url: str) -> ReviewScheduler:
    return ReviewScheduler(database_url)


def attempts(settings: Settings | None = None) -> AttemptStore:
    return attempt_store((settings or get_settings()).sqlalchemy_url)


def scheduler(settings: Settings | None = None) -> ReviewScheduler:
    return review_scheduler((settings or get_settings()).sqlalchemy_url)
