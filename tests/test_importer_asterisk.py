"""The Asterisk queue_log importer on its own (`cxreport.importers.asterisk`): lines → events → the records the
derivation core makes of them. Each outcome, each transfer form, a call re-queued after an answer, the agent
verbs, both line forms, order-freedom and idempotence, and bad lines."""

from __future__ import annotations

import io
import json
import random
import re
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from cxreport.importers.asterisk import translate
from cxreport.importers.base import ImportOptions, Translated
from cxreport.metrics import AGENT_EVENT_CLASSES, DEFAULT_SLA, Event, derive_records
from cxreport.metrics.decode import decode_timed_event

T0 = 1_700_000_000  # 2023-11-14T22:13:20Z


def translated(text: str, **options: Any) -> list[Translated]:
    return list(translate(io.BytesIO(text.encode()), ImportOptions(**options)))


def events_of(text: str, **options: Any) -> list[bytes]:
    items = translated(text, **options)
    assert [item.error for item in items if item.error] == []
    return [event for item in items for event in item.events]


def records(text: str, **options: Any) -> list[dict[str, Any]]:
    interaction_events: list[Event] = []
    for raw in events_of(text, **options):
        event, _us = decode_timed_event(raw)
        if type(event) not in AGENT_EVENT_CLASSES:
            interaction_events.append(cast("Event", event))
    return [dict(record) for record in derive_records("00000000-0000-4000-8000-000000000001", interaction_events,
                                                        DEFAULT_SLA)]


def log(*lines: tuple[int, str, str, str, str]) -> str:
    """queue_log file-form lines from (seconds after T0, callid, queue, agent, 'EVENT|data…')."""
    return "".join(f"{T0 + at}|{callid}|{queue}|{agent}|{rest}\n" for at, callid, queue, agent, rest in lines)


def only(found: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(found) == 1, found
    return found[0]


ANSWERED = log(
    (0, "100.1", "sales", "NONE", "ENTERQUEUE||5551234|3|Ann Caller|"),
    (12, "100.1", "sales", "SIP/ada", "RINGNOANSWER|15000"),
    (20, "100.1", "sales", "SIP/bob", "CONNECT|20|100.9|4|"),
    (140, "100.1", "sales", "SIP/bob", "COMPLETECALLER|20|120|3|"),
)


def test_an_answered_call_takes_its_durations_from_the_data_fields() -> None:
    record = only(records(ANSWERED))
    assert record["customer"] == "5551234" and record["contactPoint"] == "sales"
    assert record["customAttributes"] == {"callerIdName": "Ann Caller"}
    assert record["interactionEndType"] == "customer-disconnect" and record["interactionTime"] == 140.0
    [entry] = record["queues"]
    assert (entry["queueName"], entry["queueExitReason"], entry["queueTime"], entry["timeToAnswer"],
            entry["queueEntryLength"]) == ("sales", "answered", 20.0, 20.0, 3)
    missed, answered = record["agents"]
    assert (missed["agentName"], missed["agentWorkAccepted"], missed["agentWorkOfferTime"]) == ("SIP/ada", False, 15.0)
    assert (answered["agentName"], answered["agentWorkAccepted"], answered["agentWorkAcceptedTime"],
            answered["agentTalkTime"]) == ("SIP/bob", True, 4.0, 120.0)
    assert "flagged" not in record


def test_completeagent_ends_the_call_by_the_agent() -> None:
    record = only(records(ANSWERED.replace("COMPLETECALLER", "COMPLETEAGENT")))
    assert record["interactionEndType"] == "agent-disconnect"


@pytest.mark.parametrize(("line", "reason", "wait"), [
    ("ABANDON|2|3|30", "abandoned", 30.0),
    ("EXITWITHTIMEOUT|1|3|30", "timed-out", 30.0),
    ("EXITWITHKEY|5|1|3|30", "exited-with-key", 30.0),
    ("EXITEMPTY|1|3|30", "left-empty", 30.0),
    ("WITHDRAW|1|3|30|info", "moved-by-flow", 30.0),
])
def test_each_way_of_leaving_a_queue_unanswered(line: str, reason: str, wait: float) -> None:
    record = only(records(log((0, "7.1", "q", "NONE", "ENTERQUEUE||555|3"), (30, "7.1", "q", "NONE", line))))
    [entry] = record["queues"]
    assert (entry["queueExitReason"], entry["queueTime"], entry["queueEntryLength"]) == (reason, wait, 3)
    if reason == "abandoned":
        assert entry["queueAbandoned"] is True and record["interactionEndType"] == "customer-disconnect"
    else:
        assert "endTimestamp" not in record, "the call goes on in the dialplan: queue_log does not say where to"


def test_wazo_writes_exitempty_and_leaveempty_for_one_exit_and_it_counts_once() -> None:
    text = log((0, "7.1", "q", "NONE", "ENTERQUEUE||555|1"), (30, "7.1", "q", "NONE", "EXITEMPTY|1|1|30"),
               (30, "7.1", "q", "NONE", "LEAVEEMPTY"))
    [entry] = only(records(text))["queues"]
    assert (entry["queueExitReason"], entry["queueTime"]) == ("left-empty", 30.0)


@pytest.mark.parametrize(("verb", "reason", "rule"), [
    ("FULL", "refused-full", None), ("JOINEMPTY", "refused-empty", None), ("CLOSED", "closed", None),
    ("DIVERT_CA_RATIO", "diverted", "caller-agent-ratio"), ("DIVERT_HOLDTIME", "diverted", "wait-time"),
])
def test_wazo_refusals_at_the_door(verb: str, reason: str, rule: str | None) -> None:
    [entry] = only(records(log((0, "8.1", "q", "NONE", verb)))) ["queues"]
    assert (entry["queueExitReason"], entry["queueTime"], entry.get("queueDivertRule")) == (reason, 0.0, rule)


def test_a_call_refused_by_one_queue_then_answered_by_the_next_is_one_interaction() -> None:
    text = log((0, "9.1", "vip", "NONE", "FULL|"), (1, "9.1", "main", "NONE", "ENTERQUEUE||555|1"),
               (6, "9.1", "main", "Agent/7", "CONNECT|5|9.2|2"), (66, "9.1", "main", "Agent/7", "COMPLETEAGENT|5|60|1"))
    record = only(records(text))
    assert [(q["queueName"], q["queueExitReason"]) for q in record["queues"]] == [
        ("vip", "refused-full"), ("main", "answered")]


@pytest.mark.parametrize(("line", "target", "connected"), [
    ("TRANSFER|200|default|10|50|1", "200@default", False),
    ("BLINDTRANSFER|200|default|10|50|1", "200@default", False),
    ("ATTENDEDTRANSFER|BRIDGE|1700.55|10|50|1", "bridge 1700.55", True),
    ("ATTENDEDTRANSFER|APP|Voicemail|10|50|1", "app Voicemail", True),
    ("ATTENDEDTRANSFER|LINK|Local/a@b-0001;1|Local/a@b-0001;2|10|50|1", "Local/a@b-0001;1 Local/a@b-0001;2", True),
])
def test_each_transfer_form(line: str, target: str, connected: bool) -> None:
    text = log((0, "11.1", "q", "NONE", "ENTERQUEUE||555|1"), (10, "11.1", "q", "Agent/1", "CONNECT|10|11.2|3"),
               (60, "11.1", "q", "Agent/1", line))
    record = only(records(text))
    assert record["customerTransfers"] == 1
    [agent] = record["agents"]
    assert (agent["agentTalkTime"], agent["endTimestamp"]) == (50.0, "2023-11-14T22:14:20.000Z")
    transfer = record["segments"][1]
    assert transfer["transfer"] is True and transfer["segmentStartType"] == "transfer"
    assert ("transferTime" in transfer) is connected
    events = [json.loads(e) for e in events_of(text)]
    [started] = [e for e in events if e["type"] == "transfer-started"]
    assert (started["transferType"], started["transferTo"]) == ("external", target)


def test_a_call_answered_in_one_queue_and_requeued_to_another() -> None:
    text = log(
        (0, "12.1", "support", "NONE", "ENTERQUEUE||555|1"),
        (8, "12.1", "support", "Agent/1", "CONNECT|8|12.2|2"),
        (68, "12.1", "support", "Agent/1", "BLINDTRANSFER|700|queues|8|60|1"),
        (69, "12.1", "billing", "NONE", "ENTERQUEUE|||2"),
        (84, "12.1", "billing", "Agent/2", "CONNECT|15|12.3|3"),
        (184, "12.1", "billing", "Agent/2", "COMPLETECALLER|15|100|2"),
    )
    record = only(records(text))
    assert [(q["queueName"], q["queueExitReason"], q["queueTime"], q["agentId"] is not None)
            for q in record["queues"]] == [("support", "answered", 8.0, True), ("billing", "answered", 15.0, True)]
    assert [(a["agentName"], a["agentTalkTime"]) for a in record["agents"]] == [("Agent/1", 60.0), ("Agent/2", 100.0)]
    assert record["queues"][0]["agentId"] != record["queues"][1]["agentId"]
    assert record["customerTransfers"] == 1 and record["interactionTime"] == 184.0
    assert "flagged" not in record


def test_holds_and_attributes() -> None:
    text = ANSWERED + log((-1, "100.1", "sales", "NONE", "DID|18005550000"),
                          (50, "100.1", "sales", "SIP/bob", "CALLERONHOLD"),
                          (65, "100.1", "sales", "SIP/bob", "CALLEROFFHOLD"))
    record = only(records(text))
    assert (record["customerHolds"], record["customerHoldTime"]) == (1, 15.0)
    assert record["customAttributes"] == {"callerIdName": "Ann Caller", "did": "18005550000"}


def test_offers_declined_and_cancelled() -> None:
    text = log((0, "13.1", "q", "NONE", "ENTERQUEUE||555|1"), (15, "13.1", "q", "SIP/a", "RINGNOANSWER|15000"),
               (16, "13.1", "q", "SIP/b", "RINGCANCELED|1000"), (17, "13.1", "q", "SIP/c", "AGENTDUMP"),
               (18, "13.1", "q", "SIP/d", "SYSCOMPAT"))
    agents = only(records(text))["agents"]
    assert [(a["agentName"], a["agentWorkAccepted"]) for a in agents] == [
        ("SIP/a", False), ("SIP/c", False), ("SIP/d", False)], "RINGCANCELED is no miss of the agent's"


def test_agent_verbs_become_agent_state_events() -> None:
    text = (
        "2012-07-03 15:27:23.896208|1341343640.4|NONE|Agent/3001|AGENTCALLBACKLOGIN|1002@pcm-dev||||\n"
        "2012-07-03 15:27:30.000000|NONE|NONE|Agent/3001|PAUSEALL|lunch||||\n"
        "2012-07-03 15:27:40.000000|NONE|q1|Agent/3001|UNPAUSE|||||\n"
        "2012-07-03 15:27:50.000000|NONE|NONE|Agent/3001|WRAPUPSTART|10||||\n"
        "2012-07-03 15:28:06.249357|NONE|NONE|Agent/3001|AGENTCALLBACKLOGOFF|1002@pcm-dev|43|CommandLogoff||\n"
        "1700000000|REALTIME|sales|SIP/ada|ADDMEMBER|PAUSED\n"
        "1700000100|MANAGER|sales|SIP/ada|REMOVEMEMBER|\n"
    )
    found = [json.loads(e) for e in events_of(text, timezone=ZoneInfo("Europe/Paris"))]
    assert [(e["type"], e["timestamp"], e.get("state"), e.get("reasonCode")) for e in found] == [
        ("agent-logged-in", "2012-07-03T13:27:23.000Z", None, None),
        ("agent-state-changed", "2012-07-03T13:27:30.000Z", "not-ready", "lunch"),
        ("agent-state-changed", "2012-07-03T13:27:40.000Z", "ready", None),
        ("agent-state-changed", "2012-07-03T13:27:50.000Z", "not-ready", "wrapup"),
        ("agent-state-changed", "2012-07-03T13:28:00.000Z", "ready", None),
        ("agent-logged-out", "2012-07-03T13:28:06.000Z", None, "CommandLogoff"),
        ("agent-logged-in", "2023-11-14T22:13:20.000Z", "not-ready", None),
        ("agent-logged-out", "2023-11-14T22:15:00.000Z", None, None),
    ]
    assert len({e["agentId"] for e in found[:6]}) == 1 and found[0]["agentName"] == "Agent/3001"


def test_the_table_form_and_the_file_form_of_one_log_give_the_same_events() -> None:
    table = (
        "time|callid|queuename|agent|event|data1|data2|data3|data4|data5\n"
        "2014-07-03 10:57:11.559080|1404377805.6457|swk|NONE|ENTERQUEUE||00049242184770|1||\n"
        "2014-07-03 10:57:19.461280|1404377805.6457|swk|Agent/448|CONNECT|8|1404377831.6460|4||\n"
        "2014-07-03 11:06:10.374302|1404377805.6457|swk|Agent/448|ATTENDEDTRANSFER|LINK|c1|c2|8|531|1\n"
    )
    as_file = (
        "1404377831|1404377805.6457|swk|NONE|ENTERQUEUE||00049242184770|1|\n"
        "1404377839|1404377805.6457|swk|Agent/448|CONNECT|8|1404377831.6460|4|\n"
        "1404378370|1404377805.6457|swk|Agent/448|ATTENDEDTRANSFER|LINK|c1|c2|8|531|1\n"
    )
    assert events_of(table, timezone=ZoneInfo("Europe/Berlin")) == events_of(as_file)
    with_offset = table.replace(".559080|", ".559080+02|").replace(".461280|", ".46+02|").replace(".374302|", "+02|")
    assert events_of(with_offset, timezone=ZoneInfo("America/Chicago")) == events_of(as_file)


def test_lines_in_any_order_and_split_across_imports_give_the_same_records() -> None:
    text = ANSWERED + log(
        (0, "12.1", "support", "NONE", "ENTERQUEUE||555|1"), (8, "12.1", "support", "Agent/1", "CONNECT|8|12.2|2"),
        (68, "12.1", "support", "Agent/1", "BLINDTRANSFER|700|queues|8|60|1"),
        (69, "12.1", "billing", "NONE", "ENTERQUEUE|||2"), (99, "12.1", "billing", "NONE", "ABANDON|1|2|30"),
    )
    expected = records(text)
    lines = text.splitlines(keepends=True)
    for seed in range(5):
        random.Random(seed).shuffle(lines)
        assert records("".join(lines)) == expected
    first, second = "".join(lines[:4]), "".join(lines[4:])
    assert sorted(events_of(second) + events_of(first)) == sorted(events_of(text))
    assert records(text + text) == expected, "every event of a repeated line repeats its id: a duplicate"


def test_a_rotated_log_holding_only_the_end_of_a_call_still_gives_a_whole_queue_entry() -> None:
    record = only(records(log((140, "100.1", "sales", "SIP/bob", "COMPLETEAGENT|20|120|3|"))))
    [entry] = record["queues"]
    assert (entry["startTimestamp"], entry["queueTime"], entry["queueExitReason"]) == (
        "2023-11-14T22:13:20.000Z", 20.0, "answered")
    assert record["agents"][0]["agentTalkTime"] == 120.0 and "flagged" not in record


def test_the_source_name_keeps_two_systems_apart() -> None:
    assert events_of(ANSWERED, source="pbx-1") != events_of(ANSWERED, source="pbx-2")
    assert events_of(ANSWERED, source="pbx-1") == events_of(ANSWERED, source="pbx-1")


@pytest.mark.parametrize(("line", "reason"), [
    ("1700000000|1.1|q|NONE|NOSUCHVERB|", "unknown event 'NOSUCHVERB'"),
    ("garbage", "expected at least 5 '|'-separated fields (time|callid|queue|agent|event), found 1"),
    ("1700000000|1.1|q|NONE||", "the event (field 5) is empty"),
    ("2023-02-30 10:00:00.000000|1.1|q|NONE|ENTERQUEUE||555|1||",
     "the time '2023-02-30 10:00:00.000000' does not exist"),
    ("99999999999999|1.1|q|NONE|ENTERQUEUE||555|1", "the time 99999999999999 is after the year 9999"),
    ("yesterday|1.1|q|NONE|ENTERQUEUE||555|1",
     "the time 'yesterday' is neither an epoch nor a date-time such as 2012-07-04 07:33:21.165823"),
    ("1700000000|1.1|q|Agent/1|CONNECT|soon|1.2|3", "CONNECT: data1 (holdtime) must be a whole number, not 'soon'"),
    ("1700000000|1.1|q|Agent/1|COMPLETEAGENT|5", "COMPLETEAGENT: data2 (calltime) must be a whole number, not ''"),
    ("1700000000|1.1|q|NONE|ABANDON|1|1|1700000001", "ABANDON: data3 (waittime) is impossibly large: 1700000001"),
    ("100|1.1|q|NONE|ABANDON|1|1|200", "ABANDON: the durations it reports put the queue entry before 1970"),
    ("1700000000|NONE|q|NONE|ENTERQUEUE||555|1", "ENTERQUEUE: the call id (field 2) is missing"),
    ("1700000000|1.1|q|NONE|CONNECT|5|1.2|3", "CONNECT: the member (field 4) is missing"),
    ("1700000000|1.1|q|Agent/1|ATTENDEDTRANSFER|MAGIC|x|1|2|3", "ATTENDEDTRANSFER: data1 must be BRIDGE, APP or LINK, "
     "not 'MAGIC'"),
    ("1700000000|NONE|NONE|NONE|PAUSEALL|lunch", "PAUSEALL: the agent (field 4) is missing"),
])
def test_a_bad_line_is_reported_with_its_line_and_gives_no_event(line: str, reason: str) -> None:
    good = "1700000000|1.1|q|NONE|ENTERQUEUE||555|1\n"
    items = translated(good + line + "\n" + good)
    assert [(item.line, item.error, len(item.events)) for item in items] == [
        (1, None, 2), (2, reason, 0), (3, None, 2)]


def test_a_local_time_the_change_to_summer_time_skipped_is_impossible() -> None:
    paris = ZoneInfo("Europe/Paris")
    [item] = translated("2023-03-26 02:30:00.000000|1.1|q|NONE|ENTERQUEUE||555|1||\n", timezone=paris)
    assert item.error == ("the time '2023-03-26 02:30:00.000000' does not exist in Europe/Paris (skipped by a change "
                          "of UTC offset)")
    [fine] = translated("2023-03-26 03:30:00.000000|1.1|q|NONE|ENTERQUEUE||555|1||\n", timezone=paris)
    assert json.loads(fine.events[0])["timestamp"] == "2023-03-26T01:30:00.000Z"


def test_ignored_verbs_are_read_and_give_nothing() -> None:
    text = ("1596191926|NONE|NONE|NONE|QUEUESTART|\n1596191927|NONE|NONE|NONE|CONFIGRELOAD|\n"
            "1596191928|NONE|q|SIP/a|PENALTY|2\n1596191929|NONE|q|SIP/a|RINGINUSE|1\n"
            "1596191930|1.1|q|SIP/a|OUTCALL|ANSWER|30|x\n# a comment\n\n")
    assert [(item.error, item.events) for item in translated(text)] == [(None, ())] * 7


REFERENCE_VERBS = (
    # asterisk/asterisk apps/app_queue.c and main/logger.c (../shared/reference/importers.md, section 1.2)
    "ENTERQUEUE", "RINGNOANSWER", "RINGCANCELED", "CONNECT", "COMPLETEAGENT", "COMPLETECALLER", "ABANDON",
    "EXITWITHTIMEOUT", "EXITWITHKEY", "EXITEMPTY", "WITHDRAW", "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER",
    "AGENTDUMP", "SYSCOMPAT", "ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL", "PENALTY",
    "RINGINUSE", "AGENTLOGIN", "AGENTLOGOFF", "AGENTCALLBACKLOGIN", "AGENTCALLBACKLOGOFF", "QUEUESTART",
    "CONFIGRELOAD", "OUTCALL",
    # Wazo's dialplan and agentd
    "FULL", "JOINEMPTY", "LEAVEEMPTY", "CLOSED", "DIVERT_CA_RATIO", "DIVERT_HOLDTIME", "WRAPUPSTART",
    # FreePBX / QueueMetrics
    "DID", "CALLERONHOLD", "CALLEROFFHOLD", "PAUSEREASON", "INFO",
)


def test_every_verb_the_platforms_write_is_mapped_or_ignored_and_documented_as_such() -> None:
    from pathlib import Path

    from cxreport.importers.asterisk import IGNORED_VERBS, VERBS

    doc = (Path(__file__).resolve().parent.parent / "docs" / "importers.md").read_text()
    mapping = doc[doc.index("### The mapping"):doc.index("### Deliberately ignored")]
    ignored = doc[doc.index("### Deliberately ignored"):doc.index("### What queue_log cannot tell")]
    for verb in REFERENCE_VERBS:
        assert (verb in VERBS) != (verb in IGNORED_VERBS), verb  # exactly one of the two
        assert re.search(rf"\b{verb}\b", mapping if verb in VERBS else ignored), verb
    assert set(VERBS) | IGNORED_VERBS == set(REFERENCE_VERBS)
