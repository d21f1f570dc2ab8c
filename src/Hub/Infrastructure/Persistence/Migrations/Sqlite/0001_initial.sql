CREATE TABLE tenants (
    id          TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id             TEXT NOT NULL PRIMARY KEY,
    user_name      TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    created_at     TEXT NOT NULL
);

CREATE UNIQUE INDEX ux_users_user_name ON users (user_name);

-- ASP.NET Core data protection key ring (admin cookies, antiforgery), shared by every node.
CREATE TABLE data_protection_keys (
    id             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    friendly_name  TEXT NOT NULL,
    xml            TEXT NOT NULL
);
