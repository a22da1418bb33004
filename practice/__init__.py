"""The practice flow: quizzes, submitting and grading answers, summaries. No Streamlit here."""
