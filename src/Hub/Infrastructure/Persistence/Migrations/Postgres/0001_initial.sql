CREATE TABLE tenants (
    id          text        NOT NULL PRIMARY KEY,
    name        text        NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE users (
    id             text        NOT NULL PRIMARY KEY,
    user_name      text        NOT NULL,
    password_hash  text        NOT NULL,
    role           text        NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    tenant_id      text        NOT NULL REFERENCES tenants (id),
    created_at     timestamptz NOT NULL
);

CREATE UNIQUE INDEX ux_users_user_name ON users (user_name);

-- ASP.NET Core data protection key ring (admin cookies, antiforgery), shared by every node.
CREATE TABLE data_protection_keys (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    friendly_name  text NOT NULL,
    xml            text NOT NULL
);
