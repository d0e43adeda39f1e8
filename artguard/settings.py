"""ArtGuard settings, grouped by concern. Every integration is switched by an environment
variable with a safe local default: the same code runs on one machine and on AWS."""
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from artguard import content_policy
from artguard.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Environment -----------------------------------------------------------------------
ARTGUARD_ENV = env_str("ARTGUARD_ENV", "dev")
if ARTGUARD_ENV not in {"dev", "test", "prod"}:
    raise ImproperlyConfigured(f"ARTGUARD_ENV must be dev, test or prod, not {ARTGUARD_ENV!r}")
IS_PROD = ARTGUARD_ENV == "prod"

# Everything the embedded local default keeps (DynamoDB Local data, images, models, SQLite).
DATA_DIR = Path(env_str("ARTGUARD_DATA_DIR", str(BASE_DIR / "var" / ARTGUARD_ENV))).resolve()

# --- Core Django ---------------------------------------------------------------------------
_DEV_SECRET = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "" if IS_PROD else _DEV_SECRET)
if IS_PROD and not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when ARTGUARD_ENV=prod")
# Off unless a developer asks (DJANGO_DEBUG=1): debug pages list URL patterns and settings, and
# the run command serves real users. Users get templates/404.html and 500.html instead.
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [] if IS_PROD else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from STATIC_URL
    "csp",
    "django_q",
    "artguard",
    "accounts",
    "datasets",
    "training",
    "detection",
    "demo",  # above the apps it drives
]

MIDDLEWARE = [
    "artguard.probes.ProbeMiddleware",  # /healthz, /readyz: before host checks and the HTTPS redirect
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "artguard.middleware.OutageMiddleware",  # DynamoDB/storage outages -> 503 page or JSON
]

ROOT_URLCONF = "artguard.urls"
WSGI_APPLICATION = "artguard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The relational database holds only Django's own machinery (sessions, the django-q2 ORM
# broker and task results). ArtGuard's data lives in DynamoDB and image storage.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("ARTGUARD_SQLITE_PATH", str(DATA_DIR / "django.sqlite3")),
        "OPTIONS": {"timeout": 20},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Accounts: the Users table is the only store of accounts --------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.DynamoUserBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "detection:upload"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
if ARTGUARD_ENV == "test":
    # Hashing speed is not what tests check; the real hasher runs everywhere else.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_ENGINE = "django.contrib.sessions.backends.db"
LOGIN_ATTEMPTS_PER_HOUR = env_int("ARTGUARD_LOGIN_ATTEMPTS_PER_HOUR", 20)

# --- DynamoDB --------------------------------------------------------------------------------
# Unset DYNAMODB_HOST means AWS itself; the run command points it at the embedded DynamoDB Local.
DYNAMODB_HOST = env_str("DYNAMODB_HOST", "") or None
AWS_REGION = env_str("AWS_REGION", env_str("AWS_DEFAULT_REGION", "ca-central-1"))
DYNAMODB_TABLE_PREFIX = env_str("ARTGUARD_TABLE_PREFIX", "artguard")
DYNAMODB_CONNECT_TIMEOUT = env_float("DYNAMODB_CONNECT_TIMEOUT", 3.0)
DYNAMODB_READ_TIMEOUT = env_float("DYNAMODB_READ_TIMEOUT", 10.0)
DYNAMODB_MAX_RETRIES = env_int("DYNAMODB_MAX_RETRIES", 3)

# --- Image storage: two buckets (raw, processed) as seed 000 names them -----------------------
STORAGE_BACKEND = env_str("ARTGUARD_STORAGE", "local")  # "local" or "s3"
RAW_BUCKET = env_str("ARTGUARD_RAW_BUCKET", f"artguard-images-raw-{ARTGUARD_ENV}")
PROCESSED_BUCKET = env_str("ARTGUARD_PROCESSED_BUCKET", f"artguard-images-processed-{ARTGUARD_ENV}")
# Seed 000's fourth bucket: staff documents about each artist (docs/knowledge.md), versioned on S3.
KNOWLEDGE_BUCKET = env_str("ARTGUARD_KNOWLEDGE_BUCKET", f"artguard-knowledge-base-{ARTGUARD_ENV}")
KNOWLEDGE_MAX_BYTES = env_int("ARTGUARD_KNOWLEDGE_MAX_MB", 200) * 1024 * 1024
LOCAL_STORAGE_DIR = DATA_DIR / "storage"
AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL", "") or None
PRESIGNED_URL_SECONDS = 3600
RAW_RETENTION_DAYS = 30
PROCESSED_RETENTION_DAYS = 90

if STORAGE_BACKEND == "s3":
    _s3_options = {
        "region_name": AWS_REGION,
        "endpoint_url": AWS_S3_ENDPOINT_URL,
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": PRESIGNED_URL_SECONDS,
        "file_overwrite": True,
    }
    _raw = {"BACKEND": "artguard.s3_storage.S3Storage", "OPTIONS": {**_s3_options, "bucket_name": RAW_BUCKET}}
    _processed = {
        "BACKEND": "artguard.s3_storage.S3Storage",
        "OPTIONS": {**_s3_options, "bucket_name": PROCESSED_BUCKET},
    }
    _knowledge = {"BACKEND": "artguard.s3_storage.S3Storage", "OPTIONS": {**_s3_options, "bucket_name": KNOWLEDGE_BUCKET}}
elif STORAGE_BACKEND == "local":
    # Never under the web root: files reach users only through owner-checked views.
    # allow_overwrite: a write at a taken path replaces the file, as S3 does (artguard.storage.store_at).
    _raw = {"BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(LOCAL_STORAGE_DIR / RAW_BUCKET), "allow_overwrite": True}}
    _processed = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(LOCAL_STORAGE_DIR / PROCESSED_BUCKET), "allow_overwrite": True},
    }
    _knowledge = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                  "OPTIONS": {"location": str(LOCAL_STORAGE_DIR / KNOWLEDGE_BUCKET), "allow_overwrite": True}}
else:
    raise ImproperlyConfigured("ARTGUARD_STORAGE must be 'local' or 's3'")

STORAGES = {
    "default": _processed,
    "raw": _raw,
    "processed": _processed,
    "knowledge": _knowledge,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if ARTGUARD_ENV != "prod"
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Trained model versions: local folder by default, a Modal Volume when training runs on Modal.
MODEL_DIR = Path(env_str("ARTGUARD_MODEL_DIR", str(DATA_DIR / "models"))).resolve()
# Heads (one per artist's model version) a web or worker process keeps loaded, least recently used out.
MODEL_CACHE_SIZE = env_int("ARTGUARD_MODEL_CACHE_SIZE", 16)

# --- Background work: django-q2 ----------------------------------------------------------------
# ORM broker on the local database by default; Redis or SQS for workers on many hosts.
Q_BROKER = env_str("ARTGUARD_Q_BROKER", "orm")
Q_CLUSTER = {
    "name": f"artguard-{ARTGUARD_ENV}",
    "workers": env_int("ARTGUARD_Q_WORKERS", 2),
    "timeout": env_int("ARTGUARD_Q_TIMEOUT", 3600),
    "retry": env_int("ARTGUARD_Q_RETRY", 3700),
    "max_attempts": 3,
    "queue_limit": 20,
    "save_limit": 1000,
    "catch_up": False,
    "label": "Background tasks",
    "sync": env_bool("ARTGUARD_Q_SYNC", ARTGUARD_ENV == "test"),
}
if Q_BROKER == "orm":
    Q_CLUSTER["orm"] = "default"
elif Q_BROKER == "redis":
    Q_CLUSTER["redis"] = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
elif Q_BROKER == "sqs":
    # Long polling: django-q2's pusher calls ReceiveMessage in a loop with no pause of its own, so
    # without a wait each idle host sends empty receives as fast as it can (billed on AWS; on the
    # 2-core test stack it slowed training runs down). The wait also bounds how long a
    # stopping worker takes to notice, like Redis's blocking pop.
    Q_CLUSTER["sqs"] = {"aws_region": AWS_REGION,
                        "receive_message_wait_time_seconds": env_int("ARTGUARD_SQS_WAIT_SECONDS", 5)}
else:
    raise ImproperlyConfigured("ARTGUARD_Q_BROKER must be orm, redis or sqs")

# --- Outside services -----------------------------------------------------------------------------
# Modal runs training and scoring on GPUs when its token is present; otherwise in-process.
MODAL_ENABLED = env_bool("ARTGUARD_MODAL", bool(env_str("MODAL_TOKEN_ID") and env_str("MODAL_TOKEN_SECRET")))
MODAL_APP_NAME = env_str("ARTGUARD_MODAL_APP", f"artguard-{ARTGUARD_ENV}")
MODAL_VOLUME_NAME = env_str("ARTGUARD_MODAL_VOLUME", f"artguard-models-{ARTGUARD_ENV}")

# Claude explains verdicts when a key is set; otherwise a local explanation from the same evidence.
ANTHROPIC_API_KEY = env_str("ANTHROPIC_API_KEY", "")
ANTHROPIC_MODEL = env_str("ANTHROPIC_MODEL", "claude-sonnet-5-5")  # claude-sonnet-4-5 reaches end-of-life 2026-11-30
ANTHROPIC_TIMEOUT_SECONDS = env_float("ANTHROPIC_TIMEOUT_SECONDS", 30.0)
ANTHROPIC_MAX_RETRIES = env_int("ANTHROPIC_MAX_RETRIES", 2)
ANTHROPIC_MAX_TOKENS = env_int("ANTHROPIC_MAX_TOKENS", 900)

# --- Detection --------------------------------------------------------------------------------------
UPLOAD_MAX_BYTES = env_int("ARTGUARD_UPLOAD_MAX_MB", 20) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMAGE_MAX_PIXELS = env_int("ARTGUARD_IMAGE_MAX_PIXELS", 80_000_000)  # larger is treated as a decompression bomb
PREPROCESS_MAX_SIDE = 2048
UPLOADS_PER_HOUR = env_int("ARTGUARD_UPLOADS_PER_HOUR", 60)
INFERENCE_TTL_DAYS = 90
PENDING_TIMEOUT_MINUTES = env_int("ARTGUARD_PENDING_TIMEOUT_MINUTES", 15)
HISTORY_PAGE_SIZE = 20
# Share links and signed reports (docs/verification.md).
SIGNING_KEY = env_str("ARTGUARD_SIGNING_KEY", "")  # base64 Ed25519 seed; required in prod, generated under DATA_DIR/signing otherwise
SIGNING_RETIRED_KEYS = env_list("ARTGUARD_SIGNING_RETIRED_KEYS", [])  # base64 public keys of rotated-out signing keys
SHARES_PER_ANALYSIS = 20
VERIFY_PDF_MAX_BYTES = env_int("ARTGUARD_VERIFY_PDF_MAX_MB", 10) * 1024 * 1024
VERIFY_PER_WINDOW = env_int("ARTGUARD_VERIFY_PER_10_MINUTES", 30)  # /verify/ checks per client address
# The first run with no promoted model prepares synthetic demo data and a quick demo model.
DEMO_BOOTSTRAP = env_bool("ARTGUARD_DEMO_BOOTSTRAP", ARTGUARD_ENV == "dev")

# --- API ----------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # The token first: a request without credentials then gets 401 with `WWW-Authenticate: Token`
    # (DRF takes the header from the first class; sessions have none and would give 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "artguard.errors.api_exception_handler",  # a service's DomainError -> its status
}
SPECTACULAR_SETTINGS = {
    # Swagger UI from ArtGuard's own static files (drf-spectacular-sidecar), never a CDN; no
    # call to the public validator either.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "TITLE": "ArtGuard API",
    "DESCRIPTION": "Forgery detection for artwork photographs, history, and right to deletion.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {"DetectionStatusEnum": "detection.selectors.DETECTION_STATUSES",
                            "VerdictEnum": ["LIKELY_AUTHENTIC", "INCONCLUSIVE", "LIKELY_FORGED"]},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "artguard.schema.document_outages",
                            "artguard.schema.document_server_limits",
                            "training.schema.list_served_artists"],
}

# --- Security (production) ---------------------------------------------------------------------------
if IS_PROD:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"


# Content-Security-Policy on every response (artguard/content_policy.py, served by django-csp).
CONTENT_SECURITY_POLICY = content_policy.policy(extra_image_origins=[
    *content_policy.image_origins(
        storage_backend=STORAGE_BACKEND, endpoint_url=AWS_S3_ENDPOINT_URL, buckets=(RAW_BUCKET, PROCESSED_BUCKET), region=AWS_REGION,
    ),
    *env_list("ARTGUARD_CSP_IMG_SRC", []),  # e.g. a CDN in front of the buckets
])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("ARTGUARD_LOG_LEVEL", "INFO")},
    "loggers": {name: {"level": "WARNING"} for name in ("botocore", "urllib3", "pynamodb", "PIL")},
}
