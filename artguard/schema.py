"""OpenAPI additions that no single view declares."""
from artguard.outages import RETRY_AFTER_SECONDS

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


# gunicorn answers these itself, before Django sees the request, for any operation: a request
# line over its limit_request_line (4094 bytes) or headers over limit_request_field_size.
SERVER_LIMITS = {
    "414": {"description": "The URL is too long (over 4094 bytes): answered by the web server, before ArtGuard."},
    "431": {"description": "A request header is too large (over 8190 bytes): answered by the web server, before ArtGuard."},
}


def document_server_limits(result, generator, request, public):
    """drf-spectacular post-processing hook: the web server's own refusals, on every operation."""
    for operation in _operations(result):
        for code, response in SERVER_LIMITS.items():
            operation["responses"].setdefault(code, dict(response))
    return result


def _operations(result):
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                yield operation


def document_outages(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation may answer 503 during an outage."""
    for operation in _operations(result):
        declared = operation["responses"].get("503")
        if declared is None:
            operation["responses"]["503"] = SERVICE_UNAVAILABLE
        else:  # a view's own 503 (e.g. no model serves): keep its words, add the outage case
            declared["description"] = f"{declared.get('description', '')}; or: {SERVICE_UNAVAILABLE['description']}".lstrip("; ")
            declared.setdefault("headers", SERVICE_UNAVAILABLE["headers"])
            declared.setdefault("content", SERVICE_UNAVAILABLE["content"])
    return result
