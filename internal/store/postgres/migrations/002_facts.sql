-- facts are what one replica learnt for the others to act on (a limit
-- reached, a circuit opened) until they end; replicas read those with a
-- larger id than the last they read.
CREATE TABLE facts (
    id       BIGSERIAL PRIMARY KEY,
    origin   TEXT NOT NULL,
    kind     TEXT NOT NULL,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    until_at BIGINT NOT NULL
);
CREATE INDEX facts_until ON facts (until_at);
