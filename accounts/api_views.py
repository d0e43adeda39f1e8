"""Right to deletion over the API."""
from django.contrib.auth import logout
from django.urls import reverse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import erasure, erasure_store
from accounts.authentication import ApiTokenAuthentication


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents `Authorization: Token ag_…` in the schema (registered by being defined)."""

    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`Token ag_…`, created on the profile page."}


class ReceiptSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["pending", "running", "retrying", "completed"])
    status_label = serializers.CharField()
    step = serializers.CharField(help_text="What the job is erasing now; empty when done.")
    counts = inline_serializer(
        "ErasureCounts",
        {
            "inference_records": serializers.IntegerField(),
            "shared_items": serializers.IntegerField(help_text="share links and report verification items"),
            "raw_objects": serializers.IntegerField(),
            "processed_objects": serializers.IntegerField(),
            "account": serializers.IntegerField(),
        },
    )
    attempts = serializers.IntegerField()
    last_error = serializers.CharField(help_text="Why the last attempt stopped; it resumes on its own.")
    requested_by = serializers.CharField()
    requested_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)


class AcceptedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    status_url = serializers.URLField(help_text="Works without logging in: the account is being erased.")
    receipt_page_url = serializers.URLField()
    receipt = ReceiptSerializer()


def _links(request, erasure_request) -> dict:
    token = erasure_request.receipt_token
    return {
        "status_url": request.build_absolute_uri(reverse("api-erasure-status", args=[token])),
        "receipt_page_url": request.build_absolute_uri(reverse("accounts:erasure_receipt", args=[token])),
    }


class UserDataDeleteApi(APIView):
    """Erase a user's data: their own for a user, anyone's for staff.

    The account is disabled at once (sessions and API tokens stop working); erasure of
    analyses, images and the account runs in the background and resumes after failures.
    """

    # Token first, so an anonymous caller gets 401 with `WWW-Authenticate: Token`, not 403.
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, operation_id="user_data_delete", responses={
        202: AcceptedSerializer,
        401: OpenApiResponse(description="not signed in"),
        404: OpenApiResponse(description="no such user, or another user's id"),
    })
    def delete(self, request, user_id: str):
        if request.user.user_id != user_id and not request.user.is_staff:
            raise NotFound()  # another user's id is indistinguishable from an unknown one
        try:
            erasure_request, _created = erasure.erasure_request(user_id=user_id, requested_by=request.user)
        except erasure.UserNotFound:
            raise NotFound()
        if request.user.user_id == user_id:
            logout(request._request)
        erasure_request = erasure_store.erasure_get(user_id=user_id)  # the job may have run already (synchronous workers)
        body = {
            "id": str(erasure_request.id),
            "status": erasure_request.status,
            **_links(request, erasure_request),
            "receipt": ReceiptSerializer(erasure.erasure_receipt(erasure_request)).data,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


class ErasureStatusApi(APIView):
    """Progress and receipt of one erasure, by the unguessable token from the 202 answer."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(operation_id="erasure_status", responses={200: ReceiptSerializer, 404: OpenApiResponse(description="unknown token")})
    def get(self, request, token: str):
        erasure_request = erasure.erasure_get_by_token(token=token)
        if erasure_request is None:
            raise NotFound()
        response = Response(ReceiptSerializer(erasure.erasure_receipt(erasure_request)).data)
        response["Cache-Control"] = "no-store"
        return response
