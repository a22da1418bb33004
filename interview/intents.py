"""What the candidate means when they are not answering: "I don't know", a hint, skip, or stop.

Short phrases only: a message is an intent when, once normalised (lower case, accents folded,
punctuation and filler removed), it *is* one of the phrases below or starts with one and stays
short. A real answer that happens to begin with "je ne sais pas exactement, mais le RAG..." is long
and therefore stays an answer; the candidate never loses an answer to a keyword match.
"""

from __future__ import annotations

import re
from enum import StrEnum

from knowledge.language import fold_accents


class Intent(StrEnum):
    answer = "answer"
    dont_know = "dont_know"
    hint = "hint"
    skip = "skip"
    end = "end"


MAX_INTENT_WORDS = 8
"""A message longer than this (after normalisation) is always an answer."""
MAX_TAIL_WORDS = 3
"""Words allowed after a phrase of two words or more ("je ne sais pas du tout")."""

_FILLER = (
    "euh", "heu", "hmm", "hum", "bon", "alors", "ben", "bah", "ok", "okay", "well", "um", "uh", "so", "sorry",
    "desole", "desolee", "honnetement", "honestly", "franchement", "please", "svp", "stp", "merci", "thanks",
    "non", "hmm", "oh", "ah",
)  # fmt: skip

_PHRASES: dict[Intent, tuple[str, ...]] = {
    Intent.dont_know: (
        "je ne sais pas", "je sais pas", "j sais pas", "chais pas", "sais pas", "je ne le sais pas",
        "aucune idee", "pas la moindre idee", "je n en ai aucune idee", "j en ai aucune idee", "je ne vois pas",
        "je vois pas", "je ne connais pas", "je connais pas", "pas d idee", "je seche", "joker",
        "i don t know", "i dont know", "i do not know", "dont know", "don t know", "no idea", "i have no idea",
        "not sure", "i m not sure", "im not sure", "no clue", "i have no clue", "pass on this one", "idk",
    ),
    Intent.hint: (
        "indice", "un indice", "donnez moi un indice", "donne moi un indice", "je peux avoir un indice",
        "puis je avoir un indice", "vous avez un indice", "une piste", "une aide", "aidez moi", "aide moi",
        "un coup de pouce", "hint", "a hint", "give me a hint", "can i have a hint", "can i get a hint",
        "could i have a hint", "any hint", "any hints", "help", "help me", "a clue", "give me a clue", "nudge",
    ),
    Intent.skip: (
        "passer", "je passe", "on passe", "passons", "passe", "question suivante", "suivante", "suivant",
        "autre question", "une autre question", "sauter", "sauter cette question", "je prefere passer",
        "skip", "skip it", "skip this", "skip this one", "skip this question", "next", "next question",
        "pass", "i pass", "i ll pass", "another question", "move on", "let s move on",
    ),
    Intent.end: (
        "fin", "fini", "terminer", "terminons", "termine", "arreter", "arretons", "arrete", "on arrete",
        "stop", "fin de l entretien", "terminer l entretien", "arreter l entretien", "on s arrete la",
        "on peut arreter", "j arrete", "je veux arreter", "c est fini", "end", "end interview",
        "end the interview", "finish", "finish the interview", "let s stop", "let s stop here", "stop here",
        "i want to stop", "i m done", "im done", "that s enough", "quit", "exit", "we can stop",
    ),
}  # fmt: skip

_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalise(text: str) -> str:
    """'Je ne sais pas…' -> 'je ne sais pas'; apostrophes and punctuation become spaces."""
    folded = fold_accents(text or "").lower().replace("’", "'")
    words = _NON_WORD.sub(" ", folded).split()
    while words and words[0] in _FILLER:
        words.pop(0)
    while words and words[-1] in _FILLER:
        words.pop()
    return " ".join(words)


_NORMALISED = {intent: tuple(normalise(p) for p in phrases) for intent, phrases in _PHRASES.items()}


def detect_intent(text: str) -> Intent:
    """The candidate's intent; anything that is not a short control phrase is an answer.

    "I don't know" is checked first ("je ne sais pas, passons" is an honest answer, worth recording),
    then end, skip and hint. One-word phrases ("stop", "next", "indice") must be the whole message.
    """
    message = normalise(text)
    if not message:
        return Intent.answer
    words = message.split()
    if len(words) > MAX_INTENT_WORDS:
        return Intent.answer
    for intent in (Intent.dont_know, Intent.end, Intent.skip, Intent.hint):
        for phrase in _NORMALISED[intent]:
            if message == phrase:
                return intent
            # One-word phrases must stand alone: "end to end tests" or "pass the context" are answers.
            tail = message.removeprefix(phrase + " ") if " " in phrase else message
            if tail != message and len(tail.split()) <= MAX_TAIL_WORDS:
                return intent
    return Intent.answer
