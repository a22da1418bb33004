"""Grading: the LLM judge, the embedded grader, and the judge's evaluation harness."""
