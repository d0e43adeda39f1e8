"""The detection API's serializers, each field written once: a serializer reads the record
(`source=`) or computes the field from it (detection.api_fields.Computed), and the same
declaration is the OpenAPI schema. Nested serializers read the maps stored on the record
(thresholds, familiarity, verdict basis, patch scores...), in the order they declare."""
from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from detection import findings, references as references_module, selectors
from detection.api_fields import Computed, card_url, detection_url, iso, plain, url_if
from detection.explain import section_list
from detection.knowledge_api import KnowledgeSerializer, knowledge_data
from detection.reading import reading_for
from detection.services import MAX_TEXT_FIELD
from detection.tables import InferenceRecord

VERDICTS = ["LIKELY_AUTHENTIC", "INCONCLUSIVE", "LIKELY_FORGED"]


def _completed(record: InferenceRecord) -> bool:
    return record.status == "COMPLETED"


def _when_completed(compute, otherwise=None):
    """A Computed's function: compute(record, request) once the record is COMPLETED, else `otherwise`."""
    return lambda record, request: compute(record, request) if _completed(record) else otherwise


class _Box(serializers.Serializer):
    # A patch's place in the preprocessed image, and the scale it was cut at.
    x = serializers.IntegerField()
    y = serializers.IntegerField()
    w = serializers.IntegerField()
    h = serializers.IntegerField()
    scale = serializers.FloatField()


class _Labelled(serializers.Serializer):
    label = serializers.CharField(help_text="S1: the tag on the heatmap and in the explanation")


class PatchScoreSerializer(_Box):
    p = serializers.FloatField(help_text="forgery probability of the patch, 0..1")


class StepSerializer(serializers.Serializer):
    name = serializers.CharField()
    seconds = serializers.FloatField()


class SummarySerializer(serializers.Serializer):
    # A detection in a list; reads the InferenceRecord. (Comments, not docstrings: a docstring
    # would become the schema's description.)

    class Meta:
        ref_name = "DetectionSummary"

    id = serializers.CharField(source="inference_id")
    status = serializers.ChoiceField(choices=selectors.DETECTION_STATUSES)
    created_at = Computed(serializers.DateTimeField(), lambda record, request: iso(record.created_at))
    image_name = serializers.CharField(allow_null=True)
    attributed_artist = serializers.CharField(allow_null=True, help_text="canonical name of the artist whose model scored the work")
    artist = serializers.CharField(allow_null=True, help_text="the artist's id (GET /api/artists/)")
    model_version = serializers.CharField(allow_null=True, help_text="the model that scores (or scored) the work, fixed at upload")
    model_card_url = Computed(serializers.URLField(allow_null=True, help_text="that model's card"), card_url)
    title = serializers.CharField(allow_null=True)
    score = serializers.FloatField(allow_null=True, help_text="forgery probability 0..1")
    forgery_score = serializers.IntegerField(allow_null=True, help_text="0-100")
    verdict = serializers.ChoiceField(choices=VERDICTS, allow_null=True)
    is_demo_model = serializers.BooleanField(source="model_is_demo", allow_null=True,
                                             help_text="true: scored by a demo model trained on synthetic images, not meaningful for a real artwork")
    unfamiliar = Computed(serializers.BooleanField(
        allow_null=True,
        help_text="true: the photograph is unlike the model's training images, so the verdict is INCONCLUSIVE and the score is an extrapolation, not evidence; null: not checked",
    ), lambda record, request: findings.is_unfamiliar(record) if record.familiarity else None)
    capture_outside = Computed(serializers.BooleanField(
        allow_null=True,
        help_text="true: the photograph was taken unlike every photograph the model was validated on (softer, more compressed, smaller...), so the verdict is INCONCLUSIVE; `capture.reasons` says what to do; null: not checked",
    ), lambda record, request: findings.capture_outside(record) if record.capture else None)
    url = Computed(serializers.URLField(), url_if("url", lambda record: True))
    page_url = Computed(serializers.URLField(), url_if("page_url", lambda record: True))
    thumbnail_url = Computed(serializers.URLField(allow_null=True), url_if("thumbnail_url", lambda record: record.thumbnail_path))


class FamiliaritySerializer(serializers.Serializer):
    distance = serializers.FloatField()
    threshold = serializers.FloatField()
    unfamiliar = serializers.BooleanField()


class CaptureCheckSerializer(serializers.Serializer):
    checked = serializers.BooleanField(help_text="false when the model has no capture envelope (trained before the check existed)")
    outside = serializers.BooleanField(help_text="taken unlike every photograph the model was validated on: the verdict is then INCONCLUSIVE")
    reasons = serializers.ListField(child=serializers.CharField(), help_text="what was outside, each with what to do about it")
    not_checked = serializers.ListField(child=serializers.CharField(), help_text="checks this file did not allow (a PNG has no JPEG tables)")
    checks = serializers.DictField(help_text="per statistic: {value, low|high (the validated limit), ok}")
    statistics = serializers.DictField(help_text="the photograph's capture statistics (training.ml.capture.measure)")


class ThresholdsSerializer(serializers.Serializer):
    authentic_below = serializers.FloatField(allow_null=True, help_text="LIKELY_AUTHENTIC below this probability; null: the model never gives that verdict")
    forged_above = serializers.FloatField(allow_null=True, help_text="LIKELY_FORGED above this probability; null: the model never gives that verdict")


class OperatingPointSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="validation works scored most like this one")
    forged = serializers.IntegerField(help_text="how many of them were forgeries")
    share = serializers.FloatField(help_text="forged / n")
    low = serializers.FloatField(help_text="lowest of their scores, 0..1")
    high = serializers.FloatField(help_text="highest of their scores, 0..1")
    text = serializers.CharField()


class TargetsSerializer(serializers.Serializer):
    forged_called_authentic = serializers.FloatField(help_text="most forgeries the model may call likely authentic, as a fraction")
    authentic_called_forged = serializers.FloatField(help_text="most authentic works the model may call likely forged, as a fraction")


class VerdictBasisSerializer(serializers.Serializer):
    calibrated = serializers.BooleanField(help_text="whether the score is a probability calibrated on out-of-fold validation predictions")
    calibration_note = serializers.CharField(allow_blank=True, help_text="why the score is not calibrated; empty when it is")
    operating_point = OperatingPointSerializer(allow_null=True)
    statements = serializers.ListField(child=serializers.CharField(), help_text="the verdict policy in plain words, including any verdict the model cannot give")
    targets = TargetsSerializer(allow_null=True)


class RegionSerializer(_Labelled, _Box):  # fields in that order: label, the box, then these
    p = serializers.FloatField(help_text="forgery probability of the region, 0..1, on the image score's scale")
    score = serializers.IntegerField(help_text="0-100")
    location = serializers.CharField()
    reads_as = serializers.ChoiceField(choices=["LIKELY_AUTHENTIC", "INCONCLUSIVE", "LIKELY_FORGED"], allow_null=True,
                                       help_text="the verdict a work scoring like this region throughout would get")
    calibrated = serializers.BooleanField()
    text = serializers.CharField()


class ExplanationSectionSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["verdict", "evidence", "confidence", "cannot_show"])
    title = serializers.CharField()
    text = serializers.CharField()


class ReferencePassageSerializer(serializers.Serializer):
    label = serializers.ChoiceField(choices=["authentic", "forged"])
    sublabel = serializers.CharField(allow_null=True, help_text="the forgery type, when the training data gives one")
    similarity = serializers.FloatField(help_text="cosine similarity to the region in the model's reduced embedding space (1 = identical)")
    training_image_deleted = serializers.BooleanField(help_text="the training image was deleted since: no thumbnail, the label stands in")
    thumbnail_url = serializers.URLField(allow_null=True, help_text="a small JPEG of the training patch; null when staff keep the model's training images confidential or the image was deleted")


class RegionReferencesSerializer(serializers.Serializer):
    region = serializers.CharField(help_text="S1-S3 most suspicious, L1-L3 least suspicious")
    p = serializers.FloatField(allow_null=True)
    region_thumbnail_url = serializers.URLField(allow_null=True, help_text="the region cropped from your photograph")
    summary = serializers.CharField(allow_blank=True)
    forged = ReferencePassageSerializer(many=True, help_text="the closest patches of known forgeries, most similar first")
    authentic = ReferencePassageSerializer(many=True, help_text="the closest patches of authentic works, most similar first")


class ReferencesSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["found", "no_index", "unavailable", "none"], help_text="no_index: the model was trained before reference indexes; none: the detection predates them")
    note = serializers.CharField(allow_blank=True)
    thumbnails_allowed = serializers.BooleanField()
    regions = RegionReferencesSerializer(many=True)


def _capture(record: InferenceRecord, request=None) -> dict | None:
    if not record.capture:
        return None
    stored = findings.capture(record)
    return {
        "checked": bool(stored.get("checked")),
        "outside": bool(stored.get("outside")),
        "reasons": findings.capture_reasons(record),
        "not_checked": findings.capture_not_checked(record),
        "checks": plain(stored.get("checks") or {}),
        "statistics": plain(stored.get("stats") or {}),
    }


def _references(record: InferenceRecord, request) -> dict:
    shown = references_module.references_for(record)

    def thumbnail(name: str, *args) -> str:
        return request.build_absolute_uri(reverse(name, args=[record.inference_id, *args]))

    return {
        "status": shown.status or "none",
        "note": shown.note,
        "thumbnails_allowed": shown.thumbnails_allowed,
        "regions": [
            {
                "region": region.label,
                "p": region.p,
                "region_thumbnail_url": thumbnail("detection:region_thumbnail", region.label) if region.box else None,
                "summary": region.sentence,
                **{side: [
                    {"label": ref.label, "sublabel": ref.sublabel, "similarity": ref.similarity, "training_image_deleted": ref.deleted,
                     "thumbnail_url": thumbnail("detection:reference_thumbnail", region.label, side, ref.number) if ref.thumbnail else None}
                    for ref in refs
                ] for side, _, refs in region.sides},
            }
            for region in shown.regions
        ],
    }


class DetectionSerializer(SummarySerializer):
    # One detection; reads the InferenceRecord.

    class Meta:
        ref_name = "Detection"

    explanation = serializers.CharField(allow_null=True)
    explanation_source = serializers.ChoiceField(choices=["claude", "local"], allow_null=True)
    model_version = serializers.CharField(allow_null=True)
    thresholds = Computed(ThresholdsSerializer(allow_null=True), lambda record, request: plain(record.thresholds))
    familiarity = Computed(FamiliaritySerializer(
        allow_null=True,
        help_text="How far the photograph's patches lie from the model's training patches; unfamiliar ones get an inconclusive verdict.",
    ), lambda record, request: plain(record.familiarity) if record.familiarity else None)
    capture = Computed(CaptureCheckSerializer(
        allow_null=True,
        help_text="The capture check: is the photograph taken like those the model was validated on? Null for detections made before it existed.",
    ), _capture)
    verdict_basis = Computed(VerdictBasisSerializer(
        allow_null=True,
        help_text="How to read the score: calibration, operating point, the verdict policy's statements and targets; null for detections made before it was recorded.",
    ), lambda record, request: plain(record.verdict_basis) if record.verdict_basis else None)
    reading = Computed(serializers.ListField(
        child=serializers.CharField(),
        help_text="How to read the score in plain words: the verdict's cut-offs, the operating point, what the model cannot decide, and whether the score is calibrated. Empty until COMPLETED.",
    ), _when_completed(lambda record, request: reading_for(record).lines(), []))
    warnings = Computed(serializers.ListField(
        child=serializers.CharField(),
        help_text="What limits this result, in plain words (a resolution too low for brushwork: datasets.imaging.low_resolution). Empty until COMPLETED.",
    ), _when_completed(lambda record, request: findings.warnings_for(record), []))
    most_suspicious_region = Computed(RegionSerializer(
        allow_null=True, help_text="The highest-scoring patch and what its score means; null until COMPLETED."
    ), _when_completed(lambda record, request: findings.most_suspicious_region(record)))
    failure_reason = serializers.CharField(allow_null=True)
    patch_scores = Computed(PatchScoreSerializer(many=True), lambda record, request: [plain(p) for p in (record.patch_scores or [])])
    steps = Computed(StepSerializer(many=True), lambda record, request: [plain(s) for s in (record.steps or [])])
    expires_at = Computed(serializers.DateTimeField(allow_null=True),
                          lambda record, request: record.ttl.isoformat() if hasattr(record.ttl, "isoformat") else None)
    image_url = Computed(serializers.URLField(allow_null=True), url_if("image_url", lambda record: record.display_path))
    original_url = Computed(serializers.URLField(allow_null=True), url_if("original_url", lambda record: record.image_path))
    heatmap_url = Computed(serializers.URLField(allow_null=True), url_if("heatmap_url", lambda record: record.heatmap_path))
    report_url = Computed(serializers.URLField(allow_null=True), url_if("report_url", _completed))
    explanation_sections = Computed(ExplanationSectionSerializer(
        many=True, help_text="The explanation in sections; [] for detections made before sections existed."),
        lambda record, request: section_list(record.explanation_sections))
    references = Computed(ReferencesSerializer(
        allow_null=True, help_text="Each cited region's closest training passages; null until COMPLETED."), _when_completed(_references))
    knowledge = Computed(KnowledgeSerializer(
        allow_null=True, help_text="Passages of staff documents about the artist the explanation cites [K1]...; null until COMPLETED."),
        _when_completed(lambda record, request: knowledge_data(record)))


class DetectionUploadSerializer(serializers.Serializer):
    class Meta:
        ref_name = "DetectionUpload"

    file = serializers.FileField(help_text="JPEG, PNG, WebP, TIFF or HEIC, at most ARTGUARD_UPLOAD_MAX_MB")
    # Checked by the service against the served artists, so that a missing one is answered with their names.
    attributed_artist = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT_FIELD, help_text="Required.")
    title = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT_FIELD)


class DetectionAcceptedSerializer(serializers.Serializer):
    # An upload's answer; reads the services.Submission.

    class Meta:
        ref_name = "DetectionAccepted"

    id = serializers.CharField(source="record.inference_id")
    status = serializers.CharField(source="record.status")
    status_url = Computed(serializers.URLField(), lambda submission, request: detection_url(request, "url", submission.record.inference_id))
    page_url = Computed(serializers.URLField(), lambda submission, request: detection_url(request, "page_url", submission.record.inference_id))
    note = serializers.CharField(allow_blank=True, help_text="said about the file, never a refusal (a .heic name on a JPEG); empty otherwise")


class DetectionListQuerySerializer(serializers.Serializer):
    class Meta:
        ref_name = "DetectionListQuery"

    cursor = serializers.CharField(required=False, allow_blank=True, max_length=512)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100)


class DetectionPageSerializer(serializers.Serializer):
    # A page of history: {"results": records, "next_cursor": ...}.

    class Meta:
        ref_name = "DetectionPage"

    results = SummarySerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)
