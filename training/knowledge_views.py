"""Staff pages for an artist's knowledge base, on the artist's page: its documents with their
versions, passage counts and the results that cited them; upload, replace and withdraw; and a
search box showing what the retriever returns, so staff can judge it (docs/knowledge.md)."""
from __future__ import annotations

from datetime import datetime, timezone

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from datasets.knowledge import records
from datasets.knowledge.extract import KnowledgeError
from datasets.knowledge.retrieval import passages_search
from datasets.knowledge.services import Source, knowledge_upload, knowledge_withdraw
from training.card_views import artist_or_404

CITATIONS_SHOWN = 5
SEARCH_RESULTS = 8


class KnowledgeUploadForm(forms.Form):
    file = forms.FileField(label="Document", help_text="PDF with a text layer, Markdown (.md) or UTF-8 text (.txt), up to 200 MB.")
    title = forms.CharField(max_length=300, required=False, help_text="The file's name when left empty.")
    author = forms.CharField(max_length=300, required=False)
    year = forms.CharField(max_length=4, required=False)
    citation = forms.CharField(max_length=1000, required=False, label="URL or citation")
    licence = forms.CharField(max_length=1000, required=False, label="Licence note", help_text="e.g. CC BY 4.0, or the permission you have.")
    replaces = forms.ChoiceField(required=False, label="Replaces", help_text="Upload as a new version of this document.")

    def __init__(self, *args, documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replaces"].choices = [("", "(a new document)")] + [(doc.doc_id, doc.title) for doc in documents if doc.active]

    def source(self) -> Source:
        data = self.cleaned_data
        return Source(title=data["title"], author=data["author"], year=data["year"], citation=data["citation"], licence=data["licence"])


def _when(ms) -> str:
    return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if ms else ""


def knowledge_context(artist, *, query: str = "", form: KnowledgeUploadForm | None = None) -> dict:
    """The artist page's knowledge section: documents (one Query), each one's newest citations
    (one Query each), the index pointer (one GetItem) and, for a query, the retriever's answer."""
    documents = records.documents_for_artist(slug=artist.slug)
    rows = [{"doc": doc, "uploaded": _when(doc.created_at), "withdrawn": _when(doc.withdrawn_at),
             "versions": [{"v": v, "when": _when(v.uploaded_at)} for v in reversed(doc.versions)],
             "cited_by": [{**c, "when": _when(c["at"])} for c in records.citations_for_document(doc_id=doc.doc_id, limit=CITATIONS_SHOWN)]}
            for doc in reversed(documents)]
    query = (query or "").strip()[:300]
    return {"knowledge_documents": rows, "knowledge_index": records.artist_index_pointer(slug=artist.slug),
            "knowledge_form": form or KnowledgeUploadForm(documents=documents), "knowledge_query": query,
            "knowledge_hits": passages_search(slug=artist.slug, query=query, k=SEARCH_RESULTS) if query else None}


@staff_member_required
@require_POST
def knowledge_upload_view(request, slug):
    artist = artist_or_404(slug)
    form = KnowledgeUploadForm(request.POST, request.FILES, documents=records.documents_for_artist(slug=artist.slug))
    if not form.is_valid():
        messages.error(request, "Nothing was uploaded: " + " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("training:artist", slug=slug)
    upload = form.cleaned_data["file"]
    try:
        doc = knowledge_upload(artist=artist.slug, filename=upload.name, data=upload.read(), source=form.source(),
                               by=request.user.email, replaces=form.cleaned_data["replaces"] or None)
    except KnowledgeError as error:
        messages.error(request, f"Nothing was uploaded: {error}")
    else:
        messages.success(request, f"{doc.title!r} version {doc.current.version} is stored; it is indexed in the background "
                                  "and cited by new results once its state reads 'indexed'.")
    return redirect("training:artist", slug=slug)


@staff_member_required
@require_POST
def knowledge_withdraw_view(request, slug, doc_id):
    artist = artist_or_404(slug)
    doc = records.document_get(doc_id=doc_id)
    if doc is None or doc.artist != artist.slug:
        messages.error(request, "There is no such document for this artist.")
        return redirect("training:artist", slug=slug)
    knowledge_withdraw(doc_id=doc_id, by=request.user.email, reason=request.POST.get("reason", ""))
    messages.success(request, f"{doc.title!r} is withdrawn: no new result cites it; results that did say so.")
    return redirect("training:artist", slug=slug)
