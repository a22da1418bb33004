"""Ask the material: a chat grounded in the knowledge base, with numbered citations to open."""

import streamlit as st

from interview.ask import ANSWER_TOKENS, CONTEXT_TOKENS, ChatMessage, answer_question, citation_label, cited_numbers
from interview.prompting import without_images
from ui.i18n import t
from ui.reader import passage_link
from ui.render import escape_markdown, safe_model_markdown
from ui.resources import knowledge
from ui.session import current_lang, effective_settings
from ui.sidebar import model_answers

lang = current_lang()
settings = effective_settings()
st.title(t("ask_title", lang))
st.caption(t("ask_intro", lang))
history: list[ChatMessage] = st.session_state.setdefault("ask_history", [])


def reachable_chat_model():  # type: ignore[no-untyped-def]
    """The model, if the sidebar's health check says it answers; None means excerpts only."""
    if not model_answers():
        return None
    from llm_server.providers import get_chat_model

    return get_chat_model(settings, max_output_tokens=ANSWER_TOKENS)


def show_sources(hits: list, cited: list[int]) -> None:
    if not hits:
        return
    st.markdown(f"**{t('ask_sources', lang)}**")
    for number, hit in enumerate(hits, start=1):
        mark = f" · {t('ask_cited', lang)}" if number in cited else ""
        with st.expander(citation_label(number, hit) + mark):
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
        _store, retriever = knowledge()
    except Exception as exc:  # a Chroma server down or a corrupt store: say so, keep the conversation
        st.error(t("ask_store_error", lang, error=f"{type(exc).__name__}: {exc}"))
        st.stop()
    model = reachable_chat_model()
    reply = answer_question(
        question, history, retriever=retriever, chat_model=model, default_lang=lang,
        context_tokens=min(settings.llm_num_ctx, CONTEXT_TOKENS),
    )  # fmt: skip
    with st.chat_message("assistant"):
        if model is None and reply.status == "no_model":
            st.caption(t("ask_model_off", lang))
        st.write_stream(without_images(reply.stream()))
        show_sources(reply.hits, reply.cited if reply.status == "answered" else [])
    history += [ChatMessage("user", question), ChatMessage("assistant", reply.text, reply.hits, reply.status)]
