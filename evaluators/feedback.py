"""Everything the graders say to a candidate in their own language (French or English).

Kept in one place so a translator sees every sentence at once and the two languages stay in step.
"""

from __future__ import annotations

from evaluators.grade import Flag, Grade, Verdict

TEXTS: dict[str, dict[str, str]] = {
    "covered": {"en": "Covered: {items}.", "fr": "Points couverts : {items}."},
    "partly": {"en": "Only partly covered: {items}.", "fr": "Points couverts en partie : {items}."},
    "missing": {"en": "Missing: {items}.", "fr": "Points manquants : {items}."},
    "none_covered": {
        "en": "None of the key points is clearly covered yet.",
        "fr": "Aucun point clé n'est encore clairement couvert.",
    },
    "empty": {
        "en": "No answer was given, so there is nothing to grade. Write a few sentences, even if you are unsure.",
        "fr": (
            "Aucune réponse n'a été donnée : il n'y a rien à noter. Écrivez quelques phrases, même sans être sûr de "
            "vous."
        ),
    },
    "too_short": {
        "en": (
            "Your answer is too short to show what you know: aim for four to six sentences that explain the points "
            "below."
        ),
        "fr": (
            "Votre réponse est trop courte pour montrer ce que vous savez : visez quatre à six phrases qui expliquent "
            "les points ci-dessous."
        ),
    },
    "keyword_stuffing": {
        "en": "Listing terms earns little: explain each one (what it is, why it matters, a concrete example).",
        "fr": (
            "Énumérer des termes rapporte peu : expliquez chacun (ce que c'est, pourquoi il compte, un exemple "
            "concret)."
        ),
    },
    "off_topic": {
        "en": "Your answer does not address the question asked; re-read it and answer it directly.",
        "fr": "Votre réponse ne traite pas la question posée ; relisez-la et répondez-y directement.",
    },
    "unsupported_claims": {
        "en": 'Saying a point is covered ("covered ✔", "see above", "all points addressed") earns nothing: '
        "those lines were set aside. Explain each point instead: what it is, how it works, an example.",
        "fr": "Dire qu'un point est traité (« couvert ✔ », « voir plus haut », « tous les points sont abordés ») ne "
        "rapporte rien : ces lignes ont été mises de côté. Expliquez plutôt chaque point : ce que c'est, comment "
        "ça marche, un exemple.",
    },
    "truncated": {
        "en": "Your answer was very long; only its first part was graded.",
        "fr": "Votre réponse était très longue ; seule sa première partie a été notée.",
    },
    "prompt_injection": {
        "en": "Text addressed to the grader was found in your answer: it was removed, earned nothing, and no point "
        "of this answer can be fully credited.",
        "fr": "Du texte adressé au correcteur a été trouvé dans votre réponse : il a été retiré, ne rapporte rien, "
        "et aucun point de cette réponse ne peut être crédité en entier.",
    },
    "injection_cap": {
        "en": "Capped: the answer tried to instruct the grader, so no point is fully credited and none above "
        "the embedded grader's verdict.",
        "fr": "Plafonné : la réponse tentait de donner des instructions au correcteur, donc aucun point n'est "
        "crédité en entier, ni au-delà du verdict du correcteur intégré.",
    },
    "claims_cap": {
        "en": "Capped: the answer claimed points it did not explain, so no point is credited above what the "
        "rest of the answer covers.",
        "fr": "Plafonné : la réponse affirmait traiter des points sans les expliquer, donc aucun point n'est "
        "crédité au-delà de ce que couvre le reste de la réponse.",
    },
    "embedded_note": {
        "en": "(Graded without an LLM, by closeness to the rubric: a correct paraphrase may be under-rated.)",
        "fr": "(Noté sans LLM, par proximité avec la grille : une paraphrase correcte peut être sous-estimée.)",
    },
    "fallback_invalid": {
        "en": "The LLM's reply was unusable twice ({detail}), so the embedded grader graded this answer.",
        "fr": "La réponse du LLM était inutilisable deux fois ({detail}) : le correcteur intégré a noté cette réponse.",
    },
    "fallback_timeout": {
        "en": "The LLM did not finish within {seconds:g} s, so the embedded grader graded this answer.",
        "fr": "Le LLM n'a pas terminé en {seconds:g} s : le correcteur intégré a noté cette réponse.",
    },
    "fallback_unavailable": {
        "en": "The LLM could not be reached ({detail}), so the embedded grader graded this answer.",
        "fr": "Le LLM était injoignable ({detail}) : le correcteur intégré a noté cette réponse.",
    },
    "status_checking": {"en": "Checking the LLM…", "fr": "Vérification du LLM…"},
    "status_grading": {"en": "Grading with {model}…", "fr": "Notation avec {model}…"},
    "status_repair": {
        "en": "The reply was not valid ({detail}); asking once more…",
        "fr": "La réponse n'était pas valide ({detail}) ; nouvelle demande…",
    },
    "status_embedded": {"en": "Grading with the embedded grader…", "fr": "Notation avec le correcteur intégré…"},
    "status_cached": {"en": "Same answer as before: cached grade.", "fr": "Même réponse qu'avant : note en cache."},
    "status_improving": {
        "en": "Asking {model} how to improve this answer…",
        "fr": "{model} prépare des pistes pour améliorer cette réponse…",
    },
    "improve_not_llm": {
        "en": "Advice on improving comes with an LLM grade; this grade's next steps are above.",
        "fr": "Les conseils d'amélioration accompagnent une note du LLM ; les prochaines étapes sont plus haut.",
    },
    "improve_unavailable": {
        "en": "The LLM cannot be reached ({detail}); try again when it is back. Your grade is unchanged.",
        "fr": "Le LLM est injoignable ({detail}) ; réessayez quand il sera revenu. Votre note ne change pas.",
    },
    "improve_timeout": {"en": "no reply within {seconds:g} s", "fr": "pas de réponse en {seconds:g} s"},
    "improve_failed": {
        "en": "The advice could not be written ({detail}). Your grade is unchanged; you can ask again.",
        "fr": "Les conseils n'ont pas pu être rédigés ({detail}). Votre note ne change pas ; vous pouvez redemander.",
    },
}

_NOTES = (Flag.unsupported_claims, Flag.truncated, Flag.prompt_injection)


def text(key: str, lang: str, **values: object) -> str:
    return TEXTS[key]["fr" if lang == "fr" else "en"].format(**values)


def flag_notes(grade: Grade, lang: str) -> str:
    """Sentences explaining the flags a candidate must know about (claims set aside, truncation, injection)."""
    return " ".join(text(flag.value, lang) for flag in _NOTES if flag in grade.flags)


def embedded_feedback(grade: Grade, lang: str) -> str:
    """Which points are covered, partly covered and missing, plus the advice the flags call for."""
    if Flag.empty_answer in grade.flags:
        return " ".join(part for part in (text("empty", lang), flag_notes(grade, lang)) if part)
    parts = []
    for flag in (Flag.too_short, Flag.off_topic, Flag.keyword_stuffing):
        if flag in grade.flags:
            parts.append(text(flag.value, lang))
    met = [c.text.rstrip(".") for c in grade.criteria if c.verdict == Verdict.met]
    partly = [c.text.rstrip(".") for c in grade.criteria if c.verdict == Verdict.partly_met]
    missing = [c.text.rstrip(".") for c in grade.criteria if c.verdict == Verdict.not_met]
    if met:
        parts.append(text("covered", lang, items="; ".join(met)))
    if partly:
        parts.append(text("partly", lang, items="; ".join(partly)))
    if not met and not partly:
        parts.append(text("none_covered", lang))
    if missing:
        parts.append(text("missing", lang, items="; ".join(missing)))
    notes = flag_notes(grade, lang)
    if notes:
        parts.append(notes)
    parts.append(text("embedded_note", lang))
    return " ".join(parts)
