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
            "help": "Largest accepted request headers (a 431); also uvicorn's h11 limit on a request head in transit.",
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
