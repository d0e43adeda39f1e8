"""OpenAPI additions that no single view declares."""
from artguard.middleware import RETRY_AFTER_SECONDS

SERVICE_UNAVAILABLE = {
    "description": (
        "DynamoDB or image storage is unavailable or overloaded (answered by OutageMiddleware for "
        "any operation). Nothing was lost; retry after the number of seconds in Retry-After."
    ),
    "headers": {
        "Retry-After": {
            "schema": {"type": "integer", "example": RETRY_AFTER_SECONDS},
            "description": "Seconds to wait before retrying.",
        }
    },
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"detail": {"type": "string"}},
                "required": ["detail"],
            }
        }
    },
}


def document_outages(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation may answer 503 during an outage."""
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not (isinstance(operation, dict) and "responses" in operation):
                continue
            declared = operation["responses"].get("503")
            if declared is None:
                operation["responses"]["503"] = SERVICE_UNAVAILABLE
            else:  # a view's own 503 (e.g. no model serves): keep its words, add the outage case
                declared["description"] = f"{declared.get('description', '')}; or: {SERVICE_UNAVAILABLE['description']}".lstrip("; ")
                declared.setdefault("headers", SERVICE_UNAVAILABLE["headers"])
                declared.setdefault("content", SERVICE_UNAVAILABLE["content"])
    return result
