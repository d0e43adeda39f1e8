"""The knowledge base (seed 000's `artguard-knowledge-base-{env}` bucket and its Workflow C):
staff documents about each artist, versioned, split into passages and indexed per artist so the
explanation can cite what is documented about the artist (docs/knowledge.md).

extract    reads a PDF, Markdown or text file into pages, refusing what cannot be read
passages   splits pages into passages (page + position)
records    the ImageRecords items that hold documents, versions and citations
services   upload, replace, withdraw; citations recorded by results
index      the per-artist TF-IDF index: build, save, load (cached by id), search
workflow   Workflow C: extract new versions, build the artist's index, point the artist at it
retrieval  what the explanation and the staff search box ask: passages for an artist and a query
demo       one labelled synthetic document per demo hand, for the first-run bootstrap
"""
