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
    -- token_version grows with every token change: refreshes compare and
    -- swap on it, so concurrent refreshers across processes save once.
    token_version      INTEGER NOT NULL DEFAULT 0,
    refresh_claim_owner TEXT NOT NULL DEFAULT '',
    refresh_claim_until INTEGER,
    problem_status     TEXT NOT NULL DEFAULT '',
    problem_reason     TEXT NOT NULL DEFAULT '',
    problem_failures   INTEGER NOT NULL DEFAULT 0,
    problem_retry_at   INTEGER,
    -- the token_version whose coming expiry was announced
    expiring_notified  INTEGER NOT NULL DEFAULT -1,
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

-- meta holds server-wide values, such as the sealed key check that tells a
-- wrong secret key at start.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- idempotency remembers executes by Idempotency-Key for 24 hours, so a
-- retried request gets the first answer and LinkedIn gets one post.
CREATE TABLE idempotency (
    workspace    TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state        TEXT NOT NULL,              -- running or done
    http_status  INTEGER NOT NULL DEFAULT 0,
    envelope     BLOB,
    created_at   INTEGER NOT NULL,
    -- after deadline a request still running was interrupted
    deadline     INTEGER NOT NULL,
    PRIMARY KEY (workspace, key)
);
CREATE INDEX idempotency_created ON idempotency (created_at);
