"""The course reader: a cited passage inside its whole page, in the reader's language, with a link to share."""

import streamlit as st

from ui.i18n import t
from ui.reader import course_contents, render_document
from ui.session import current_lang

lang = current_lang()
st.title(t("read_title", lang))
source = st.query_params.get("source")
if source:
    render_document(source, lang, heading=st.query_params.get("heading"), section=st.query_params.get("section"))
else:
    course_contents(lang)
