"""Streamlit helpers shared by the pages: translations, cached resources, and render functions."""
