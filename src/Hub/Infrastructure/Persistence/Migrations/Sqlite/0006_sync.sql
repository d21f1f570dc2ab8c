-- Offline outbox sync (DESIGN §4, §8).

-- Idempotency of sync/up: one row per (tenant, client, event id) with the result sent back. A row for an
-- applied event is written in the same transaction as the entity write, so a retried batch (or a client
-- that crashed before reading the answer) gets the stored result and nothing is applied twice.
CREATE TABLE outbox_receipts (
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id),
    client_id     TEXT    NOT NULL,
    event_id      TEXT    NOT NULL,
    outcome       TEXT    NOT NULL CHECK (outcome IN ('acknowledged', 'conflict', 'rejected')),
    result        TEXT    NOT NULL,
    processed_at  TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, client_id, event_id)
);

-- Conflicts reported to a client, kept until someone resolves them (accept-server | keep-local | merge).
CREATE TABLE sync_conflicts (
    tenant_id      TEXT    NOT NULL REFERENCES tenants (id),
    client_id      TEXT    NOT NULL,
    event_id       TEXT    NOT NULL,
    entity_type    TEXT    NOT NULL,
    entity_id      TEXT    NOT NULL,
    operation      TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    local_payload  TEXT    NOT NULL,
    base_version   INTEGER,
    server_data    TEXT,
    fields         TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('pending', 'resolved')),
    resolution     TEXT,
    resolved_at    TEXT,
    resolved_by    TEXT,
    created_at     TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, client_id, event_id)
);

CREATE INDEX ix_sync_conflicts_pending ON sync_conflicts (tenant_id, status, created_at);

-- What the backoffice shows per client: when it was last seen and how far it has pulled.
CREATE TABLE sync_clients (
    tenant_id        TEXT    NOT NULL REFERENCES tenants (id),
    client_id        TEXT    NOT NULL,
    last_seen_at     TEXT    NOT NULL,
    last_up_at       TEXT,
    last_down_at     TEXT,
    last_cursor_seq  INTEGER,
    PRIMARY KEY (tenant_id, client_id)
);

-- Audit of every sync request, failed ones included.
CREATE TABLE sync_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     TEXT    NOT NULL,
    client_id     TEXT    NOT NULL,
    direction     TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    events        INTEGER NOT NULL,
    acknowledged  INTEGER NOT NULL,
    conflicts     INTEGER NOT NULL,
    rejected      INTEGER NOT NULL,
    changes       INTEGER NOT NULL,
    duration_ms   INTEGER NOT NULL,
    error         TEXT,
    at            TEXT    NOT NULL
);

CREATE INDEX ix_sync_log_tenant ON sync_log (tenant_id, id);
