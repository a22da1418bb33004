"""Measure the "not covered" thresholds of the ask chat on on-topic and off-topic questions.

    python -m interview.calibrate_ask            # uses the configured knowledge store (indexes it if needed)

Prints each question's relevance (dense similarity + lexical share) and, per language, the range
of on-topic and off-topic relevances next to the threshold in `interview/ask.py`, so a change of
corpus, embedding model or chunking can be checked before the thresholds are trusted again.
"""

from __future__ import annotations

ON_TOPIC = [
    "What is retrieval-augmented generation?", "How does chunking affect RAG quality?",
    "What is the ReAct loop for agents?", "How do I evaluate an LLM agent?", "What is LoRA fine-tuning?",
    "Why do LLMs hallucinate?", "How does the KV cache work?", "What is a vector database?",
    "How do I stream tokens to the browser?", "What does temperature do?",
    "How should I answer a behavioral question about a failure?",
    "Qu'est-ce que le RAG ?", "Comment fonctionne le découpage des documents ?", "Qu'est-ce qu'un agent ReAct ?",
    "Comment évaluer un agent ?", "Pourquoi les LLM hallucinent-ils ?", "C'est quoi MCP ?",
    "Comment choisir un modèle d'embedding ?", "C'est quoi la température ?", "Comment se tenir à jour en IA ?",
    "Quelle différence entre un workflow et un agent ?", "Comment protéger un agent contre l'injection de prompt ?",
    "Qu'est-ce que le RGPD change pour une application LLM ?", "Comment réduire la latence d'un LLM ?",
    "Qu'est-ce qu'un reranker ?", "quantization vLLM ollama",
]  # fmt: skip
OFF_TOPIC = [
    "How do I bake bread?", "Who won the 1998 football world cup?", "How do I change a car tyre?",
    "What is the best pizza in Naples?", "How tall is Mount Everest?", "Explain the rules of chess",
    "What is the capital of Peru?", "How do I fix a leaking tap?",
    "recette de la tarte aux pommes", "Quelle est la capitale de l'Australie ?", "Comment tricoter une écharpe ?",
    "Quel temps fera-t-il demain à Lyon ?", "Comment planter des tomates ?", "Comment déclarer mes impôts ?",
    "Comment faire une pâte à crêpes ?", "Qui a écrit Les Misérables ?", "Quels sont les horaires de la piscine ?",
    "Combien de temps cuire un œuf dur ?",
]  # fmt: skip


def main() -> None:
    from config import get_settings
    from interview.ask import COVERED, answer_question
    from knowledge.retrieval import HybridRetriever
    from knowledge.store import KnowledgeStore

    store = KnowledgeStore(get_settings())
    store.index()
    retriever = HybridRetriever(store)
    figures: dict[tuple[str, str], list[float]] = {}
    for label, questions in (("on", ON_TOPIC), ("off", OFF_TOPIC)):
        for question in questions:
            reply = answer_question(question, [], retriever=retriever, chat_model=None)
            coverage = reply.coverage
            relevance = coverage.relevance if coverage else 0.0
            figures.setdefault((label, reply.lang), []).append(relevance)
            detail = f"dense {coverage.dense:.3f} lexical {coverage.lexical:.2f}" if coverage else "no hit"
            print(f"{label:3} {reply.lang} {reply.status:11} relevance {relevance:.3f} ({detail})  {question}")
    for lang in ("en", "fr"):
        on, off = figures.get(("on", lang), [0.0]), figures.get(("off", lang), [0.0])
        print(f"{lang}: on-topic {min(on):.3f}-{max(on):.3f}, off-topic {min(off):.3f}-{max(off):.3f}, "
              f"threshold {COVERED[lang]}: {sum(x >= COVERED[lang] for x in on)}/{len(on)} on-topic covered, "
              f"{sum(x < COVERED[lang] for x in off)}/{len(off)} off-topic refused")  # fmt: skip


if __name__ == "__main__":
    main()
