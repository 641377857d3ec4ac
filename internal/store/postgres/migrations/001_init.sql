-- The SQLite schema (internal/store/sqlite/migrations/001_init.sql) in
-- PostgreSQL types: times are Unix milliseconds in BIGINT, sealed values
-- BYTEA, so both stores hold the same values and migrate-db copies them as
-- they are.
CREATE TABLE datasources (
    id                  TEXT PRIMARY KEY,
    workspace           TEXT NOT NULL,
    plugin              TEXT NOT NULL,
    name                TEXT NOT NULL,
    config              TEXT NOT NULL DEFAULT '{}',
    client_secret       BYTEA,
    access_token        BYTEA,
    refresh_token       BYTEA,
    token_expires_at    BIGINT,
    refresh_expires_at  BIGINT,
    scopes              TEXT,
    member              TEXT,
    -- token_version grows with every token change: refreshes compare and
    -- swap on it, so concurrent refreshers across replicas save once.
    token_version       BIGINT NOT NULL DEFAULT 0,
    refresh_claim_owner TEXT NOT NULL DEFAULT '',
    refresh_claim_until BIGINT,
    problem_status      TEXT NOT NULL DEFAULT '',
    problem_reason      TEXT NOT NULL DEFAULT '',
    problem_failures    INTEGER NOT NULL DEFAULT 0,
    problem_retry_at    BIGINT,
    -- the token_version whose coming expiry was announced
    expiring_notified   BIGINT NOT NULL DEFAULT -1,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX datasources_workspace ON datasources (workspace, created_at);

-- Every replica caches datasources; each change to a row tells them, in
-- the transaction that makes it, which one to forget. A trigger rather
-- than the store's code, so no write (migrate-db, a hand-made fix) can
-- forget to.
CREATE FUNCTION datasources_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('plugin_server_datasources', OLD.id);
    ELSE
        PERFORM pg_notify('plugin_server_datasources', NEW.id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER datasources_notify AFTER INSERT OR UPDATE OR DELETE ON datasources
    FOR EACH ROW EXECUTE FUNCTION datasources_notify();

CREATE TABLE auth_states (
    state_hash    TEXT PRIMARY KEY,
    workspace     TEXT NOT NULL,
    datasource_id TEXT NOT NULL REFERENCES datasources (id) ON DELETE CASCADE,
    return_url    TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
-- Each save forgets long-expired states; the foreign key needs its own
-- index for a datasource's delete to find its states.
CREATE INDEX auth_states_expires ON auth_states (expires_at);
CREATE INDEX auth_states_datasource ON auth_states (datasource_id);

-- meta holds server-wide values: the sealed key check that tells a wrong
-- secret key at start, and what the server learnt (under "learned:").
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

-- idempotency remembers executes by Idempotency-Key for 24 hours, so a
-- retried request gets the first answer and LinkedIn gets one post.
CREATE TABLE idempotency (
    workspace    TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state        TEXT NOT NULL,              -- running or done
    http_status  INTEGER NOT NULL DEFAULT 0,
    envelope     BYTEA,
    created_at   BIGINT NOT NULL,
    -- after deadline a request still running was interrupted
    deadline     BIGINT NOT NULL,
    PRIMARY KEY (workspace, key)
);
CREATE INDEX idempotency_created ON idempotency (created_at);
