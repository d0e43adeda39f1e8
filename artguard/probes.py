"""Health endpoints for load balancers and process managers (docs/operations.md).

    GET /healthz   liveness: this process answers. No dependency is touched.
    GET /readyz    readiness: DynamoDB, storage, the task broker and a promoted model, as JSON
                   with one entry per check; 200 when all are ok, 503 otherwise.

Answered by a middleware placed first, before host validation and the HTTPS redirect: a load
balancer probes each instance by its private address over plain HTTP, and neither endpoint
reads the Host header or says anything secret.
"""
from __future__ import annotations

from django.http import HttpResponseNotAllowed, JsonResponse

from artguard.health import run_checks

PROBE_PATHS = ("/healthz", "/readyz")


def readiness() -> tuple[int, dict]:
    results = run_checks()
    ready = all(result.ok for result in results)
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {result.name: {"ok": result.ok, "detail": result.detail} for result in results},
    }
    return (200 if ready else 503), body


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info.rstrip("/")
        if path not in PROBE_PATHS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if path == "/healthz":
            response = JsonResponse({"status": "alive"})
        else:
            status, body = readiness()
            response = JsonResponse(body, status=status)
        response["Cache-Control"] = "no-store"
        return response
