CREATE TABLE datasources (
    id                 TEXT PRIMARY KEY,
    workspace          TEXT NOT NULL,
    plugin             TEXT NOT NULL,
    name               TEXT NOT NULL,
    config             TEXT NOT NULL DEFAULT '{}',
    client_secret      BLOB,
    access_token       BLOB,
    refresh_token      BLOB,
    token_expires_at   INTEGER,
    refresh_expires_at INTEGER,
    scopes             TEXT,
    member             TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX datasources_workspace ON datasources (workspace, created_at);

CREATE TABLE auth_states (
    state_hash    TEXT PRIMARY KEY,
    workspace     TEXT NOT NULL,
    datasource_id TEXT NOT NULL REFERENCES datasources (id) ON DELETE CASCADE,
    return_url    TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
