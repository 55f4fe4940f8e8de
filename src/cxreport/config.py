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
    """Every setting, its environment variable and its default. docs/configuration.md lists them."""

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
