-- API keys of tenants' frontend sites: a site's backend trades one for a short-lived subscriber token
-- (POST /api/site-tokens). The secret itself is never stored: key_hash is the hex SHA-256 of the whole key
-- (the key has 256 random bits, so a fast hash is enough and lookup by hash is a plain index seek);
-- key_prefix is its first characters, shown in the backoffice so a key can be recognised.
CREATE TABLE site_keys (
    id            TEXT NOT NULL PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    name          TEXT NOT NULL,
    key_prefix    TEXT NOT NULL,
    key_hash      TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    revoked_at    TEXT,
    revoked_by    TEXT,
    last_used_at  TEXT
);

CREATE UNIQUE INDEX ux_site_keys_key_hash ON site_keys (key_hash);

CREATE INDEX ix_site_keys_tenant ON site_keys (tenant_id);
