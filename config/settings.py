"""Harbor settings: everything that differs between machines comes from the environment.

See the configuration table in README.md. There is one settings module; the
environment decides whether it is a laptop demo (DEBUG, SQLite, tasks inline)
or production (PostgreSQL, Redis, Celery workers, HTTPS-only cookies).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HARBOR_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (or set SECRET_KEY_FILE). "
            "For a local demo run `make demo`, which sets DEBUG=true."
        )
    # A laptop demo only: never used with DEBUG off, where startup refuses above.
    SECRET_KEY = "insecure-demo-key-only-for-debug"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Django's own form templates, for the form renderer below (TemplatesSetting).
    "django.forms",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_htmx",
    "core",
    "accounts",
    "audit",
    "homes",
    "survivors",
    "matching",
    "placement",
    "reports",
    "notifications",
    "desk",
]

MIDDLEWARE = [
    # Outermost: every response's X-Request-ID, the request's log line and its latency.
    "core.requestlog.RequestLogMiddleware",
    # /healthz, /readyz and /metrics, answered before sessions, sign-in, HTTPS redirects
    # and ALLOWED_HOSTS (a probe calls from an address, over the internal network).
    "desk.ops.OpsEndpointsMiddleware",
    # First: every later part (throttles, axes, the audit trail) reads the client's
    # address from REMOTE_ADDR, which this sets from TRUSTED_PROXY_COUNT proxies.
    "core.client_address.ClientAddressMiddleware",
    # An API answer is freed when sent, not left in a cycle for the collector.
    "core.cycles.ResponseCycleMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # no-store on anything that may carry a child's data; Permissions-Policy.
    "core.headers.PrivateResponseMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Sign-in POSTs per client address (after ClientAddressMiddleware, which sets it;
    # inside the header middlewares, so a 429 page carries the CSP and no-store too).
    "accounts.throttling.SignInThrottleMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The idle deadline moves without a session write on every request.
    "accounts.middleware.SessionIdleMiddleware",
    # The browser's language (Accept-Language) for every request; the API's messages
    # follow it. AUTH below: a signed-in user's own choice then wins on the pages.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): signed in with the second factor too.
    "accounts.middleware.OTPMiddleware",
    # With MFA_REQUIRED, a password alone reaches only the second-factor pages.
    "accounts.middleware.SecondFactorMiddleware",
    # Pages speak the signed-in user's language when they chose one (after authentication).
    "accounts.middleware.UserLanguageMiddleware",
    # Pages show times in the signed-in user's agency's zone (after authentication).
    "accounts.middleware.TimeZoneMiddleware",
    # Role and permission changes name the request's user; admin change pages are
    # audited as reads. The request seals nothing: the beat's seal-audit-trail does, each
    # minute (audit_verify fails on an entry left unsealed past AUDIT_SEAL_DELAY_SECONDS).
    "audit.middleware.AuditMiddleware",
    # A record encrypted with a key no longer configured: 503 saying so, not a 500.
    "core.unavailable.EncryptionKeyMissingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes must come last: it turns a locked-out login into a refusal.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# Forms render through the project's templates, each field with templates/forms/field.html.
FORM_RENDERER = "core.forms.FormRenderer"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # LANGUAGE_CODE for <html lang>, LANGUAGES for the language picker.
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'harbor.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# The password apart from the URL, so it can come from a secret file (DATABASE_PASSWORD_FILE).
_database_password = env_str("DATABASE_PASSWORD")
if _database_password:
    DATABASES["default"]["PASSWORD"] = _database_password
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's embedded database has one writer at a time. A default (deferred)
    # transaction that reads and then writes fails at once with "database is locked" when
    # another writer got there first; an immediate one takes the write lock as it begins
    # and waits up to `timeout` seconds for it, so concurrent acceptances queue and each
    # gets 200 or 409, as on PostgreSQL. WAL lets pages read while a writer works.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT", 30),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# CJIS 5.9.5 IA-5(1) and ASVS 5.0 6.2: at least 12 characters (any characters, no
# composition rules), not like the user's own names, not on the list of the 20,000
# passwords most often found in breaches (Django's, offline), not all digits.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.passwords.RepetitionValidator"},
    {"NAME": "accounts.passwords.UsernameValidator"},
    {"NAME": "accounts.passwords.KnownPasswordValidator"},
]

# Multi-factor sign-in (CJIS 5.9.5 IA-2(1), ASVS 5.0 6.3.3): a password alone reaches
# only the pages that enrol or ask for the second factor, and the API's token needs an
# `otp`. On by default whenever DEBUG is off.
MFA_REQUIRED = env_bool("MFA_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Harbor")
# API tokens last a working shift unless configured otherwise, then the client signs in again.
API_TOKEN_TTL_MINUTES = env_int("API_TOKEN_TTL_MINUTES", 12 * 60)

# How many proxies of ours stand in front of the app, each appending to X-Forwarded-For
# (core.client_address). 0: the header is ignored, as a client could write anything there.
TRUSTED_PROXY_COUNT = env_int(
    "TRUSTED_PROXY_COUNT", 1 if env_bool("BEHIND_TLS_PROXY", False) else 0
)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# An idle session ends after 30 minutes: every request pushes the expiry forward.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
# The idle deadline moves with each request, but the session's row is written at most
# once a minute (accounts.middleware.SessionIdleMiddleware), not on every request.
SESSION_SAVE_EVERY_REQUEST = False
# Django's database store, its read written once (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# While Redis is down, the sign-in limit counts in this SQLite file, which every web
# process on the host shares (accounts.throttling); empty: a file in the temp dir.
SIGN_IN_FALLBACK_PATH = env_str("SIGN_IN_FALLBACK_PATH", "")

# Lock an account after 5 failed sign-ins within 15 minutes, until the cool-off ends
# or an admin releases it (`manage.py axes_reset_username`).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The audit trail records every sign-in and sign-out with the client address; axes' own
# access log would keep a second, never-pruned copy, and would open a session (and send
# a cookie) with every API token it sees issued.
AXES_DISABLE_ACCESS_LOG = True
# The client's address is REMOTE_ADDR, set by core.client_address from the trusted
# proxies; axes must not read X-Forwarded-For itself.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# The web sign-in answers a locked account with a page that says what happened and when
# to try again (429, like the API); the API answers in its own JSON shape.
AXES_LOCKOUT_TEMPLATE = "429.html"
# Locking by IP as well would lock a whole agency office (one NAT address) out at night
# because of one colleague's typos; the lock is per account, as the product asks.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row, no anonymous permissions

# English and Spanish: every page, form, error, email, notification, print packet and
# chart. A user's profile language wins (accounts.middleware), else the browser's
# Accept-Language, else English. The catalogues are compiled from locale/*/django.po by
# `make install` and the image (the .mo files are build output, not in git).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names need `collectstatic` first (the Docker image runs it); the test
        # suite turns this off to serve from the source folders.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Survivor identity and notes are encrypted with these Fernet keys (comma separated,
# newest first, so old keys keep decrypting during a rotation).
_field_keys = env_list("FIELD_ENCRYPTION_KEY")
if not _field_keys:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be set when DEBUG is off: survivor records are "
            'encrypted at rest. Generate one with `python -c "from cryptography.fernet '
            'import Fernet; print(Fernet.generate_key().decode())"`.'
        )
    _field_keys = [base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()]
FIELD_ENCRYPTION_KEYS = _field_keys

# The audit trail's hash chain is keyed (HMAC-SHA-256), so write access to the database
# alone cannot re-forge it. Comma separated, newest first: the first seals, any verifies.
# Unset: derived from SECRET_KEY (and its fallbacks); set it in production and keep it.
AUDIT_CHAIN_KEYS = env_list("AUDIT_CHAIN_KEY")
# Every audit entry is sealed into the chain at most this long after it is written (the
# longest transaction, tasks stop at 5 min, plus the sealer's minute and clock skew between
# hosts): `audit_verify` fails on an older unsealed entry, and on one dated this much
# before an entry sealed ahead of it (a backdated insert).
AUDIT_SEAL_DELAY_SECONDS = env_int("AUDIT_SEAL_DELAY_SECONDS", 600)
# Where the beat writes the chain's head every minute, out of the database's reach, so
# entries cut off the end of the trail (or a TRUNCATE) are found: `log` (a line on the
# `audit.head` logger, for the log store) and/or `file:PATH` (appended; audit_verify reads
# it). `audit_verify --heads FILE` checks heads collected from the logs.
AUDIT_HEAD_EXPORT = env_list("AUDIT_HEAD_EXPORT", ["log"])

# The reports' cell key (reports.cellkey): every record's permanent key is an HMAC under
# it, and every published count is nudged by it. Set it once and keep it: a new key nudges
# every count afresh, a second independent look at each. Unset: derived from SECRET_KEY.
REPORT_CELL_KEY = env_str("REPORT_CELL_KEY", "")

# Celery: with no broker configured, tasks run inline (the laptop demo).
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No job runs longer than this: the hard limit ends it (a batch's own is at most 210 s).
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# Jobs are acknowledged when they end (acks late), so a job taken by a worker that died
# stays in Redis, unacknowledged, and is delivered again once it has been so for the
# visibility timeout: here the longest a job may run plus a minute (the moment between
# delivery and start, clocks of other hosts), so a job still running is never delivered
# twice, and a dead worker's jobs come back within about six minutes (every worker looks
# for them every 10 s; kombu's default is every 100 s). A batch or an import whose
# worker died is not left to that: its heartbeat stops, and the sweeps fail or resend
# it within two minutes (sweep-batches, sweep-imports); the late copy then finds it
# taken and changes nothing. The socket timeouts bound every broker call (a frozen Redis
# otherwise holds a publish for ever); a worker's BRPOP has its own check
# (health_check_interval). Requests never wait on these: they queue through the outbox
# (core.outbox), whose sends use half-second timeouts of their own.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 60,
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
    "socket_timeout": 10,
    "socket_connect_timeout": 5,
    "socket_keepalive": True,
    "health_check_interval": 10,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 5
# A worker that loses the broker keeps trying to reconnect, for ever, rather than exiting.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# kombu's Redis transport with one fix: a worker survives losing Redis (config.celery).
if CELERY_BROKER_URL and CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT = "config.celery:BrokerTransport"
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
if CELERY_TASK_ALWAYS_EAGER:
    # Celery still opens a producer for an eager task; without a URL that would be AMQP on
    # localhost. The in-memory transport keeps inline mode from reaching any real broker.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Where tasks go unless routed: one Redis can serve several Harbor deployments (or test
# runs), each with its own queue, without one's workers running another's tasks.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_BEAT_SCHEDULE = {
    # Sends the jobs queued while the broker was down or frozen (core.outbox): they run
    # within seconds of its return.
    "relay-outbox": {
        "task": "core.tasks.relay_outbox",
        "schedule": timedelta(seconds=10),
    },
    "prune-outbox": {
        "task": "core.tasks.prune_outbox",
        "schedule": timedelta(days=1),
    },
    # Each process reads the change log since it last searched; a week covers any idle
    # worker, and one idle longer reloads its directory whole.
    "prune-home-changes": {
        "task": "homes.tasks.prune_home_changes",
        "schedule": timedelta(days=1),
    },
    "nudge-stale-availability": {
        "task": "homes.tasks.nudge_stale_availability",
        "schedule": timedelta(hours=1),
    },
    # 60, 30 and 7 days before a license expires; once per threshold, so a rerun is harmless.
    "remind-license-expiry": {
        "task": "homes.tasks.remind_license_expiry",
        "schedule": timedelta(days=1),
    },
    # Warns of holds expiring within HOLD_WARNING_HOURS and returns the beds of expired
    # ones. Every minute: a child arriving after expiry is refused anyway (the expiry
    # time is checked), and the beds come back at most a minute late.
    "expire-holds": {
        "task": "placement.tasks.expire_holds",
        "schedule": timedelta(minutes=1),
    },
    # Reminds homes of referrals left unanswered, then escalates to the supervisors.
    "chase-stalled-referrals": {
        "task": "placement.tasks.chase_stalled_referrals",
        "schedule": timedelta(minutes=10),
    },
    # A safety net: every bed change already queues a re-check of its home after commit.
    "recheck-waitlist": {
        "task": "placement.tasks.recheck_waitlist",
        "schedule": timedelta(minutes=30),
    },
    # A safety net: each notification's email is queued when it is made.
    "email-unsent-notifications": {
        "task": "notifications.tasks.email_unsent_notifications",
        "schedule": timedelta(minutes=5),
    },
    # A mass-recovery batch whose worker died is marked failed within a minute and a half
    # (its heartbeat stops), not left running; one whose job was lost is sent again.
    "sweep-batches": {
        "task": "placement.tasks.sweep_batches",
        "schedule": timedelta(seconds=30),
    },
    # The same for directory imports: one whose worker died is sent again (it stored
    # nothing), three times at most, then failed with a message saying so.
    "sweep-imports": {
        "task": "homes.tasks.sweep_imports",
        "schedule": timedelta(seconds=30),
    },
    # Placement outcomes: the 30- and 90-day follow-ups appear (and the case worker hears)
    # within the hour their day comes; one left open FOLLOW_UP_ESCALATE_DAYS goes to the
    # supervisors. Both are once-only per follow-up, so an hourly rerun is harmless.
    "create-follow-ups": {
        "task": "placement.tasks.create_follow_ups",
        "schedule": timedelta(hours=1),
    },
    # A crisis override the MDT has not reviewed OVERRIDE_REVIEW_HOURS after the referral
    # went goes to the agency's supervisors, once.
    "chase-unreviewed-overrides": {
        "task": "placement.tasks.chase_unreviewed_overrides",
        "schedule": timedelta(minutes=30),
    },
    # The legal duties' clocks (24 h reports): a warning DUTY_WARNING_HOURS before the
    # deadline and the supervisors told once it passes, each once, at most 5 min late.
    "chase-duties": {
        "task": "placement.tasks.chase_duties",
        "schedule": timedelta(minutes=5),
    },
    "chase-follow-ups": {
        "task": "placement.tasks.chase_follow_ups",
        "schedule": timedelta(hours=1),
    },
    # Seals audit entries into the hash chain, off the request: every entry within a
    # minute of its commit (audit_verify fails past AUDIT_SEAL_DELAY_SECONDS).
    "seal-audit-trail": {
        "task": "audit.tasks.seal_audit_trail",
        "schedule": timedelta(minutes=1),
    },
}

# The placement workflow's clocks, in hours.
REFERRAL_HOLD_HOURS = env_int("REFERRAL_HOLD_HOURS", 24)  # an accepted referral holds beds
HOLD_WARNING_HOURS = env_int("HOLD_WARNING_HOURS", 2)  # warn this long before a hold expires
REFERRAL_REMINDER_HOURS = env_int("REFERRAL_REMINDER_HOURS", 4)  # remind an unanswering home
REFERRAL_ESCALATION_HOURS = env_int("REFERRAL_ESCALATION_HOURS", 12)  # tell the supervisors
# A crisis override still unreviewed this long after its referral went: tell the supervisors.
OVERRIDE_REVIEW_HOURS = env_int("OVERRIDE_REVIEW_HOURS", 72)
# An open placement follow-up this many days after it fell due goes to the supervisors.
FOLLOW_UP_ESCALATE_DAYS = env_int("FOLLOW_UP_ESCALATE_DAYS", 7)
# Warn the case worker this long before a legal duty (a 24-hour report) falls due.
DUTY_WARNING_HOURS = env_int("DUTY_WARNING_HOURS", 4)

# Redis, when configured, also holds the sign-in throttle's counters, so every web
# process counts the same attempts; otherwise each process counts its own.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # A Redis that does not answer must not hold a sign-in for long: the throttle then
        # counts in process memory instead (accounts.throttling).
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# A directory import's largest file (homes.import_files): a 10,000-home CSV is about 4 MB.
# Uploads up to it stay in memory, never in a temporary file on disk (the directory holds
# confidential safe-home locations); a larger request is refused before it is read.
HOME_IMPORT_MAX_BYTES = env_int("HOME_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = HOME_IMPORT_MAX_BYTES

# Availability older than this is flagged stale in searches and nudged.
AVAILABILITY_STALE_HOURS = env_int("AVAILABILITY_STALE_HOURS", 72)
# How long the home change log keeps an entry (matching.directory reads it; homes.tasks prunes).
HOME_CHANGE_RETENTION_HOURS = env_int("HOME_CHANGE_RETENTION_HOURS", 24 * 7)

# Email: SMTP when EMAIL_HOST is set, otherwise printed to the console (the demo).
if env_str("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("EMAIL_HOST"),
                "port": env_int("EMAIL_PORT", 587),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "timeout": 20,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "harbor@localhost")

# Where Harbor is reached from outside: every email and text message links to its record
# with this base (no trailing slash). By default the first allowed host, over HTTPS.
_FIRST_HOST = next((h.lstrip(".") for h in ALLOWED_HOSTS if h not in {"*", ""}), "")
SITE_URL = env_str(
    "SITE_URL",
    "http://127.0.0.1:8000" if DEBUG else (f"https://{_FIRST_HOST}" if _FIRST_HOST else ""),
).rstrip("/")

# Text messages (a referral's answer link to a home's intake phone): printed to the
# console unless a provider's HTTP API is configured (notifications.sms.HttpBackend:
# POST JSON {"to", "from", "body"} with a bearer token).
SMS_BACKEND = env_str("SMS_BACKEND", "notifications.sms.ConsoleBackend")
SMS_HTTP_URL = env_str("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = env_str("SMS_HTTP_TOKEN", "")
SMS_FROM = env_str("SMS_FROM", "")
SMS_HTTP_TIMEOUT_SECONDS = env_int("SMS_HTTP_TIMEOUT_SECONDS", 10)

# A referral's single-use answer link (a home with no Harbor user) works while the
# referral waits for an answer, and never longer than this; each client address may
# open or answer links this often (a guess at a token is throttled with the rest).
ANSWER_LINK_MAX_HOURS = env_int("ANSWER_LINK_MAX_HOURS", 72)
ANSWER_LINK_RATE = env_str("ANSWER_LINK_RATE", "20/min")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.HarborTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "core.exceptions.HarborAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.HarborPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Only the token endpoint throttles (per client address, shared through CACHES).
    "DEFAULT_THROTTLE_RATES": {"anon": env_str("SIGN_IN_RATE", "30/min")},
    # The throttles read REMOTE_ADDR, which core.client_address has already set.
    "NUM_PROXIES": 0,
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    # JSON in, JSON out: the API is for agencies' systems and scripts (people have the HTML
    # app and /api/v1/docs/). Form encodings would bring HTML-form rules, such as an empty
    # value meaning "not given", that a JSON client does not expect.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.HarborJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # No OPTIONS metadata: it would run permission checks (and audit refusals) for requests
    # that read nothing, and it documents nothing the schema does not.
    "DEFAULT_METADATA_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Harbor API",
    "DESCRIPTION": "Placement matching for children recovered from human trafficking.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request and response bodies as separate components: read-only fields (id, status,
    # agency) are not offered as input, which is what clients and schemathesis read.
    "COMPONENT_SPLIT_REQUEST": True,
    # Ids in API paths (config.api.RecordIdConverter) are positive integers.
    "PATH_CONVERTER_OVERRIDES": {"record_id": {"type": "integer", "minimum": 1}},
    # One name per shared vocabulary instead of one enum per field that uses it.
    "ENUM_NAME_OVERRIDES": {
        "GenderEnum": "core.vocab.Gender",
        "GuardianshipEnum": "core.vocab.Guardianship",
        "UrgencyEnum": "core.vocab.Urgency",
        "SubstanceUseEnum": "core.vocab.SubstanceUse",
        "MedicalLevelEnum": "core.vocab.MedicalLevel",
        "AcuityEnum": "core.vocab.Acuity",
        "ServiceEnum": "core.vocab.Service",
        "HomeTypeEnum": "core.vocab.HomeType",
        "StateEnum": "core.vocab.STATE_CHOICES",
        "LanguageEnum": "core.vocab.LANGUAGE_CHOICES",
        "SurvivorStatusEnum": "survivors.models.Status",
        "AuditOutcomeEnum": "audit.models.Outcome",
        "AvailabilitySourceEnum": "homes.models.AvailabilityChange.Source",
        "RecommendationStatusEnum": "placement.models.Recommendation.Status",
        "ReviewDecisionEnum": "placement.models.Review.Decision",
        "ReferralStatusEnum": "placement.models.Referral.Status",
        "DeclineReasonEnum": "placement.models.Referral.ReasonCode",
        "EndReasonEnum": "placement.models.Placement.EndReason",
        "PlacementStatusEnum": [("active", "Active"), ("discharged", "Discharged")],
        "FollowUpOutcomeEnum": "placement.models.FollowUp.Outcome",
        "FollowUpDayEnum": "placement.models.FollowUp.Day",
        "NotificationKindEnum": "notifications.models.Notification.Kind",
    },
}

# HTTPS hardening: on whenever DEBUG is off (`manage.py check --deploy` reports nothing).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy (ASVS 5.0 3.4.3): scripts, styles, images and fonts only from
# this origin, no inline script or style anywhere, no plugins, no framing, forms post
# only here. Pages and the admin are written to need nothing more.
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
    "manifest-src": [CSP.SELF],
}
# Features no Harbor page uses, refused to the page and anything it might embed.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)

# `GET /metrics` answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, it is off (404).
METRICS_TOKEN = env_str("METRICS_TOKEN", "")

# Application logs carry ids and actions, never names, birth dates or notes. LOG_FORMAT
# `json` (the default with DEBUG off): one JSON object a line, with the request's id.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.requestlog.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "core.requestlog.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env_str("LOG_FORMAT", "plain" if DEBUG else "json"),
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Axes logs every sign-in at INFO; failures are in the audit trail already.
    "loggers": {"axes": {"level": "WARNING"}},
}
