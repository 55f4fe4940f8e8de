"""`cxreport serve` as a real process, answering the seed's request with the demo's credentials."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from support.cli import CXREPORT, Cli, clean_env, parse_demo
from support.data import SAMPLE_IDS, SAMPLE_RESULTS, SEED_QUERY, SEED_TENANT_ID
from support.servers import free_port


def test_serve_answers_the_seed_request_with_the_demo_credentials(cli: Cli, tmp_path: Path) -> None:
    port = free_port()
    demo = parse_demo(cli("demo", "--count", "20", "--port", str(port)).stdout)
    curl, url = demo["curl"], demo["curl"][-1]
    assert url == f"http://127.0.0.1:{port}/v1/tenants/{SEED_TENANT_ID}/interactions?{SEED_QUERY}"
    key_id, secret = curl[2].split(":", 1)
    in_window = [r for r in cli.records(SEED_TENANT_ID) if "2017-12-29T14:00:00" <= r["startTimestamp"] < "2017-12-30"]
    in_window.sort(key=lambda r: (r["startTimestamp"], r["interactionId"]), reverse=True)
    assert SAMPLE_IDS[1] in [r["interactionId"] for r in in_window]

    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [CXREPORT, "serve", "--database", cli.url, "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            health = None
            deadline = time.monotonic() + 30
            with httpx.Client(timeout=5) as client:
                while time.monotonic() < deadline:
                    assert server.poll() is None, log_path.read_text()
                    try:
                        health = client.get(f"http://127.0.0.1:{port}/health")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                assert health is not None, log_path.read_text()
                assert health.status_code == 200
                assert health.json()["status"] == "up"

                response = client.get(url, auth=(key_id, secret))
                assert response.status_code == 200, response.text
                body = response.json()
                assert body["tenantId"] == SEED_TENANT_ID
                assert body["tenantName"] == "Your Tenant"
                assert body["tenantTimezone"] == "US/Eastern"
                assert body["total"] == len(in_window)
                assert body["results"] == in_window[:10]
                assert SAMPLE_RESULTS[1] in body["results"]
                assert client.get(url).status_code == 401
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)
