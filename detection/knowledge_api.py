"""The API's view of a result's knowledge-base citations (detection.knowledge), kept out of
api_views.py: the serializer and the function that fills it."""
from __future__ import annotations

from rest_framework import serializers

from detection.knowledge import knowledge_for


class CitedPassageSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="K1, K2...: how the explanation cites it")
    title = serializers.CharField()
    source = serializers.CharField(help_text="title, author (year), page or passage number")
    citation = serializers.CharField(allow_blank=True, help_text="URL or bibliographic reference, as staff gave it")
    licence = serializers.CharField(allow_blank=True)
    text = serializers.CharField(help_text="the passage as it was when this analysis cited it")
    document_id = serializers.CharField()
    version = serializers.IntegerField(help_text="the document version cited")
    page = serializers.IntegerField(allow_null=True, help_text="PDF page; null for Markdown and text")
    position = serializers.IntegerField()
    note = serializers.CharField(allow_blank=True, help_text="e.g. withdrawn since this analysis")


class KnowledgeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["found", "none", "unavailable"],
                                     help_text="none: no document about the artist matched, or the detection predates the knowledge base")
    note = serializers.CharField(help_text="what the passages are: context about the artist, not evidence about this photograph")
    passages = CitedPassageSerializer(many=True)


NOTE = "Passages of documents about the artist that the explanation cites: context, not evidence about this photograph."


def knowledge_data(record) -> dict:
    shown = knowledge_for(record)
    return {"status": shown.status, "note": NOTE, "passages": [passage.as_dict() for passage in shown.passages]}
