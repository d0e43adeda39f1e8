"""The per-artist lexical index: scikit-learn TF-IDF over the artist's passages, kept beside the
artist's models (MODEL_DIR/knowledge/<slug>/<index_id>/) as plain arrays and JSON (no pickle),
loaded once per process and cached by its id, which changes whenever its documents do.

Search multiplies the query's few terms by a term-major copy of the matrix, so it touches only
the passages sharing a term with the query: 2.5 ms p95 for 50,000 passages on a busy 2-core machine
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
        self._analyze = vectorizer.build_analyzer()

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

    def query_vector(self, query: str):
        """The query's TF-IDF vector (1 x terms), as the vectorizer would make it. Built here
        rather than with vectorizer.transform, whose input validation cost 3-8 ms a call: more
        than the search itself."""
        counts: dict[int, int] = {}
        vocabulary = self.vectorizer.vocabulary_
        for token in self._analyze(query):
            column = vocabulary.get(token)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        if not counts:
            return None
        columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
        weights = (1 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self.vectorizer.idf_[columns]
        weights /= np.linalg.norm(weights)
        return sparse.csr_matrix((weights.astype(np.float32), (np.zeros(len(columns), dtype=np.int64), columns)),
                                 shape=(1, self.by_term.shape[0]))

    def search(self, query: str, *, k: int = 5, allowed=None) -> list[Hit]:
        """The k passages most similar to `query` (cosine of TF-IDF vectors), best first;
        `allowed(passage)` drops passages (withdrawn or replaced documents) before counting k."""
        vector = self.query_vector(query) if self.passages else None
        if vector is None:
            return []
        scores = (vector @ self.by_term).tocsr()  # only passages sharing a term with the query
        rows, values = scores.indices, scores.data
        wanted = min(len(values), k * 4 if allowed else k)  # room for a few filtered out
        hits = self._best(rows, values, np.argpartition(-values, wanted - 1)[:wanted] if wanted < len(values) else None, k, allowed)
        if len(hits) < k and wanted < len(values):  # many filtered out: rank them all
            hits = self._best(rows, values, None, k, allowed)
        return hits

    def _best(self, rows, values, among, k: int, allowed) -> list[Hit]:
        among = np.arange(len(values)) if among is None else among
        hits = []
        for position in among[np.lexsort((rows[among], -values[among]))]:  # best first; ties in passage order
            passage = self.passages[rows[position]]
            if allowed is None or allowed(passage):
                hits.append(Hit(row=int(rows[position]), score=float(values[position]), passage=passage))
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
