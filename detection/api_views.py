"""Detection API: one APIView per operation; the two URL-level views only combine them, because
a URL serves several HTTP methods (`/api/detections/` GET + POST, `/api/detections/{id}/` GET +
DELETE). Each operation keeps its own Input/Output serializers."""
from __future__ import annotations

from datetime import datetime, timezone

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from detection import findings, references as references_module, selectors, services
from detection.explain import section_list
from detection.knowledge_api import KnowledgeSerializer, knowledge_data
from detection.reading import reading_for
from detection.tables import InferenceRecord


class UploadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "upload_too_large"


def _iso(ms) -> str | None:
    return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc).isoformat() if ms is not None else None


def _plain(value):
    return value.as_dict() if hasattr(value, "as_dict") else value


_PLACEHOLDER = "0" * 32


def _url_templates(request) -> dict[str, str]:
    """Absolute URL patterns with a placeholder id, reversed once per request (not per item)."""
    cached = getattr(request, "_detection_url_templates", None)
    if cached is None:
        names = {
            "url": ("api-detection", []),
            "page_url": ("detection:result", []),
            "thumbnail_url": ("detection:image", ["thumb"]),
            "image_url": ("detection:image", ["display"]),
            "original_url": ("detection:image", ["original"]),
            "heatmap_url": ("detection:image", ["heatmap"]),
            "report_url": ("detection:report", []),
        }
        cached = {key: request.build_absolute_uri(reverse(name, args=[_PLACEHOLDER, *extra])) for key, (name, extra) in names.items()}
        request._detection_url_templates = cached
    return cached


def _url(request, key: str, inference_id: str) -> str:
    return _url_templates(request)[key].replace(_PLACEHOLDER, inference_id, 1)


def _card_url(record: InferenceRecord, request) -> str | None:
    if not (record.artist and record.model_version):
        return None  # made before models were per artist
    return request.build_absolute_uri(reverse("models:card_version", args=[record.artist, record.model_version]))


def detection_summary(record: InferenceRecord, request) -> dict:
    inference_id = record.inference_id
    return {
        "id": inference_id,
        "status": record.status,
        "created_at": _iso(record.created_at),
        "image_name": record.image_name,
        "attributed_artist": record.attributed_artist,
        "artist": record.artist,
        "model_version": record.model_version,
        "model_card_url": _card_url(record, request),
        "title": record.title,
        "score": record.score,
        "forgery_score": int(record.forgery_score) if record.forgery_score is not None else None,
        "verdict": record.verdict,
        "is_demo_model": bool(record.model_is_demo) if record.model_is_demo is not None else None,
        "unfamiliar": findings.is_unfamiliar(record) if record.familiarity else None,
        "capture_outside": findings.capture_outside(record) if record.capture else None,
        "url": _url(request, "url", inference_id),
        "page_url": _url(request, "page_url", inference_id),
        "thumbnail_url": _url(request, "thumbnail_url", inference_id) if record.thumbnail_path else None,
    }


def detection_detail(record: InferenceRecord, request) -> dict:
    data = detection_summary(record, request)
    inference_id = record.inference_id
    completed = record.status == "COMPLETED"

    def image_url(key: str, present) -> str | None:
        return _url(request, key, inference_id) if present else None

    ttl = record.ttl
    data.update(
        {
            "explanation": record.explanation,
            "explanation_source": record.explanation_source,
            "thresholds": _plain(record.thresholds),
            "familiarity": _plain(record.familiarity) if record.familiarity else None,
            "capture": _capture(record),
            "verdict_basis": _plain(record.verdict_basis) if record.verdict_basis else None,
            "reading": reading_for(record).lines() if completed else [],
            "warnings": findings.warnings_for(record) if completed else [],
            "most_suspicious_region": findings.most_suspicious_region(record) if completed else None,
            "failure_reason": record.failure_reason,
            "patch_scores": [_plain(p) for p in (record.patch_scores or [])],
            "steps": [_plain(s) for s in (record.steps or [])],
            "expires_at": ttl.isoformat() if hasattr(ttl, "isoformat") else None,
            "image_url": image_url("image_url", record.display_path),
            "original_url": image_url("original_url", record.image_path),
            "heatmap_url": image_url("heatmap_url", record.heatmap_path),
            "report_url": image_url("report_url", completed),
            "explanation_sections": section_list(record.explanation_sections),
            "references": _references(record, request) if completed else None,
            "knowledge": knowledge_data(record) if completed else None,
        }
    )
    return data


def _capture(record: InferenceRecord) -> dict | None:
    if not record.capture:
        return None
    stored = findings.capture(record)
    return {
        "checked": bool(stored.get("checked")),
        "outside": bool(stored.get("outside")),
        "reasons": findings.capture_reasons(record),
        "not_checked": findings.capture_not_checked(record),
        "checks": _plain(stored.get("checks") or {}),
        "statistics": _plain(stored.get("stats") or {}),
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


class PatchScoreSerializer(serializers.Serializer):
    x = serializers.IntegerField()
    y = serializers.IntegerField()
    w = serializers.IntegerField()
    h = serializers.IntegerField()
    scale = serializers.FloatField()
    p = serializers.FloatField(help_text="forgery probability of the patch, 0..1")


class StepSerializer(serializers.Serializer):
    name = serializers.CharField()
    seconds = serializers.FloatField()


class SummarySerializer(serializers.Serializer):
    class Meta:
        ref_name = "DetectionSummary"

    id = serializers.CharField()
    status = serializers.ChoiceField(choices=selectors.DETECTION_STATUSES)
    created_at = serializers.DateTimeField()
    image_name = serializers.CharField(allow_null=True)
    attributed_artist = serializers.CharField(allow_null=True, help_text="canonical name of the artist whose model scored the work")
    artist = serializers.CharField(allow_null=True, help_text="the artist's id (GET /api/artists/)")
    model_version = serializers.CharField(allow_null=True, help_text="the model that scores (or scored) the work, fixed at upload")
    model_card_url = serializers.URLField(allow_null=True, help_text="that model's card")
    title = serializers.CharField(allow_null=True)
    score = serializers.FloatField(allow_null=True, help_text="forgery probability 0..1")
    forgery_score = serializers.IntegerField(allow_null=True, help_text="0-100")
    verdict = serializers.ChoiceField(choices=["LIKELY_AUTHENTIC", "INCONCLUSIVE", "LIKELY_FORGED"], allow_null=True)
    is_demo_model = serializers.BooleanField(allow_null=True, help_text="true: scored by a demo model trained on synthetic images, not meaningful for a real artwork")
    unfamiliar = serializers.BooleanField(
        allow_null=True,
        help_text="true: the photograph is unlike the model's training images, so the verdict is INCONCLUSIVE and the score is an extrapolation, not evidence; null: not checked",
    )
    capture_outside = serializers.BooleanField(
        allow_null=True,
        help_text="true: the photograph was taken unlike every photograph the model was validated on (softer, more compressed, smaller...), so the verdict is INCONCLUSIVE; `capture.reasons` says what to do; null: not checked",
    )
    url = serializers.URLField()
    page_url = serializers.URLField()
    thumbnail_url = serializers.URLField(allow_null=True)


class DetectionCreateApi(APIView):
    """Upload one photograph for analysis. Answers 202; poll `status_url` until COMPLETED or FAILED.
    Send an `Idempotency-Key` header to make retries safe: the same key returns the same detection."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DetectionUpload"

        file = serializers.FileField(help_text="JPEG, PNG, WebP, TIFF or HEIC, at most ARTGUARD_UPLOAD_MAX_MB")
        # Checked by the service against the served artists, so that a missing one is answered with their names.
        attributed_artist = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_TEXT_FIELD,
                                                  help_text="Required.")
        title = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_TEXT_FIELD)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DetectionAccepted"

        id = serializers.CharField()
        status = serializers.CharField()
        status_url = serializers.URLField()
        page_url = serializers.URLField()
        note = serializers.CharField(allow_blank=True, help_text="said about the file, never a refusal (a .heic name on a JPEG); empty otherwise")

    def get_serializer(self, *args, **kwargs):
        # The browsable API renders its upload form from this.
        return DetectionCreateApi.InputSerializer(*args, **kwargs)

    def initial(self, request, *args, **kwargs):
        # Before authentication, which may read the body for a session's CSRF token: an upload
        # whose Content-Length is over the limit is refused unread.
        if request.method == "POST" and services.body_too_large(content_length=request.META.get("CONTENT_LENGTH")):
            raise UploadTooLarge({"file": [services.too_large_message()]})
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="detections_create",
        request={"multipart/form-data": InputSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        responses={
            202: OutputSerializer,
            400: OpenApiResponse(description="not an acceptable image, a missing field, or an attributed artist no model serves "
                                             "(empty, unknown or matching several; the answer lists `served_artists`)"),
            413: OpenApiResponse(description="the request's Content-Length is over the upload limit; refused before the body is read"),
            429: OpenApiResponse(description="upload rate limit reached"),
            503: OpenApiResponse(description="no model is promoted yet"),
        },
    )
    def post(self, request):
        serializer = DetectionCreateApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        services.size_check(size_bytes=upload.size)  # before the file is read
        # A refusal (services.errors, ImageRejected) is a DomainError: artguard.errors answers it.
        submission = services.inference_submit(
            user_id=request.user.user_id,
            data=upload.read(),
            filename=upload.name or "",
            attributed_artist=serializer.validated_data.get("attributed_artist", ""),
            title=serializer.validated_data.get("title", ""),
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        record = submission.record
        status_url = request.build_absolute_uri(reverse("api-detection", args=[record.inference_id]))
        body = DetectionCreateApi.OutputSerializer(
            {
                "id": record.inference_id,
                "status": record.status,
                "status_url": status_url,
                "page_url": request.build_absolute_uri(reverse("detection:result", args=[record.inference_id])),
                "note": submission.note,
            }
        ).data
        headers = {"Location": status_url}
        if not submission.created:
            headers["Idempotent-Replayed"] = "true"
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)


class DetectionListApi(APIView):
    """Your detections, newest first, HISTORY_PAGE_SIZE (or `limit`) per page. Pass `cursor` from `next_cursor`."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DetectionListQuery"

        cursor = serializers.CharField(required=False, allow_blank=True, max_length=512)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=100)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DetectionPage"

        results = SummarySerializer(many=True)
        next_cursor = serializers.CharField(allow_null=True)

    @extend_schema(
        operation_id="detections_list",
        parameters=[
            OpenApiParameter("cursor", str, OpenApiParameter.QUERY, required=False),
            OpenApiParameter("limit", int, OpenApiParameter.QUERY, required=False, description="page size, 1-100 (default HISTORY_PAGE_SIZE)"),
        ],
        responses={200: OutputSerializer, 400: OpenApiResponse(description="invalid cursor")},
    )
    def get(self, request):
        params = DetectionListApi.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = selectors.inferences_page_for_user(  # a forged cursor: InvalidCursor, a DomainError
            user_id=request.user.user_id,
            cursor=params.validated_data.get("cursor") or None,
            page_size=params.validated_data.get("limit"),
        )
        data = {"results": [detection_summary(r, request) for r in page.records], "next_cursor": page.next_cursor}
        return Response(DetectionListApi.OutputSerializer(data).data)


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


class RegionSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="S1: the tag on the heatmap and in the explanation")
    x = serializers.IntegerField()
    y = serializers.IntegerField()
    w = serializers.IntegerField()
    h = serializers.IntegerField()
    scale = serializers.FloatField()
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


class DetectionDetailApi(APIView):
    """One detection: its status while it runs, then score, verdict, explanation, heatmap and patch scores.
    Every *_url answers the same `Authorization: Token` (or the browser session)."""

    class OutputSerializer(SummarySerializer):
        class Meta:
            ref_name = "Detection"

        explanation = serializers.CharField(allow_null=True)
        explanation_source = serializers.ChoiceField(choices=["claude", "local"], allow_null=True)
        model_version = serializers.CharField(allow_null=True)
        thresholds = ThresholdsSerializer(allow_null=True)
        familiarity = FamiliaritySerializer(
            allow_null=True,
            help_text="How far the photograph's patches lie from the model's training patches; unfamiliar ones get an inconclusive verdict.",
        )
        capture = CaptureCheckSerializer(
            allow_null=True,
            help_text="The capture check: is the photograph taken like those the model was validated on? Null for detections made before it existed.",
        )
        verdict_basis = VerdictBasisSerializer(
            allow_null=True,
            help_text="How to read the score: calibration, operating point, the verdict policy's statements and targets; null for detections made before it was recorded.",
        )
        reading = serializers.ListField(
            child=serializers.CharField(),
            help_text="How to read the score in plain words: the verdict's cut-offs, the operating point, what the model cannot decide, and whether the score is calibrated. Empty until COMPLETED.",
        )
        warnings = serializers.ListField(
            child=serializers.CharField(),
            help_text="What limits this result, in plain words (a resolution too low for brushwork: datasets.imaging.low_resolution). Empty until COMPLETED.",
        )
        most_suspicious_region = RegionSerializer(
            allow_null=True, help_text="The highest-scoring patch and what its score means; null until COMPLETED."
        )
        failure_reason = serializers.CharField(allow_null=True)
        patch_scores = PatchScoreSerializer(many=True)
        steps = StepSerializer(many=True)
        expires_at = serializers.DateTimeField(allow_null=True)
        image_url = serializers.URLField(allow_null=True)
        original_url = serializers.URLField(allow_null=True)
        heatmap_url = serializers.URLField(allow_null=True)
        report_url = serializers.URLField(allow_null=True)
        explanation_sections = ExplanationSectionSerializer(many=True, help_text="The explanation in sections; [] for detections made before sections existed.")
        references = ReferencesSerializer(allow_null=True, help_text="Each cited region's closest training passages; null until COMPLETED.")
        knowledge = KnowledgeSerializer(allow_null=True, help_text="Passages of staff documents about the artist the explanation cites [K1]...; null until COMPLETED.")

    @extend_schema(operation_id="detections_retrieve", responses={200: OutputSerializer, 404: OpenApiResponse(description="not found")})
    def get(self, request, inference_id: str):
        record = selectors.inference_get_for_user(user_id=request.user.user_id, inference_id=inference_id)
        if record is None:
            raise NotFound("No such detection.")
        return Response(DetectionDetailApi.OutputSerializer(detection_detail(record, request)).data)


class DetectionDeleteApi(APIView):
    """Delete a detection and every stored image of it."""

    @extend_schema(operation_id="detections_destroy", responses={204: None, 404: OpenApiResponse(description="not found")})
    def delete(self, request, inference_id: str):
        if not services.inference_delete(user_id=request.user.user_id, inference_id=inference_id):
            raise NotFound("No such detection.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class DetectionCollectionApi(DetectionListApi, DetectionCreateApi):
    """GET: your detections, newest first. POST: upload a photograph for analysis."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]


class DetectionItemApi(DetectionDetailApi, DetectionDeleteApi):
    """GET: one detection. DELETE: remove it and its images."""
