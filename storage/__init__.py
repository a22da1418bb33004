"""Persistence (attempts, review cards) through SQLAlchemy, and FSRS scheduling."""
