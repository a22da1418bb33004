"""Guards that live outside the model: normalisation, injection detection and stripping, budgets.

A grading model can be talked into anything by the text it grades, and a small one easily is. So
the decisions that protect the score are made here, in plain code: text that addresses the grader
(orders, fake system notes, fake end-of-answer tags, self-graded rubrics, authority claims, pleas
and threats about the grade) is found and removed before any grader sees the answer. What remains
is the only text quotes are checked against (`evaluators/evidence.py`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from knowledge.language import fold_accents

ANSWER_CHAR_BUDGET = 6_000
"""About 1,500 tokens: longer than any spoken interview answer, small enough for a 4k context."""

_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufe00-\ufe0f"
    "\U000e0000-\U000e007f]"
)
_TAG_RUN = re.compile("[\U000e0000-\U000e007f]{3,}")
"""Unicode "tag" characters: invisible copies of ASCII, a known way to hide a message in text."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HOMOGLYPHS = str.maketrans(
    "аеорсухіјѕԁһӏАВЕКМНОРСТХУІЈЅαβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhlABEKMHOPCTXYIJSabeiknoptuxABEZHIKMNOPTYX",
)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "‛": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"',
                         "«": '"', "»": '"', "–": "-", "—": "-", "‐": "-", "‑": "-", "…": "..."})  # fmt: skip


def clean_text(text: str) -> str:
    """NFKC (fullwidth letters become ASCII) and no invisible characters: what every grader reads."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    return _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


def fold_for_matching(text: str) -> str:
    """A comparison form: homoglyphs to Latin, no accents, one kind of quote, lower case, one space."""
    text = clean_text(text).translate(_HOMOGLYPHS).translate(_QUOTES)
    text = fold_accents(text).casefold()
    return re.sub(r"\s+", " ", text).strip()


def _detection_forms(sentence: str) -> list[str]:
    """The sentence as the patterns read it: letter-spaced words joined, `_` as spaces, and reversed
    (a right-to-left override displays reversed text the right way round)."""
    segments = re.split(r"\s{2,}", sentence.replace("_", " "))
    joined = " ".join(s.replace(" ", "") if re.fullmatch(r"(?:\S ){2,}\S", s) else s for s in segments)
    folded = fold_for_matching(joined)
    return [folded, folded[::-1]]


# --- injection patterns ------------------------------------------------------------------------
# They run on folded text (no accents, lower case, `_` as a space). Three strengths:
# - CLOSING: a fake end of the answer; everything after it is the attacker's, up to the end.
# - HEADER: opens an injected block (a note to the grader, a role-play opener, a self-graded rubric);
#   the rest of its paragraph goes, and the next paragraph too when the header ends with a colon.
# - COMMAND: an order or appeal about the grade; its sentence goes.
# Who grades, as an attacker names it; "model", "AI" or "judge" alone would catch honest prompt talk.
_GRADER = r"(?:grader|evaluator|examiner|reviewer|corrector|marker|grading tool|scoring tool|ai grader|llm judge)"
_CORRECTEUR = (
    r"(?:correcteur|evaluateur|examinateur|outil de notation|notation|(?:ia|modele) qui (?:corrige|note|evalue))"
)
_CLOSING = [
    r"<<<|>>>",
    r"\[\s*/?\s*(?:end|fin)?\s*(?:of\s+)?(?:data|answer|inst|system|reponse)\s*\]",
    r"</\s*(?:answer|data|reponse|candidate answer)\s*>",
    r"<\|\s*(?:im[ _]start|im[ _]end|system|endoftext|eot[ _]id|start[ _]header[ _]id)\s*\|>",
    r"^\W*(?:end|fin)[- ]*(?:of[- ]*|de[- ]*la[- ]*|du[- ]*)?(?:the[- ]*)?(?:candidate'?s?[- ]*)?"
    r"(?:answer|data|reponse)(?:[- ]*(?:du|of the|de l'|of)[- ]*(?:candidat|candidate))?\W*$",
]
_HEADER = [
    r"</?\s*(?:system|instructions?|rubric|reference|grader)\s*>",
    r"(?:^|\s)#{2,}\s*(?:(?:system|instructions?|consignes?)\s*(?::|$|\(|(?:for|to|pour|du|de l'|des)\s)|grader)",
    r"\b(?:system|admin|developer)\s*(?:note|notice|override|alert|message\s*:)",
    r"[\[(]\s*(?:message|note)\s+(?:du\s+)?(?:systeme|system)\b",
    r"[\[(<{]{1,2}\s*/?\s*(?:system|systeme|admin|developer|developpeur)(?: message| note)?\s*[\])>}]",
    r"\bnote\s+(?:du |de )?systeme\b",
    r"(?:^|[\[(<{])\s*(?:system|systeme)\s*:",
    rf"\b(?:notes?|messages?|instructions?|remarks?)\s+(?:to|for)\s+(?:the\s+)?(?:automatic\s+|automated\s+)?"
    rf"{_GRADER}s?\b",
    rf"\b{_GRADER}(?:'s)?\s+(?:note|notice|instructions?)\b",
    rf"\b(?:notes?|messages?|instructions?|consignes?|remarques?)\s+(?:pour|au|aux|a|de|du|des|destinee?s?\s+a|"
    rf"a\s+l'intention\s+d[ue])\s*(?:l'|le\s|la\s|les\s)?{_CORRECTEUR}s?\b",
    r"\bpour\s+l'(?:evaluateur|outil de notation)\b",
    rf"\b(?:cher|chere|attention|bonjour|au)\s*,?\s+(?:l')?{_CORRECTEUR}\b",
    rf"\b(?:dear|attention|hey|hi|hello)\s*,?\s+(?:the\s+)?(?:ai\s+)?{_GRADER}\b",
    # Role play and "new rules" as orders (role play, jailbreak, new instructions as nouns are honest talk).
    r"\byou are now\b|\bfrom now on\b|\bpretend (?:to be|you are)\b|\blet'?s (?:role ?-?play|play a game|pretend)\b"
    r"|\brole ?-?play as\b|\bact as (?:a |an |the |my )?(?:grader|evaluator|examiner|judge|teacher|friend|generous"
    r"|lenient)\b",
    r"\b(?:enable|enter|activate) developer mode\b|\bnew instructions?\s*:",
    r"\bnouvelles? (?:instructions?|consignes?)\s*:",
    r"\b(?:tu es|vous etes) (?:maintenant|desormais)\b|(?:^|\btu )joue le role\b|\bjouez le role\b"
    r"|\bfai(?:te)?s comme si\b|\bimagine[rz]? que (?:tu es|vous etes)\b|\ba partir de maintenant\b|\bjouons\b",
    r"\b(?:auto-?evaluation|self-?(?:assessment|evaluation|grading|graded))\b|\bgrille remplie\b"
    r"|\brubric (?:filled|completed|scored) by\b",
]
_COMMAND = [
    # Orders: the verb, then at most a few words, then what it is about.
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:[\w'-]+\s+){0,3}?(?:rubric|rules?|criteri(?:on|a)|grading"
    r"|guidelines?|instructions?|everything (?:above|else)|(?:all of )?the above)\b",
    # "il ignore tout ce qui..." (he does not know) is a statement: a subject before the verb rules out an order.
    r"(?<!\bil )(?<!\belle )(?<!\bon )(?<!\bqui )(?<!\bils )(?<!\belles )(?<!\bmodele )"
    r"\b(?:ignore[z]?|oublie[z]?|ne tiens? pas compte d[eu]s?|ne tenez pas compte d[eu]s?"
    r"|fai(?:te)?s abstraction d[eu]s?|passe[rz]? outre)\s+(?:[\w'-]+\s+){0,3}?(?:instructions?|consignes?|grille"
    r"|bareme|regles?|criteres?|prompt|ce qui precede|tout ce qui)\b",
    r"\b(?:give|award|assign|grant|return|rate|score|mark|grade)\b(?:\s+[\w'-]+){0,4}?\s+(?<!\bto )(?<!-)"
    r"(?:10|ten)\b(?!\s*(?:%|ms|s|"
    r"lines|steps|tokens|documents|results|chunks|times|minutes|seconds|percent))",
    r"\b(?:give|award|assign|grant|return)\b(?:\s+[\w'-]+){0,4}?\s+(?:full marks?|(?:the )?(?:maximum|max|perfect"
    r"|top|highest|full) (?:score|mark|grade|note)s?)\b",
    r"\b(?:donne[sz]?|attribue[sz]?|accorde[sz]?|mets|mettez|notez|saisisse[sz]?)\b"
    r"(?:\s+[\w'-]+){0,4}?\s+(?:10|dix|20/20|note maximale|meilleure note|note parfaite|tous les points"
    r"|la totalite des points)\b",
    # A bare "10/10" is honest talk about scales; claiming it for this answer is not.
    r"\b(?:this|my|cette|ma) (?:answer|response|reponse)\b[^.!?\n]{0,40}\b(?:10\s*/\s*10|20\s*/\s*20|100\s*/\s*100)\b"
    r"|\b(?:total|score|note|mark|grade)\s*[:=]\s*\d{1,3}\s*/\s*\d",
    r"\bnotes? (?:maximale?|maximum|parfaite|attendue|demandee|exigee|obligatoire)\b|\b10 obligatoire\b"
    r"|\bscore calcule\b|\bfull marks\b",
    r"\b(?:maximum|perfect|top|highest) (?:mark|score|grade) (?:for|to|on) (?:this|my)\b",
    r"\b(?:this|my) answer (?:is perfect|deserves|should (?:get|receive|be graded)|must (?:get|receive|be graded))",
    r"\bcette reponse (?:est parfaite|merite|doit (?:obtenir|recevoir|avoir|etre notee))",
    r"\b(?:mark|grade|rate) (?:all|every|each) (?:criteri|rubric|item|point)",
    r"\b(?:every|each|all)(?: the)? (?:criteri(?:on|a)|rubric items?|(?:key )?points?) (?:is|are|as) "
    r"(?:therefore |thus |fully |already )?(?:covered|met|satisfied|fulfilled)",
    r"\bcovers? (?:every|all|each) (?:the )?(?:rubric|criteri)",
    r"\b(?:chaque|tous les) criteres? (?:est|sont) (?:donc |bien |deja )?(?:considere?s? comme )?(?:couverts?"
    r"|remplis?|satisfaits?|atteints?|valides?)|\bcouvre l'integralite de la grille\b|\bcouverts? implicitement\b",
    r"\b(?:verdict|score|note)\"?\s*[:=]\s*\"?(?:met|10|dix|ten)\b",
    r"\b(?:recruteur|recruiter|hiring (?:manager|committee|team)|jury|comite)\b[^.!?\n]{0,60}\b"
    r"(?:a deja valide|a valide|approuve|approved|validated|pre-?approved|signed off)",
    r"\bpre-?(?:approved|validated|valide)\b",
    r"\bformalite administrative\b|\b(?:le bareme|la grille) prevoit\b|\bcomite qui a concu\b|\bdesigned this rubric\b",
    r"\b(?:soyez|sois) (?:indulgent|clement|gentil|genereux|bienveillant|sympa)"
    r"|(?:^|\bplease,? |\bkindly )be (?:lenient|generous|merciful)\b"
    r"|\bje vous en supplie\b|\bi beg you\b",
    r"\b(?:anything|rien|une note|a score|a grade|a mark) (?:under|below|less than|en dessous de|inferieure? a) \d"
    r"|\bsi j'ai moins de \d+\b|\blow (?:score|grade|mark)\b[^.!?\n]{0,40}\bcost you\b"
    r"|\b(?:post them|report the service|file a complaint|porter plainte)\b",
]
_GRADER_ANY = rf"(?:{_GRADER}|{_CORRECTEUR}|reviewer|evaluador|valutatore|bewerter|correttore|jury)"
_ADDRESS = [
    # The grader as the one who will judge this answer: "any experienced evaluator will appreciate".
    rf"\b(?:any|every|tout|toute|chaque)\s+(?:experienced|attentive|fair|careful|good|thoughtful|experimente|attentif"
    rf"|bon|juste|avise)\s+{_GRADER_ANY}",
    rf"\b{_GRADER_ANY}s?(?:\s+[\w-]+)?\s+(?:will (?:surely |certainly )?(?:appreciate|recogni[sz]e|note|agree|see that"
    rf"|understand)|reconnaitra|appreciera|comprendra|saura)\b",
    rf"\b(?:je laisse|i leave|let) (?:l'|le |la |the )?{_GRADER_ANY}\b",
    rf"(?:^|[.!?]\s+)(?:(?:dear|cher|chere|querido|estimado|caro|lieber|liebe|por favor,?)\s+)?{_GRADER_ANY}\s*[,:]",
    rf"\b(?:for|to save|help)(?: the)? {_GRADER_ANY}(?:'s)? (?:time|convenience)\b|\bsection reservee? (?:a l'|au )"
    rf"{_GRADER_ANY}|\b{_GRADER_ANY} output\b|\bsortie (?:attendue )?du {_GRADER_ANY}",
    r"\b(?:pre-?computed|precalculee?|pre-?filled|pre-?remplie?|automatique) (?:evaluation|grade|score|grille|note)"
    r"|\bevaluation_automatique\b|\bnote_calculee\b|\bscore_0_10\b|\brubric self-?check\b|\bself-?check\b.{0,30}\b"
    r"criteri|\bnote a reporter\b|\bmin_score\b",
    # This answer's score, asked for or claimed.
    r"\b(?:if|si) (?:this|my|cette|ma) (?:answer|response|reponse)\b[^.!?\n]{0,40}\b(?:scores?|gets?|receives?"
    r"|obtient|recoit|n'obtient|under|below|less)\b",
    r"\b(?:this|my|cette|ma) (?:answer|response|reponse)\b[^.!?\n]{0,60}\b(?:full[- ]mark|top band|tranche haute"
    r"|graded as|notee comme|reference answer|reponse de reference|complete answer|reponse complete|top of the scale"
    r"|haut de l'echelle)",
    r"\b(?:recogni[sz]ed?|reconnue?) (?:it )?(?:as|comme) (?:a |une )?"
    r"(?:full[- ]marks?|complete|top|reponse complete)\b"
    r"|\b(?:note|score|grade) (?:finale?|final) (?:doit etre|must be|should be) \d",
    r"\b(?:give|donne[zs]?|mets|mettez) (?:me|moi)\b[^.!?\n]{0,20}\b(?:\d{1,2}|ten|dix)\b|\bi(?:'m| am) begging\b",
    r"\b(?:a |an |the )?(?:note|score|grade|mark|tranche) (?:dans la tranche haute|in the top band)\b|\btop band\b",
    r"\b(?:rubric|grille|bareme|criteria|criteres)\b[^.!?\n]{0,20}\b(?:for|of|de|pour) (?:this|cette) question\b"
    r"|\b(?:this|cette) question'?s? (?:rubric|grille)\b|\bremplacement du bareme\b"
    r"|\bla grille (?:anglaise|francaise)\b",
    r"\b(?:validee?|approuvee?|approved|validated|confirmed|confirme|signed off|endorsed|reviewed)\b[^.!?\n]{0,20}"
    r"\b(?:par|by)\s+(?:le |la |the |my |mon |ma |our |notre )?(?:\w+ )?(?:comite|committee|recruteur|recruiter|jury"
    r"|hiring|panel|responsable|manager|interviewer|platform lead|lead)",
    r"\b(?:sits on|member of)\b[^.!?\n]{0,40}\b(?:interview|hiring) (?:panel|committee)\b|\bne pas reevaluer\b"
    r"|\bshould be graded as such\b|\bdo not re-?grade\b",
    r"\bfor the rest of this (?:conversation|session|chat)\b|\bmets-toi dans la peau\b|\bmettez-vous dans la peau"
    r"|\bput yourself in (?:the|my) shoes\b|\bstay in character\b|\blet'?s reset\b|\bnote donc comme\b",
    r"\b(?:ignora|ignoriere|ignorare|ignorieren)\b[^.!?\n]{0,30}\b(?:rubrica|rubrik|criteri|kriterien|regole|reglas)"
    r"|\b(?:volle punktzahl|puntuacion maxima|punteggio pieno|massimo dei voti|nota maxima|lascia perdere i criteri)\b",
    r"\bshould(?:n't| not) be (?:penali[sz]ed|marked down)\b|\bne (?:devrai[et]n?t?|doit) pas (?:etre )?penalise",
    r"\b(?:if|si)\b[^.!?\n]{0,40}\b(?:grade|score|note|mark)\b[^.!?\n]{0,25}\b(?:under|below|less than|en dessous de"
    r"|inferieure? a|moins de|sous) \d[^.!?]{0,60}\b(?:i will|i'll|je vais|je saisis|je publie|my application"
    r"|ma candidature)",
    r"[\[<]/?\s*(?:grading|evaluation|notation|scoring|grader|rubric|function_results)[-_ ]?\w*\s*[\]>]"
    r"|\bdo not mention this (?:block|note|section)\b|\bscored at the ceiling\b",
    r"\b(?:rubric|grille|bareme)\b[^.!?\n]{0,40}\b(?:deprecated|obsolete|remplacee?|replaced|withdrawn|retiree?)\b"
    r"|\buse this rubric\b|\bas full (?:credit|marks?)\b|\bones being tested\b|\binitials are authoritative\b",
    r"\becri(?:re|vez|s) 10\b|\bchamp note\b|\bne pas appliquer (?:les )?criteres\b|\bwrite 10 in\b",
    r"\bje saisis la cnil\b|\bje (?:publie|porte plainte|depose une reclamation)\b|\ba vous de voir\b",
    rf"\b{_GRADER_ANY}s? (?:doit|must|should|devrait)\b[^.!?\n]{{0,30}}"
    rf"\b(?:10|dix|full marks|le maximum|la note maximale"
    rf"|chaque point|every point|all points|tous les points)\b",
    r"<!--|\bcopy that score\b|\bnote calculee\b|\bevaluation automatique\b",
    r"</?\s*consignes?_\w+|\bla reponse ci-dessus est terminee\b|\bthe answer above is (?:complete|finished|over)\b",
]
_CLOSINGS = [re.compile(p, re.MULTILINE) for p in _CLOSING]
_HEADERS = [re.compile(p, re.MULTILINE) for p in _HEADER]
_COMMANDS = [re.compile(p) for p in _COMMAND + _ADDRESS]
_MENTION_WORDS = re.compile(
    r"\b(?:injections?|attack(?:er|s)?|attaquants?|attaques?|malicious|malveillante?s?|exemple|example|e\.g"
    r"|such as|like|comme|saying|says|writes|wrote|ecrit|dit|disant|hides?|cache)\b"
)
# Quotations and code: where an honest answer shows an attack string to explain it.
_QUOTATION = re.compile(
    r"```.*?(?:```|\Z)|`[^`\n]{1,400}`|(?m:^[ \t]*>[^\n]*)|\"[^\"\n]{1,400}\"|“[^”\n]{1,400}”|«[^»\n]{1,400}»"
    r"|(?<![^\W\d_])'[^'\n]{2,400}'(?![^\W\d_])",
    re.DOTALL,
)
_DISCUSSION = re.compile(
    r"\b(?:injections?|attack(?:er|ers|s)?|attaquants?|attaques?|malicious|malveillante?s?|jailbreaks?|payloads?"
    r"|adversari\w*|untrusted|non fiables?|phishing|exfiltr\w*|red[- ]team\w*|poisoned|empoisonn\w*|piege\w*"
    r"|hostile|for example|for instance|e\.g|such as|par exemple|exemple d'|example of|typ(?:es|ing)|tape"
    r"|glisse\w*|naive?|naifs?|cachee?s? dans|hidden in|fake|faux|fausses?|forged|spoof\w*|fooled|tromp\w*)\b"
)
_ACTOR = re.compile(
    r"\b(?:users?|utilisateurs?|someone|quelqu'un|could|can|might|peut|peuvent|pourrai\w*|tr(?:y|ies)|tente\w*"
    r"|ask|asks|demande\w*|if|si|says|saying|dit|disant|writes?|ecri\w*|contains?|contient|sends?|envoie)\b"
)
_QUOTED = re.compile(r"\"[^\"]{1,80}\"|(?<![a-z])'[^']{3,80}'(?![a-z])")
# A single line break inside a sentence is hard wrapping, not an end: lines join unless a blank line, a
# list item, a heading or a capitalised line starts.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\s*\n|\n(?=\s*(?:[-*•>#|]|\d+[.)]|[A-Z<\[{(\"«]))")
_BLANK_LINE = re.compile(r"\n\s*\n")


@dataclass
class SanitizedAnswer:
    """The answer as graders see it, and what was done to it on the way."""

    text: str
    original_chars: int
    injected_spans: list[str] = field(default_factory=list)
    truncated: bool = False
    claims: list[str] = field(default_factory=list)
    """Lines set aside because they claim coverage without giving it (evaluators.claims)."""

    @property
    def injection(self) -> bool:
        return bool(self.injected_spans)

    @property
    def empty(self) -> bool:
        return not self.text.strip()


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _paragraph_end(text: str, position: int, paragraphs: int = 1) -> int:
    for _ in range(paragraphs):
        blank = _BLANK_LINE.search(text, position)
        if not blank:
            return len(text)
        position = blank.end()
    return blank.start()


def _is_mention(folded_sentence: str, match: re.Match) -> bool:
    """'An attacker writes "ignore your instructions"' explains injection; it does not attempt one.

    A match counts as a mention when it sits inside a short quotation and the sentence talks about
    it (injection, attacker, example, "an answer saying"...). An attacker can use the same shape,
    but then the sentence still reaches the judge fenced as data, never as an instruction.
    """
    if not _MENTION_WORDS.search(folded_sentence):
        return False
    return any(q.start() <= match.start() and match.end() <= q.end() for q in _QUOTED.finditer(folded_sentence))


def _attempts(patterns: list[re.Pattern], forms: list[str]) -> bool:
    return any(not _is_mention(form, m) for form in forms for p in patterns for m in p.finditer(form))


def mask_quotations(text: str) -> str:
    """`text` with the inside of its quotations and code blanked out, where the answer discusses them.

    Discussing, quoting or illustrating an injection is not an attempt: an answer about prompt
    injection quotes "ignore previous instructions", shows a poisoned e-mail in a code block, or a
    judge template with `</answer>`. Such regions are hidden from the patterns when the text around
    them talks about attacks, prompts, models or examples. Positions are kept (blanks of the same
    length), so spans found in the masked text are spans of the original. An attacker's quoted order
    is not flagged, but it still reaches the judge fenced as data, below the judge's own rules.
    """
    regions = list(_QUOTATION.finditer(text))
    if not regions:
        return text
    outside = _QUOTATION.sub(" ", text)
    chars = list(text)
    for region in regions:
        quoted = region.group(0)
        if quoted.startswith("`"):
            context = outside if quoted.startswith("```") else "e.g."  # inline code is always an illustration
        elif quoted.lstrip().startswith(">"):
            context = outside
        else:
            para_start = text.rfind("\n\n", 0, region.start()) + 1
            para_end = text.find("\n\n", region.end())
            context = _QUOTATION.sub(" ", text[para_start : para_end if para_end >= 0 else len(text)])
        folded = fold_for_matching(context)
        inline = not quoted.startswith(("`", ">")) and not quoted.lstrip().startswith(">")
        if _DISCUSSION.search(folded) or (inline and _ACTOR.search(folded)):
            for position in range(region.start() + 1, region.end() - 1):
                if chars[position] != "\n":
                    chars[position] = " "
    return "".join(chars)


def find_injections(text: str) -> list[tuple[int, int]]:
    """Character spans of `text` (already `clean_text`) that try to instruct or sway the grader."""
    spans: list[tuple[int, int]] = []
    masked = mask_quotations(text)
    for start, end in _sentence_spans(masked):
        forms = _detection_forms(masked[start:end])
        if _attempts(_CLOSINGS, forms):
            spans.append((start, len(text)))
            break
        if _attempts(_HEADERS, forms):
            paragraphs = 2 if text[start:end].rstrip().endswith(":") else 1
            spans.append((start, max(end, _paragraph_end(text, start, paragraphs))))
        elif _attempts(_COMMANDS, forms):
            spans.append((start, end))
    return merge_spans(spans)


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(start, end) spans sorted, overlapping or touching ones joined."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def truncate_to_budget(text: str, budget_chars: int = ANSWER_CHAR_BUDGET) -> tuple[str, bool]:
    """Cut at the last sentence (or word) boundary before the budget; True when something was cut."""
    if len(text) <= budget_chars:
        return text, False
    head = text[:budget_chars]
    cut = max(head.rfind(". "), head.rfind("\n"), head.rfind("! "), head.rfind("? "))
    if cut < budget_chars // 2:
        cut = head.rfind(" ")
    return (head[: cut + 1] if cut > 0 else head).rstrip(), True


def sanitize_answer(raw: str, budget_chars: int = ANSWER_CHAR_BUDGET) -> SanitizedAnswer:
    """Clean, strip injected spans, set claims aside, then truncate: the only form of the answer any
    grader sees, so the judge and the embedded grader credit the same text."""
    from evaluators.claims import set_claims_aside  # claims matches on this module's folding

    raw = raw or ""
    hidden = ["".join(chr(ord(ch) - 0xE0000) for ch in run) for run in _TAG_RUN.findall(raw)]
    text = clean_text(raw)
    spans = find_injections(text)
    injected = hidden + [text[s:e].strip() for s, e in spans]
    kept, position = [], 0
    for start, end in spans:
        kept.append(text[position:start])
        position = end
    kept.append(text[position:])
    stripped = "\n\n".join(part.strip() for part in kept if part.strip())
    found = set_claims_aside(stripped)
    stripped, truncated = truncate_to_budget(found.text, budget_chars)
    return SanitizedAnswer(stripped, len(raw), [s for s in injected if s.strip()], truncated, found.claims)


