"""PostgreSQL schema migrations, in order. Version N is the N-th entry; applied ones are recorded in
`schema_migrations`. Pending migrations run in one transaction: all of them apply, or none.

Every table's key starts with tenant_id and every query filters by it, so the tenant tables can be
hash-distributed by tenant (Citus) without changing a query. `api_keys` and `tokens` are looked up by
key id or token hash before the tenant is known: on Citus they are reference tables (small, replicated)."""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: tenants, credentials, interaction records and their search facets, settings
    """
    CREATE TABLE tenants (
        tenant_id uuid NOT NULL PRIMARY KEY,
        name      text NOT NULL,
        timezone  text NOT NULL
    );
    CREATE TABLE api_keys (
        tenant_id   uuid NOT NULL REFERENCES tenants (tenant_id),
        key_id      uuid NOT NULL,
        role        text NOT NULL CHECK (role IN ('read', 'ingest', 'admin')),
        secret_hash text NOT NULL,
        created_us  bigint NOT NULL,
        revoked_us  bigint,
        PRIMARY KEY (tenant_id, key_id)
    );
    CREATE UNIQUE INDEX api_keys_by_id ON api_keys (key_id);
    CREATE TABLE tokens (
        tenant_id  uuid NOT NULL,
        token_hash text NOT NULL,
        key_id     uuid NOT NULL,
        expires_us bigint NOT NULL,
        PRIMARY KEY (tenant_id, token_hash)
    );
    CREATE UNIQUE INDEX tokens_by_hash ON tokens (token_hash);
    CREATE INDEX tokens_by_key ON tokens (key_id);
    CREATE TABLE interactions (
        tenant_id      uuid NOT NULL,
        interaction_id uuid NOT NULL,
        start_ts       timestamptz NOT NULL,
        end_ts         timestamptz,
        updated_us     bigint NOT NULL,
        revision       integer NOT NULL,
        record_revision bigint,
        channel_type   text,
        direction      text,
        customer       text,
        contact_point  text,
        contact_id     text,
        flow_id        text,
        flagged        boolean NOT NULL DEFAULT false,
        abandoned      boolean NOT NULL DEFAULT false,
        doc            json NOT NULL,
        doc_with_nulls json,
        PRIMARY KEY (tenant_id, interaction_id)
    );
    CREATE INDEX interactions_by_start ON interactions (tenant_id, start_ts DESC, interaction_id DESC);
    CREATE TABLE interaction_facets (
        tenant_id      uuid NOT NULL,
        kind           text NOT NULL,
        value          text NOT NULL,
        start_ts       timestamptz NOT NULL,
        interaction_id uuid NOT NULL,
        PRIMARY KEY (tenant_id, kind, value, start_ts, interaction_id)
    );
    CREATE INDEX interaction_facets_by_interaction ON interaction_facets (tenant_id, interaction_id);
    CREATE INDEX interactions_by_end ON interactions (tenant_id, end_ts DESC, interaction_id DESC);
    CREATE INDEX interactions_by_update ON interactions (tenant_id, updated_us DESC, interaction_id DESC);
    CREATE TABLE settings (
        name  text NOT NULL PRIMARY KEY,
        value text NOT NULL
    );
    """,
    # 2: events and the records derived from them; service-level definitions and their versions
    """
    ALTER TABLE interactions ADD COLUMN derived boolean NOT NULL DEFAULT false;
    CREATE TABLE events (
        tenant_id      uuid NOT NULL,
        event_id       text NOT NULL,
        interaction_id uuid NOT NULL,
        time_ts        timestamptz NOT NULL,
        type           text NOT NULL,
        doc            json NOT NULL,
        PRIMARY KEY (tenant_id, event_id)
    );
    CREATE INDEX events_by_interaction ON events (tenant_id, interaction_id, time_ts, event_id);
    CREATE TABLE slas (
        tenant_id  uuid NOT NULL,
        sla_id     uuid NOT NULL,
        name       text,
        queue_id   text,
        created_us bigint NOT NULL,
        PRIMARY KEY (tenant_id, sla_id)
    );
    CREATE UNIQUE INDEX slas_by_queue ON slas (tenant_id, coalesce(queue_id, ''));
    CREATE TABLE sla_versions (
        tenant_id         uuid NOT NULL,
        sla_id            uuid NOT NULL,
        version           integer NOT NULL,
        sla_threshold     double precision NOT NULL,
        abandon_type      text NOT NULL CHECK (abandon_type IN ('ignore-abandons', 'count-against-sla')),
        abandon_threshold double precision NOT NULL,
        from_us           bigint NOT NULL,
        PRIMARY KEY (tenant_id, sla_id, version)
    );
    """,
    # 3: an event is identified by its interaction and eventId (see the SQLite schema's migration 3)
    """
    ALTER TABLE events DROP CONSTRAINT events_pkey;
    DROP INDEX events_by_interaction;
    ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (tenant_id, interaction_id, event_id);
    """,
    # 4: agent-state events (see the SQLite schema's migration 4)
    """
    CREATE TABLE agent_events (
        tenant_id   uuid NOT NULL,
        agent_id    text NOT NULL,
        event_id    text NOT NULL,
        time_ts     timestamptz NOT NULL,
        type        text NOT NULL,
        state       text,
        reason_code text,
        session_id  text,
        doc         json NOT NULL,
        PRIMARY KEY (tenant_id, agent_id, event_id)
    );
    CREATE INDEX agent_events_by_time ON agent_events (tenant_id, agent_id, time_ts, event_id);
    """,
    # 5: queue-entry facts, one row per `queues[]` entry of a record (see the SQLite schema's migration 5)
    """
    CREATE TABLE queue_entry_facts (
        tenant_id      uuid NOT NULL,
        entry_us       bigint NOT NULL,
        interaction_id uuid NOT NULL,
        position       integer NOT NULL,
        start_ts       timestamptz NOT NULL,
        queue_entry_id text,
        queue_id       text,
        queue_name     text,
        agent_id       text,
        agent_name     text,
        channel_type   text,
        direction      text,
        flow_id        text,
        flow_name      text,
        outcome        text,
        queue_ms       bigint,
        answer_ms      bigint,
        sla_ms         bigint,
        sla_met        boolean,
        sla_abandoned  boolean,
        sla_id         text,
        sla_version    integer,
        talk_ms        bigint,
        hold_ms        bigint,
        wrap_ms        bigint,
        handle_ms      bigint,
        transfers      integer NOT NULL,
        flagged        boolean NOT NULL,
        PRIMARY KEY (tenant_id, interaction_id, position)
    );
    CREATE INDEX queue_entry_facts_by_entry ON queue_entry_facts (tenant_id, entry_us);
    """,
    # 6: realtime statistics (see the SQLite schema's migration 6)
    """
    CREATE TABLE live_interactions (
        tenant_id      uuid NOT NULL,
        interaction_id uuid NOT NULL,
        last_us        bigint NOT NULL,
        activities     text NOT NULL,
        PRIMARY KEY (tenant_id, interaction_id)
    );
    CREATE INDEX live_interactions_by_last ON live_interactions (tenant_id, last_us);
    CREATE TABLE agent_presence (
        tenant_id   uuid NOT NULL,
        agent_id    text NOT NULL,
        time_us     bigint NOT NULL,
        rank        integer NOT NULL,
        event_id    text NOT NULL,
        type        text NOT NULL,
        state       text,
        reason_code text,
        PRIMARY KEY (tenant_id, agent_id)
    );
    INSERT INTO agent_presence (tenant_id, agent_id, time_us, rank, event_id, type, state, reason_code)
    SELECT DISTINCT ON (tenant_id, agent_id) tenant_id, agent_id,
        (extract(epoch FROM time_ts) * 1000000)::bigint,
        CASE type WHEN 'agent-logged-in' THEN 0 WHEN 'agent-state-changed' THEN 1 ELSE 2 END,
        event_id, type, state, reason_code
    FROM agent_events
    ORDER BY tenant_id, agent_id, time_ts DESC,
        CASE type WHEN 'agent-logged-in' THEN 0 WHEN 'agent-state-changed' THEN 1 ELSE 2 END DESC, event_id DESC;
    CREATE TABLE realtime_changes (
        tenant_id uuid NOT NULL,
        shard     integer NOT NULL,
        counter   bigint NOT NULL,
        PRIMARY KEY (tenant_id, shard)
    );
    """,
    # 7: rollups of the queue-entry facts per 15-minute UTC slot (see the SQLite schema's migration 7)
    """
    CREATE TABLE queue_slot_rollups (
        tenant_id           uuid NOT NULL,
        slot_us             bigint NOT NULL,
        queue_id            text,
        queue_name          text,
        offered             bigint NOT NULL,
        answered            bigint NOT NULL,
        abandoned           bigint NOT NULL,
        short_abandoned     bigint NOT NULL,
        timed_out           bigint NOT NULL,
        exited_with_key     bigint NOT NULL,
        left_empty          bigint NOT NULL,
        moved_by_flow       bigint NOT NULL,
        refused_full        bigint NOT NULL,
        refused_empty       bigint NOT NULL,
        closed              bigint NOT NULL,
        diverted            bigint NOT NULL,
        answered_within_sla bigint NOT NULL,
        sla_judged          bigint NOT NULL,
        waited              bigint NOT NULL,
        wait_ms             bigint NOT NULL,
        answers_timed       bigint NOT NULL,
        answer_ms           bigint NOT NULL,
        handled             bigint NOT NULL,
        handle_ms           bigint NOT NULL,
        talk_ms             bigint NOT NULL,
        hold_ms             bigint NOT NULL,
        wrap_ms             bigint NOT NULL,
        transfers           bigint NOT NULL,
        flagged             bigint NOT NULL,
        max_wait_ms         bigint,
        min_rule            text,
        max_rule            text
    );
    CREATE INDEX queue_slot_rollups_by_slot ON queue_slot_rollups (tenant_id, slot_us);
    CREATE TABLE channel_slot_rollups (
        tenant_id           uuid NOT NULL,
        slot_us             bigint NOT NULL,
        channel_type        text,
        direction           text,
        flow_id             text,
        flow_name           text,
        offered             bigint NOT NULL,
        answered            bigint NOT NULL,
        abandoned           bigint NOT NULL,
        short_abandoned     bigint NOT NULL,
        timed_out           bigint NOT NULL,
        exited_with_key     bigint NOT NULL,
        left_empty          bigint NOT NULL,
        moved_by_flow       bigint NOT NULL,
        refused_full        bigint NOT NULL,
        refused_empty       bigint NOT NULL,
        closed              bigint NOT NULL,
        diverted            bigint NOT NULL,
        answered_within_sla bigint NOT NULL,
        sla_judged          bigint NOT NULL,
        waited              bigint NOT NULL,
        wait_ms             bigint NOT NULL,
        answers_timed       bigint NOT NULL,
        answer_ms           bigint NOT NULL,
        handled             bigint NOT NULL,
        handle_ms           bigint NOT NULL,
        talk_ms             bigint NOT NULL,
        hold_ms             bigint NOT NULL,
        wrap_ms             bigint NOT NULL,
        transfers           bigint NOT NULL,
        flagged             bigint NOT NULL,
        max_wait_ms         bigint,
        min_rule            text,
        max_rule            text
    );
    CREATE INDEX channel_slot_rollups_by_slot ON channel_slot_rollups (tenant_id, slot_us);
    """,
    # 8: where each follower of a live log stands (`cxreport follow-queue-log`): stored after the events of the
    # lines before it, so a restarted follower goes on from there
    """
    CREATE TABLE follow_positions (
        tenant_id   uuid NOT NULL,
        source      text NOT NULL,
        path        text NOT NULL,
        file_id     text NOT NULL,
        byte_offset bigint NOT NULL,
        line        bigint NOT NULL,
        updated_us  bigint NOT NULL,
        PRIMARY KEY (tenant_id, source, path)
    );
    """,
    # 9: record counts per tenant, UTC hour of the start and cell (see the SQLite schema's migration 9); an update of
    # a record returns the start it replaced (`replaced_start_us`), so the upsert can take that record off its hour
    """
    CREATE TABLE interaction_hours (
        tenant_id    uuid NOT NULL,
        kind         text NOT NULL,
        value        text NOT NULL,
        hour_us      bigint NOT NULL,
        channel_type text NOT NULL,
        direction    text NOT NULL,
        flagged      integer NOT NULL,
        abandoned    integer NOT NULL,
        n            bigint NOT NULL,
        PRIMARY KEY (tenant_id, kind, value, hour_us, channel_type, direction, flagged, abandoned)
    );
    ALTER TABLE interactions ADD COLUMN replaced_start_us bigint;
    INSERT INTO interaction_hours (tenant_id, kind, value, hour_us, channel_type, direction, flagged, abandoned, n)
    SELECT tenant_id, '', '',
        CASE WHEN isfinite(start_ts) THEN floor(extract(epoch FROM start_ts) / 3600)::bigint * 3600000000
            ELSE -62135596800000000 END,
        coalesce(channel_type, ''),
        coalesce(direction, ''), flagged::integer, abandoned::integer, count(*)
    FROM interactions GROUP BY 1, 4, 5, 6, 7, 8;
    INSERT INTO interaction_hours (tenant_id, kind, value, hour_us, channel_type, direction, flagged, abandoned, n)
    SELECT f.tenant_id, 'queueId', f.value,
        CASE WHEN isfinite(f.start_ts) THEN floor(extract(epoch FROM f.start_ts) / 3600)::bigint * 3600000000
            ELSE -62135596800000000 END,
        coalesce(i.channel_type, ''),
        coalesce(i.direction, ''), i.flagged::integer, i.abandoned::integer, count(*)
    FROM interaction_facets AS f
    JOIN interactions AS i ON i.tenant_id = f.tenant_id AND i.interaction_id = f.interaction_id
    WHERE f.kind = 'queueId' GROUP BY 1, 3, 4, 5, 6, 7, 8;
    """,
    # 10: the rollups per UTC hour (see the SQLite schema's migration 10)
    """
    CREATE TABLE queue_hour_rollups (
        tenant_id           uuid NOT NULL,
        slot_us             bigint NOT NULL,
        n                   bigint NOT NULL,
        queue_id            text,
        queue_name          text,
        offered             bigint NOT NULL,
        answered            bigint NOT NULL,
        abandoned           bigint NOT NULL,
        short_abandoned     bigint NOT NULL,
        timed_out           bigint NOT NULL,
        exited_with_key     bigint NOT NULL,
        left_empty          bigint NOT NULL,
        moved_by_flow       bigint NOT NULL,
        refused_full        bigint NOT NULL,
        refused_empty       bigint NOT NULL,
        closed              bigint NOT NULL,
        diverted            bigint NOT NULL,
        answered_within_sla bigint NOT NULL,
        sla_judged          bigint NOT NULL,
        waited              bigint NOT NULL,
        wait_ms             bigint NOT NULL,
        answers_timed       bigint NOT NULL,
        answer_ms           bigint NOT NULL,
        handled             bigint NOT NULL,
        handle_ms           bigint NOT NULL,
        talk_ms             bigint NOT NULL,
        hold_ms             bigint NOT NULL,
        wrap_ms             bigint NOT NULL,
        transfers           bigint NOT NULL,
        flagged             bigint NOT NULL,
        max_wait_ms         bigint,
        min_rule            text,
        max_rule            text,
        PRIMARY KEY (tenant_id, slot_us, n)
    );
    CREATE TABLE channel_hour_rollups (
        tenant_id           uuid NOT NULL,
        slot_us             bigint NOT NULL,
        n                   bigint NOT NULL,
        channel_type        text,
        direction           text,
        flow_id             text,
        flow_name           text,
        offered             bigint NOT NULL,
        answered            bigint NOT NULL,
        abandoned           bigint NOT NULL,
        short_abandoned     bigint NOT NULL,
        timed_out           bigint NOT NULL,
        exited_with_key     bigint NOT NULL,
        left_empty          bigint NOT NULL,
        moved_by_flow       bigint NOT NULL,
        refused_full        bigint NOT NULL,
        refused_empty       bigint NOT NULL,
        closed              bigint NOT NULL,
        diverted            bigint NOT NULL,
        answered_within_sla bigint NOT NULL,
        sla_judged          bigint NOT NULL,
        waited              bigint NOT NULL,
        wait_ms             bigint NOT NULL,
        answers_timed       bigint NOT NULL,
        answer_ms           bigint NOT NULL,
        handled             bigint NOT NULL,
        handle_ms           bigint NOT NULL,
        talk_ms             bigint NOT NULL,
        hold_ms             bigint NOT NULL,
        wrap_ms             bigint NOT NULL,
        transfers           bigint NOT NULL,
        flagged             bigint NOT NULL,
        max_wait_ms         bigint,
        min_rule            text,
        max_rule            text,
        PRIMARY KEY (tenant_id, slot_us, n)
    );
    """,
    # 11: a change counter per tenant and UTC quarter hour of queue entries (see the SQLite schema's migration 11)
    """
    CREATE TABLE realtime_slots (
        tenant_id uuid NOT NULL,
        slot_us   bigint NOT NULL,
        counter   bigint NOT NULL,
        PRIMARY KEY (tenant_id, slot_us)
    );
    """,
    # 12: each record's facets kept on its row, as SQLite's have been (a JSON array of [kind, value]): a replaced
    # record's facets are deleted by their keys (the update returns the ones it replaced, `replaced_facets`), so
    # the index of every facet by interaction, there only for that delete, goes (~25 µs of server CPU a record
    # of a bulk import: 7–8 random index entries)
    """
    ALTER TABLE interactions ADD COLUMN facets text NOT NULL DEFAULT '[]';
    ALTER TABLE interactions ADD COLUMN replaced_facets text;
    UPDATE interactions AS i SET facets = f.facets
    FROM (SELECT tenant_id, interaction_id, json_agg(json_build_array(kind, value) ORDER BY kind, value)::text AS facets
          FROM interaction_facets GROUP BY tenant_id, interaction_id) AS f
    WHERE i.tenant_id = f.tenant_id AND i.interaction_id = f.interaction_id;
    DROP INDEX IF EXISTS interaction_facets_by_interaction;
    """,
    # 13: the instant 0001-01-01T00:00:00Z was written as -infinity, which the driver cannot read back (a record
    # or an agent event there made every read reaching its row fail); it is written as itself since
    """
    UPDATE interactions SET start_ts = '0001-01-01 00:00:00+00' WHERE start_ts = '-infinity';
    UPDATE interactions SET end_ts = '0001-01-01 00:00:00+00' WHERE end_ts = '-infinity';
    UPDATE interaction_facets SET start_ts = '0001-01-01 00:00:00+00' WHERE start_ts = '-infinity';
    UPDATE events SET time_ts = '0001-01-01 00:00:00+00' WHERE time_ts = '-infinity';
    UPDATE agent_events SET time_ts = '0001-01-01 00:00:00+00' WHERE time_ts = '-infinity';
    UPDATE queue_entry_facts SET start_ts = '0001-01-01 00:00:00+00' WHERE start_ts = '-infinity';
    """,
]
