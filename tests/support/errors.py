"""The one JSON error shape every failing response has, asserted; and that none reveals internals."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

import cxreport
from support.servers import LiveServer

CODES_BY_STATUS = {
    400: {"invalid_parameter", "unknown_parameter", "invalid_body", "invalid_record"},
    401: {"unauthenticated"},
    403: {"forbidden"},
    404: {"not_found"},
    405: {"method_not_allowed"},
    413: {"payload_too_large"},
    414: {"query_too_long"},
    429: {"rate_limited", "too_many_streams"},
    431: {"headers_too_large"},
    503: {"timeout", "busy"},
}
PACKAGE_DIR = str(Path(cxreport.__file__).resolve().parent)


def assert_no_internals(server: LiveServer, text: str) -> None:
    assert "Traceback" not in text
    assert "traceback" not in text.lower()
    assert 'File "' not in text
    assert not re.search(r"\.py\b", text), text
    assert "site-packages" not in text
    assert PACKAGE_DIR not in text
    database = server.settings.database_url.split("///", 1)[-1]
    assert database not in text
    assert str(Path(database).parent) not in text


def assert_error_shape(server: LiveServer, response: httpx.Response, status: int, code: str | None = None,
                       parameter: str | set[str] | None = None) -> dict[str, Any]:
    """`response` is an error with exactly the one error shape; `parameter` None means it names none."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0].strip() == "application/json"
    assert_no_internals(server, response.text)
    body: dict[str, Any] = json.loads(response.text)
    assert isinstance(body, dict)
    assert {"status", "code", "message"} <= set(body) <= {"status", "code", "message", "parameter", "errors"}, body
    assert body["status"] == status and isinstance(body["status"], int)
    assert body["code"] in CODES_BY_STATUS[status], body
    if code is not None:
        assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"].strip()
    if parameter is None:
        assert "parameter" not in body, body
    elif isinstance(parameter, str):
        assert body.get("parameter") == parameter, body
    else:
        assert body.get("parameter") in parameter, body
    if "errors" in body:
        assert isinstance(body["errors"], list) and body["errors"]
        for error in body["errors"]:
            assert set(error) == {"position", "message"}
            assert isinstance(error["position"], int) and isinstance(error["message"], str) and error["message"]
    return body
