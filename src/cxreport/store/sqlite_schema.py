"""SQLite schema migrations, in order. Version N is the N-th entry; applied ones are recorded in
`schema_migrations`. A migration runs in one transaction: it applies whole or not at all."""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: tenants, credentials, interaction records and their search facets, settings
    """
    CREATE TABLE tenants (
        tenant_id TEXT NOT NULL PRIMARY KEY,
        name      TEXT NOT NULL,
        timezone  TEXT NOT NULL
    );
    CREATE TABLE api_keys (
        tenant_id   TEXT NOT NULL REFERENCES tenants (tenant_id),
        key_id      TEXT NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('read', 'ingest', 'admin')),
        secret_hash TEXT NOT NULL,
        created_us  INTEGER NOT NULL,
        revoked_us  INTEGER,
        PRIMARY KEY (tenant_id, key_id)
    );
    CREATE UNIQUE INDEX api_keys_by_id ON api_keys (key_id);
    CREATE TABLE tokens (
        tenant_id  TEXT NOT NULL,
        token_hash TEXT NOT NULL,
        key_id     TEXT NOT NULL,
        expires_us INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, token_hash)
    );
    CREATE UNIQUE INDEX tokens_by_hash ON tokens (token_hash);
    CREATE INDEX tokens_by_key ON tokens (key_id);
    CREATE TABLE interactions (
        tenant_id      TEXT NOT NULL,
        interaction_id TEXT NOT NULL,
        start_us       INTEGER NOT NULL,
        end_us         INTEGER,
        updated_us     INTEGER NOT NULL,
        revision       INTEGER NOT NULL,
        record_revision INTEGER,
        channel_type   TEXT,
        direction      TEXT,
        customer       TEXT,
        contact_point  TEXT,
        contact_id     TEXT,
        flow_id        TEXT,
        flagged        INTEGER NOT NULL DEFAULT 0,
        abandoned      INTEGER NOT NULL DEFAULT 0,
        doc            BLOB NOT NULL,
        doc_with_nulls BLOB,
        facets         BLOB,
        PRIMARY KEY (tenant_id, interaction_id)
    );
    CREATE INDEX interactions_by_start ON interactions (tenant_id, start_us, interaction_id);
    CREATE TABLE interaction_facets (
        tenant_id      TEXT NOT NULL,
        kind           TEXT NOT NULL,
        value          TEXT NOT NULL,
        start_us       INTEGER NOT NULL,
        interaction_id TEXT NOT NULL,
        PRIMARY KEY (tenant_id, kind, value, start_us, interaction_id)
    ) WITHOUT ROWID;
    CREATE INDEX interactions_by_end ON interactions (tenant_id, end_us, interaction_id);
    CREATE INDEX interactions_by_update ON interactions (tenant_id, updated_us, interaction_id);
    CREATE TABLE settings (
        name  TEXT NOT NULL PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: events and the records derived from them; service-level definitions and their versions
    """
    ALTER TABLE interactions ADD COLUMN derived INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE events (
        tenant_id      TEXT NOT NULL,
        event_id       TEXT NOT NULL,
        interaction_id TEXT NOT NULL,
        time_us        INTEGER NOT NULL,
        type           TEXT NOT NULL,
        doc            BLOB NOT NULL,
        PRIMARY KEY (tenant_id, event_id)
    );
    CREATE INDEX events_by_interaction ON events (tenant_id, interaction_id, time_us, event_id);
    CREATE TABLE slas (
        tenant_id  TEXT NOT NULL,
        sla_id     TEXT NOT NULL,
        name       TEXT,
        queue_id   TEXT,
        created_us INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, sla_id)
    );
    CREATE UNIQUE INDEX slas_by_queue ON slas (tenant_id, coalesce(queue_id, ''));
    CREATE TABLE sla_versions (
        tenant_id         TEXT NOT NULL,
        sla_id            TEXT NOT NULL,
        version           INTEGER NOT NULL,
        sla_threshold     REAL NOT NULL,
        abandon_type      TEXT NOT NULL CHECK (abandon_type IN ('ignore-abandons', 'count-against-sla')),
        abandon_threshold REAL NOT NULL,
        from_us           INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, sla_id, version)
    );
    """,
    # 3: an event is identified by its interaction and eventId: one unique index serves both duplicate
    # detection and the lookup of an interaction's events (the table kept a second, eventId-only index before)
    """
    CREATE TABLE events_v3 (
        tenant_id      TEXT NOT NULL,
        event_id       TEXT NOT NULL,
        interaction_id TEXT NOT NULL,
        time_us        INTEGER NOT NULL,
        type           TEXT NOT NULL,
        doc            BLOB NOT NULL
    );
    INSERT INTO events_v3 (rowid, tenant_id, event_id, interaction_id, time_us, type, doc)
        SELECT rowid, tenant_id, event_id, interaction_id, time_us, type, doc FROM events;
    DROP TABLE events;
    ALTER TABLE events_v3 RENAME TO events;
    CREATE UNIQUE INDEX events_by_interaction ON events (tenant_id, interaction_id, event_id);
    """,
    # 4: agent-state events (login, logout, presence), per agent and independent of interactions: one row per
    # (agent, eventId), the key that drops duplicates; "this agent's events in [start, end)" walk the time index
    """
    CREATE TABLE agent_events (
        tenant_id   TEXT NOT NULL,
        agent_id    TEXT NOT NULL,
        event_id    TEXT NOT NULL,
        time_us     INTEGER NOT NULL,
        type        TEXT NOT NULL,
        state       TEXT,
        reason_code TEXT,
        session_id  TEXT,
        doc         BLOB NOT NULL,
        PRIMARY KEY (tenant_id, agent_id, event_id)
    );
    CREATE INDEX agent_events_by_time ON agent_events (tenant_id, agent_id, time_us, event_id);
    """,
    # 5: queue-entry facts, one row per `queues[]` entry of a record (`records/facts.py`), kept with the record;
    # clustered by entry instant, which interval statistics range over (the stores fill it from the stored
    # records right after this migration: `store/facts.py`)
    """
    CREATE TABLE queue_entry_facts (
        tenant_id      TEXT NOT NULL,
        entry_us       INTEGER NOT NULL,
        interaction_id TEXT NOT NULL,
        position       INTEGER NOT NULL,
        start_us       INTEGER NOT NULL,
        queue_entry_id TEXT,
        queue_id       TEXT,
        queue_name     TEXT,
        agent_id       TEXT,
        agent_name     TEXT,
        channel_type   TEXT,
        direction      TEXT,
        flow_id        TEXT,
        flow_name      TEXT,
        outcome        TEXT,
        queue_ms       INTEGER,
        answer_ms      INTEGER,
        sla_ms         INTEGER,
        sla_met        INTEGER,
        sla_abandoned  INTEGER,
        sla_id         TEXT,
        sla_version    INTEGER,
        talk_ms        INTEGER,
        hold_ms        INTEGER,
        wrap_ms        INTEGER,
        handle_ms      INTEGER,
        transfers      INTEGER NOT NULL,
        flagged        INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, entry_us, interaction_id, position)
    ) WITHOUT ROWID;
    CREATE INDEX queue_entry_facts_by_interaction ON queue_entry_facts (tenant_id, interaction_id);
    """,
    # 6: realtime statistics (`service/realtime.py`): what each interaction has in progress now (written by the
    # events transaction), each agent's latest state event (filled from the stored ones here), and a per-tenant
    # change counter bumped in every transaction that changes the tenant's figures (in shards, so that
    # concurrent transactions of one tenant do not wait for one row)
    """
    CREATE TABLE live_interactions (
        tenant_id      TEXT NOT NULL,
        interaction_id TEXT NOT NULL,
        last_us        INTEGER NOT NULL,
        activities     TEXT NOT NULL,
        PRIMARY KEY (tenant_id, interaction_id)
    ) WITHOUT ROWID;
    CREATE INDEX live_interactions_by_last ON live_interactions (tenant_id, last_us);
    CREATE TABLE agent_presence (
        tenant_id   TEXT NOT NULL,
        agent_id    TEXT NOT NULL,
        time_us     INTEGER NOT NULL,
        rank        INTEGER NOT NULL,
        event_id    TEXT NOT NULL,
        type        TEXT NOT NULL,
        state       TEXT,
        reason_code TEXT,
        PRIMARY KEY (tenant_id, agent_id)
    ) WITHOUT ROWID;
    INSERT INTO agent_presence (tenant_id, agent_id, time_us, rank, event_id, type, state, reason_code)
    SELECT tenant_id, agent_id, time_us, rank, event_id, type, state, reason_code FROM (
        SELECT e.*, CASE e.type WHEN 'agent-logged-in' THEN 0 WHEN 'agent-state-changed' THEN 1 ELSE 2 END AS rank,
            row_number() OVER (PARTITION BY tenant_id, agent_id ORDER BY time_us DESC,
                CASE e.type WHEN 'agent-logged-in' THEN 0 WHEN 'agent-state-changed' THEN 1 ELSE 2 END DESC,
                event_id DESC) AS latest
        FROM agent_events AS e
    ) WHERE latest = 1;
    CREATE TABLE realtime_changes (
        tenant_id TEXT NOT NULL,
        shard     INTEGER NOT NULL,
        counter   INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, shard)
    ) WITHOUT ROWID;
    """,
    # 7: rollups of the queue-entry facts per 15-minute UTC slot (`store/rollups.py`): per queue, and per channel,
    # direction and flow; the sums of `store/statistics.py`'s figures, rebuilt for every slot a write touches, in
    # its transaction (the stores fill them from the facts right after this migration)
    """
    CREATE TABLE queue_slot_rollups (
        tenant_id           TEXT NOT NULL,
        slot_us             INTEGER NOT NULL,
        queue_id            TEXT,
        queue_name          TEXT,
        offered             INTEGER NOT NULL,
        answered            INTEGER NOT NULL,
        abandoned           INTEGER NOT NULL,
        short_abandoned     INTEGER NOT NULL,
        timed_out           INTEGER NOT NULL,
        exited_with_key     INTEGER NOT NULL,
        left_empty          INTEGER NOT NULL,
        moved_by_flow       INTEGER NOT NULL,
        refused_full        INTEGER NOT NULL,
        refused_empty       INTEGER NOT NULL,
        closed              INTEGER NOT NULL,
        diverted            INTEGER NOT NULL,
        answered_within_sla INTEGER NOT NULL,
        sla_judged          INTEGER NOT NULL,
        waited              INTEGER NOT NULL,
        wait_ms             INTEGER NOT NULL,
        answers_timed       INTEGER NOT NULL,
        answer_ms           INTEGER NOT NULL,
        handled             INTEGER NOT NULL,
        handle_ms           INTEGER NOT NULL,
        talk_ms             INTEGER NOT NULL,
        hold_ms             INTEGER NOT NULL,
        wrap_ms             INTEGER NOT NULL,
        transfers           INTEGER NOT NULL,
        flagged             INTEGER NOT NULL,
        max_wait_ms         INTEGER,
        min_rule            TEXT,
        max_rule            TEXT
    );
    CREATE INDEX queue_slot_rollups_by_slot ON queue_slot_rollups (tenant_id, slot_us);
    CREATE TABLE channel_slot_rollups (
        tenant_id           TEXT NOT NULL,
        slot_us             INTEGER NOT NULL,
        channel_type        TEXT,
        direction           TEXT,
        flow_id             TEXT,
        flow_name           TEXT,
        offered             INTEGER NOT NULL,
        answered            INTEGER NOT NULL,
        abandoned           INTEGER NOT NULL,
        short_abandoned     INTEGER NOT NULL,
        timed_out           INTEGER NOT NULL,
        exited_with_key     INTEGER NOT NULL,
        left_empty          INTEGER NOT NULL,
        moved_by_flow       INTEGER NOT NULL,
        refused_full        INTEGER NOT NULL,
        refused_empty       INTEGER NOT NULL,
        closed              INTEGER NOT NULL,
        diverted            INTEGER NOT NULL,
        answered_within_sla INTEGER NOT NULL,
        sla_judged          INTEGER NOT NULL,
        waited              INTEGER NOT NULL,
        wait_ms             INTEGER NOT NULL,
        answers_timed       INTEGER NOT NULL,
        answer_ms           INTEGER NOT NULL,
        handled             INTEGER NOT NULL,
        handle_ms           INTEGER NOT NULL,
        talk_ms             INTEGER NOT NULL,
        hold_ms             INTEGER NOT NULL,
        wrap_ms             INTEGER NOT NULL,
        transfers           INTEGER NOT NULL,
        flagged             INTEGER NOT NULL,
        max_wait_ms         INTEGER,
        min_rule            TEXT,
        max_rule            TEXT
    );
    CREATE INDEX channel_slot_rollups_by_slot ON channel_slot_rollups (tenant_id, slot_us);
    """,
    # 8: where each follower of a live log stands (`cxreport follow-queue-log`): stored after the events of the
    # lines before it, so a restarted follower goes on from there
    """
    CREATE TABLE follow_positions (
        tenant_id   TEXT NOT NULL,
        source      TEXT NOT NULL,
        path        TEXT NOT NULL,
        file_id     TEXT NOT NULL,
        byte_offset INTEGER NOT NULL,
        line        INTEGER NOT NULL,
        updated_us  INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, source, path)
    );
    """,
    # 9: record counts per tenant, UTC hour of the start and cell (channel type, direction, flagged, abandoned), for
    # every record and per queue (`store/hours.py`): a search's exact total sums a window's whole hours
    # from them; kept by every upsert in its transaction, filled here from the stored records
    """
    CREATE TABLE interaction_hours (
        tenant_id    TEXT NOT NULL,
        kind         TEXT NOT NULL,
        value        TEXT NOT NULL,
        hour_us      INTEGER NOT NULL,
        channel_type TEXT NOT NULL,
        direction    TEXT NOT NULL,
        flagged      INTEGER NOT NULL,
        abandoned    INTEGER NOT NULL,
        n            INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, kind, value, hour_us, channel_type, direction, flagged, abandoned)
    ) WITHOUT ROWID;
    INSERT INTO interaction_hours (tenant_id, kind, value, hour_us, channel_type, direction, flagged, abandoned, n)
    SELECT tenant_id, '', '',
        CASE WHEN start_us >= 0 THEN start_us / 3600000000 * 3600000000
            ELSE -((-start_us + 3600000000 - 1) / 3600000000) * 3600000000 END,
        coalesce(channel_type, ''), coalesce(direction, ''),
        flagged, abandoned, count(*)
    FROM interactions GROUP BY 1, 4, 5, 6, 7, 8;
    INSERT INTO interaction_hours (tenant_id, kind, value, hour_us, channel_type, direction, flagged, abandoned, n)
    SELECT f.tenant_id, 'queueId', f.value,
        CASE WHEN f.start_us >= 0 THEN f.start_us / 3600000000 * 3600000000
            ELSE -((-f.start_us + 3600000000 - 1) / 3600000000) * 3600000000 END,
        coalesce(i.channel_type, ''),
        coalesce(i.direction, ''), i.flagged, i.abandoned, count(*)
    FROM interaction_facets AS f
    JOIN interactions AS i ON i.tenant_id = f.tenant_id AND i.interaction_id = f.interaction_id
    WHERE f.kind = 'queueId' GROUP BY 1, 3, 4, 5, 6, 7, 8;
    """,
    # 10: the same rollups per UTC hour (`store/rollups.py`), summed from the quarter-hour ones: what hourly and longer
    # buckets read in zones of whole-hour offsets; clustered by (tenant, hour) (`n` numbers a slot's rows). Rebuilt
    # with the quarter hours a write touches, and filled from them right after this migration. The key's columns come
    # first: SQLite 3.40's integrity_check reports NOT NULL columns after a WITHOUT ROWID key column as NULL
    """
    CREATE TABLE queue_hour_rollups (
        tenant_id           TEXT NOT NULL,
        slot_us             INTEGER NOT NULL,
        n                   INTEGER NOT NULL,
        queue_id            TEXT,
        queue_name          TEXT,
        offered             INTEGER NOT NULL,
        answered            INTEGER NOT NULL,
        abandoned           INTEGER NOT NULL,
        short_abandoned     INTEGER NOT NULL,
        timed_out           INTEGER NOT NULL,
        exited_with_key     INTEGER NOT NULL,
        left_empty          INTEGER NOT NULL,
        moved_by_flow       INTEGER NOT NULL,
        refused_full        INTEGER NOT NULL,
        refused_empty       INTEGER NOT NULL,
        closed              INTEGER NOT NULL,
        diverted            INTEGER NOT NULL,
        answered_within_sla INTEGER NOT NULL,
        sla_judged          INTEGER NOT NULL,
        waited              INTEGER NOT NULL,
        wait_ms             INTEGER NOT NULL,
        answers_timed       INTEGER NOT NULL,
        answer_ms           INTEGER NOT NULL,
        handled             INTEGER NOT NULL,
        handle_ms           INTEGER NOT NULL,
        talk_ms             INTEGER NOT NULL,
        hold_ms             INTEGER NOT NULL,
        wrap_ms             INTEGER NOT NULL,
        transfers           INTEGER NOT NULL,
        flagged             INTEGER NOT NULL,
        max_wait_ms         INTEGER,
        min_rule            TEXT,
        max_rule            TEXT,
        PRIMARY KEY (tenant_id, slot_us, n)
    ) WITHOUT ROWID;
    CREATE TABLE channel_hour_rollups (
        tenant_id           TEXT NOT NULL,
        slot_us             INTEGER NOT NULL,
        n                   INTEGER NOT NULL,
        channel_type        TEXT,
        direction           TEXT,
        flow_id             TEXT,
        flow_name           TEXT,
        offered             INTEGER NOT NULL,
        answered            INTEGER NOT NULL,
        abandoned           INTEGER NOT NULL,
        short_abandoned     INTEGER NOT NULL,
        timed_out           INTEGER NOT NULL,
        exited_with_key     INTEGER NOT NULL,
        left_empty          INTEGER NOT NULL,
        moved_by_flow       INTEGER NOT NULL,
        refused_full        INTEGER NOT NULL,
        refused_empty       INTEGER NOT NULL,
        closed              INTEGER NOT NULL,
        diverted            INTEGER NOT NULL,
        answered_within_sla INTEGER NOT NULL,
        sla_judged          INTEGER NOT NULL,
        waited              INTEGER NOT NULL,
        wait_ms             INTEGER NOT NULL,
        answers_timed       INTEGER NOT NULL,
        answer_ms           INTEGER NOT NULL,
        handled             INTEGER NOT NULL,
        handle_ms           INTEGER NOT NULL,
        talk_ms             INTEGER NOT NULL,
        hold_ms             INTEGER NOT NULL,
        wrap_ms             INTEGER NOT NULL,
        transfers           INTEGER NOT NULL,
        flagged             INTEGER NOT NULL,
        max_wait_ms         INTEGER,
        min_rule            TEXT,
        max_rule            TEXT,
        PRIMARY KEY (tenant_id, slot_us, n)
    ) WITHOUT ROWID;
    """,
    # 11: a change counter per tenant and UTC quarter hour of queue entries (`store/realtime.py`), bumped in the
    # transaction that writes or replaces a fact of that quarter hour: what realtime statistics read again of
    # today's sums (a quarter hour without a row has not changed since this migration: counter 0)
    """
    CREATE TABLE realtime_slots (
        tenant_id TEXT NOT NULL,
        slot_us   INTEGER NOT NULL,
        counter   INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, slot_us)
    ) WITHOUT ROWID;
    """,
    # 12: nothing: PostgreSQL's migration 12 keeps each record's facets on its row, as this schema has since
    # migration 1 (the two stores keep one numbering)
    """
    -- nothing to change
    """,
    # 13: nothing: PostgreSQL's migration 13 rewrites instants stored as -infinity; this schema keeps integers
    """
    -- nothing to change
    """,
]
