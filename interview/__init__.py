"""The mock interview (a persona asks bank questions, digs in with follow-ups, reports) and the
"ask the material" chat. Plain Python, no Streamlit: the pages in `pages/` only render these.
"""
