"""Structure-aware chunking, the French-aware BM25 analyzer and rank fusion: the parts that need no model."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.chunking import ChunkingSettings, chunk_text, split_sections
from knowledge.lexical import Analyzer, LexicalIndex

DOC = """# Guide RAG

Intro paragraph.

## Chunking

Cut along headings.

### Overlap

Repeat the end of a chunk.

## Empty section

## Code

```python
# not a heading
print("hi")
```
"""


def test_sections_follow_headings_with_their_path_and_ordinal() -> None:
    sections = split_sections(DOC)
    by_path = {s.heading_path: s for s in sections}
    assert by_path[("Guide RAG", "Chunking", "Overlap")].body == "Repeat the end of a chunk."
    assert by_path[("Guide RAG", "Code")].body.startswith("```python\n# not a heading")
    assert [s.ordinal for s in sections] == list(range(len(sections)))
    assert by_path[("Guide RAG", "Empty section")].body == ""


def test_chunks_skip_empty_sections_but_keep_section_numbers() -> None:
    chunks = chunk_text(DOC)
    assert [c.heading for c in chunks] == [
        "Guide RAG",
        "Guide RAG > Chunking",
        "Guide RAG > Chunking > Overlap",
        "Guide RAG > Code",
    ]
    assert [c.section for c in chunks] == [1, 2, 3, 5]  # section 4 ("Empty section") has no text
    assert [c.position for c in chunks] == [0, 1, 2, 3]


def test_long_sections_are_cut_under_the_bound_with_overlap() -> None:
    sentences = [f"Sentence number {i} talks about retrieval and ranking." for i in range(60)]
    text = "# Long\n\n" + " ".join(sentences)
    config = ChunkingSettings(max_chars=400, overlap_chars=80)
    chunks = chunk_text(text, config)
    assert len(chunks) > 4
    assert all(len(c.text) <= 400 for c in chunks)
    assert [c.piece for c in chunks] == list(range(len(chunks)))
    for first, second in itertools.pairwise(chunks):
        assert first.text[-40:].split()[-1] in second.text[:120]  # the cut is overlapped
    assert all(s in " ".join(c.text for c in chunks) for s in sentences)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="abcdéè .,\n#", min_size=0, max_size=300), min_size=1, max_size=8))
def test_every_word_survives_chunking_and_chunks_stay_bounded(paragraphs: list[str]) -> None:
    text = "\n\n".join(paragraphs)
    config = ChunkingSettings(max_chars=120, overlap_chars=20)
    chunks = chunk_text(text, config)
    assert all(len(c.text) <= 120 for c in chunks)
    body_words = {w for s in split_sections(text) for w in s.body.split()}
    chunk_words = {w for c in chunks for w in c.text.split()}
    assert body_words <= chunk_words


def test_context_prefix_names_title_and_headings_once() -> None:
    chunk = chunk_text("# Guide RAG\n\n## Fusion\n\nRRF.")[0]
    assert chunk.context_prefix("Guide RAG") == "Guide RAG > Fusion\n\n"
    assert chunk.context_prefix("Another title") == "Another title > Guide RAG > Fusion\n\n"


def test_chunking_settings_are_validated_and_signed() -> None:
    assert ChunkingSettings().signature() != ChunkingSettings(max_chars=800).signature()
    with pytest.raises(ValueError):
        ChunkingSettings(max_chars=50)
    with pytest.raises(ValueError):
        ChunkingSettings(max_chars=400, overlap_chars=300)


def test_french_analyzer_folds_accents_stems_and_drops_stop_words() -> None:
    french = Analyzer("fr")
    assert french.terms("Évaluations") == french.terms("evaluation") == french.terms("évaluation")
    assert french.terms("Comment les agents et des outils") == french.terms("agent outil")
    assert Analyzer("en").terms("How do chunks work") == Analyzer("en").terms("chunking works")


def test_lexical_index_matches_french_without_accents_and_respects_the_mask() -> None:
    texts = [
        "Évaluer les réponses générées avec un juge.",
        "Le découpage des documents en morceaux.",
        "Les agents appellent des outils.",
    ]
    index = LexicalIndex(texts, "fr")
    assert [i for i, _ in index.search("evaluer les reponses generees", 3)] == [0]
    assert [i for i, _ in index.search("decoupage", 3)] == [1]
    assert index.search("decoupage", 3, mask=np.array([True, False, True])) == []
    assert index.search("le la les", 3) == []  # only stop words: nothing to match
    assert index.search("quantum", 3) == []
    assert LexicalIndex([], "fr").search("anything", 3) == []


def test_reciprocal_rank_fusion_rewards_agreement_between_lists() -> None:
    from knowledge.retrieval import reciprocal_rank_fusion

    fused = reciprocal_rank_fusion([(1.0, [7, 8]), (1.0, [9, 3, 7])], k=60)
    assert fused[7] == pytest.approx(1 / 61 + 1 / 63)  # 1st in BM25, 3rd in dense: the corpus's own example
    assert fused[9] == pytest.approx(1 / 61)
    assert sorted(fused, key=fused.get, reverse=True)[0] == 7
    assert reciprocal_rank_fusion([(2.0, [5])], k=0)[5] == pytest.approx(2.0)
