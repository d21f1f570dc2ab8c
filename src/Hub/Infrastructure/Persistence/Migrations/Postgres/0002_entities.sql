-- Per-tenant change sequence. Every write increments its tenant's row first, inside its transaction:
-- that row lock serializes a tenant's writes, so sequence numbers commit in order and a reader that
-- saw seq N can never later find a committed N-1 (commit-safe cursors, DESIGN §4).
CREATE TABLE tenant_counters (
    tenant_id  text   NOT NULL PRIMARY KEY REFERENCES tenants (id),
    last_seq   bigint NOT NULL
);

CREATE TABLE entities (
    tenant_id       text        NOT NULL REFERENCES tenants (id),
    entity_type     text        NOT NULL,
    id              text        NOT NULL,
    version         bigint      NOT NULL,
    fields          text        NOT NULL,
    field_versions  text        NOT NULL,
    deleted         boolean     NOT NULL DEFAULT false,
    deleted_at      timestamptz,
    deleted_by      text,
    created_at      timestamptz NOT NULL,
    created_by      text        NOT NULL,
    updated_at      timestamptz NOT NULL,
    updated_by      text        NOT NULL,
    PRIMARY KEY (tenant_id, entity_type, id)
);

-- Append-only change log: feeds pushes, /changes and (later) sync/down and audit.
CREATE TABLE changes (
    tenant_id    text        NOT NULL REFERENCES tenants (id),
    seq          bigint      NOT NULL,
    entity_type  text        NOT NULL,
    entity_id    text        NOT NULL,
    operation    text        NOT NULL CHECK (operation IN ('create', 'update', 'delete')),
    version      bigint      NOT NULL,
    changed      text        NOT NULL,
    conflicts    text,
    actor        text        NOT NULL,
    origin       text        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

CREATE INDEX ix_changes_entity ON changes (tenant_id, entity_type, seq);
