"""Add, edit, duplicate and delete bank questions, with a preview of what a candidate sees.

The form's values live in widget state (keys `cq_f_*`) and in a draft copy that survives a visit to
another page; a save that fails writes nothing and shows each problem under its field.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from coach.forms import MAX_FOLLOW_UPS, MAX_RUBRIC_ITEMS, empty_values, fits_form, save_form, values_from_question
from coach.messages import localize
from config import Settings
from question_bank.overlay import ADDED, EDITED, HIDDEN
from question_bank.writer import free_copy_id
from ui.i18n import t
from ui.render import escape_markdown
from ui.resources import load_bank, reload_bank, services
from ui.session import current_lang, current_profile

NEW = ""  # the selectbox value for "a new question"
FIELD = "cq_f_"
CHOICE, CHOICE_SAVED, LOADED, DRAFT, PROBLEMS, FLASH = (
    "cq_choice", "cq_choice_saved", "cq_loaded", "cq_draft", "cq_problems", "cq_flash",
)  # fmt: skip


def _fill_form(values: dict) -> None:
    for name, value in values.items():
        st.session_state[FIELD + name] = value
    st.session_state[DRAFT] = dict(values)
    st.session_state[PROBLEMS] = {}


def _form_values() -> dict:
    defaults = empty_values()
    return {name: st.session_state.get(FIELD + name, default) for name, default in defaults.items()}


def _ensure_field(name: str) -> str:
    """Widget key of a field, restored from the draft if Streamlit dropped it (another page was shown)."""
    key = FIELD + name
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(DRAFT, {}).get(name, empty_values()[name])
    return key


def _corpus_sources(corpus_dir: Path) -> list[str]:
    if not corpus_dir.is_dir():
        return []
    return sorted(p.relative_to(corpus_dir).as_posix() for p in corpus_dir.rglob("*.md"))


def _field_label(name: str, lang: str) -> str:
    parts = name.split("_")
    if len(parts) > 2 and parts[0] == "rubric" and parts[1].isdigit():
        return t("coach_f_rubric_item", lang, n=int(parts[1]) + 1, part=t(f"coach_f_item_{'_'.join(parts[2:])}", lang))
    if len(parts) > 3 and parts[:2] == ["follow", "up"] and parts[2].isdigit():
        return t("coach_f_follow_up_item", lang, n=int(parts[2]) + 1, part=parts[3])
    return t(f"coach_f_{name}", lang)


def _show_problems(name: str) -> None:
    for message in st.session_state.get(PROBLEMS, {}).get(name, []):
        st.error(escape_markdown(localize(message, current_lang())), icon=":material/error:")


def _save(settings: Settings, lang: str) -> None:
    """Button callback: runs before the page redraws, so the fields show the outcome at once."""
    bank = load_bank()
    editing = st.session_state.get(LOADED) or None
    result = save_form(
        _form_values(), editing_id=editing, bank=bank, content=services().content,
        corpus_dir=settings.corpus_dir, by=current_profile(),
    )  # fmt: skip
    st.session_state[PROBLEMS] = result.problems
    if result.ok and result.question is not None:
        saved_id = result.question.id
        st.session_state[CHOICE] = st.session_state[CHOICE_SAVED] = st.session_state[LOADED] = saved_id
        st.session_state[FLASH] = t("coach_q_saved", lang, id=saved_id)


def _duplicate(lang: str) -> None:
    bank = load_bank()
    values = _form_values()
    values["id"] = free_copy_id(str(values["id"]), {q.id for q in bank.questions})
    st.session_state[CHOICE] = st.session_state[CHOICE_SAVED] = st.session_state[LOADED] = NEW
    _fill_form(values)
    st.session_state[FLASH] = t("coach_q_duplicated", lang, id=values["id"])


def _delete(settings: Settings, lang: str, question_id: str) -> None:
    try:
        services().content.delete_question(load_bank(), question_id, by=current_profile())
    except KeyError:
        st.session_state[FLASH] = t("coach_q_missing", lang, id=question_id)
        return
    st.session_state[CHOICE] = st.session_state[CHOICE_SAVED] = NEW
    st.session_state[LOADED] = None  # reload the (empty) form
    st.session_state[FLASH] = t("coach_q_deleted", lang, id=question_id)


def _preview(values: dict, bank, lang: str) -> None:  # type: ignore[no-untyped-def]
    st.markdown(f"#### {t('coach_q_preview', lang)}")
    preview_lang = st.radio(
        t("coach_q_preview_lang", lang), ["fr", "en"], horizontal=True, key="cq_preview_lang",
        format_func=lambda c: {"fr": "Français", "en": "English"}[c],
    )  # fmt: skip
    topics = " · ".join(bank.topic_label(x, lang) for x in values["topics"] or [])
    level, kind = t(f"level_{values['level']}", lang), t(f"kind_{values['kind']}", lang)
    st.caption(f"{level} · {kind} · {topics}")
    prompt = str(values[f"prompt_{preview_lang}"] or "").strip()
    st.markdown(f"### {escape_markdown(prompt)}" if prompt else f"_{t('coach_q_preview_empty', lang)}_")
    count = int(values["follow_up_count"] or 0)
    follow_ups = [str(values[f"follow_up_{i}_{preview_lang}"] or "") for i in range(count)]
    if any(f.strip() for f in follow_ups):
        st.markdown(f"**{t('coach_q_preview_follow_ups', lang)}**")
        st.markdown("\n".join(f"- {escape_markdown(f)}" for f in follow_ups if f.strip()))
    with st.expander(t("refs_reference", lang)):
        st.markdown(escape_markdown(str(values[f"reference_answer_{preview_lang}"] or "")))


def _text_field(name: str, lang: str, *, area: bool = False, disabled: bool = False, height: int | None = None) -> None:
    key = _ensure_field(name)
    if area:
        st.text_area(_field_label(name, lang), key=key, height=height)
    else:
        st.text_input(_field_label(name, lang), key=key, disabled=disabled)
    _show_problems(name)


def _form(settings: Settings, bank, lang: str, editing: str | None) -> None:  # type: ignore[no-untyped-def]
    _text_field("id", lang, disabled=editing is not None)
    left, right = st.columns(2)
    left.selectbox(_field_label("kind", lang), ["technical", "behavioral"], key=_ensure_field("kind"),
                   format_func=lambda k: t(f"kind_{k}", lang))  # fmt: skip
    right.selectbox(_field_label("level", lang), ["basic", "intermediate", "advanced"], key=_ensure_field("level"),
                    format_func=lambda k: t(f"level_{k}", lang))  # fmt: skip
    topic_key = _ensure_field("topics")
    topic_options = list(dict.fromkeys([*bank.topics, *st.session_state[topic_key]]))
    st.multiselect(_field_label("topics", lang), topic_options, key=topic_key,
                   format_func=lambda x: bank.topic_label(x, lang), placeholder=t("choose_options", lang),
                   select_all=False)  # fmt: skip
    _show_problems("topics")
    left, right = st.columns(2)
    with left:
        _text_field("origin", lang)
    with right:
        _text_field("origin_rank", lang)
    for name in ("prompt_fr", "prompt_en"):
        _text_field(name, lang, area=True, height=80)
    for name in ("reference_answer_fr", "reference_answer_en"):
        _text_field(name, lang, area=True, height=200)
    st.caption(t("coach_f_hint_help", lang))
    left, right = st.columns(2)
    with left:
        _text_field("hint_fr", lang)
    with right:
        _text_field("hint_en", lang)

    st.markdown(f"**{t('coach_f_rubric', lang)}**")
    st.caption(t("coach_f_rubric_help", lang))
    count = st.number_input(t("coach_f_rubric_count", lang), 1, MAX_RUBRIC_ITEMS, key=_ensure_field("rubric_count"))
    _show_problems("rubric")
    for i in range(int(count)):
        with st.container(border=True):
            id_col, weight_col = st.columns([3, 1])
            with id_col:
                _text_field(f"rubric_{i}_id", lang)
            with weight_col:
                st.number_input(_field_label(f"rubric_{i}_weight", lang), 0.0, 10.0, step=0.5,
                                key=_ensure_field(f"rubric_{i}_weight"))  # fmt: skip
                _show_problems(f"rubric_{i}_weight")
            for part in ("fr", "en", "keywords"):
                _text_field(f"rubric_{i}_{part}", lang)

    st.markdown(f"**{t('coach_f_follow_ups', lang)}**")
    follow_ups = st.number_input(t("coach_f_follow_up_count", lang), 0, MAX_FOLLOW_UPS,
                                 key=_ensure_field("follow_up_count"))  # fmt: skip
    for i in range(int(follow_ups)):
        left, right = st.columns(2)
        with left:
            _text_field(f"follow_up_{i}_fr", lang)
        with right:
            _text_field(f"follow_up_{i}_en", lang)
    source_key = _ensure_field("sources")
    source_options = list(dict.fromkeys([*_corpus_sources(settings.corpus_dir), *st.session_state[source_key]]))
    st.multiselect(_field_label("sources", lang), source_options, key=source_key,
                   placeholder=t("choose_options", lang), select_all=False)  # fmt: skip
    _show_problems("sources")


def _revert(settings: Settings, lang: str, question_id: str) -> None:
    """A shipped question edited or hidden by a coach is as shipped again."""
    services().content.revert_question(load_bank(), question_id)
    st.session_state[CHOICE] = st.session_state[CHOICE_SAVED] = question_id
    st.session_state[LOADED] = None  # refill the form with the shipped version
    st.session_state[FLASH] = t("coach_q_reverted", lang, id=question_id)


def _reload() -> None:
    """Pick up the shipped YAML changed outside the app (`git pull`, an editor)."""
    reload_bank()
    st.session_state[LOADED] = None  # refill the form from the bank


def _choice_label(bank, question_id: str, lang: str) -> str:  # type: ignore[no-untyped-def]
    """`id · the question's text`, so the picker can be searched by either."""
    question = bank.get(question_id) if question_id else None
    if question is None:
        return t("coach_q_new", lang)
    prompt = question.prompt_in(lang)
    return f"{question_id} · {prompt[:90]}{'…' if len(prompt) > 90 else ''}"


def _origin_notice(settings: Settings, bank, lang: str, editing: str | None) -> None:  # type: ignore[no-untyped-def]
    """Say whose version a question is, offer to restore a shipped one, and list the hidden ones."""
    origin = bank.origin(editing) if editing else None
    if origin == EDITED:
        note, revert = st.columns([3, 1])
        note.info(t("coach_q_edited_note", lang), icon=":material/edit_note:")
        revert.button(t("coach_q_revert", lang), on_click=_revert, args=(settings, lang, editing), key="cq_revert",
                      icon=":material/undo:")  # fmt: skip
    elif origin == ADDED:
        st.caption(t("coach_q_added_note", lang))
    hidden = sorted(qid for qid, where in bank.origins.items() if where == HIDDEN)
    if hidden:
        with st.expander(t("coach_q_hidden", lang, n=len(hidden)), icon=":material/visibility_off:"):
            for question_id in hidden:
                st.button(t("coach_q_restore", lang, id=question_id), on_click=_revert, key=f"cq_restore_{question_id}",
                          args=(settings, lang, question_id), icon=":material/undo:")  # fmt: skip


def render(settings: Settings, lang: str) -> None:
    st.button(t("coach_q_reload", lang), on_click=_reload, key="cq_reload", icon=":material/refresh:")
    bank = load_bank()
    ids = sorted(q.id for q in bank.questions)
    st.session_state.setdefault(CHOICE, st.session_state.get(CHOICE_SAVED, NEW))
    if st.session_state[CHOICE] not in [NEW, *ids]:
        st.session_state[CHOICE] = NEW
    choice = st.selectbox(t("coach_q_choose", lang), [NEW, *ids], key=CHOICE,
                          format_func=lambda q: _choice_label(bank, q, lang))  # fmt: skip
    st.session_state[CHOICE_SAVED] = choice
    if st.session_state.get(LOADED) != choice:
        question = bank.get(choice) if choice else None
        _fill_form(values_from_question(question) if question else empty_values())
        st.session_state[LOADED] = choice
    editing = choice or None

    if flash := st.session_state.pop(FLASH, None):
        st.success(flash)
    question = bank.get(editing) if editing else None
    if question is not None and not fits_form(question):
        st.warning(t("coach_q_too_big", lang, rubric=MAX_RUBRIC_ITEMS, follow_ups=MAX_FOLLOW_UPS))
        return
    _origin_notice(settings, bank, lang, editing)
    if editing:
        dup_col, del_col, confirm_col = st.columns(3)
        dup_col.button(t("coach_q_duplicate", lang), on_click=_duplicate, args=(lang,), icon=":material/content_copy:")
        confirm = confirm_col.checkbox(t("coach_q_delete_confirm", lang), key=f"cq_confirm_{editing}")
        del_col.button(t("coach_q_delete", lang), on_click=_delete, args=(settings, lang, editing),
                       disabled=not confirm, icon=":material/delete:")  # fmt: skip

    skipped = bank.load_result.problems if bank.load_result else []
    if skipped:
        with st.expander(t("coach_q_invalid_files", lang, n=len({p.file for p in skipped})), icon=":material/warning:"):
            st.markdown("\n".join(f"- {escape_markdown(str(p))}" for p in skipped))
    problems = st.session_state.get(PROBLEMS, {})
    if problems:
        lines = [f"- **{_field_label(name, lang)}**: {escape_markdown(localize(m, lang))}"
                 for name, ms in problems.items() for m in ms]  # fmt: skip
        st.error(t("coach_q_not_saved", lang, n=len(lines)) + "\n\n" + "\n".join(lines))

    form_col, preview_col = st.columns([3, 2], gap="large")
    with form_col:
        _form(settings, bank, lang, editing)
        st.button(t("coach_q_save", lang), type="primary", on_click=_save, args=(settings, lang),
                  key="cq_save", icon=":material/save:")  # fmt: skip
    values = _form_values()
    st.session_state[DRAFT] = values
    with preview_col:
        _preview(values, bank, lang)
