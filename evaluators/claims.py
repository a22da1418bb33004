"""Claims without explanation: "Definition: covered ✔", "all the key points are addressed", "see
paragraph 1, lines 2-4".

Such lines name a rubric point and assert it is dealt with, without dealing with it. They carry the
rubric's own words, so an embedding grader (and a hurried model) reads them as coverage: on answers
written outside the project, rubric-echo checklists scored 6.9/10 on average where a person gave 1.
They are not an attack on the grader, so they are not flagged as injection; they are set aside
before grading, like filler, and the grade says so. What remains is graded as the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from evaluators.guards import fold_for_matching

_CHECK_MARKS = re.compile("[\u2713\u2714\u2705\u2611\u2612\u2610]")
_STATUS_EN = (
    r"covered|addressed|described|explained|handled|mentioned|noted|discussed|taken into account|dealt with|done"
    r"|included|distinguished|defined|planned|in place|considered|tackled|checked|ticked|satisfied|met|fulfilled"
)
_STATUS_FR = (
    r"couverte?s?|traitee?s?|abordee?s?|expliquee?s?|mentionnee?s?|pris(?:es?)? en compte|geree?s?|distinguee?s?"
    r"|prevue?s?|en place|decrite?s?|detaillee?s?|definie?s?|evoquee?s?|respectee?s?|remplie?s?|satisfaite?s?"
    r"|validee?s?|presentee?s?|proposee?s?"
)
_STATUS = rf"(?:{_STATUS_EN}|{_STATUS_FR})"
# "Label: covered." / "Label - addressed (see above)" / "Label : traité, voir plus haut": the status is
# the whole of what follows the label, apart from a few words ("clearly", "correctement", "yes,").
_LABEL_STATUS = re.compile(
    rf"^[\W\d]*[^:\n]{{2,90}}?\s*(?::|-|=>|->)\s*(?:(?:yes|oui|all|tous|toutes|clearly|fully|correctement|bien|"
    rf"clairement|entierement|largement|here|ici|also|aussi|as well|egalement)[\s,]+){{0,3}}{_STATUS}\b[\W\d]*"
    rf"(?:\((?:see|voir|cf)[^)]*\))?[\W\d]*$"
)
# "Roles: host, client, server. Addressed." - a checklist row: terms named, then a bare status.
_TRAILING_STATUS = re.compile(
    rf"^[\W\d]*[^:\n]{{2,40}}:.*[.;,]\s*(?:(?:both|all|fully|clearly|tous|toutes|les deux|bien)\s+)?{_STATUS}"
    rf"\s*[\W\d]*$"
)
_REFERENCE_ONLY = re.compile(
    r"\b(?:as (?:covered|explained|described|discussed|mentioned|shown|noted) (?:above|earlier|below|previously)"
    r"|(?:see|cf\.?) (?:paragraph|section|line|point|above|below)s?\b"
    r"|(?:voir|cf\.?) (?:le |la )?(?:paragraphe|section|ligne|point|ci-dessus|plus haut|ci-dessous)"
    r"|comme (?:explique|decrit|indique|mentionne|vu) (?:ci-dessus|plus haut|precedemment))"
)
_SUMMARY_CLAIM = re.compile(
    rf"\b(?:all|every|each|the (?:key|main|expected))\b[^.!?\n]{{0,50}}\b(?:points?|aspects?|dimensions?|criteri"
    rf"(?:on|a)|items?|elements?|topics?|parts?)\b[^.!?\n]{{0,40}}\b(?:are|is|were|have been|been)\s+(?:\w+\s+)?"
    rf"{_STATUS}\b"
    rf"|\b(?:addresse[sd]?|covers?|covered|answers?|answered|hit|hits)\s+(?:\w+\s+)?(?:all|every|each)\b[^.!?\n]{{0,30}}"
    rf"\b(?:points?|aspects?|dimensions?|criteri(?:on|a)|items?|parts?)\b"
    rf"|\b(?:tous|toutes|chacun|chacune|l'ensemble)\b[^.!?\n]{{0,50}}\b(?:points?|aspects?|dimensions?|criteres?"
    rf"|elements?|volets?|questions?)\b[^.!?\n]{{0,40}}\b(?:sont|est|ont ete|a ete)\s+(?:\w+\s+)?{_STATUS}"
    rf"|\b(?:repondu|repond|couvre|couvrir|traite|aborde)\s+(?:a |sur )?(?:l'ensemble|tous|toutes|chacun)\b"
    rf"|\b(?:the|this|my) answer (?:\w+ )?(?:covers|addresses|answers)\b"
    rf"|\b(?:la|cette|ma) reponse (?:\w+ )?(?:couvre|traite|aborde)\b"
)
# "10/10 means every item is covered", "si tous les critères sont remplis": a definition or a condition,
# said by someone explaining grading, not a claim about their own answer.
_HYPOTHETICAL = re.compile(
    r"\b(?:means?|meaning|if|when|should|must|would|veut dire|vouloir dire|signifie|si|quand|doit)\b"
)
_STRUCTURE_OPENER = re.compile(
    r"^(?:let me (?:make sure|go through|structure|cover)|to structure my answer|i will (?:structure|cover|go)"
    r"|je (?:vais|couvre) (?:structurer|couvrir|reprendre|passer|l'ensemble)|voici ma reponse,? (?:structuree|point)"
    r"|my answer (?:follows|covers))\b"
)


@dataclass
class ClaimsFound:
    """The answer with its unsupported claims set aside, and the claims themselves."""

    text: str
    claims: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.claims)


def _units(text: str) -> list[str]:
    """Lines, and the sentences of long lines: a checklist is line by line, prose sentence by sentence."""
    units: list[str] = []
    for line in text.split("\n"):
        if len(line) <= 240:
            units.append(line)
        else:
            units.extend(re.split(r"(?<=[.!?])\s+", line))
    return units


def _is_summary_claim(folded: str) -> bool:
    match = _SUMMARY_CLAIM.search(folded)
    return bool(match) and not _HYPOTHETICAL.search(folded[: match.start() + 1])


def is_claim(unit: str) -> bool:
    """True when `unit` asserts that a point is covered rather than covering it."""
    folded = fold_for_matching(unit)
    if not folded:
        return False
    if _CHECK_MARKS.search(unit):
        return True
    return bool(
        _LABEL_STATUS.search(folded)
        or _TRAILING_STATUS.search(folded)
        or _is_summary_claim(folded)
        or _STRUCTURE_OPENER.search(folded)
        or (_REFERENCE_ONLY.search(folded) and len(folded.split()) <= 25)
    )


def set_claims_aside(text: str) -> ClaimsFound:
    """`text` without its claim lines (checklists, "covered ✔", "see paragraph 2"), and those lines."""
    kept: list[str] = []
    claims: list[str] = []
    for unit in _units(text):
        if unit.strip() and is_claim(unit):
            claims.append(unit.strip())
        else:
            kept.append(unit)
    return ClaimsFound(re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip(), claims)
