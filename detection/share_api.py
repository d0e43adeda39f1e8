"""Share and verify API (docs/verification.md): create, list and revoke share links of your own
completed detection; verify a code, a report PDF or a photograph (public, rate-limited)."""
from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from detection import sharing, verification, verify_input
from detection.api_views import UploadTooLarge as PayloadTooLarge


class TooManyChecks(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "rate_limited"

EXAMPLE_ID = "9f2c4e0b7a1d4c3e8b5a6f7e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c"
EXAMPLE_FACTS = {
    "v": 1, "issuer": "ArtGuard", "code": "7KQ2MXR4PDA9W3TZHC5N", "artist": "Demo Hand A", "model_version": "20261201-ab12cd",
    "demo_model": True, "forgery_score": 73, "verdict": "LIKELY_FORGED", "thresholds": {"authentic_below": 0.31, "forged_above": 0.62},
    "image_sha256": "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
    "analysed_at": "2026-12-06T17:02:11Z", "issued_at": "2026-12-06T17:03:40Z", "valid_until": "2027-03-06T17:02:11Z",
}


EXAMPLE_LINK = {"id": EXAMPLE_ID, "detection_id": "5f0c9a7e2b8d4e6f9a1b3c5d7e9f0a2b", "created_at": "2026-12-06T17:03:40Z",
                "expires_at": "2026-12-13T17:03:40Z", "revoked_at": None, "include_original": False, "state": "active"}


class ShareLinkSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="SHA-256 of the link's token: names the link, cannot open it")
    detection_id = serializers.CharField(source="inference_id")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    include_original = serializers.BooleanField()
    state = serializers.ChoiceField(choices=[sharing.ACTIVE, sharing.REVOKED, sharing.EXPIRED])


class NewShareLinkSerializer(ShareLinkSerializer):
    url = serializers.URLField(help_text="the public page; shown only in this answer (ArtGuard keeps only the token's hash)")


class ShareCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ShareLinkRequest"

        expires_in_days = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=90,
                                                   help_text="shorter than the detection's own expiry (default: the same)")
        include_original = serializers.BooleanField(required=False, default=False, help_text="let the page offer the original file")

    @extend_schema(
        operation_id="detections_share_create", request=InputSerializer,
        responses={201: NewShareLinkSerializer, 400: OpenApiResponse(description="invalid expiry"),
                   404: OpenApiResponse(description="not found (or not yours)"),
                   409: OpenApiResponse(description="not completed, or too many links")},
        examples=[OpenApiExample("a week", value={"expires_in_days": 7, "include_original": False}, request_only=True),
                  OpenApiExample("created", response_only=True, status_codes=["201"],
                                 value={**EXAMPLE_LINK, "url": "https://artguard.example/shared/Yk3pQ9x…/"})],
    )
    def post(self, request, inference_id: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # A refusal is a sharing.ShareError, a DomainError: artguard.errors answers it with its status.
        link, token = sharing.share_create(user_id=request.user.user_id, inference_id=inference_id, **data.validated_data)
        body = {**link.__dict__, "state": link.state, "url": request.build_absolute_uri(reverse("shared", args=[token]))}
        return Response(NewShareLinkSerializer(body).data, status=status.HTTP_201_CREATED)


class ShareListApi(APIView):
    @extend_schema(operation_id="detections_share_list", responses={200: ShareLinkSerializer(many=True), 404: OpenApiResponse(description="not found")},
                   examples=[OpenApiExample("one active, one revoked", response_only=True, status_codes=["200"], value=[
                       EXAMPLE_LINK, {**EXAMPLE_LINK, "id": "0" * 64, "revoked_at": "2026-12-07T09:00:00Z", "state": "revoked"}])])
    def get(self, request, inference_id: str):
        from detection.selectors import inference_get_for_user

        if inference_get_for_user(user_id=request.user.user_id, inference_id=inference_id) is None:
            raise NotFound("No such detection.")
        links = sharing.shares_for_user(user_id=request.user.user_id, inference_id=inference_id)
        return Response(ShareLinkSerializer([{**link.__dict__, "state": link.state} for link in links], many=True).data)


class ShareCollectionApi(ShareListApi, ShareCreateApi):
    """GET: the detection's share links, newest first. POST: a new link (its URL is shown once)."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]


class ShareRevokeApi(APIView):
    """Revoke a share link: its page then answers "revoked". Revoking it again answers 409."""

    @extend_schema(operation_id="detections_share_revoke",
                   responses={200: ShareLinkSerializer, 404: OpenApiResponse(description="no such link of yours"),
                              409: OpenApiResponse(description="already revoked")},
                   examples=[OpenApiExample("revoked", response_only=True, status_codes=["200"],
                                            value={**EXAMPLE_LINK, "revoked_at": "2026-12-07T09:00:00Z", "state": "revoked"})])
    def delete(self, request, inference_id: str, share_id: str):
        link = sharing.share_revoke(user_id=request.user.user_id, share_id=share_id, inference_id=inference_id)
        return Response(ShareLinkSerializer({**link.__dict__, "state": link.state}).data)


class VerificationRevokeApi(APIView):
    """Withdraw the detection's verification code: every report and page carrying it then checks
    as "revoked". The next report or share link gets a new code. No code in force answers 409."""

    @extend_schema(operation_id="detections_verification_revoke",
                   responses={204: None, 404: OpenApiResponse(description="not found"),
                              409: OpenApiResponse(description="no code in force (never issued, or already withdrawn)")})
    def delete(self, request, inference_id: str):
        sharing.code_withdraw(user_id=request.user.user_id, inference_id=inference_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VerifyApi(APIView):
    """Is this a result ArtGuard issued? A code (query or form), a report PDF and/or a photograph
    (multipart). Public and rate-limited per client; nothing uploaded is stored. A code that is
    unknown, revoked or expired is a 200 whose outcome says so, with no facts."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser, FormParser, JSONParser]  # JSON: a code alone

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "VerifyRequest"

        code = serializers.CharField(required=False, max_length=64)
        pdf = serializers.FileField(required=False, help_text="the report PDF (up to 10 MB)")
        photo = serializers.FileField(required=False, help_text="the photograph (up to 20 MB); needs the code or the PDF")

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "VerifyAnswer"

        outcome = serializers.ChoiceField(choices=[verification.GENUINE, verification.NOT_ISSUED, verification.REVOKED,
                                                   verification.EXPIRED, verification.ALTERED, verification.DIFFERENT_PHOTO])
        message = serializers.CharField()
        facts = serializers.DictField(allow_null=True, help_text="what ArtGuard signed; null unless the code is valid")
        checks = serializers.ListField(child=serializers.DictField())

    def initialize_request(self, request, *args, **kwargs):
        self._oversized = request.method == "POST" and verify_input.body_too_large(request)
        self._handler = verify_input.install_upload_handler(request) if request.method == "POST" else None
        return super().initialize_request(request, *args, **kwargs)

    def _answer(self, request, code: str, pdf=None, photo=None):
        retry_after = verify_input.verify_retry_after(request)
        if retry_after:
            error = TooManyChecks(f"Too many checks from your address. Try again in {retry_after} seconds.")
            error.wait = retry_after  # DRF's exception handler turns `wait` into Retry-After
            raise error
        try:
            answer = verification.verify(code=code.strip(), pdf=pdf.data if pdf else None, photo_sha256=photo.sha256 if photo else None)
        except verification.VerifyInputError as error:
            raise ValidationError({"detail": str(error)}) from None
        return Response(self.OutputSerializer({"outcome": answer.outcome, "message": answer.message, "facts": answer.facts,
                                               "checks": [check.as_dict() for check in answer.checks]}).data)

    _responses = {400: OpenApiResponse(description="nothing to check, or not a PDF"),
                  429: OpenApiResponse(description="too many checks; see Retry-After")}
    _examples = [OpenApiExample("genuine", response_only=True, status_codes=["200"], value={
        "outcome": "genuine", "message": "Genuine: ArtGuard issued this result on 2026-12-06, for a photograph attributed to Demo Hand A, "
        "scored 73 / 100 (LIKELY_FORGED) by model 20261201-ab12cd.", "facts": EXAMPLE_FACTS,
        "checks": [{"check": "code", "ok": True, "message": "code 7KQ2M-XR4PD-A9W3T-ZHC5N was issued by ArtGuard"}]}),
        OpenApiExample("revoked", response_only=True, status_codes=["200"], value={
            "outcome": "revoked", "message": "This is not a valid ArtGuard report: revoked.", "facts": None,
            "checks": [{"check": "code", "ok": False, "message": "revoked"}]})]

    @extend_schema(operation_id="verify_code", parameters=[OpenApiParameter("code", str, required=True, description="the verification code")],
                   responses={200: OutputSerializer, **_responses}, examples=_examples)
    def get(self, request):
        return self._answer(request, (request.query_params.get("code") or "")[:64])

    @extend_schema(operation_id="verify_upload", request={"multipart/form-data": InputSerializer},
                   responses={200: OutputSerializer, 413: OpenApiResponse(description="a file over its limit"), **_responses},
                   examples=_examples)
    def post(self, request):
        if self._oversized:
            raise PayloadTooLarge(verify_input.too_large_message())
        data = request.data  # parses the body, through the in-memory handler
        code = (data.get("code") if isinstance(data, dict) else "") or ""
        if self._handler.too_large:
            raise PayloadTooLarge(verify_input.too_large_message())
        files = request.FILES
        return self._answer(request, str(code)[:64], files.get(verify_input.PDF_FIELD), files.get(verify_input.PHOTO_FIELD))
