"""Detection API: one APIView per operation; the two URL-level views only combine them, because
a URL serves several HTTP methods (`/api/detections/` GET + POST, `/api/detections/{id}/` GET +
DELETE). Each operation names its Input/Output serializers (detection/serializers.py, where
each field is written once)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from detection import selectors, serializers, services


class UploadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "upload_too_large"


class DetectionCreateApi(APIView):
    """Upload one photograph for analysis. Answers 202; poll `status_url` until COMPLETED or FAILED.
    Send an `Idempotency-Key` header to make retries safe: the same key returns the same detection."""

    parser_classes = [MultiPartParser, FormParser]

    InputSerializer = serializers.DetectionUploadSerializer
    OutputSerializer = serializers.DetectionAcceptedSerializer

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
        body = DetectionCreateApi.OutputSerializer(submission, context={"request": request}).data
        status_url = body["status_url"]
        headers = {"Location": status_url}
        if not submission.created:
            headers["Idempotent-Replayed"] = "true"
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)


class DetectionListApi(APIView):
    """Your detections, newest first, HISTORY_PAGE_SIZE (or `limit`) per page. Pass `cursor` from `next_cursor`."""

    InputSerializer = serializers.DetectionListQuerySerializer
    OutputSerializer = serializers.DetectionPageSerializer

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
        data = {"results": page.records, "next_cursor": page.next_cursor}
        return Response(DetectionListApi.OutputSerializer(data, context={"request": request}).data)


class DetectionDetailApi(APIView):
    """One detection: its status while it runs, then score, verdict, explanation, heatmap and patch scores.
    Every *_url answers the same `Authorization: Token` (or the browser session)."""

    OutputSerializer = serializers.DetectionSerializer

    @extend_schema(operation_id="detections_retrieve", responses={200: OutputSerializer, 404: OpenApiResponse(description="not found")})
    def get(self, request, inference_id: str):
        record = selectors.inference_get_for_user(user_id=request.user.user_id, inference_id=inference_id)
        if record is None:
            raise NotFound("No such detection.")
        return Response(DetectionDetailApi.OutputSerializer(record, context={"request": request}).data)


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
