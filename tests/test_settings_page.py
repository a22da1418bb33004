"""The Settings page and the sidebar speak to a browser user: a URL that is not one is named before
any request, an unreachable server is called unreachable, a model file path reads as its name, and
the expected wait of a tiny model stays sensible."""

from __future__ import annotations

import pytest
from browser_support import free_port
from streamlit.testing.v1 import AppTest
from test_app_pages import all_markdown, button, start_app

from config import get_settings
from evaluators.budget import expected_waits
from llm_server.health import Health

SMOLLM2 = "/models/SmolLM2-135M-Instruct.Q4_K_M.gguf"


def settings_page(monkeypatch: pytest.MonkeyPatch, **env: str) -> AppTest:
    monkeypatch.setenv("AGENTPREP_OLLAMA_URL", f"http://127.0.0.1:{free_port()}")  # no server there
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    at = start_app()
    at.switch_page("pages/settings.py").run()
    assert not at.exception, at.exception
    return at


def model_field(at: AppTest):  # type: ignore[no-untyped-def]
    [field] = [w for w in at.text_input if w.key == "settings_model_name"]
    return field


def test_a_url_that_is_not_one_says_what_is_wrong_before_any_test(monkeypatch: pytest.MonkeyPatch) -> None:
    at = settings_page(monkeypatch)
    at.text_input[0].set_value("not a url").run()
    assert [e.value for e in at.error] == [
        "« not a url » n'est pas une adresse de serveur : une URL commence par http:// ou https://, "
        "ex. http://localhost:11434."
    ]
    assert "répond, mais" not in at.error[0].value
    assert model_field(at).label == "Nom du modèle (corrigez d'abord l'URL du serveur)"
    assert button(at, "Tester la connexion").disabled and button(at, "Appliquer pour cette session").disabled
    at.text_input[0].set_value("http://localhost:port").run()
    assert "n'est pas un nombre" in at.error[0].value
    at.text_input[0].set_value("http://127.0.0.1:9").run()
    assert not at.error and not button(at, "Tester la connexion").disabled


def test_an_unreachable_server_is_called_unreachable_not_listless(monkeypatch: pytest.MonkeyPatch) -> None:
    at = settings_page(monkeypatch)
    label = model_field(at).label
    assert "aucun serveur ne répond" in label and "pas fourni de liste" not in label
    model_field(at).set_value("qwen3:8b").run()
    at.text_input[0].set_value("pas une url").run()
    assert model_field(at).value == "qwen3:8b"  # the typed name survives the label's change
    assert model_field(at).label == "Nom du modèle (corrigez d'abord l'URL du serveur)"
    at.session_state["lang"] = "en"
    at.run()
    assert model_field(at).label == "Model name (no server answers at this URL: type the name yourself)"


def test_the_connection_test_names_no_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """English wording: tests/test_llm_health.py (a click after a language switch is lost under AppTest)."""
    at = settings_page(monkeypatch, AGENTPREP_PROVIDER="openai",
                       AGENTPREP_OPENAI_BASE_URL=f"http://127.0.0.1:{free_port()}/v1")  # fmt: skip
    button(at, "Tester la connexion").click().run()
    shown = " ".join(e.value for e in at.error) + " " + " ".join(i.value for i in at.info)
    assert at.error and at.info and "AGENTPREP_" not in shown
    assert "corrigez l'URL du serveur dans Réglages" in shown


def test_a_model_file_path_reads_as_its_name_in_the_sidebar(monkeypatch: pytest.MonkeyPatch, page_services) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AGENTPREP_MODEL", SMOLLM2)
    get_settings.cache_clear()
    page_services(chat_model=None, health=Health(True, "ready", None, [SMOLLM2], "ok"))
    at = start_app()
    [line] = [m for m in at.sidebar.markdown if m.value.startswith("🟢")]
    assert line.value == "🟢 SmolLM2-135M-Instruct.Q4_K_M" and line.help == SMOLLM2


def test_a_tiny_model_waits_sensibly_and_reads_well(monkeypatch: pytest.MonkeyPatch) -> None:
    at = settings_page(monkeypatch, AGENTPREP_MODEL=SMOLLM2)
    [title] = [m for m in at.markdown if m.value.startswith("**Attente prévue")]
    assert title.value == "**Attente prévue par note avec SmolLM2-135M-Instruct.Q4_K_M**" and title.help == SMOLLM2
    shown = all_markdown(at)
    assert "~0" not in shown  # never "~0,1 s"
    laptop = expected_waits("as-small-as-1b")[0]  # a smaller model is shown as a 1B one
    score, first = f"{laptop.score_s:.1f}", f"{laptop.first_score_s:.0f}"
    assert f"Portable sans GPU : la note en ~{score.replace('.', ',')} s (~{first} s pour la première réponse" in shown
    assert "Serveur GPU : la note, la note complète et les conseils en moins d'une seconde chacun" in shown
    assert any("très petit modèle" in c.value for c in at.caption)
    assert not any("docs/" in c.value for c in at.caption)
    at.session_state["lang"] = "en"
    at.run()
    shown = all_markdown(at)
    assert f"Laptop CPU: the score in ~{score} s (~{first} s for the first answer to a question)" in shown
    assert "the advice takes ~6.8 s more" in shown and "GPU server: the score, the whole grade and the advice" in shown


def test_an_ordinary_model_keeps_its_waits_and_no_tiny_note(monkeypatch: pytest.MonkeyPatch) -> None:
    at = settings_page(monkeypatch)
    shown = all_markdown(at)
    laptop = expected_waits("qwen3:4b")[0]  # the default model
    wait = f"~{laptop.score_s:.0f} s (~{laptop.first_score_s:.0f} s pour la première réponse à une question)"
    assert f"Portable sans GPU : la note en {wait}" in shown
    assert not any("très petit modèle" in c.value for c in at.caption)
