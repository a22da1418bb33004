"""The bank's problem messages in the coach's language.

The bank's checks (the pydantic model, the loader, the CSV reader, the studio form) word their
problems in English, because `bank validate`, `bank import` and CI logs read them. The studio shows
the same problems in the UI's language: each known wording is matched here and said again from the
catalogue with the same values. A wording not listed keeps its English text, which is still
specific; `tests/test_coach_messages.py` checks that every message the form can produce is listed.
"""

from __future__ import annotations

import re

from core.i18n import say

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^is empty$"), "bank_msg_empty"),
    (re.compile(r"^required(, but empty or missing)?$"), "bank_msg_required"),
    (re.compile(r"^id (?P<value>'.*') must be 2-80 lowercase letters, digits and dashes$"), "bank_msg_id_format"),
    (re.compile(r"^rubric id (?P<value>'.*') must be lowercase letters, digits and dashes$"), "bank_msg_rubric_id"),
    (re.compile(r"^weight (?P<value>\S+) must be a number greater than 0 and at most 10$"), "bank_msg_weight"),
    (re.compile(r"^rubric is empty: .*$"), "bank_msg_rubric_empty"),
    (re.compile(r"^rubric item ids repeat: (?P<ids>.+)$"), "bank_msg_rubric_repeat"),
    (re.compile(r"^origin_rank is set without an origin$"), "bank_msg_rank_without_origin"),
    (re.compile(r"^(?P<value>'.*') is not a whole number$"), "bank_msg_not_whole"),
    (re.compile(r"^the id of an existing question cannot change \(it is (?P<value>'.*')\); duplicate it instead$"),
     "bank_msg_id_frozen"),
    (re.compile(r"^a question with id (?P<value>'.*') already exists$"), "bank_msg_id_taken"),
    (re.compile(r"^question (?P<value>'.*') already exists in the bank \(use --replace\)$"), "bank_msg_id_taken"),
    (re.compile(r"^origin_rank (?P<rank>\d+) of (?P<origin>'.*') is also used by (?P<owner>.+)$"),
     "bank_msg_rank_taken"),
    (re.compile(r"^unknown topic (?P<value>'.*') \(known: see question_bank/topics\.yaml\)$"), "bank_msg_topic"),
    (re.compile(r"^source (?P<value>'.*') does not exist under .*$"), "bank_msg_source"),
    (re.compile(r"^id (?P<value>'.*') is also used by row (?P<row>\d+)$"), "bank_msg_id_in_row"),
    (re.compile(r"^follow-up (?P<n>\d+) covers unknown rubric ids: (?P<ids>.+)$"), "bank_msg_follow_up_ids"),
    (re.compile(r"^calibration sample (?P<n>\d+) has verdicts for unknown rubric ids: (?P<ids>.+)$"),
     "bank_msg_sample_ids"),
    (re.compile(r"^unknown field \(typo\?\)$"), "bank_msg_unknown_field"),
    (re.compile(r"^(?P<value>'.*') is not a number$"), "bank_msg_not_number"),
    # pydantic's own wordings, for the model's declared constraints
    (re.compile(r"^List should have at least (?P<n>\d+) items? after validation, not \d+$"), "bank_msg_list_min"),
    (re.compile(r"^String should have at least (?P<n>\d+) characters?$"), "bank_msg_text_min"),
    (re.compile(r"^Input should be (?P<expected>.+)$"), "bank_msg_input"),
]
_PREFIX = re.compile(r"^(?P<prefix>item \d+(?: [\w.]+)?: )(?P<rest>.*)$", re.DOTALL)


def localize(message: str, lang: str) -> str:
    """`message` in `lang`; an unknown wording as it is."""
    if lang != "fr":
        return message
    prefix = ""
    if match := _PREFIX.match(message):
        prefix = say("bank_msg_item", lang, n=match["prefix"].split()[1].rstrip(":")) + " "
        message = match["rest"]
    for pattern, key in _PATTERNS:
        if match := pattern.match(message):
            return prefix + say(key, lang, **match.groupdict())
    return prefix + message
