"""A queue_log imported, then read over HTTP on both stores: the hourly per-queue `/statistics` figures and the
`/agent-statistics` figures give exactly Wazo's queue and agent statistics for the file, by the formulas of
`docs/importers.md` ("Wazo's statistics from cxreport's figures"). The Wazo figures below are computed by hand
from the sample's rows, by Wazo's rules (`../shared/reference/importers.md` §2.2), row by row in the comments."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cxreport.cli.import_events import import_event_files
from cxreport.importers.base import ImportOptions, source_id
from support.servers import LiveServer
from support.tenants import TenantKeys

OPTIONS = ImportOptions(source="xivo")
SAMPLE = Path(__file__).parent / "data" / "importers" / "asterisk" / "queue_log-samples.txt"

ACROSS_THE_HOUR = """\
2012-07-04 10:59:50.100000|77.1|q1|NONE|ENTERQUEUE||5550001|1||
2012-07-04 11:00:05.200000|77.1|q1|Agent/3001|CONNECT|15|77.2|3||
2012-07-04 11:02:05.300000|77.1|q1|Agent/3001|COMPLETECALLER|15|120|1||
2012-07-04 10:59:58.000000|78.1|q1|NONE|ENTERQUEUE||5550002|2||
2012-07-04 11:00:20.000000|78.1|q1|NONE|ABANDON|1|2|22||
2012-07-04 11:10:00.000000|79.1|q1|NONE|ENTERQUEUE||5550003|1||
2012-07-04 11:11:00.000000|79.1|q1|NONE|EXITWITHTIMEOUT|1|1|60||
2012-07-04 11:12:00.000000|80.1|q1|NONE|ENTERQUEUE||5550004|1||
2012-07-04 11:12:04.000000|80.1|q1|Agent/3001|CONNECT|4|80.2|1||
2012-07-04 11:13:04.000000|80.1|q1|Agent/3001|BLINDTRANSFER|200|default|4|60|1||
"""


def wazo_columns(row: dict[str, Any], connected: int = 0, connected_wait: float = 0.0) -> dict[str, Any]:
    """Wazo's queue statistics columns from one `/statistics` row (asked with `slaThreshold=10`), by the table of
    docs/importers.md; `connected` answered entries still in conversation (and their wait) are not Wazo rows
    (here all answered within 10 s)."""
    answered = row["handled"]
    received = (answered + row["abandoned"] + row["closed"] + row["refusedFull"] + row["diverted"]
                + row["refusedEmpty"] + row["leftEmpty"] + row["timedOut"])
    waited = answered + row["abandoned"] + row["leftEmpty"] + row["timedOut"]
    rate_base = (answered + row["abandoned"] + row["refusedFull"] + row["leftEmpty"] + row["refusedEmpty"]
                 + row["timedOut"])
    within = row["answeredWithinSla"] - connected
    return {
        "received": received, "answered": answered, "abandoned": row["abandoned"], "closed": row["closed"],
        "saturated": row["refusedFull"] + row["diverted"], "blocked": row["refusedEmpty"] + row["leftEmpty"],
        "not_answered": row["timedOut"],
        "awt": (row["waitTimeTotal"] - connected_wait) / waited if waited else None,
        "answered_rate": round(100 * answered / rate_base, 2) if rate_base else None,
        "qos": round(100 * within / answered, 2) if answered else None,
    }


def imported(server: LiveServer, keys: TenantKeys, *paths: Path) -> None:
    report = import_event_files(server.store, keys.id, [str(p) for p in paths], progress=False,
                                source_format="asterisk-queue-log", options=OPTIONS)
    assert report.rejected == []


def hourly(server: LiveServer, keys: TenantKeys, day: str, **extra: str) -> dict[tuple[str, str], dict[str, Any]]:
    with server.client(keys.read) as client:
        response = client.get(f"/v1/tenants/{keys.id}/statistics", params={
            "start": f"{day}T00:00:00Z", "end": f"{day}T24:00:00Z", "interval": "hour", "groupBy": "queue",
            "timezone": "UTC", "slaThreshold": "10", **extra})
    assert response.status_code == 200, response.text
    return {(row["start"][11:13], row["queueName"]): row for row in response.json()["rows"]
            if row["offered"]}


def test_the_sample_gives_wazos_queue_statistics(live_server: LiveServer, new_tenant: Callable[..., TenantKeys],
                                                  tmp_path: Path) -> None:
    keys = new_tenant()
    across = tmp_path / "across_the_hour"
    across.write_text(ACROSS_THE_HOUR)
    imported(live_server, keys, SAMPLE, across)
    rows = hourly(live_server, keys, "2012-07-04")
    q1_07 = rows[("07", "q1")]
    # Wazo's rows for q1, 07h: JOINEMPTY .9 (blocked), COMPLETEAGENT .34 (answered, wait 2, placed at end − talk −
    # wait = 07:37:32), FULL .44 (saturated), CLOSED .49, ABANDON .51 (wait 6). The CONNECT of .24 has no
    # COMPLETE: the call is still connected, not a Wazo row (cxreport counts it answered; its wait is 2 s).
    assert (q1_07["offered"], q1_07["answered"], q1_07["handled"]) == (6, 2, 1)
    assert wazo_columns(q1_07, connected=1, connected_wait=2.0) == {
        "received": 5, "answered": 1, "abandoned": 1, "closed": 1, "saturated": 1, "blocked": 1, "not_answered": 0,
        "awt": 4.0, "answered_rate": 25.0, "qos": 100.0,
    }
    # q1, 10h: .77 entered 10:59:50 (answered at 11:00:05, wait 15) and .78 entered 10:59:58 (abandoned at
    # 11:00:20, wait 22): both count in the hour they entered, however late they ended.
    assert wazo_columns(rows[("10", "q1")]) == {
        "received": 2, "answered": 1, "abandoned": 1, "closed": 0, "saturated": 0, "blocked": 0, "not_answered": 0,
        "awt": 18.5, "answered_rate": 50.0, "qos": 0.0,
    }
    # q1, 11h: .79 timed out after 60 s (Wazo's Not answered), .80 answered in 4 s and blind-transferred (Wazo:
    # answered, talk = calltime).
    assert wazo_columns(rows[("11", "q1")]) == {
        "received": 2, "answered": 1, "abandoned": 0, "closed": 0, "saturated": 0, "blocked": 0, "not_answered": 1,
        "awt": 32.0, "answered_rate": 50.0, "qos": 100.0,
    }
    assert rows[("11", "q1")]["transfers"] == 1
    assert set(rows) == {("07", "q1"), ("10", "q1"), ("11", "q1")}
    swk = hourly(live_server, keys, "2014-07-03")[("10", "swk_allemagne")]
    assert wazo_columns(swk) == {
        "received": 1, "answered": 1, "abandoned": 0, "closed": 0, "saturated": 0, "blocked": 0, "not_answered": 0,
        "awt": 8.0, "answered_rate": 100.0, "qos": 100.0,
    }


def test_the_sample_gives_wazos_agent_statistics(live_server: LiveServer, new_tenant: Callable[..., TenantKeys],
                                                  tmp_path: Path) -> None:
    keys = new_tenant()
    across = tmp_path / "across_the_hour"
    across.write_text(ACROSS_THE_HOUR)
    imported(live_server, keys, SAMPLE, across)

    def agent_rows(day: str) -> dict[tuple[str, str], dict[str, Any]]:
        with live_server.client(keys.read) as client:
            response = client.get(f"/v1/tenants/{keys.id}/agent-statistics", params={
                "start": f"{day}T00:00:00Z", "end": f"{day}T24:00:00Z", "interval": "hour", "timezone": "UTC"})
        assert response.status_code == 200, response.text
        return {(row["start"][11:13], row["agentId"]): row for row in response.json()["rows"]}

    agent = source_id(OPTIONS, "agent", "Agent/3001")  # the agent-state events name the agent by its id only
    # AGENTCALLBACKLOGIN 15:27:23.896 → AGENTCALLBACKLOGOFF 15:28:06.249, which reports logintime 43 s: Wazo's
    # login time is its sessions' (login → logoff), 43 s; cxreport places both at their whole second, 43 s apart.
    # Wazo then writes UNPAUSEALL and UNPAUSE per queue (15:28:07): cxreport reads a presence change with no
    # session open as a session whose login is missing (`startedBy` `state-change`), open until the next event.
    # Wazo's login time is the sessions started by a login (docs/importers.md).
    with live_server.client(keys.read) as client:
        response = client.get(f"/v1/tenants/{keys.id}/agents/{agent}/state-events",
                              params={"start": "2012-07-03T00:00:00Z", "end": "2012-07-04T00:00:00Z", "limit": "0"})
    assert response.status_code == 200, response.text
    sessions = response.json()["sessions"]
    assert [(s["start"], s["end"], s["startedBy"], s["endedBy"]) for s in sessions] == [
        ("2012-07-03T15:27:23.000Z", "2012-07-03T15:28:06.000Z", "login", "logout"),
        ("2012-07-03T15:28:07.000Z", None, "state-change", "open"),
    ]
    login_day = agent_rows("2012-07-03")
    assert login_day[("15", agent)]["loggedInTime"] == 43.0 + (3600 - 28 * 60 - 7)
    calls_day = agent_rows("2012-07-04")
    # Wazo's agent Answered / Conversation time: answered rows and their talk, at the queue-entry hour.
    assert (calls_day[("07", agent)]["handled"], calls_day[("07", agent)]["talkTimeTotal"]) == (1, 12.0)
    assert (calls_day[("10", agent)]["handled"], calls_day[("10", agent)]["talkTimeTotal"]) == (1, 120.0)
    assert (calls_day[("11", agent)]["handled"], calls_day[("11", agent)]["talkTimeTotal"]) == (1, 60.0)
