"""Knowledge base (datasets/knowledge, docs/knowledge.md): retrieval time for an artist with 500
documents (about 50,000 passages), indexing speed in pages per second, and recall@5 on the
labelled question set beside this script (bench/knowledge_questions.json).

- Retrieval: PassageIndex.search as the explanation calls it (top 3, with the filter that skips
  withdrawn or replaced documents), warm (the index is loaded once per process and cached), on a
  synthetic corpus of 500 documents x 100 passages of 90 words drawn from a Zipf vocabulary of
  20,000 words plus art terms. Queries: the explanation's own (detection.knowledge.query_for for
  each verdict and kind of forgery) and the labelled questions. The naive way beside it scores
  every passage (the passage-major matrix times the query). The per-search GetItem and Query
  (the artist's pointer and documents) are DynamoDB round trips, not measured here.
- Indexing: Workflow C's CPU work for one PDF of 200 text pages made with fpdf2: pypdf's text
  extraction, the passage split, the TF-IDF build and writing the index (DynamoDB and the bucket
  excluded).
- Recall@5: each question counts when one of its top 5 passages is the labelled one (its
  document, holding its phrase); measured on the question set's documents alone and with the
  50,000 synthetic passages mixed in.

    .venv/bin/python bench/bench_knowledge.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.common import Figure, django_setup, median, percentile, report  # noqa: E402

QUESTIONS = Path(__file__).with_name("knowledge_questions.json")
DOCUMENTS, PASSAGES_PER_DOCUMENT, WORDS = 500, 100, 90
PDF_PAGES = 200
ART_WORDS = ("brushwork strokes impasto glaze ground canvas panel varnish craquelure signature forgery forgeries copy copies "
             "imitation print halftone reproduction pigment palette provenance catalogue conservation x-radiograph underdrawing "
             "retouching ochre vermilion linen oak chalk texture generated synthetic technique handling exhibition dealer").split()


def synthetic_passages(documents: int, seed: int = 1) -> list[dict]:
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocabulary = ["".join(rng.choice(letters, size=rng.integers(4, 10))) for _ in range(20_000)] + ART_WORDS
    weights = 1.0 / np.arange(1, len(vocabulary) + 1) ** 1.05
    order = rng.permutation(len(vocabulary))
    weights = weights[np.argsort(order)] / weights.sum()
    words = rng.choice(len(vocabulary), size=(documents * PASSAGES_PER_DOCUMENT, WORDS), p=weights)
    return [{"doc_id": f"doc{row // PASSAGES_PER_DOCUMENT}", "version": 1, "page": row % 30 + 1, "position": row % 7 + 1,
             "text": " ".join(vocabulary[i] for i in words[row])} for row in range(len(words))]


def question_passages() -> tuple[list[dict], list[dict]]:
    from datasets.knowledge.demo import demo_document
    from datasets.knowledge.passages import passages_split

    data = json.loads(QUESTIONS.read_text())
    texts = {"demo-a": demo_document("Demo Hand A"), "demo-c": demo_document("Demo Hand C")}
    passages = []
    for doc in data["documents"]:
        text = doc["text"] or texts[doc["id"]]
        passages += [{"doc_id": doc["id"], "version": 1, **p.as_dict()} for p in passages_split([text], kind="markdown")]
    return passages, data["questions"]


def recall_at_5(index, questions) -> tuple[float, list[str]]:
    missed = []
    for q in questions:
        hits = index.search(q["question"], k=5)
        if not any(hit.passage["doc_id"] == q["document"] and q["relevant"] in " ".join(hit.passage["text"].split()) for hit in hits):
            missed.append(q["question"])
    return 1 - len(missed) / len(questions), missed


def explanation_queries() -> list[str]:
    from detection.knowledge import SUBLABEL_WORDS, VERDICT_WORDS, query_for

    found = []
    for verdict in VERDICT_WORDS:
        for sublabel in [None, *SUBLABEL_WORDS]:
            regions = {"S1": {"forged": [{"sublabel": sublabel}]}} if sublabel else {}
            for outside in (False, True):
                found.append(query_for(artist_name="Maren Holt", verdict=verdict, regions=regions, capture_outside=outside))
    return found


def time_searches(index, queries, *, repeats: int, naive: bool = False) -> list[float]:
    active = {f"doc{n}" for n in range(DOCUMENTS) if n % 50}  # a few withdrawn documents: the filter works
    allowed = lambda passage: passage["doc_id"] in active  # noqa: E731
    by_passage = index.by_term.T.tocsr() if naive else None
    times = []
    for _ in range(repeats):
        for query in queries:
            start = time.perf_counter()
            if naive:
                scores = (by_passage @ index.vectorizer.transform([query]).T).toarray().ravel()
                top = np.argsort(-scores)[:12]
                [index.passages[row] for row in top if allowed(index.passages[row])][:3]
            else:
                index.search(query, k=3, allowed=allowed)
            times.append((time.perf_counter() - start) * 1000)
    return times


def indexing_pages_per_second(folder: Path) -> tuple[float, dict]:
    from datasets.knowledge.extract import document_extract
    from datasets.knowledge.index import PassageIndex
    from datasets.knowledge.passages import passages_split
    from tests.datasets.knowledge_files import text_pdf

    words = synthetic_passages(3, seed=2)
    pages = [" ".join(p["text"] for p in words[n * 4:(n + 1) * 4])[:2400] for n in range(PDF_PAGES)]
    pages = [page if page else words[0]["text"] for page in pages]
    data = text_pdf(pages)
    start = time.perf_counter()
    extracted = document_extract(data, filename="bench.pdf")
    extract_s = time.perf_counter() - start
    passages = [{"doc_id": "pdf", "version": 1, **p.as_dict()} for p in passages_split(extracted.pages, kind="pdf")]
    split_s = time.perf_counter() - start - extract_s
    index = PassageIndex.build(index_id="bench", passages=passages)
    index.save(folder / "pdf-index")
    total = time.perf_counter() - start
    return extracted.page_count / total, {"pages": extracted.page_count, "passages": len(passages), "pdf_bytes": len(data),
                                         "extract_s": round(extract_s, 3), "split_s": round(split_s, 3), "total_s": round(total, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="50 documents instead of 500")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-knowledge-"))
    django_setup(data_dir=scratch)
    from datasets.knowledge.index import PassageIndex

    documents = 50 if args.quick else DOCUMENTS
    labelled, questions = question_passages()
    synthetic = synthetic_passages(documents)
    start = time.perf_counter()
    index = PassageIndex.build(index_id="bench", passages=synthetic + labelled)
    build_s = time.perf_counter() - start
    index.save(scratch / "index")
    start = time.perf_counter()
    index = PassageIndex.load(scratch / "index")
    load_s = time.perf_counter() - start

    queries = explanation_queries() + [q["question"] for q in questions]
    time_searches(index, queries[:10], repeats=1)  # warm
    searches = time_searches(index, queries, repeats=5)
    naive = time_searches(index, queries, repeats=1, naive=True)
    pages_per_s, indexing = indexing_pages_per_second(scratch)
    alone, missed_alone = recall_at_5(PassageIndex.build(index_id="q", passages=labelled), questions)
    mixed, missed_mixed = recall_at_5(index, questions)

    figures = [
        Figure(f"retrieval p95, {len(index):,} passages ({documents} documents)", round(percentile(searches, 95), 3), "ms",
               target="<= 20 ms", met=percentile(searches, 95) <= 20, naive=round(percentile(naive, 95), 3),
               ratio=round(percentile(naive, 95) / max(percentile(searches, 95), 1e-9), 1),
               note=f"median {median(searches):.3f} ms over {len(searches)} searches; naive: every passage scored"),
        Figure("indexing speed (PDF, extract + split + TF-IDF + save)", round(pages_per_s, 1), "pages/s", target=">= 50 pages/s",
               met=pages_per_s >= 50, extra=indexing),
        Figure(f"recall@5, {len(questions)} labelled questions", round(alone, 3), "", target=">= 0.9", met=alone >= 0.9,
               note="the question set's documents alone", extra={"missed": missed_alone}),
        Figure(f"recall@5 with {len(synthetic):,} synthetic passages mixed in", round(mixed, 3), "", extra={"missed": missed_mixed}),
        Figure("index build (50k passages)", round(build_s, 2), "s"),
        Figure("index load from disk (once per process)", round(load_s, 3), "s"),
    ]
    report("knowledge", figures, details={"questions": len(questions), "question_set": QUESTIONS.name, "quick": args.quick})


if __name__ == "__main__":
    main()
