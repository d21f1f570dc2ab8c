-- documents/sync (issue 6). created_seq: the seq a document was created at, so a delta page can tell added from
-- modified; set by a trigger so every writer of `documents` gets it without knowing about sync. Rows that existed
-- before this migration get 0 ("created before any cursor": reported as modified, which clients upsert alike).
ALTER TABLE documents ADD COLUMN created_seq bigint NOT NULL DEFAULT 0;

CREATE FUNCTION documents_set_created_seq() RETURNS trigger AS $$
BEGIN
    NEW.created_seq := NEW.seq;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER documents_created_seq BEFORE INSERT ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_set_created_seq();

-- Keyset paging on (tenant_id, seq, id).
CREATE INDEX ix_documents_sync ON documents (tenant_id, seq, id);

-- Per tenant: every purged tombstone had a seq at or below purged_seq; a cursor below it must reset.
CREATE TABLE document_sync_horizons (
    tenant_id   text   NOT NULL PRIMARY KEY,
    purged_seq  bigint NOT NULL
);
