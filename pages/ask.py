"""Ask the material: a chat grounded in the knowledge base, with numbered citations to open."""

import streamlit as st

from interview.ask import ChatMessage, cited_numbers
from interview.prompting import without_images
from ui.i18n import t
from ui.reader import passage_link
from ui.render import escape_markdown, safe_model_markdown
from ui.resources import knowledge, services
from ui.session import current_lang, effective_settings, grader_mode

lang = current_lang()
settings = effective_settings()
st.title(t("ask_title", lang))
st.caption(t("ask_intro", lang))
history: list[ChatMessage] = st.session_state.setdefault("ask_history", [])


def show_sources(hits: list, cited: list[int]) -> None:
    if not hits:
        return
    st.markdown(f"**{t('ask_sources', lang)}**")
    for number, hit in enumerate(hits, start=1):
        mark = f" · {t('ask_cited', lang)}" if number in cited else ""
        with st.expander(hit.label(number) + mark):
            st.markdown(safe_model_markdown(hit.text))
            passage_link(hit.source, lang, heading=hit.heading_path, label=t("refs_read_in_context", lang))


def show_message(message: ChatMessage) -> None:
    if message.role == "user":
        with st.chat_message("user"):
            st.markdown(escape_markdown(message.content))
        return
    with st.chat_message("assistant"):
        st.markdown(safe_model_markdown(message.content))
        cited = cited_numbers(message.content, len(message.hits)) if message.status == "answered" else []
        show_sources(message.hits, cited)


for message in history:
    show_message(message)
if history and st.button(t("ask_clear", lang)):
    history.clear()
    st.rerun()

if question := st.chat_input(t("ask_placeholder", lang), key="ask-input"):
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    try:
        knowledge()  # waits with a progress bar while a new store loads
        reply = services().ask(question, history, settings=settings, grader=grader_mode(), lang=lang)
    except Exception as exc:  # a Chroma server down or a corrupt store: say so, keep the conversation
        st.error(t("ask_store_error", lang, error=f"{type(exc).__name__}: {exc}"))
        st.stop()
    with st.chat_message("assistant"):
        if reply.status == "no_model":
            st.caption(t("ask_model_off", lang))
        st.write_stream(without_images(reply.stream()))
        show_sources(reply.hits, reply.cited if reply.status == "answered" else [])
    history += [ChatMessage("user", question), ChatMessage("assistant", reply.text, reply.hits, reply.status)]
