-- Offline outbox sync (DESIGN §4, §8).

-- Idempotency of sync/up: one row per (tenant, client, event id) with the result sent back. A row for an
-- applied event is written in the same transaction as the entity write, so a retried batch (or a client
-- that crashed before reading the answer) gets the stored result and nothing is applied twice.
CREATE TABLE outbox_receipts (
    tenant_id     text        NOT NULL REFERENCES tenants (id),
    client_id     text        NOT NULL,
    event_id      text        NOT NULL,
    outcome       text        NOT NULL CHECK (outcome IN ('acknowledged', 'conflict', 'rejected')),
    result        text        NOT NULL,
    processed_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, client_id, event_id)
);

-- Conflicts reported to a client, kept until someone resolves them (accept-server | keep-local | merge).
CREATE TABLE sync_conflicts (
    tenant_id      text        NOT NULL REFERENCES tenants (id),
    client_id      text        NOT NULL,
    event_id       text        NOT NULL,
    entity_type    text        NOT NULL,
    entity_id      text        NOT NULL,
    operation      text        NOT NULL,
    reason         text        NOT NULL,
    local_payload  text        NOT NULL,
    base_version   bigint,
    server_data    text,
    fields         text        NOT NULL,
    status         text        NOT NULL CHECK (status IN ('pending', 'resolved')),
    resolution     text,
    resolved_at    timestamptz,
    resolved_by    text,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, client_id, event_id)
);

CREATE INDEX ix_sync_conflicts_pending ON sync_conflicts (tenant_id, status, created_at);

-- What the backoffice shows per client: when it was last seen and how far it has pulled.
CREATE TABLE sync_clients (
    tenant_id        text        NOT NULL REFERENCES tenants (id),
    client_id        text        NOT NULL,
    last_seen_at     timestamptz NOT NULL,
    last_up_at       timestamptz,
    last_down_at     timestamptz,
    last_cursor_seq  bigint,
    PRIMARY KEY (tenant_id, client_id)
);

-- Audit of every sync request, failed ones included.
CREATE TABLE sync_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     text        NOT NULL,
    client_id     text        NOT NULL,
    direction     text        NOT NULL,
    status        text        NOT NULL,
    events        integer     NOT NULL,
    acknowledged  integer     NOT NULL,
    conflicts     integer     NOT NULL,
    rejected      integer     NOT NULL,
    changes       integer     NOT NULL,
    duration_ms   integer     NOT NULL,
    error         text,
    at            timestamptz NOT NULL
);

CREATE INDEX ix_sync_log_tenant ON sync_log (tenant_id, id);
