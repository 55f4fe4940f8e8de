"""The console's first views, measured in the browser: Debian's Chromium through Playwright against a real
`cxreport serve` on loopback, on an existing database (load one first, e.g. `cxreport import-events` of
bench_statistics.py's event file, or `cxreport demo --count N`).

    .venv/bin/python benchmarks/bench_console.py --database sqlite:////path/1m.db --tenant TENANT_ID \
        [--day 2024-02-15] [--rounds 5]

A read key is made for the tenant (and revoked at the end). Each round opens a fresh tab (empty sessionStorage)
and times, with `performance.now()` in the page (so Playwright's own round trips are not counted where the page
can time itself):
  - sign-in screen: navigation start → the key field focused (the page's modules loaded and run);
  - sign-in → first view: the click on "Sign in" → the landing view showing its figures (or its message);
  - each view loaded cold (a reload with the session kept): navigation start → its data on screen: interactions
    (no filter, newest first, 25 a page, the tenant's `total` counted), interactions of `--day`, the dashboard of
    `--day` (24 hourly buckets, per queue, per agent), the dashboard of the 7 days ending on `--day`, one
    interaction's timeline, the next page of a search (a click → the rows).
Prints p50 / max per figure (ms), the server process's CPU seconds over the run and the load average; writes
benchmarks/out/console-<count>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
CHROMIUM = "/usr/bin/chromium"
CXREPORT = str(Path(sys.executable).parent / "cxreport")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_view(page: Any, url: str, selector: str) -> float:
    """A cold load of `url` (the session kept): navigation start → `selector` on screen, by the page's clock."""
    page.goto(url)
    page.reload()
    page.locator(selector).first.wait_for(timeout=60_000)
    return float(page.evaluate("() => performance.now()"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--day", default="2024-02-15", help="a busy day of the data, in the tenant's zone")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    made = json.loads(subprocess.run([CXREPORT, "keys", "create", "--database", args.database, "--tenant",
                                      args.tenant, "--json"], check=True, capture_output=True, text=True).stdout)
    key_id, secret = made["apiKey"]["id"], made["apiKey"]["secret"]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([CXREPORT, "serve", "--database", args.database, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    figures: dict[str, list[float]] = {}
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        with httpx.Client(base_url=base, auth=(key_id, secret), timeout=120) as client:
            first = client.get(f"/v1/tenants/{args.tenant}/interactions", params={"limit": 1}).json()
            total = first["total"]
            one_id = first["results"][0]["interactionId"]
        cpu_before, load_before = cpu_seconds(server.pid), os.getloadavg()[0]
        day = args.day
        start_day = time.strftime("%Y-%m-%d", time.gmtime(time.mktime(time.strptime(day, "%Y-%m-%d")) - 6 * 86400))
        views = {
            "interactions, no filter (total counted)": (f"{base}/#/interactions", ".pager .where, .message"),
            f"interactions of {day}": (f"{base}/#/interactions?from={day}&to={day}", ".pager .where, .message"),
            f"dashboard of {day} (hourly)": (f"{base}/#/dashboard?range=custom&from={day}&to={day}",
                                             "[data-testid=totals]"),
            f"dashboard of {start_day} to {day} (daily)": (
                f"{base}/#/dashboard?range=custom&from={start_day}&to={day}", "[data-testid=totals]"),
            "one interaction's timeline": (f"{base}/#/interactions/{one_id}", "svg.timeline"),
        }
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            for _ in range(args.rounds):
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                page = context.new_page()
                page.goto(base + "/")
                page.locator("input[name=keyId]:focus").wait_for()
                figures.setdefault("sign-in screen", []).append(page.evaluate("() => performance.now()"))
                page.fill("input[name=keyId]", key_id)
                page.fill("input[name=secret]", secret)
                clicked = page.evaluate("() => performance.now()")
                page.click("button[type=submit]")
                page.locator(".live:not(:has-text('Connecting')), .message").first.wait_for(
                    timeout=60_000)
                figures.setdefault("sign-in → first view (wallboard)", []).append(
                    page.evaluate("() => performance.now()") - clicked)
                for name, (url, selector) in views.items():
                    figures.setdefault(name, []).append(timed_view(page, url, selector))
                page.goto(f"{base}/#/interactions?from={day}&to={day}")
                page.locator(".pager .where").wait_for(timeout=60_000)
                clicked = page.evaluate("() => performance.now()")
                page.get_by_role("button", name="Older →").click()
                page.locator(".pager .where", has_text="page 2").wait_for(timeout=60_000)
                figures.setdefault("next page of a day (click → rows)", []).append(
                    page.evaluate("() => performance.now()") - clicked)
                context.close()
            browser.close()
        cpu = cpu_seconds(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait(timeout=30)
        subprocess.run([CXREPORT, "keys", "revoke", "--database", args.database, key_id], check=False,
                       capture_output=True)
    summary = {name: {"p50": round(statistics.median(values)), "max": round(max(values))}
               for name, values in figures.items()}
    result = {
        "interactions": total, "rounds": args.rounds, "server_cpu_seconds": round(cpu, 2),
        "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)], "figures_ms": summary,
    }
    print(f"{total:,} interactions; {args.rounds} rounds; server CPU {cpu:.1f} s; "
          f"load average {load_before:.1f} → {os.getloadavg()[0]:.1f}")
    for name, value in summary.items():
        print(f"  {name:<52} p50 {value['p50']:>6} ms   max {value['max']:>6} ms")
    OUT.mkdir(exist_ok=True)
    (OUT / f"console-{total}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
