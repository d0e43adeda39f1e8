"""What the detection serializers compute from a record rather than read from it: `Computed`,
a field declared with the schema it shows and the function that gives its value, and the
absolute URLs a detection links to."""
from __future__ import annotations

from datetime import datetime, timezone

from django.urls import reverse
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from detection.tables import InferenceRecord


class Computed(serializers.Field):
    """`field` as the API shows it (and the schema documents it), with the value
    compute(record, request); a None value is answered as null without asking `field`."""

    def __init__(self, field: serializers.Field, compute):
        self.field, self.compute = field, compute
        super().__init__(source="*", allow_null=getattr(field, "allow_null", False), help_text=field.help_text)

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        self.field.bind(field_name, parent)

    def to_representation(self, record):
        value = self.compute(record, self.context.get("request"))
        return None if value is None else self.field.to_representation(value)


class ComputedSchema(OpenApiSerializerFieldExtension):
    """drf-spectacular: a Computed field is documented as the field it shows."""

    target_class = Computed

    def map_serializer_field(self, auto_schema, direction):
        return auto_schema._map_serializer_field(self.target.field, direction)


def iso(ms) -> str | None:
    return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc).isoformat() if ms is not None else None


def plain(value):
    """A stored map (PynamoDB MapAttribute) as a dict; anything else as it is."""
    return value.as_dict() if hasattr(value, "as_dict") else value


_PLACEHOLDER = "0" * 32
_URL_NAMES = {
    "url": ("api-detection", []),
    "page_url": ("detection:result", []),
    "thumbnail_url": ("detection:image", ["thumb"]),
    "image_url": ("detection:image", ["display"]),
    "original_url": ("detection:image", ["original"]),
    "heatmap_url": ("detection:image", ["heatmap"]),
    "report_url": ("detection:report", []),
}


def detection_url(request, key: str, inference_id: str) -> str:
    """The absolute URL `key` of _URL_NAMES for a detection. The patterns are reversed once per
    request with a placeholder id, not once per item of a page."""
    templates = getattr(request, "_detection_url_templates", None)
    if templates is None:
        templates = {key: request.build_absolute_uri(reverse(name, args=[_PLACEHOLDER, *extra])) for key, (name, extra) in _URL_NAMES.items()}
        request._detection_url_templates = templates
    return templates[key].replace(_PLACEHOLDER, inference_id, 1)


def url_if(key: str, present):
    """A Computed's function: the detection's URL `key` when present(record) is true, else None."""
    return lambda record, request: detection_url(request, key, record.inference_id) if present(record) else None


def card_url(record: InferenceRecord, request) -> str | None:
    if not (record.artist and record.model_version):
        return None  # made before models were per artist
    return request.build_absolute_uri(reverse("models:card_version", args=[record.artist, record.model_version]))
