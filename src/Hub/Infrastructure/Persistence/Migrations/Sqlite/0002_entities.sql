-- Per-tenant change sequence. Every write increments its tenant's row first, inside its transaction:
-- that row lock serializes a tenant's writes, so sequence numbers commit in order and a reader that
-- saw seq N can never later find a committed N-1 (commit-safe cursors, DESIGN §4).
CREATE TABLE tenant_counters (
    tenant_id  TEXT    NOT NULL PRIMARY KEY REFERENCES tenants (id),
    last_seq   INTEGER NOT NULL
);

CREATE TABLE entities (
    tenant_id       TEXT    NOT NULL REFERENCES tenants (id),
    entity_type     TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    fields          TEXT    NOT NULL,
    field_versions  TEXT    NOT NULL,
    deleted         INTEGER NOT NULL DEFAULT 0,
    deleted_at      TEXT,
    deleted_by      TEXT,
    created_at      TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    updated_by      TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, entity_type, id)
);

-- Append-only change log: feeds pushes, /changes and (later) sync/down and audit.
CREATE TABLE changes (
    tenant_id    TEXT    NOT NULL REFERENCES tenants (id),
    seq          INTEGER NOT NULL,
    entity_type  TEXT    NOT NULL,
    entity_id    TEXT    NOT NULL,
    operation    TEXT    NOT NULL CHECK (operation IN ('create', 'update', 'delete')),
    version      INTEGER NOT NULL,
    changed      TEXT    NOT NULL,
    conflicts    TEXT,
    actor        TEXT    NOT NULL,
    origin       TEXT    NOT NULL,
    occurred_at  TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

CREATE INDEX ix_changes_entity ON changes (tenant_id, entity_type, seq);
