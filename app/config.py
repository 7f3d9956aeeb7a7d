"""Every configuration default in one place; secrets and URLs come from the environment.

Order of precedence (see :func:`app.create_app`): these defaults, then ``instance/config.py`` if
present, then environment variables, then the ``test_config`` mapping a test passes in.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused in production, see from_environment()

DEFAULTS: dict[str, Any] = {
    # "development" (local: a fixed dev SECRET_KEY is allowed, cookies work over plain http, the demo
    # instance may be created) or "production" (SECRET_KEY required, Secure cookies, HSTS, no demo users).
    "EDUAUDIT_ENV": "development",
    "SECRET_KEY": None,
    # None: sqlite:///<instance folder>/eduaudit.sqlite3 (filled in by database_uri()).
    "SQLALCHEMY_DATABASE_URI": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # Request bodies above this get the "form is too large" page (413). The biggest legitimate
    # post is one questionnaire step: a few textareas of at most 5,000 characters each.
    "MAX_CONTENT_LENGTH": 512 * 1024,
    # A CSRF token lives as long as the session, not one hour: an administrator who leaves a step
    # open over lunch must still be able to save it.
    "WTF_CSRF_TIME_LIMIT": None,
    # The session cookie's lifetime; the server ends sessions sooner (SESSION_* below). OWASP ASVS 3.3:
    # idle and absolute timeouts, shorter for the roles that decide (reviewers) or hold every
    # account (instance administrators) than for schools and NGOs. The cookie holds only a
    # session id; app.accounts.sessions checks it against the user_sessions table on every request.
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    # The cookie is signed and sent again only when the session changes (sign-in, a new CSRF token, a
    # flashed message), not on every response: a session never outlives SESSION_ABSOLUTE_TIMEOUT
    # (<= the 12 hours above) from its sign-in, when the cookie is set, so refreshing the cookie's
    # expiry on each request kept nothing alive longer; it cost a signature per request.
    "SESSION_REFRESH_EACH_REQUEST": False,
    "SESSION_IDLE_TIMEOUT": timedelta(minutes=60),
    "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=12),
    "SESSION_IDLE_TIMEOUT_PRIVILEGED": timedelta(minutes=15),
    "SESSION_ABSOLUTE_TIMEOUT_PRIVILEGED": timedelta(hours=8),
    "PRIVILEGED_ROLES": ("reviewer", "instance_admin"),
    # TOTP second factor: required for PRIVILEGED_ROLES when on. None: on in production, off in
    # development (and in tests, unless a test sets it). Demo users in development are never forced.
    "MFA_REQUIRED": None,
    "MFA_ISSUER": "EduAudit",
    # The security event log (app.securitylog): "stderr" or a file path.
    "SECURITY_LOG": "stderr",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,  # True outside development (finalise)
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # Failed sign-in attempts (Flask-Limiter syntax) per client address, whatever the account.
    "LOGIN_RATE_LIMIT": "10 per minute;100 per day",
    # Per account and client address: from the LOGIN_FREE_FAILURES-th failure on, each one doubles
    # the wait before the next attempt from that address, from LOGIN_DELAY_FIRST up to LOGIN_DELAY_MAX
    # seconds; the count is forgotten LOGIN_FAILURE_WINDOW seconds after the first failure of a
    # series, or at a sign-in from that address. Another address is not slowed by them (no lock-out
    # of the owner; see app.accounts.throttle).
    "LOGIN_FREE_FAILURES": 5,
    "LOGIN_DELAY_FIRST": 30,
    "LOGIN_DELAY_MAX": 3600,
    "LOGIN_FAILURE_WINDOW": 24 * 3600,
    # PDF downloads per signed-in user: each one renders for seconds in a child process.
    "PDF_RATE_LIMIT": "20 per minute",
    # Comparison PDFs of the public registry pages, per client address (no login there).
    "PUBLIC_PDF_RATE_LIMIT": "10 per minute",
    # Requests to /api/v1 per personal token (per user with the session cookie, per address signed out).
    "API_RATE_LIMIT": "120 per minute;5000 per hour",
    # Where the counters live: "memory://" is per process; use "redis://127.0.0.1:6379" when the
    # app runs in several processes, so the limits hold across them.
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_ENABLED": True,
    # Off: the library would put its Retry-After on every response of a limited route (the PDF route
    # sets its own on a 503); the 429 page sends Retry-After itself (app.errors).
    "RATELIMIT_HEADERS_ENABLED": False,
    # None: the repository's audit_rules/ (or EDUAUDIT_RULES_DIR), see app.rules.loader. The loader's
    # disk cache of validated rule data is EDUAUDIT_RULES_CACHE_DIR ("off" switches it off).
    "RULES_DIR": None,
    # Rendered results pages kept per process (app.pagecache), each about 150 KB; 0: none.
    "RESULTS_CACHE_SIZE": 64,
    # The same pages shared by every process of the instance (a folder all web workers see), so one
    # rendered by one worker is read by the others and by workers started later; None:
    # <instance folder>/results-pages. At most RESULTS_SHARED_SIZE files (oldest out); 0: not shared.
    "RESULTS_SHARED_DIR": None,
    "RESULTS_SHARED_SIZE": 2000,
    # Parts of pages kept per process (app.pagecache): rendered contents of questionnaire steps (about
    # 15 KB each) and the registry's comparisons (charts and tables, about 20 KB); 0: none.
    "PAGE_PARTS_CACHE_SIZE": 256,
    # Interface language ("en" or "zh") when neither the header's switch nor the browser's
    # Accept-Language chooses one. The report follows the interface language unless ?lang= asks.
    "BABEL_DEFAULT_LOCALE": "en",
    # PDF rendering runs in a child process (app.reports.limits) that is killed after this many
    # seconds; the typical report takes about 5 s on one core.
    "PDF_RENDER_TIMEOUT": 60.0,
    # Characters of answer text (the report's appendix) a PDF may print. The questionnaire allows
    # far less (one 4,000-character description); more means stored data that did not come
    # through the form, and is refused before any rendering starts.
    "PDF_MAX_ANSWER_CHARS": 200_000,
    # A PDF larger than this is discarded (the typical report is 0.5 MB in English, 1 MB in Chinese).
    "PDF_MAX_BYTES": 25 * 1024 * 1024,
    # Upload limit of the public /verify page (only that route; see MAX_CONTENT_LENGTH above).
    "VERIFY_MAX_UPLOAD_BYTES": 20 * 1024 * 1024,
    # The signature check of an uploaded PDF reads untrusted bytes with a PDF parser: it runs in a child
    # process (app.reports.limits.run_limited) stopped after this many seconds, with at most this much
    # memory beyond what the child starts with. A signed 1 MB report takes about 1 s and 60 MB; a
    # hostile 16 MB file took 90 s and 1.35 GB before these limits.
    "VERIFY_CHECK_TIMEOUT": 20.0,
    "VERIFY_CHECK_MAX_MEMORY": 512 * 1024 * 1024,
    # Checks on /verify per client address (no sign-in there); only POSTs (checks) count.
    "VERIFY_RATE_LIMIT": "10 per minute;200 per day",
    # None: plain PDF. "pdf/a-3b", "pdf/a-3u"... (archival) or "pdf/ua-1" (tagged, accessible); the
    # allowed values are app.reports.render.PDF_VARIANTS. WeasyPrint does not validate conformance.
    "REPORT_PDF_VARIANT": None,
    # PEM files of a key and its certificate: when both are set, every issued PDF is signed (PAdES
    # B-B) before its SHA-256 is stored, and /verify checks signatures against this certificate.
    "REPORT_SIGNING_KEY": None,
    "REPORT_SIGNING_CERT": None,
    "REPORT_SIGNING_KEY_PASSWORD": None,
    # Evidence attached to answers (app.evidence): the largest document accepted (only the upload
    # route accepts bodies this large, see MAX_CONTENT_LENGTH above), how many documents one version
    # of an audit may carry, and where the bytes are kept. ATTACHMENT_STORAGE names the store
    # ("local": a folder on this machine; the interface is app.evidence.storage.AttachmentStore);
    # ATTACHMENT_STORAGE_PATH None: the instance folder's "attachments", outside anything served.
    "ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    "ATTACHMENTS_PER_VERSION": 50,
    "ATTACHMENT_STORAGE": "local",
    "ATTACHMENT_STORAGE_PATH": None,
    # The largest portable audit file imported at once (the API's import route and `eduaudit audits
    # import`; only that route accepts bodies this large). Documents travel inside it in base64 (4/3
    # of their size), so 64 MiB carries about 45 MiB of documents: four at the 10 MiB limit.
    "PORTABLE_IMPORT_MAX_BYTES": 64 * 1024 * 1024,
    # How long a password-setting link issued by an instance administrator can be used (once).
    "PASSWORD_LINK_LIFETIME": timedelta(days=3),
    # Redis for background jobs (RQ) and, when set, for the rate-limit counters too. None: jobs run
    # in the web process itself, at once (the zero-setup `make run`); set it whenever more than one
    # process serves the app, e.g. redis://127.0.0.1:6379/0.
    "REDIS_URL": None,
    # RQ queue every web process submits to and every worker (`python -m app.worker`) reads.
    "JOB_QUEUE": "eduaudit",
    # Hard limit of one job in seconds (RQ kills it when it passes); above PDF_RENDER_TIMEOUT so
    # the renderer's own limit answers first, with its plain-words page.
    "JOB_TIMEOUT": 180,
    # A job that fails (its worker was killed, the database went away) is retried after each of these
    # many seconds, then given up; a render stopped by a PDF limit is an answer, not retried.
    "JOB_RETRY_INTERVALS": (10, 60, 300),
    # Niceness a worker (`python -m app.worker`) adds to itself and so to every job it forks: on a
    # machine shared with web processes a PDF render then takes the CPU only when pages do not need
    # it. 0: the web processes' priority; 19: the lowest.
    "WORKER_NICE": 10,
    # How long a finished or failed job's outcome stays in Redis (seconds).
    "JOB_RESULT_TTL": 24 * 3600,
    # Where rendered PDFs are kept (one file per distinct PDF, see app.pdfstore). None:
    # <instance folder>/pdf-store. Every web and worker process must see the same folder.
    "PDF_STORE_DIR": None,
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto/-Host (Werkzeug's
    # ProxyFix). 0: none, the client's address is the connection's. Set exactly the number of proxies
    # you run: a larger number lets clients forge their address and escape the sign-in limits.
    "TRUSTED_PROXIES": 0,
}

ENVIRONMENT_KEYS = ("EDUAUDIT_ENV", "SECRET_KEY", "RATELIMIT_STORAGE_URI", "RULES_DIR", "REPORT_PDF_VARIANT",
                    "REPORT_SIGNING_KEY", "REPORT_SIGNING_CERT", "REPORT_SIGNING_KEY_PASSWORD", "ATTACHMENT_STORAGE",
                    "ATTACHMENT_STORAGE_PATH", "REDIS_URL", "PDF_STORE_DIR", "RESULTS_SHARED_DIR", "TRUSTED_PROXIES",
                    "JOB_QUEUE",
                    "JOB_TIMEOUT", "JOB_RETRY_INTERVALS", "MFA_REQUIRED", "SECURITY_LOG",
                    "WORKER_NICE")
"""Settings read from environment variables of the same name (``DATABASE_URL`` is read too)."""


ENVIRONMENTS = ("development", "production")
SECRET_KEY_MIN = 32
SECRET_KEY_MIN_BITS = 128
"""Estimated entropy a production ``SECRET_KEY`` needs (see :func:`estimated_entropy_bits`)."""


def estimated_entropy_bits(key: str) -> float:
    """An upper estimate of the entropy of ``key``, in bits: its length times the Shannon entropy of
    its characters' frequencies. 32 × "a" gives 0, "abab..." 1 bit a character; a key from
    ``secrets.token_urlsafe(48)`` about 340. It cannot prove a key random (a long English sentence
    scores well), only catch keys that are plainly not."""
    counts = Counter(key)
    return sum(n * math.log2(len(key) / n) for n in counts.values())


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which setting to fix."""


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Settings present in ``environ``: the keys of :data:`ENVIRONMENT_KEYS`, and ``DATABASE_URL``
    as ``SQLALCHEMY_DATABASE_URI``."""
    out: dict[str, Any] = {key: environ[key] for key in ENVIRONMENT_KEYS if environ.get(key)}
    if environ.get("DATABASE_URL"):
        out["SQLALCHEMY_DATABASE_URI"] = environ["DATABASE_URL"]
    return out


def normalise_database_url(url: str) -> str:
    """``postgres://`` and driver-less ``postgresql://`` URLs -> ``postgresql+psycopg2://``.

    SQLAlchemy 2.1 picks psycopg 3 for a bare ``postgresql://``; the project depends on psycopg2
    (``pip install .[postgres]``), so the driver is named explicitly. Other URLs pass unchanged.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def finalise(config: dict[str, Any], instance_path: str | os.PathLike[str]) -> None:
    """Fill in the derived defaults and refuse unsafe combinations.

    Raises :class:`ConfigError` for an ``EDUAUDIT_ENV`` other than ``development`` or ``production``;
    outside development when no ``SECRET_KEY`` is set, or it is the development key, shorter than
    32 characters or estimated below 128 bits of entropy (:func:`estimated_entropy_bits`); for an
    unknown ``REPORT_PDF_VARIANT``; and when only one of
    ``REPORT_SIGNING_KEY`` and ``REPORT_SIGNING_CERT`` is set or their files cannot be used.
    Outside development session cookies are ``Secure``. ``MFA_REQUIRED`` becomes a boolean (default:
    on outside development); a value that is not yes or no raises :class:`ConfigError`.
    """
    env = config.get("EDUAUDIT_ENV")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"EDUAUDIT_ENV is {env!r}; expected one of {', '.join(ENVIRONMENTS)}")
    check_report_settings(config)
    development = env == "development"
    key = config.get("SECRET_KEY")
    if not development:
        if not key:
            raise ConfigError(f"SECRET_KEY must be set in the environment when EDUAUDIT_ENV={env} "
                              "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')")
        if key == DEV_SECRET_KEY or len(key) < SECRET_KEY_MIN:
            raise ConfigError(f"SECRET_KEY must be a random value of at least {SECRET_KEY_MIN} characters "
                              f"when EDUAUDIT_ENV={env} (not the development key)")
        if (bits := estimated_entropy_bits(key)) < SECRET_KEY_MIN_BITS:
            raise ConfigError(f"SECRET_KEY looks far from random: about {bits:.0f} bits of entropy estimated from its "
                              f"characters, at least {SECRET_KEY_MIN_BITS} needed when EDUAUDIT_ENV={env} (e.g. "
                              "python -c 'import secrets; print(secrets.token_urlsafe(48))')")
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
    elif not key:
        config["SECRET_KEY"] = DEV_SECRET_KEY
    config["MFA_REQUIRED"] = _flag(config.get("MFA_REQUIRED"), default=not development, name="MFA_REQUIRED")
    finalise_serving(config, instance_path)
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(instance_path) / "eduaudit.sqlite3")
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    check_attachment_settings(config, instance_path)


def _flag(value: Any, *, default: bool, name: str) -> bool:
    """A yes/no setting: ``None`` gives ``default``; booleans pass; from the environment "1", "true",
    "yes", "on" or "0", "false", "no", "off". Raises :class:`ConfigError` for anything else."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} is {value!r}; expected on or off (1/0, true/false, yes/no)")


SERVED_FOLDERS = (Path(__file__).resolve().parent / "static",)
"""Folders the web server hands out as files: attachments must never be stored inside one."""


def check_attachment_settings(config: dict[str, Any], instance_path: str | os.PathLike[str]) -> None:
    """Fill in ``ATTACHMENT_STORAGE_PATH`` (default ``<instance folder>/attachments``, made absolute).

    Raises :class:`ConfigError` for a store other than ``local``, a path inside a folder the web
    server serves (``app/static``), or a size limit (``ATTACHMENT_MAX_BYTES``,
    ``PORTABLE_IMPORT_MAX_BYTES``) that is not a positive number of bytes.
    """
    if config.get("ATTACHMENT_STORAGE") != "local":
        raise ConfigError(f"ATTACHMENT_STORAGE is {config.get('ATTACHMENT_STORAGE')!r}; expected 'local' "
                          "(the only store so far: a folder, ATTACHMENT_STORAGE_PATH)")
    path = Path(config.get("ATTACHMENT_STORAGE_PATH") or Path(instance_path) / "attachments").resolve()
    if any(path == served or served in path.parents for served in SERVED_FOLDERS):
        raise ConfigError(f"ATTACHMENT_STORAGE_PATH {path} is inside a folder the web server serves; "
                          "choose a folder outside the application (the default is the instance folder)")
    config["ATTACHMENT_STORAGE_PATH"] = str(path)
    for name in ("ATTACHMENT_MAX_BYTES", "PORTABLE_IMPORT_MAX_BYTES"):
        limit = config.get(name)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
            raise ConfigError(f"{name} is {limit!r}; expected a positive number of bytes")


def check_report_settings(config: dict[str, Any]) -> None:
    """Normalise ``REPORT_PDF_VARIANT`` and check the signing files by loading them once.

    Raises :class:`ConfigError` with the setting's name and what is wrong.
    """
    from .reports.render import check_pdf_variant
    from .reports.signing import SigningError, load_signer

    try:
        config["REPORT_PDF_VARIANT"] = check_pdf_variant(config.get("REPORT_PDF_VARIANT") or None)
    except ValueError as exc:
        raise ConfigError(f"REPORT_PDF_VARIANT: {exc}") from None
    key, cert = config.get("REPORT_SIGNING_KEY") or None, config.get("REPORT_SIGNING_CERT") or None
    if (key is None) != (cert is None):
        given, missing = ("REPORT_SIGNING_KEY", "REPORT_SIGNING_CERT") if key else \
            ("REPORT_SIGNING_CERT", "REPORT_SIGNING_KEY")
        raise ConfigError(f"{given} is set but {missing} is not: set both to sign issued reports, or neither")
    if key is not None:
        try:
            load_signer(key, cert, config.get("REPORT_SIGNING_KEY_PASSWORD") or None)
        except SigningError as exc:
            raise ConfigError(f"report signing: {exc}") from None


def finalise_serving(config: dict[str, Any], instance_path: str | os.PathLike[str]) -> None:
    """Derive the settings of the production shape: the PDF store's folder, the number of trusted
    proxies as an int, and the rate-limit counters on Redis when ``REDIS_URL`` is set and no other
    storage was chosen (with an in-memory fallback while Redis is down).

    Raises :class:`ConfigError` when ``TRUSTED_PROXIES`` is not a whole number from 0 to 10, or the job
    timeout and retry intervals are not whole seconds.
    """
    if not config.get("PDF_STORE_DIR"):
        config["PDF_STORE_DIR"] = str(Path(instance_path) / "pdf-store")
    if not config.get("RESULTS_SHARED_DIR"):
        config["RESULTS_SHARED_DIR"] = str(Path(instance_path) / "results-pages")
    raw = config.get("TRUSTED_PROXIES") or 0
    try:
        proxies = int(str(raw).strip())
    except ValueError:
        proxies = -1
    if not 0 <= proxies <= 10:
        raise ConfigError(f"TRUSTED_PROXIES is {raw!r}; expected the number of reverse proxies in front "
                          "of the app, a whole number from 0 to 10")
    config["TRUSTED_PROXIES"] = proxies
    nice = str(config.get("WORKER_NICE", 0)).strip()
    if not (nice.isdigit() and int(nice) <= 19):
        raise ConfigError(f"WORKER_NICE is {config.get('WORKER_NICE')!r}; expected the niceness a worker adds to "
                          "itself, a whole number from 0 (the web processes' priority) to 19 (the lowest)")
    config["WORKER_NICE"] = int(nice)
    try:
        config["JOB_TIMEOUT"] = int(config["JOB_TIMEOUT"])
        intervals = config["JOB_RETRY_INTERVALS"]
        if isinstance(intervals, str):  # from the environment: "10,60,300"
            intervals = [part for part in intervals.replace(" ", "").split(",") if part]
        config["JOB_RETRY_INTERVALS"] = tuple(int(x) for x in intervals)
    except ValueError:
        raise ConfigError(f"JOB_TIMEOUT ({config['JOB_TIMEOUT']!r}) must be whole seconds and JOB_RETRY_INTERVALS "
                          f"({config['JOB_RETRY_INTERVALS']!r}) whole seconds separated by commas") from None
    if config.get("REDIS_URL") and config.get("RATELIMIT_STORAGE_URI", "memory://") == "memory://":
        config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"]
        config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
