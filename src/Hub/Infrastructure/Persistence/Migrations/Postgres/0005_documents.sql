-- ONLYOFFICE documents (DESIGN §4, §7). `seq` is the tenant change sequence of the row's last change, taken
-- from tenant_counters in the same transaction (commit-safe cursors for documents/sync). Soft delete keeps
-- the row as a tombstone.
CREATE TABLE documents (
    tenant_id        text        NOT NULL REFERENCES tenants (id),
    id               text        NOT NULL,
    filename         text        NOT NULL,
    mime             text        NOT NULL,
    current_version  integer     NOT NULL,
    doc_key          text        NOT NULL,
    size             bigint      NOT NULL,
    md5              text        NOT NULL,
    sha256           text        NOT NULL,
    session_state    text,
    session_at       timestamptz,
    seq              bigint      NOT NULL,
    deleted          boolean     NOT NULL DEFAULT false,
    deleted_at       timestamptz,
    deleted_by       text,
    created_at       timestamptz NOT NULL,
    created_by       text        NOT NULL,
    updated_at       timestamptz NOT NULL,
    updated_by       text        NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE UNIQUE INDEX ux_documents_key ON documents (doc_key);
CREATE INDEX ix_documents_seq ON documents (tenant_id, seq);

-- Immutable versions: one blob per version.
CREATE TABLE document_versions (
    tenant_id    text        NOT NULL,
    document_id  text        NOT NULL,
    version      integer     NOT NULL,
    blob_key     text        NOT NULL,
    size         bigint      NOT NULL,
    md5          text        NOT NULL,
    sha256       text        NOT NULL,
    source       text        NOT NULL,
    doc_key      text        NOT NULL,
    created_at   timestamptz NOT NULL,
    created_by   text        NOT NULL,
    PRIMARY KEY (tenant_id, document_id, version),
    FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id)
);

-- Durable save pipeline: a row exists before Document Server is told {"error":0}. (doc_key, cb_status,
-- lastsave) is the callback's idempotency key: duplicates on any node create one job, hence one version.
-- Times compared in queries are unix milliseconds (same arithmetic on both providers).
CREATE TABLE save_jobs (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id          text        NOT NULL,
    document_id        text        NOT NULL,
    doc_key            text        NOT NULL,
    cb_status          integer     NOT NULL,
    lastsave           text        NOT NULL,
    state              text        NOT NULL CHECK (state IN ('pending', 'committed', 'failed')),
    node_id            text        NOT NULL,
    spool_file         text        NOT NULL,
    size               bigint      NOT NULL,
    md5                text        NOT NULL,
    sha256             text        NOT NULL,
    attempts           integer     NOT NULL DEFAULT 0,
    last_error         text,
    owner              text,
    lease_until_ms     bigint      NOT NULL DEFAULT 0,
    next_attempt_ms    bigint      NOT NULL DEFAULT 0,
    committed_version  integer,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);

CREATE UNIQUE INDEX ux_save_jobs_callback ON save_jobs (doc_key, cb_status, lastsave);
CREATE INDEX ix_save_jobs_state ON save_jobs (state, id);
CREATE INDEX ix_save_jobs_document ON save_jobs (tenant_id, document_id, id);

-- Every callback received (diagnostics: status, time, outcome).
CREATE TABLE document_callbacks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    text        NOT NULL,
    document_id  text        NOT NULL,
    doc_key      text        NOT NULL,
    cb_status    integer     NOT NULL,
    lastsave     text,
    outcome      text        NOT NULL,
    detail       text,
    received_at  timestamptz NOT NULL
);

CREATE INDEX ix_document_callbacks_document ON document_callbacks (tenant_id, document_id, id);
