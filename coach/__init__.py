"""The coach studio's logic: the gate, the question form, calibration, knowledge documents.

Pure Python here (tested without Streamlit); the Streamlit sections live in `coach/views/` and
the page `pages/coach.py` only picks one.
"""
