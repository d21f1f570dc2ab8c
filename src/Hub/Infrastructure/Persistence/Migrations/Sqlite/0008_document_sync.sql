-- documents/sync (issue 6). created_seq: the seq a document was created at, so a delta page can tell added from
-- modified; set by a trigger so every writer of `documents` gets it without knowing about sync. Rows that existed
-- before this migration get 0 ("created before any cursor": reported as modified, which clients upsert alike).
ALTER TABLE documents ADD COLUMN created_seq INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER documents_created_seq AFTER INSERT ON documents
FOR EACH ROW
BEGIN
    UPDATE documents SET created_seq = NEW.seq WHERE tenant_id = NEW.tenant_id AND id = NEW.id;
END;

-- Keyset paging on (tenant_id, seq, id).
CREATE INDEX ix_documents_sync ON documents (tenant_id, seq, id);

-- Per tenant: every purged tombstone had a seq at or below purged_seq; a cursor below it must reset.
CREATE TABLE document_sync_horizons (
    tenant_id   TEXT    NOT NULL PRIMARY KEY,
    purged_seq  INTEGER NOT NULL
);
