"""Settings from ``TANDEM_*`` environment variables, with working defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_", env_file=".env", extra="ignore")

    env: str = "development"  # development | test | production
    database_url: str = f"sqlite:///{ROOT / 'var' / 'tandem.db'}"
    # PostgreSQL: the table owner's URL for migrations (tandem db upgrade/check/grant-runtime), so that the
    # application itself runs as a role that owns no table (docs/security.md). Unset: database_url.
    migration_database_url: str | None = None
    var_dir: Path = ROOT / "var"
    secret_key: str = "dev-only-secret-change-me"  # noqa: S105 - overridden in production
    host: str = "127.0.0.1"
    port: int = 8000
    # Behind a reverse proxy: the proxies' addresses (comma-separated, or "*") whose X-Forwarded-For is
    # believed, so the login throttle counts the real client. Unset: the socket's peer is the client.
    forwarded_allow_ips: str | None = None
    cookie_secure: bool = True
    token_ttl_hours: int = 12
    session_ttl_hours: int = 12
    # argon2id parameters; tests lower them (see tests/conftest.py).
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 2
    # Login throttle (tandem.access.service.authenticate): failures are counted per account and per client
    # address separately; past its free attempts a key waits login_backoff_seconds, doubling with every
    # further failure up to login_backoff_max_seconds (backoff, never a lock-out). A key quiet for
    # login_forget_hours starts again.
    login_max_attempts: int = 5
    login_address_max_attempts: int = 20
    login_backoff_seconds: int = 30
    login_backoff_max_seconds: int = 3600
    login_forget_hours: int = 24
    # Review of practitioners' registrations (执业登记核验): a passed verification record is needed every
    # this many months (from the last passed one, or from the registration's start), else the practitioner
    # counts as lapsed. 0 (the default): no periodic review, as the current rules have none — the annual
    # 审核登记 by 31 December is the obsolete first-generation rule (shared regulation.md §1.1, §1.2); a
    # failed or not-found latest check lapses the practitioner whatever this says.
    registration_review_months: int = Field(0, ge=0, le=120)
    default_locale: str = "zh_CN"
    # Routing window (R-C2): loss time + 48 h, but at least 24 h after the notice.
    routing_window_hours: int = 48
    routing_min_hours_after_notice: int = 24
    # Competitive consultation (R-C5): each round lasts this many working days (工作日, with 调休; see
    # tandem.kit.workdays for how they are counted). Stored on each consultation when it opens.
    round_working_days: int = Field(5, ge=1, le=60)
    # Mid-term changes (批改): the insurer answers a change request within this many working days (stored on
    # the request); a reminder the working day before, the broker told and the request flagged late after.
    endorsement_answer_working_days: int = Field(5, ge=1, le=60)
    # Key of the audit chain's HMACs and seals (tandem.audit.service), kept outside the database so that
    # someone who can write the database cannot recompute a rewritten chain. Unset: the chain is hashed
    # but not keyed (development only; a production server logs a warning at start).
    audit_key: str | None = None
    # Encryption at rest of ID and phone numbers (tandem.kit.pii): the key ring `id:base64key,...` (32-byte
    # AES keys, newest first; values are written with the newest) and the separate key of the blind
    # indexes (HMAC-SHA256, base64, 32+ bytes). Unset: development, tests and the demo use a fixed key
    # derived for development only; production refuses to start without both.
    pii_keys: str | None = None
    pii_index_key: str | None = None
    # Ed25519 private key that signs the daily supervision export (tandem.supervision.signing): its 32-byte
    # seed, base64. Unset: development, tests and the demo derive one from secret_key; production refuses
    # to sign without it. `tandem export public-key` prints the public key the regulator verifies with.
    supervision_signing_key: str | None = None
    # Shared secret of the WeChat/Weibo/e-mail gateway that posts inbound messages (HMAC-SHA256).
    webhook_secret: str = "dev-only-webhook-secret"  # noqa: S105 - overridden in production
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    # A maildrop for development and the demo: when set, e-mails are written as .eml files in this folder
    # instead of being sent through SMTP (`make demo` sets var/mail unless TANDEM_SMTP_HOST is given).
    mail_dir: str | None = None
    # Load or build the expert search index in the background when the server starts (requests never build it).
    expert_index_at_startup: bool = True
    mail_from: str = "tandem@localhost"
    # The address people reach the site at: the links in invitation and password-reset e-mails start
    # with it (never with the request's Host header, which a caller chooses).
    public_url: str = "http://127.0.0.1:8000"
    # One-time links (tandem.access.links): an invitation stays open for 72 hours, a reset link for one.
    invite_ttl_hours: int = Field(72, ge=1, le=24 * 30)
    # Client money (客户资金, regulation.md §1.9): the rule sets no time limit for passing premium or claim
    # money on (Art. 49 leaves it to the broker's agreement with each insurer); a receipt held longer than
    # this many calendar days is flagged on the broker's ledger.
    client_money_hold_days: int = Field(10, ge=1, le=365)
    reset_ttl_minutes: int = Field(60, ge=5, le=24 * 60)
    # Between the password and the TOTP code (or the enrolment a required second factor asks for).
    mfa_pending_minutes: int = Field(10, ge=1, le=60)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
