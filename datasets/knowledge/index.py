"""The per-artist lexical index: scikit-learn TF-IDF over the artist's passages, kept beside the
artist's models (MODEL_DIR/knowledge/<slug>/<index_id>/) as plain arrays and JSON (no pickle),
loaded once per process and cached by its id, which changes whenever its documents do.

Search multiplies the query's few terms by a term-major copy of the matrix, so it touches only
the passages sharing a term with the query: under a millisecond for 50,000 passages
(bench/bench_knowledge.py).
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

INDEX_FORMAT = 1
CACHE_SIZE = 8  # artists' indexes a process keeps loaded


def _vectorizer(vocabulary: dict | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(stop_words="english", sublinear_tf=True, strip_accents="unicode", dtype=np.float32,
                           vocabulary=vocabulary)


def index_id_for(members: list[tuple[str, int]]) -> str:
    """The id of an index over these (doc_id, version) pairs: the same documents, the same id."""
    key = json.dumps([INDEX_FORMAT, sorted([doc_id, int(version)] for doc_id, version in members)])
    return hashlib.sha256(key.encode()).hexdigest()[:20]


@dataclass
class Hit:
    row: int
    score: float
    passage: dict  # {doc_id, version, page, position, text}


class PassageIndex:
    def __init__(self, *, index_id: str, passages: list[dict], vectorizer: TfidfVectorizer, by_term):
        self.index_id = index_id
        self.passages = passages
        self.vectorizer = vectorizer
        self.by_term = by_term  # terms x passages, CSR: one row per term

    @classmethod
    def build(cls, *, index_id: str, passages: list[dict]) -> "PassageIndex":
        vectorizer = _vectorizer()
        try:
            matrix = vectorizer.fit_transform([passage["text"] for passage in passages])
        except ValueError:  # no passage has a word that is not a stop word
            vectorizer, matrix = _vectorizer({"_": 0}), sparse.csr_matrix((len(passages), 1), dtype=np.float32)
            vectorizer.idf_ = np.ones(1)
        return cls(index_id=index_id, passages=passages, vectorizer=vectorizer, by_term=matrix.T.tocsr())

    def __len__(self) -> int:
        return len(self.passages)

    def search(self, query: str, *, k: int = 5, allowed=None) -> list[Hit]:
        """The k passages most similar to `query` (cosine of TF-IDF vectors), best first;
        `allowed(passage)` drops passages (withdrawn or replaced documents) before counting k."""
        if not self.passages:
            return []
        vector = self.vectorizer.transform([query])
        if not vector.nnz:
            return []
        scores = np.asarray((vector @ self.by_term).todense()).ravel()
        candidates = np.flatnonzero(scores)
        wanted = min(len(candidates), k * 4 if allowed else k)
        top = candidates[np.argpartition(-scores[candidates], wanted - 1)[:wanted]] if wanted else candidates[:0]
        hits = []
        for row in sorted(top, key=lambda row: (-scores[row], row)):
            passage = self.passages[row]
            if allowed is None or allowed(passage):
                hits.append(Hit(row=int(row), score=float(scores[row]), passage=passage))
            if len(hits) == k:
                return hits
        if allowed and len(hits) < k and wanted < len(candidates):  # many dropped: look at all of them
            return self._search_all(scores, candidates, k=k, allowed=allowed)
        return hits

    def _search_all(self, scores, candidates, *, k: int, allowed) -> list[Hit]:
        hits = []
        for row in sorted(candidates, key=lambda row: (-scores[row], row)):
            if allowed(self.passages[row]):
                hits.append(Hit(row=int(row), score=float(scores[row]), passage=self.passages[row]))
                if len(hits) == k:
                    break
        return hits

    # --- files -------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder.with_name(folder.name + ".partial")
        partial.mkdir(parents=True, exist_ok=True)
        sparse.save_npz(partial / "by_term.npz", self.by_term)
        np.save(partial / "idf.npy", self.vectorizer.idf_.astype(np.float64))
        (partial / "index.json").write_text(json.dumps({
            "format": INDEX_FORMAT, "index_id": self.index_id, "vocabulary": {term: int(col) for term, col in self.vectorizer.vocabulary_.items()},
            "passages": self.passages}))
        for name in ("by_term.npz", "idf.npy", "index.json"):  # index.json last: its presence means complete
            (partial / name).replace(folder / name)
        partial.rmdir()

    @classmethod
    def load(cls, folder: Path) -> "PassageIndex":
        meta = json.loads((folder / "index.json").read_text())
        vectorizer = _vectorizer(meta["vocabulary"])
        vectorizer.idf_ = np.load(folder / "idf.npy")
        return cls(index_id=meta["index_id"], passages=meta["passages"], vectorizer=vectorizer,
                   by_term=sparse.load_npz(folder / "by_term.npz").tocsr())


def index_folder(*, slug: str, index_id: str) -> Path:
    return Path(settings.MODEL_DIR) / "knowledge" / slug / index_id


_cache: OrderedDict[tuple[str, str], PassageIndex] = OrderedDict()
_lock = threading.Lock()


def cached(*, slug: str, index_id: str, rebuild) -> PassageIndex:
    """The artist's index `index_id`: from memory, else from its folder, else `rebuild()` (a host
    that does not share the model folder rebuilds it from the bucket's passages once)."""
    key = (slug, index_id)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    folder = index_folder(slug=slug, index_id=index_id)
    if (folder / "index.json").exists():
        index = PassageIndex.load(folder)
    else:
        index = rebuild()
        index.save(folder)
    with _lock:
        _cache[key] = index
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return index


def cache_clear() -> None:
    with _lock:
        _cache.clear()
