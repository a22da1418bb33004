"""Start the AgentPrep server: `streamlit run app.py`, with deep links fixed from the first request.

Streamlit guesses, for the first session after start-up, that an app with a `pages/` folder uses
its old automatic page mode, so a first visit to a bookmarked `/quiz` would run `pages/quiz.py`
alone, without `app.py`'s navigation, sidebar, language and profile. AgentPrep always declares its
pages with `st.navigation`; saying so before the server starts removes the guess.

Usage: python serve.py [streamlit run options...]   (what `make run` does)
"""

import sys
import threading
import time
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli as streamlit_cli

APP = Path(__file__).resolve().parent / "app.py"


def warm_up() -> None:
    """Imports the app's modules and loads the question bank while the server waits for a browser.

    Starts once the server is up: sharing the GIL with the server's own start-up only delays it."""
    from streamlit.runtime import Runtime, RuntimeState

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (Runtime.exists() and Runtime.instance().state != RuntimeState.INITIAL):
        time.sleep(0.02)
    from ui.resources import warm_up

    warm_up()


if __name__ == "__main__":
    PagesManager.uses_pages_directory = False
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    sys.exit(streamlit_cli.main())
