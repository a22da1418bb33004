"""Issue #16: every citation opens its passage inside the app, in context and in the reader's language."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from config import PROJECT_ROOT, get_settings
from knowledge.reader import corpus_pages, open_passage, page_title

CORPUS = PROJECT_ROOT / "knowledge" / "corpus"
APP = str(PROJECT_ROOT / "app.py")
MAX = 2**20
CITED = "Le pipeline RAG de bout en bout > Stratégies de découpage (chunking)"


class Uploads:
    """The coach's uploads as the reader sees them (storage.documents.UploadedDocuments in the app)."""

    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        self.files = files or {}

    def listing(self) -> list:
        return []

    def read(self, name: str) -> bytes | None:
        return self.files.get(name)


def opened(source: str, lang: str, uploads: Uploads | None = None, **where):  # type: ignore[no-untyped-def]
    return open_passage(source, lang, corpus_dir=CORPUS, uploads=uploads or Uploads(), max_bytes=MAX, **where)


def test_a_french_citation_opens_at_the_same_section_of_the_english_page() -> None:
    document, ordinal = opened("fr/rag-pipeline.md", "en", heading=CITED)
    assert document.source == "en/rag-pipeline.md" and document.translated
    assert document.section(ordinal).title == "Chunking strategies"
    same, same_ordinal = opened("fr/rag-pipeline.md", "fr", heading=CITED)
    assert not same.translated and same.section(same_ordinal).title == "Stratégies de découpage (chunking)"
    assert opened("en/rag-pipeline.md", "fr", ordinal=same_ordinal)[0].source == "fr/rag-pipeline.md"
    unknown = opened("fr/rag-pipeline.md", "en", heading="No such > Heading")
    assert unknown is not None and unknown[1] is None  # the page opens, at its top


@pytest.mark.parametrize("source", ["../../config.py", "fr/../../README.md", "/etc/passwd", "fr/missing.md",
                                    str(PROJECT_ROOT / "README.md"), "upload/missing.md",
                                    "upload/../config.py"])  # fmt: skip
def test_only_corpus_pages_and_uploads_can_be_opened(source: str) -> None:
    assert opened(source, "en", Uploads({"notes.md": b"# Notes\n\nText."})) is None


def test_an_uploaded_document_opens_from_the_database() -> None:
    uploads = Uploads({"team-notes.md": b"# Team notes\n\nIntro.\n\n## Guardrails\n\nWe validate every tool call.\n"})
    document, ordinal = opened("upload/team-notes.md", "fr", uploads, heading="Team notes > Guardrails")
    assert document.title == "Team notes" and document.section(ordinal).body == "We validate every tool call."
    assert page_title("upload/team-notes.md", "fr", CORPUS, uploads, MAX) == "Team notes"


def test_the_contents_list_every_page_in_the_readers_language_by_title() -> None:
    french = corpus_pages(CORPUS, "fr", MAX)
    assert len(french) == len(list((CORPUS / "fr").glob("*.md")))
    assert ("fr/rag-pipeline.md", "Le pipeline RAG de bout en bout") in french
    assert page_title("fr/rag-pipeline.md", "en", CORPUS, CORPUS, MAX) == "The RAG pipeline end to end"


def test_the_reader_page_shows_the_cited_section_and_a_link_to_share_it() -> None:
    get_settings.cache_clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/read.py")
    at.query_params["source"] = "fr/rag-pipeline.md"
    at.query_params["heading"] = CITED
    at.run()
    assert not at.exception, at.exception
    assert [h.value for h in at.header] == ["Le pipeline RAG de bout en bout"]
    assert any("Stratégies de découpage (chunking)" in info.value.replace("\\", "") for info in at.info)
    shared = at.get("code")[0].proto.code_text
    assert "source=fr%2Frag-pipeline.md" in shared and "section=" in shared and "heading" not in shared
    markdown = "\n".join(m.value for m in at.markdown)
    assert "### Pourquoi le RAG" in markdown and "#cited-passage" in at.info[0].value
    assert "Stratégies de découpage (chunking)" in [s.value for s in at.subheader]  # the cited heading, anchored


def test_an_unknown_source_says_so_and_lists_the_pages() -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/read.py")
    at.query_params["source"] = "../secrets.md"
    at.run()
    assert not at.exception
    assert "n'est pas dans le cours" in at.warning[0].value
    assert len(at.get("page_link")) >= len(list((CORPUS / "fr").glob("*.md")))
