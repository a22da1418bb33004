"""Make a deep link to a page run the app's entry point first.

Streamlit still guesses, for the first session after the server starts, that an app with a
`pages/` folder uses the old automatic page mode: a first visit to `/quiz` would run
`pages/quiz.py` alone, without `app.py`'s sidebar, language or profile. Every page calls
`ensure_entrypoint()` first; when it finds that old mode, it turns it off and reruns, so that
`app.py` runs and its `st.navigation` opens the page the URL asked for.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def ensure_entrypoint() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
