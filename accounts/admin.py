"""Erasure requests in the admin: read-only (they are the audit trail), with a resume action."""
from django.contrib import admin, messages

from accounts.erasure import erasure_enqueue
from accounts.models import ErasureRequest


@admin.register(ErasureRequest)
class ErasureRequestAdmin(admin.ModelAdmin):
    list_display = (
        "requested_at", "user_id", "status", "step", "inference_records", "raw_objects",
        "processed_objects", "account", "attempts", "completed_at",
    )
    list_filter = ("status", "requested_by")
    search_fields = ("user_id", "email_sha256", "=id")
    ordering = ("-requested_at",)
    exclude = ("receipt_token",)
    actions = ["resume_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Resume the selected unfinished erasures now")
    def resume_now(self, request, queryset):
        unfinished = queryset.exclude(status=ErasureRequest.Status.COMPLETED).update(next_attempt_at=None)
        for request_id in queryset.exclude(status=ErasureRequest.Status.COMPLETED).values_list("id", flat=True):
            erasure_enqueue(request_id=request_id)
        messages.info(request, f"Queued {unfinished} erasure(s).")
