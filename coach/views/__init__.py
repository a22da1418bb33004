"""Streamlit sections of the coach studio; each `render(settings, lang)` draws one section."""
