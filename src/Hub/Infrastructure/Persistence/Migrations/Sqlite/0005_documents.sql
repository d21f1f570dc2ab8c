-- ONLYOFFICE documents (DESIGN §4, §7). `seq` is the tenant change sequence of the row's last change, taken
-- from tenant_counters in the same transaction (commit-safe cursors for documents/sync). Soft delete keeps
-- the row as a tombstone.
CREATE TABLE documents (
    tenant_id        TEXT        NOT NULL REFERENCES tenants (id),
    id               TEXT        NOT NULL,
    filename         TEXT        NOT NULL,
    mime             TEXT        NOT NULL,
    current_version  INTEGER     NOT NULL,
    doc_key          TEXT        NOT NULL,
    size             INTEGER     NOT NULL,
    md5              TEXT        NOT NULL,
    sha256           TEXT        NOT NULL,
    session_state    TEXT,
    session_at       TEXT,
    seq              INTEGER     NOT NULL,
    deleted          INTEGER     NOT NULL DEFAULT 0,
    deleted_at       TEXT,
    deleted_by       TEXT,
    created_at       TEXT        NOT NULL,
    created_by       TEXT        NOT NULL,
    updated_at       TEXT        NOT NULL,
    updated_by       TEXT        NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE UNIQUE INDEX ux_documents_key ON documents (doc_key);
CREATE INDEX ix_documents_seq ON documents (tenant_id, seq);

-- Immutable versions: one blob per version.
CREATE TABLE document_versions (
    tenant_id    TEXT        NOT NULL,
    document_id  TEXT        NOT NULL,
    version      INTEGER     NOT NULL,
    blob_key     TEXT        NOT NULL,
    size         INTEGER     NOT NULL,
    md5          TEXT        NOT NULL,
    sha256       TEXT        NOT NULL,
    source       TEXT        NOT NULL,
    doc_key      TEXT        NOT NULL,
    created_at   TEXT        NOT NULL,
    created_by   TEXT        NOT NULL,
    PRIMARY KEY (tenant_id, document_id, version),
    FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id)
);

-- Durable save pipeline: a row exists before Document Server is told {"error":0}. (doc_key, cb_status,
-- lastsave) is the callback's idempotency key: duplicates on any node create one job, hence one version.
-- Times compared in queries are unix milliseconds (same arithmetic on both providers).
CREATE TABLE save_jobs (
    id                 INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    tenant_id          TEXT        NOT NULL,
    document_id        TEXT        NOT NULL,
    doc_key            TEXT        NOT NULL,
    cb_status          INTEGER     NOT NULL,
    lastsave           TEXT        NOT NULL,
    state              TEXT        NOT NULL CHECK (state IN ('pending', 'committed', 'failed')),
    node_id            TEXT        NOT NULL,
    spool_file         TEXT        NOT NULL,
    size               INTEGER     NOT NULL,
    md5                TEXT        NOT NULL,
    sha256             TEXT        NOT NULL,
    attempts           INTEGER     NOT NULL DEFAULT 0,
    last_error         TEXT,
    owner              TEXT,
    lease_until_ms     INTEGER     NOT NULL DEFAULT 0,
    next_attempt_ms    INTEGER     NOT NULL DEFAULT 0,
    committed_version  INTEGER,
    created_at         TEXT        NOT NULL,
    updated_at         TEXT        NOT NULL
);

CREATE UNIQUE INDEX ux_save_jobs_callback ON save_jobs (doc_key, cb_status, lastsave);
CREATE INDEX ix_save_jobs_state ON save_jobs (state, id);
CREATE INDEX ix_save_jobs_document ON save_jobs (tenant_id, document_id, id);

-- Every callback received (diagnostics: status, time, outcome).
CREATE TABLE document_callbacks (
    id           INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    tenant_id    TEXT        NOT NULL,
    document_id  TEXT        NOT NULL,
    doc_key      TEXT        NOT NULL,
    cb_status    INTEGER     NOT NULL,
    lastsave     TEXT,
    outcome      TEXT        NOT NULL,
    detail       TEXT,
    received_at  TEXT        NOT NULL
);

CREATE INDEX ix_document_callbacks_document ON document_callbacks (tenant_id, document_id, id);
