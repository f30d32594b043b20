"""Settings for the tool invocation gateway, read from the environment.

The embedded default (no environment at all) runs on a SQLite file next to
manage.py; set DATABASE_URL for PostgreSQL. GATEWAY_ENV=production is the
hardened profile: no debug, every secret explicit, registration closed, HTTPS
only, JSON logs; `manage.py check --deploy` is clean there.
"""

import base64
import hashlib
import hmac
import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured

from gateway_project.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

GATEWAY_ENV = env_choice("GATEWAY_ENV", "development", ["development", "production"])
PRODUCTION = GATEWAY_ENV == "production"

DEBUG = env_bool("DJANGO_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG cannot be on when GATEWAY_ENV=production")


def _secret_key() -> str:
    """DJANGO_SECRET_KEY, else the key file; development writes that file on first start."""
    key = env_str("DJANGO_SECRET_KEY")
    key_file = Path(env_str("DJANGO_SECRET_KEY_FILE", str(BASE_DIR / ".secret_key")))
    if not key and not PRODUCTION and not key_file.exists():
        _create_key_file(key_file)
    if not key and key_file.is_file():
        key = key_file.read_text().strip()
    if key:
        if PRODUCTION and (len(key) < 50 or len(set(key)) < 5):
            raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 random characters in production")
        return key
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) when GATEWAY_ENV=production")


def _create_key_file(key_file: Path) -> None:
    """Write a random key once. The key is written to a private temp file and then
    hard-linked into place, which fails if the file exists: processes starting
    together agree on one key and never read a half-written file."""
    fd, temp_path = tempfile.mkstemp(dir=key_file.parent, prefix=".secret_key.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50) + "\n")
        os.link(temp_path, key_file)
    except FileExistsError:
        pass  # another process published its key first; use that one
    finally:
        os.unlink(temp_path)


SECRET_KEY = _secret_key()
if PRODUCTION and not env_str("ALLOWED_HOSTS"):
    raise ImproperlyConfigured("Set ALLOWED_HOSTS (comma-separated host names) when GATEWAY_ENV=production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
if PRODUCTION and "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS may not be '*' when GATEWAY_ENV=production: name the hosts")

# Proxies in front of the gateway whose X-Forwarded-For / X-Forwarded-Proto we believe.
# 0: the socket address is the client. N: the client is N hops back in X-Forwarded-For.
GATEWAY_TRUSTED_PROXY_COUNT = env_int("GATEWAY_TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=10)
if GATEWAY_TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SECURE_SSL_REDIRECT = env_bool("GATEWAY_SSL_REDIRECT", True)
    # Load balancers probe health over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

INSTALLED_APPS = [
    "gateway_project.admin_site.GatewayAdminConfig",  # django.contrib.admin, with the gateway's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "tenants",
    "tools",
    "kpis",
    "audit",
]

MIDDLEWARE = [
    "gateway_project.worker_slots.WorkerSlotMiddleware",
    "gateway_project.request_context.RequestContextMiddleware",
    "gateway_project.middleware.CollectAfterLargeBodiesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "gateway_project.middleware.HeaderLimitsMiddleware",
    "gateway_project.middleware.RequireContentLengthMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenants.middleware.TenantContextMiddleware",
    # Last, as django-axes asks: it turns a locked-out console login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Console logins go through django-axes first, which refuses them while an account or an
# address is locked out; then Django's own check of the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "gateway_project.urls"
WSGI_APPLICATION = "gateway_project.wsgi.application"

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

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
# PostgreSQL: each worker process borrows connections from a pool of at most this many (psycopg_pool),
# returned when a request ends and while an HTTP tool waits on its upstream, so a server's connections
# stay bounded however many requests wait at once. 0: a persistent connection per thread (CONN_MAX_AGE).
DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 8, minimum=0, maximum=1000)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_POOL_MAX_SIZE:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections; Django must not hold them too
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_MAX_SIZE,
        # A request that cannot get a connection in time fails as the database being unavailable (503). Only
        # requests running Python hold one (one per process, GATEWAY_ACTIVE_REQUESTS_PER_WORKER), so a long wait
        # means the database is gone: short, so an outage is answered 503 soon, but longer than the pool takes
        # to replace every connection after the server dropped them all (about a second, measured).
        "timeout": env_int("DATABASE_POOL_TIMEOUT_SECONDS", 3, minimum=1),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend, with writers queued per process (see the module).
    DATABASES["default"]["ENGINE"] = "gateway_project.sqlite_backend"
    SQLITE_SYNCHRONOUS = env_str("SQLITE_SYNCHRONOUS", "FULL").upper()
    SQLITE_CACHE_KIB = env_int("SQLITE_CACHE_KIB", 256, minimum=16)
    if SQLITE_SYNCHRONOUS not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise ImproperlyConfigured(f"SQLITE_SYNCHRONOUS={SQLITE_SYNCHRONOUS!r} is not a SQLite synchronous mode")
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the
        # busy timeout instead of one failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 20, minimum=1),
        # WAL lets readers run beside the single writer. Each thread keeps a connection, and each connection a
        # page cache (SQLite's default 2 MB): with 64 threads a worker's peak RSS in make bench went from ~185 to
        # ~430 MB; 256 KB each brought it to 312 MB with ingest, latest and kpi_summary as fast as before (the
        # operating system's file cache holds the pages anyway).
        "init_command": f"PRAGMA journal_mode=WAL; PRAGMA synchronous={SQLITE_SYNCHRONOUS}; "
        f"PRAGMA cache_size=-{SQLITE_CACHE_KIB};",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["gateway_project.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    # Tenant endpoints name their authentication explicitly; nothing is implied.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_PARSER_CLASSES": ["gateway_project.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "gateway_project.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # OPTIONS answers only Allow (gateway_project/api_views.py): the OpenAPI document describes the API.
    "DEFAULT_METADATA_CLASS": None,
    "UNICODE_JSON": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tool Invocation Gateway",
    "DESCRIPTION": "Tenant-scoped, role-checked, audited, metered and idempotent tool invocation, plus a KPI store.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge fetched from validator.swagger.io: the docs make no request off this host.
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None, "deepLinking": True, "persistAuthorization": True},
    "COMPONENT_SPLIT_REQUEST": True,
    # Enums stay inline: the shared-enum hook would merge each tool variant's one-name enum.
    "POSTPROCESSING_HOOKS": ["gateway_project.openapi.add_links"],
    "TAGS": [
        {"name": "Tenants", "description": "Registration of tenants and their users."},
        {"name": "Tools", "description": "The tool catalogue and idempotent, audited, metered invocation."},
        {"name": "KPIs", "description": "KPI definitions and their time series."},
        {"name": "Health", "description": "Liveness of the gateway and its database."},
    ],
}

# --- Gateway ------------------------------------------------------------------
# Open registration lets anyone create tenants and users (the seed's walk-through);
# in production tenants come from manage.py create_tenant.
GATEWAY_OPEN_REGISTRATION = env_bool("GATEWAY_OPEN_REGISTRATION", not PRODUCTION)
if PRODUCTION and GATEWAY_OPEN_REGISTRATION:
    raise ImproperlyConfigured("GATEWAY_OPEN_REGISTRATION cannot be on when GATEWAY_ENV=production")
# Request headers, each and all together (gunicorn's own, larger limits stay behind these).
GATEWAY_MAX_HEADER_BYTES = env_int("GATEWAY_MAX_HEADER_BYTES", 8 * 1024, minimum=1024)
GATEWAY_MAX_HEADERS_TOTAL_BYTES = env_int("GATEWAY_MAX_HEADERS_TOTAL_BYTES", 32 * 1024, minimum=4096)
GATEWAY_MAX_HEADER_COUNT = env_int("GATEWAY_MAX_HEADER_COUNT", 100, minimum=10)
GATEWAY_MAX_KPI_DESCRIPTION_LENGTH = env_int("GATEWAY_MAX_KPI_DESCRIPTION_LENGTH", 2000, minimum=1)
GATEWAY_MAX_BODY_BYTES = env_int("GATEWAY_MAX_BODY_BYTES", 10 * 1024 * 1024, minimum=1024)
# The server (gateway_project/edge.py): threads per worker process that run Django, most of them
# waiting on upstreams at any time (on SQLite each keeps a connection; PostgreSQL's come from the
# pool, DATABASE_POOL_MAX_SIZE); how long a body may take to arrive (408 after);
# and how many bodies over GATEWAY_LARGE_BODY_BYTES a process reads and handles at once.
GATEWAY_WORKER_THREADS = env_int("GATEWAY_WORKER_THREADS", 64, minimum=1, maximum=256)
# Of those, how many run at once; a request steps aside while its tool runs (gateway_project/worker_slots.py).
GATEWAY_ACTIVE_REQUESTS_PER_WORKER = env_int("GATEWAY_ACTIVE_REQUESTS_PER_WORKER", 1, minimum=1, maximum=256)
GATEWAY_BODY_READ_TIMEOUT_SECONDS = env_int("GATEWAY_BODY_READ_TIMEOUT_SECONDS", 30, minimum=1)
GATEWAY_LARGE_BODY_BYTES = env_int("GATEWAY_LARGE_BODY_BYTES", 1024 * 1024, minimum=1024)
GATEWAY_MAX_CONCURRENT_LARGE_BODIES = env_int("GATEWAY_MAX_CONCURRENT_LARGE_BODIES", 1, minimum=1)
# A tool's answer larger than this is not delivered or kept for replay: 502 result_too_large.
GATEWAY_MAX_RESULT_BYTES = env_int("GATEWAY_MAX_RESULT_BYTES", 1024 * 1024, minimum=1024)
# Deeper documents are refused before anything recurses over them.
GATEWAY_MAX_JSON_DEPTH = env_int("GATEWAY_MAX_JSON_DEPTH", 32, minimum=2, maximum=200)
GATEWAY_MAX_POINTS_PER_BATCH = env_int("GATEWAY_MAX_POINTS_PER_BATCH", 50_000, minimum=1)
# Arrays and objects in one body, counted before parsing: each costs ~70 bytes once parsed.
GATEWAY_MAX_JSON_CONTAINERS = env_int("GATEWAY_MAX_JSON_CONTAINERS", 100_000, minimum=10)
if GATEWAY_MAX_JSON_CONTAINERS < GATEWAY_MAX_POINTS_PER_BATCH + 2:
    raise ImproperlyConfigured("GATEWAY_MAX_JSON_CONTAINERS must exceed GATEWAY_MAX_POINTS_PER_BATCH (one per point)")
# The database column holds 255 characters, so the limit may shrink but not grow.
GATEWAY_IDEMPOTENCY_KEY_MAX_LENGTH = env_int("GATEWAY_IDEMPOTENCY_KEY_MAX_LENGTH", 255, minimum=1, maximum=255)
# Principal keys: how many tools one key's scope may name, and the longest overlap a rotation may grant.
GATEWAY_PRINCIPAL_KEY_MAX_TOOLS = env_int("GATEWAY_PRINCIPAL_KEY_MAX_TOOLS", 100, minimum=1)
GATEWAY_KEY_ROTATION_MAX_GRACE_SECONDS = env_int("GATEWAY_KEY_ROTATION_MAX_GRACE_SECONDS", 30 * 86400, minimum=0)
GATEWAY_IDEMPOTENCY_LOCK_TIMEOUT_SECONDS = env_int("GATEWAY_IDEMPOTENCY_LOCK_TIMEOUT_SECONDS", 60, minimum=1)
GATEWAY_IDEMPOTENCY_RETENTION_HOURS = env_int("GATEWAY_IDEMPOTENCY_RETENTION_HOURS", 24, minimum=1)
# Keys the audit hash chain. It must never be stored in the database; production requires
# it explicitly, since the development default changes whenever the secret key does.
if PRODUCTION and len(env_str("GATEWAY_AUDIT_HMAC_KEY") or "") < 32:
    raise ImproperlyConfigured("Set GATEWAY_AUDIT_HMAC_KEY (32+ random characters) when GATEWAY_ENV=production")
GATEWAY_AUDIT_HMAC_KEY = (
    env_str("GATEWAY_AUDIT_HMAC_KEY")
    or hmac.new(SECRET_KEY.encode(), b"gateway-audit-chain", hashlib.sha256).hexdigest()
)


def _vault_keys() -> list[str]:
    """The Fernet keys of the credentials vault (tools/vault.py): the first encrypts, every one decrypts.

    A malformed key stops the server here. Unset in production, the list stays empty and the server
    starts (an upgrade is safe), but storing or revealing a secret fails with 503 vault_unavailable,
    and `check --deploy` warns (tools.checks).
    """
    keys = env_list("GATEWAY_VAULT_KEYS", [])
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"GATEWAY_VAULT_KEYS: key {position} is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from None
    if keys or PRODUCTION:
        return keys
    # Development and tests only: one key derived from SECRET_KEY with HKDF, so the vault works out of
    # the box. Secrets stored under it become unreadable if SECRET_KEY changes; set real keys to keep them.
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"gateway-vault").derive(SECRET_KEY.encode())
    return [base64.urlsafe_b64encode(derived).decode()]


GATEWAY_VAULT_KEYS = _vault_keys()
# The longest secret the vault stores, in UTF-8 bytes.
GATEWAY_VAULT_MAX_SECRET_BYTES = env_int("GATEWAY_VAULT_MAX_SECRET_BYTES", 8192, minimum=1, maximum=65536)

# Requests per minute, each a sliding window; 0 turns that limit off. A tenant's own
# values, set in the admin, win over these.
GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE = env_int("GATEWAY_RATE_LIMIT_TENANT_PER_MINUTE", 6000, minimum=0)
GATEWAY_RATE_LIMIT_USER_PER_MINUTE = env_int("GATEWAY_RATE_LIMIT_USER_PER_MINUTE", 1200, minimum=0)
GATEWAY_RATE_LIMIT_TOOL_PER_MINUTE = env_int("GATEWAY_RATE_LIMIT_TOOL_PER_MINUTE", 3000, minimum=0)
# Modules whose import registers tools; test settings add test-only tools.
GATEWAY_TOOL_MODULES = ["tools.builtin"]
# Where tools come from, asked in order (tools/providers.py): the tools defined in code, then the
# HTTP tools defined as data (a tenant's own, then the operator's offered to it).
GATEWAY_TOOL_PROVIDERS = ["tools.registry.registry", "tools.http_tools.provider"]

# --- HTTP tools (tools/upstream.py) --------------------------------------------
# Hosts (as written in a tool's URL) that may resolve to loopback, private, link-local or other
# non-public addresses; every other host must resolve to public addresses only (the SSRF guard).
GATEWAY_UPSTREAM_ALLOWED_HOSTS = [host.lower() for host in env_list("GATEWAY_UPSTREAM_ALLOWED_HOSTS", [])]
# The longest total timeout a tool may set; shorter than the idempotency lock, so no claim is taken
# over while its upstream call may still be running.
GATEWAY_HTTP_TOOL_MAX_TIMEOUT_SECONDS = env_int(
    "GATEWAY_HTTP_TOOL_MAX_TIMEOUT_SECONDS", max(1, min(30, GATEWAY_IDEMPOTENCY_LOCK_TIMEOUT_SECONDS - 1)), minimum=1
)
if env_str("GATEWAY_HTTP_TOOL_MAX_TIMEOUT_SECONDS") and (
    GATEWAY_HTTP_TOOL_MAX_TIMEOUT_SECONDS >= GATEWAY_IDEMPOTENCY_LOCK_TIMEOUT_SECONDS
):
    raise ImproperlyConfigured(
        "GATEWAY_HTTP_TOOL_MAX_TIMEOUT_SECONDS must be shorter than GATEWAY_IDEMPOTENCY_LOCK_TIMEOUT_SECONDS"
    )
# The largest upstream answer a tool may accept (its own limit may be lower); never above the stored result's.
GATEWAY_HTTP_TOOL_MAX_RESPONSE_BYTES = env_int(
    "GATEWAY_HTTP_TOOL_MAX_RESPONSE_BYTES", GATEWAY_MAX_RESULT_BYTES, minimum=1024, maximum=GATEWAY_MAX_RESULT_BYTES
)
# The upstream's response headers a result carries (lower case); every other one is dropped.
GATEWAY_HTTP_TOOL_RESPONSE_HEADERS = [
    header.lower()
    for header in env_list("GATEWAY_HTTP_TOOL_RESPONSE_HEADERS", ["content-type", "etag", "last-modified", "location",
                                                                  "retry-after"])
]  # fmt: skip
# How many HTTP tools one tenant may own, and the largest input schema one may declare.
GATEWAY_HTTP_TOOLS_PER_TENANT = env_int("GATEWAY_HTTP_TOOLS_PER_TENANT", 200, minimum=1)
GATEWAY_HTTP_TOOL_MAX_SCHEMA_BYTES = env_int("GATEWAY_HTTP_TOOL_MAX_SCHEMA_BYTES", 64 * 1024, minimum=1024)
# The circuit breaker, per upstream (scheme, host, port) and worker process: this many failures in a
# row open it; calls then fail fast (503 upstream_unavailable) until, after the cool-down, a probe succeeds.
GATEWAY_UPSTREAM_BREAKER_FAILURES = env_int("GATEWAY_UPSTREAM_BREAKER_FAILURES", 5, minimum=1)
GATEWAY_UPSTREAM_BREAKER_COOLDOWN_SECONDS = env_int("GATEWAY_UPSTREAM_BREAKER_COOLDOWN_SECONDS", 30, minimum=1)
# Connections a worker process keeps open to upstreams, all upstreams together.
GATEWAY_UPSTREAM_MAX_CONNECTIONS = env_int("GATEWAY_UPSTREAM_MAX_CONNECTIONS", 200, minimum=1)
# The largest OpenAPI document `manage.py import_openapi` reads.
GATEWAY_OPENAPI_IMPORT_MAX_BYTES = env_int("GATEWAY_OPENAPI_IMPORT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)

# Console login throttling (django-axes): after this many failed logins in a row, an account
# is locked, and so is the address they came from (each on its own), for the cool-off time.
# Failures are counted in the database, so every process and machine counts together.
AXES_FAILURE_LIMIT = env_int("GATEWAY_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("GATEWAY_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "gateway_project.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# The admin's log of every successful login is not needed; failures are what it keeps.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# Admin forms read bodies through Django; keep its limit in step with the API's.
DATA_UPLOAD_MAX_MEMORY_SIZE = GATEWAY_MAX_BODY_BYTES

# Rate-limit counters live in the cache: this process's memory by default, Redis when
# REDIS_URL is set so that every process and machine counts together.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "gateway",
            # A Redis that does not answer must cost milliseconds, not the request.
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "gateway"}}

# JSON lines with the request id on every record; never an API key or a payload.
LOG_FORMAT = env_choice("LOG_FORMAT", "json" if PRODUCTION else "plain", ["json", "plain"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "gateway_project.request_context.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Our access log reports every request, so Django's 4xx warnings would repeat it; its
        # errors stay: an unhandled error outside the API (the console) is logged with its
        # traceback. The API's handler logs its own and marks the response, so none is doubled.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        # httpx logs each request's whole URL, query string included, where an HTTP tool's credential
        # may travel; tools.upstream logs each call itself, without it.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
