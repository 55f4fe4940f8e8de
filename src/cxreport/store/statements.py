"""The SQL both stores run alike, written once with `?` placeholders and spelled in each store's `Dialect`:
schema versions, tenants, credentials, settings, records and events read by id, service levels. (Searches
and exports are built in `querying.py`; what differs between the stores stays in `sqlite.py` and
`postgres.py`.)"""

from __future__ import annotations

from cxreport.store.base import MAX_INSTANT, Window
from cxreport.store.dialect import Dialect


def doc_column(include_nulls: bool) -> str:
    """The document a client asked for: the record as ingested, nulls included, or without them."""
    return "coalesce(doc_with_nulls, doc)" if include_nulls else "doc"


class Statements:
    """The shared statements, spelled in one dialect (built once per store class)."""

    def __init__(self, d: Dialect) -> None:
        t = d.as_text
        key_columns = f"key_id{t}, tenant_id{t}, role, secret_hash, created_us, revoked_us"
        sla_columns = f"sla_id{t}, name, queue_id, created_us"
        version_columns = "version, sla_threshold, abandon_type, abandon_threshold, from_us"
        self.schema_version = "SELECT coalesce(max(version), 0) FROM schema_migrations"
        self.record_migration = d.sql("INSERT INTO schema_migrations (version, applied_us) VALUES (?, ?)")
        self.insert_tenant = d.sql("INSERT INTO tenants (tenant_id, name, timezone) VALUES (?, ?, ?)")
        self.get_tenant = d.sql(f"SELECT tenant_id{t}, name, timezone FROM tenants WHERE tenant_id = ?")
        self.insert_key = d.sql(
            "INSERT INTO api_keys (tenant_id, key_id, role, secret_hash, created_us, revoked_us)"
            " VALUES (?, ?, ?, ?, ?, ?)"
        )
        self.get_key = d.sql(f"SELECT {key_columns} FROM api_keys WHERE key_id = ?")
        self.list_keys = d.sql(f"SELECT {key_columns} FROM api_keys WHERE tenant_id = ? ORDER BY created_us, key_id")
        self.revoke_key = d.sql("UPDATE api_keys SET revoked_us = ? WHERE key_id = ? AND revoked_us IS NULL")
        self.delete_key_tokens = d.sql("DELETE FROM tokens WHERE key_id = ?")
        self.count_live_tokens = d.sql("SELECT count(*) FROM tokens WHERE key_id = ? AND expires_us > ?")
        self.count_live_keys = d.sql("SELECT count(*) FROM api_keys WHERE tenant_id = ? AND revoked_us IS NULL")
        self.delete_expired_tokens = d.sql("DELETE FROM tokens WHERE expires_us < ?")
        self.insert_token = d.sql("INSERT INTO tokens (tenant_id, token_hash, key_id, expires_us) VALUES (?, ?, ?, ?)")
        self.get_token = d.sql(
            f"SELECT token_hash, tenant_id{t}, key_id{t}, expires_us FROM tokens WHERE token_hash = ?"
        )
        start, end = d.insert_ignoring
        self.insert_setting = d.sql(f"{start} settings (name, value) VALUES (?, ?){end}")
        self.get_setting = d.sql("SELECT value FROM settings WHERE name = ?")
        self.get_record = {
            include_nulls: d.sql(
                f"SELECT {doc_column(include_nulls)} FROM interactions WHERE tenant_id = ? AND interaction_id = ?"
            )
            for include_nulls in (False, True)
        }
        self.events_of = d.sql(
            f"SELECT doc FROM events WHERE tenant_id = ? AND interaction_id = ? ORDER BY {d.event_time}, event_id"
        )
        time = d.event_time
        agent_columns = f"{time}, event_id, type, state, reason_code, session_id"
        self.insert_agent_event = d.sql(
            f"{start} agent_events (tenant_id, agent_id, event_id, {time}, type, state, reason_code, session_id, doc)"
            f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?){end}"
        )
        in_window = f"tenant_id = ? AND agent_id = ? AND {time} >= ? AND {time} < ?"
        # an agent's events in a window, from its start or after a keyset position (time, eventId)
        self.agent_events = {
            after: d.sql(
                f"SELECT {agent_columns}, doc FROM agent_events WHERE {in_window}"
                + (f" AND ({time}, event_id) > (?, ?)" if after else "")
                + f" ORDER BY {time}, event_id LIMIT ?"
            )
            for after in (False, True)
        }
        # the agents with a state event before an instant (a session may be open in any window before it)
        self.agents_with_states = d.sql(
            f"SELECT DISTINCT agent_id FROM agent_events WHERE tenant_id = ? AND {time} < ? ORDER BY agent_id"
        )
        # an agent's events in a window, at the last instant before it and at the first instant from its end on
        self.agent_state_changes = d.sql(
            f"SELECT {agent_columns} FROM agent_events WHERE tenant_id = ? AND agent_id = ?"
            f" AND {time} >= coalesce((SELECT max({time}) FROM agent_events"
            f" WHERE tenant_id = ? AND agent_id = ? AND {time} < ?), ?)"
            f" AND {time} <= coalesce((SELECT min({time}) FROM agent_events"
            f" WHERE tenant_id = ? AND agent_id = ? AND {time} >= ?), ?) ORDER BY {time}, event_id"
        )
        self.follow_position = d.sql(
            "SELECT file_id, byte_offset, line FROM follow_positions WHERE tenant_id = ? AND source = ? AND path = ?"
        )
        self.set_follow_position = d.sql(
            "INSERT INTO follow_positions (tenant_id, source, path, file_id, byte_offset, line, updated_us)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, source, path) DO UPDATE SET"
            " file_id = excluded.file_id, byte_offset = excluded.byte_offset, line = excluded.line,"
            " updated_us = excluded.updated_us"
        )
        self.insert_sla = d.sql(
            "INSERT INTO slas (tenant_id, sla_id, name, queue_id, created_us) VALUES (?, ?, ?, ?, ?)"
        )
        self.insert_version = d.sql(
            f"INSERT INTO sla_versions (tenant_id, sla_id, {version_columns}) VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        self.lock_sla = d.sql(f"SELECT 1 FROM slas WHERE tenant_id = ? AND sla_id = ?{d.lock_row}")
        self.last_version = d.sql(
            "SELECT coalesce(max(version), 0), coalesce(max(from_us), 0) FROM sla_versions"
            " WHERE tenant_id = ? AND sla_id = ?"
        )
        self.sla_id_is = d.sql("AND sla_id = ?")
        self.entries_naming_version = d.sql(
            "SELECT DISTINCT entry_us FROM queue_entry_facts WHERE tenant_id = ? AND sla_id = ? AND sla_version = ?"
        )
        self.slas = d.sql(
            f"SELECT {sla_columns} FROM slas WHERE tenant_id = ? {{}} ORDER BY queue_id IS NOT NULL, queue_id, sla_id"
        )
        self.versions = d.sql(
            f"SELECT sla_id{t}, {version_columns} FROM sla_versions WHERE tenant_id = ? {{}} ORDER BY version"
        )


def restatement_statement(
    d: Dialect, tenant_id: str, queue_id: str | None, window: Window, after: tuple[int, str] | None, limit: int
) -> tuple[str, tuple[object, ...]]:
    """`Store.restatement_batch`'s query: derived records whose span overlaps `window` (start before its end, end
    at or after its start, or none yet), newest first (the start indexes' order), after the keyset position;
    with a queue, walked from that queue's facet rows."""
    start, end, t = d.time_columns["start"], d.time_columns["end"], d.as_text
    row = "i" if queue_id is None else "f"
    conditions = [f"i.derived AND (i.{end} IS NULL OR i.{end} >= ?)"]
    params: list[object] = [d.time_param(window.start_us)]
    if window.end_us < MAX_INSTANT:
        conditions.append(f"{row}.{start} < ?")
        params.append(d.time_param(window.end_us))
    if after is not None:
        conditions.append(f"({row}.{start}, {row}.interaction_id) < (?, ?)")
        params.extend((d.time_param(after[0]), after[1]))
    key: tuple[str, ...] = (tenant_id,)
    if queue_id is None:
        source = "interactions i WHERE i.tenant_id = ?"
    else:
        source = (
            "interaction_facets f JOIN interactions i ON i.tenant_id = f.tenant_id"
            " AND i.interaction_id = f.interaction_id WHERE f.tenant_id = ? AND f.kind = 'queueId' AND f.value = ?"
        )
        key = (tenant_id, queue_id)
    sql = (
        f"SELECT {row}.{start}, {row}.interaction_id{t} FROM {source} AND {' AND '.join(conditions)}"
        f" ORDER BY {row}.{start} DESC, {row}.interaction_id DESC LIMIT ?"
    )
    return d.sql(sql), (*key, *params, limit)
