"""Reading knowledge files: formats, metadata, and a clear refusal for every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from knowledge_fixtures import make_pdf

from knowledge.documents import (
    DocumentError,
    check_upload,
    collect_files,
    read_document,
    safe_upload_name,
    source_for,
    upload_name,
    upload_source,
)

MB = 2**20
LIMIT = 20 * MB


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def test_markdown_front_matter_gives_title_language_and_topics(tmp_path: Path) -> None:
    front = "---\ntitle: Mon titre\nlanguage: fr\ntopics: [rag, agents]\n---\n\n"
    path = write(tmp_path / "doc.md", front + "# H1\n\nTexte.")
    doc = read_document(path, "doc.md", LIMIT)
    assert (doc.title, doc.language, doc.topics) == ("Mon titre", "fr", ("rag", "agents"))
    assert doc.text.startswith("# H1") and "title:" not in doc.text
    assert len(doc.content_hash) == 64


def test_markdown_without_front_matter_uses_first_heading_and_detects_language(tmp_path: Path) -> None:
    text = "# Les bases vectorielles\n\nUne base vectorielle range des vecteurs et les cherche."
    path = write(tmp_path / "notes.md", text)
    doc = read_document(path, "notes.md", LIMIT)
    assert doc.title == "Les bases vectorielles"
    assert doc.language == "fr"


def test_html_headings_become_markdown_and_scripts_are_dropped(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Page title</title><script>var x = 'secret';</script></head><body>"
        "<h1>Retrieval</h1><p>First paragraph about retrieval.</p><h2>Fusion</h2><ul><li>RRF</li><li>weights</li></ul>"
        "<style>p {color: red}</style></body></html>"
    )
    doc = read_document(write(tmp_path / "page.html", html), "page.html", LIMIT)
    assert doc.title == "Page title"
    assert "# Retrieval" in doc.text and "## Fusion" in doc.text
    assert "First paragraph about retrieval." in doc.text and "RRF" in doc.text
    assert "secret" not in doc.text and "color" not in doc.text


def test_pdf_text_is_read_page_by_page(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path / "paper.pdf", make_pdf("Hybrid retrieval with BM25")), "paper.pdf", LIMIT)
    assert doc.kind == "pdf"
    assert "## Page 1" in doc.text and "Hybrid retrieval with BM25" in doc.text


def test_plain_text_is_read_as_is(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path / "notes.txt", "Plain notes about agents and tools."), "notes.txt", LIMIT)
    assert doc.text == "Plain notes about agents and tools." and doc.title == "notes"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.md", b"", "empty"),
        ("blank.md", b"  \n\n \t", "empty"),
        ("only-front-matter.md", b"---\ntitle: x\n---\n", "no text"),
        ("image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        ("latin1.md", "Résumé de l'évaluation".encode("latin-1"), "not valid UTF-8 (byte 1, line 1)"),
        ("scan.pdf", make_pdf(None), "no extractable text"),
        ("fake.pdf", b"this is not a pdf", "not a PDF"),
        ("broken.pdf", b"%PDF-1.4\n garbage without objects", "not a readable PDF"),
        ("bad-front.md", b"---\ntitle: [unclosed\n---\n\n# x\n\ny", "front matter"),
        ("slides.pptx", b"PK\x03\x04", "unsupported file type"),
    ],
)
def test_bad_files_are_refused_with_a_message_naming_the_file(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = write(tmp_path / name, content)
    with pytest.raises(DocumentError) as caught:
        read_document(path, name, LIMIT)
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_50_mb_file_is_refused_from_its_size_without_being_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.md"
    with path.open("wb") as handle:  # sparse: costs no disk and no time to write
        handle.truncate(50 * MB)

    def no_reading(self: Path) -> bytes:
        raise AssertionError(f"{self} was read although its size is over the limit")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    with pytest.raises(DocumentError, match=r"50\.0 MB is over the 20 MB limit"):
        read_document(path, "huge.md", LIMIT)


def test_collect_files_reports_missing_paths_empty_folders_and_unsupported_files(tmp_path: Path) -> None:
    write(tmp_path / "docs" / "a.md", "# A\n\ntext")
    write(tmp_path / "docs" / "sub" / "b.html", "<p>b</p>")
    write(tmp_path / "docs" / ".git" / "c.md", "# hidden")
    write(tmp_path / "docs" / "image.png", b"\x89PNG")
    write(tmp_path / "nothing-here" / "image.png", b"\x89PNG")
    write(tmp_path / "file.docx", b"PK")
    found, errors = collect_files(
        [tmp_path / "docs", tmp_path / "missing", tmp_path / "nothing-here", tmp_path / "file.docx"]
    )
    assert sorted(p.name for p, _ in found) == ["a.md", "b.html"]
    assert any("missing: no such file or folder" in e for e in errors)
    assert any("nothing-here: this folder has no supported files" in e for e in errors)
    assert any("file.docx: unsupported file type '.docx'" in e for e in errors)


def test_sources_are_relative_inside_the_corpus_and_absolute_elsewhere(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    inside = write(corpus / "fr" / "x.md", "# x\n\ny")
    outside = write(tmp_path / "other" / "y.md", "# y\n\nz")
    assert source_for(inside, corpus) == "fr/x.md"
    assert source_for(outside, corpus) == outside.resolve().as_posix()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\windows\\notes.txt", "notes.txt"),
        ("/absolute/path/guide.pdf", "guide.pdf"),
        ("my notes (v2).md", "my notes _v2_.md"),
        ("..hidden.md", "hidden.md"),
    ],
)
def test_upload_names_lose_their_folders(name: str, expected: str) -> None:
    assert safe_upload_name(name) == expected


@pytest.mark.parametrize("name", ["../", "..", ".md", "../../etc/passwd", "evil.exe", ""])
def test_unusable_upload_names_are_refused(name: str) -> None:
    with pytest.raises(DocumentError):
        safe_upload_name(name)


def test_check_upload_names_it_safely_and_refuses_bad_content() -> None:
    assert check_upload("../../outside.md", b"# Notes\n\nGood content.", LIMIT) == "outside.md"
    for bad in (b"", b"\x00\x01binary", "caf\xe9".encode("latin-1")):
        with pytest.raises(DocumentError):
            check_upload("outside.md", bad, LIMIT)
    with pytest.raises(DocumentError, match="over the 1 MB limit"):
        check_upload("big.md", b"x" * (MB + 1), MB)
    assert upload_source("outside.md") == "upload/outside.md" and upload_name("upload/outside.md") == "outside.md"
    assert upload_name("fr/rag-pipeline.md") is None
