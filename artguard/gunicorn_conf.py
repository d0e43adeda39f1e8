"""gunicorn's settings, the same for `bin/artguard run` and a production host:

    gunicorn -c python:artguard.gunicorn_conf artguard.wsgi:application

Static files come from WhiteNoise inside the app, so nothing else needs to sit in front.
"""
from artguard.env import env_int, env_str

bind = f"{env_str('ARTGUARD_HOST', '127.0.0.1')}:{env_str('ARTGUARD_PORT', '8000')}"
# Threads, not more processes: requests wait on DynamoDB and storage, and the model runs in
# the django-q2 worker, not here.
worker_class = "gthread"
workers = env_int("ARTGUARD_WEB_WORKERS", 2)
threads = env_int("ARTGUARD_WEB_THREADS", 4)
timeout = 60  # an upload of ARTGUARD_UPLOAD_MAX_MB over a slow link
# Below the supervisor's ARTGUARD_STOP_GRACE (20 s), so a stop is gunicorn's own, not a kill.
graceful_timeout = 10
accesslog = "-"
# gunicorn's defaults, stated: longer URLs get 414 and larger headers 431 (documented in the
# API schema by artguard.schema.document_server_limits).
limit_request_line = 4094
limit_request_field_size = 8190
# A load balancer in front (AWS) sets X-Forwarded-Proto; trust it from the addresses named.
forwarded_allow_ips = env_str("ARTGUARD_FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's control socket defaults to one path per user: two instances on one machine
# (tests, a second checkout) would fight over it. Nothing here uses it.
control_socket_disable = True


def post_worker_init(worker):
    """Import every view (and the model code they import), then run the warm-up steps
    (artguard.warmup), before this worker takes requests rather than during users' first ones."""
    from django.urls import get_resolver

    from artguard.warmup import warmup_run

    get_resolver().url_patterns
    worker.log.info("warm-up: %s", ", ".join(f"{name} {outcome}" for name, outcome in warmup_run().items()))
