"""Settings: one typed object, read from the environment, overridden by command-line options."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from typing import Any

from cxreport.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///cxreport.db"


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    """Every setting, its environment variable and its default. README.md and docs/operations.md list them."""

    database_url: str = field(
        default=DEFAULT_DATABASE_URL,
        metadata={"env": "CXREPORT_DATABASE_URL", "help": "Where the data lives: sqlite:///PATH or postgresql://…"},
    )
    host: str = field(default="127.0.0.1", metadata={"env": "CXREPORT_HOST", "help": "Address to listen on."})
    port: int = field(default=8080, metadata={"env": "CXREPORT_PORT", "help": "TCP port to listen on."})
    max_body_bytes: int = field(
        default=32 * 1024 * 1024,
        metadata={"env": "CXREPORT_MAX_BODY_BYTES", "help": "Largest accepted request body; larger is a 413."},
    )
    token_ttl_seconds: int = field(
        default=3600,
        metadata={"env": "CXREPORT_TOKEN_TTL", "help": "Lifetime of a token from POST /v1/tokens by default."},
    )
    max_token_ttl_seconds: int = field(
        default=86400,
        metadata={"env": "CXREPORT_MAX_TOKEN_TTL", "help": "Longest lifetime a client may ask for a token."},
    )

    rate_limit: int = field(
        default=100,
        metadata={
            "env": "CXREPORT_RATE_LIMIT",
            "help": "Requests per second each API key may make, per server process; 0 turns rate limiting off.",
        },
    )
    rate_burst: int = field(
        default=200,
        metadata={"env": "CXREPORT_RATE_BURST", "help": "Requests a key may make at once before the rate applies."},
    )
    max_query_bytes: int = field(
        default=8 * 1024,
        metadata={"env": "CXREPORT_MAX_QUERY_BYTES", "help": "Longest accepted query string; longer is a 414."},
    )
    max_header_bytes: int = field(
        default=16 * 1024,
        metadata={
            "env": "CXREPORT_MAX_HEADER_BYTES",
            "help": "Largest accepted request headers (a 431); also bounds a request head in transit (a plain 400).",
        },
    )
    statement_timeout_ms: int = field(
        default=30_000,
        metadata={
            "env": "CXREPORT_STATEMENT_TIMEOUT_MS",
            "help": "Longest a database statement of `serve` may run; longer is cancelled (503 timeout). 0: no limit.",
        },
    )
    shutdown_timeout_seconds: int = field(
        default=30,
        metadata={
            "env": "CXREPORT_SHUTDOWN_TIMEOUT",
            "help": "On SIGTERM, how long `serve` lets in-flight requests finish before closing them.",
        },
    )
    workers: int = field(
        default=1,
        metadata={
            "env": "CXREPORT_WORKERS",
            "help": "Server processes `serve` runs on its one port (rate limits apply per process).",
        },
    )

    write_concurrency: int = field(
        default=4,
        metadata={
            "env": "CXREPORT_WRITE_CONCURRENCY",
            "help": "Writes a `serve` process runs at once, in threads of their own (reads keep theirs).",
        },
    )
    write_wait_ms: int = field(
        default=5000,
        metadata={
            "env": "CXREPORT_WRITE_WAIT_MS",
            "help": "Longest a write waits for a writer slot, and again for the write lock; longer is a 503 busy.",
        },
    )

    header_timeout_seconds: int = field(
        default=10,
        metadata={
            "env": "CXREPORT_HEADER_TIMEOUT",
            "help": "Seconds a connection has to send a request's head (line and headers); then `serve` closes it.",
        },
    )
    body_timeout_seconds: int = field(
        default=60,
        metadata={
            "env": "CXREPORT_BODY_TIMEOUT",
            "help": "Seconds a request has to send its whole body after its head; then `serve` closes it.",
        },
    )
    keep_alive_timeout_seconds: int = field(
        default=5,
        metadata={
            "env": "CXREPORT_KEEP_ALIVE_TIMEOUT",
            "help": "Seconds `serve` keeps an idle keep-alive connection open between requests.",
        },
    )
    max_connections: int = field(
        default=1000,
        metadata={
            "env": "CXREPORT_MAX_CONNECTIONS",
            "help": "Open connections a `serve` process keeps at most (lowered to fit its file limit).",
        },
    )

    max_tokens_per_key: int = field(
        default=100,
        metadata={
            "env": "CXREPORT_MAX_TOKENS_PER_KEY",
            "help": "Unexpired tokens one API key may hold; one more is a 409 too_many_tokens. 0: no cap.",
        },
    )
    max_keys_per_tenant: int = field(
        default=100,
        metadata={
            "env": "CXREPORT_MAX_KEYS_PER_TENANT",
            "help": "Unrevoked API keys a tenant may hold (POST api-keys); one more is a 409 too_many_keys. 0: no cap.",
        },
    )

    max_events_per_interaction: int = field(
        default=10_000,
        metadata={
            "env": "CXREPORT_MAX_EVENTS_PER_INTERACTION",
            "help": "Events one interaction may hold (POST events); more is a 409 too_many_events. 0: no cap.",
        },
    )

    max_page_bytes: int = field(
        default=8 * 1024 * 1024,
        metadata={
            "env": "CXREPORT_MAX_PAGE_BYTES",
            "help": "Largest search page in bytes of records: a page ends early (`truncated`, `next`); 0: no cap.",
        },
    )

    search_answers_bytes: int = field(
        default=16 * 1024 * 1024,
        metadata={
            "env": "CXREPORT_SEARCH_ANSWERS_BYTES",
            "help": "Bytes of search answers a `serve` process remembers, each used while its tenant's data is "
            "unchanged; 0: off.",
        },
    )

    realtime_stale_after_seconds: int = field(
        default=4 * 3600,
        metadata={
            "env": "CXREPORT_REALTIME_STALE_AFTER",
            "help": "Realtime statistics leave out (and count as stale) an interaction in progress whose latest "
            "event is older than this many seconds.",
        },
    )
    realtime_max_streams: int = field(
        default=1000,
        metadata={
            "env": "CXREPORT_REALTIME_MAX_STREAMS",
            "help": "Realtime statistics streams open at once per tenant, per server process; one more is a 429.",
        },
    )
    realtime_max_streams_per_key: int = field(
        default=100,
        metadata={
            "env": "CXREPORT_REALTIME_MAX_STREAMS_PER_KEY",
            "help": "Realtime statistics streams open at once per API key (a token counts as its key's), per server "
            "process; one more is a 429.",
        },
    )

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Read every setting from its environment variable, then apply the non-None overrides."""
        values: dict[str, Any] = {}
        for setting in fields(cls):
            env_name = setting.metadata["env"]
            if setting.type in ("int", int):
                values[setting.name] = _env_int(env_name, setting.default)  # type: ignore[arg-type]
            else:
                values[setting.name] = _env(env_name, setting.default)  # type: ignore[arg-type]
        settings = cls(**values)
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})
