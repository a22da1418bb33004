"""Home: today's practice (what is due, the streak, the goal, one click to start), then the bank."""

import pandas as pd
import streamlit as st

from ui.daily import render_today
from ui.i18n import t
from ui.resources import load_bank
from ui.session import current_lang

lang = current_lang()
bank = load_bank()
stats = bank.stats()

st.title(t("app_title", lang))
st.subheader(t("app_tagline", lang))
render_today(bank, lang)
st.markdown(t("home_what", lang))

skipped = bank.load_result.skipped_files if bank.load_result else []
if skipped:
    st.warning(t("home_bank_problems", lang, n=len(skipped), files=", ".join(skipped)))

st.header(t("home_bank", lang))
st.metric(t("home_bank", lang), t("home_questions", lang, n=stats["questions"]), label_visibility="collapsed")

col_level, col_kind = st.columns(2)
with col_level:
    st.markdown(f"**{t('home_by_level', lang)}**")
    st.dataframe(
        pd.DataFrame(
            [
                {t("col_level", lang): t(f"level_{k}", lang), t("col_count", lang): v}
                for k, v in stats["by_level"].items()
            ]
        ),
        hide_index=True,
        width="stretch",
    )
with col_kind:
    st.markdown(f"**{t('home_by_kind', lang)}**")
    st.dataframe(
        pd.DataFrame(
            [{t("col_kind", lang): t(f"kind_{k}", lang), t("col_count", lang): v} for k, v in stats["by_kind"].items()]
        ),
        hide_index=True,
        width="stretch",
    )

st.markdown(f"**{t('home_by_topic', lang)}**")
st.dataframe(
    pd.DataFrame(
        [
            {t("col_topic", lang): bank.topic_label(k, lang), t("col_count", lang): v}
            for k, v in stats["by_topic"].items()
        ]
    ),
    hide_index=True,
    width="stretch",
)
