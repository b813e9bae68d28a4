-- Version 2 of the store (SQLite). The same tables, columns and meanings as
-- ../postgres/0002_contest_uploads_and_decision_log.sql. Times microseconds since the Unix
-- epoch (UTC) or ISO 8601 UTC text, as named.

-- Every report file a contest team uploaded to `review serve` and the server accepted, whole
-- and in order of acceptance (the id): the leaderboard is rebuilt from them when the server
-- starts, so nothing accepted is lost when it is killed. A team's latest upload is its entry.
CREATE TABLE contest_uploads (
    id              INTEGER PRIMARY KEY,
    contest         TEXT NOT NULL,
    team            TEXT NOT NULL,
    received_utc_us INTEGER NOT NULL,
    -- `geojson` or `csv`.
    format          TEXT NOT NULL,
    body            TEXT NOT NULL,
    body_sha256     TEXT NOT NULL
);
CREATE INDEX contest_uploads_team ON contest_uploads (contest, team, id);

-- Every decision an inspector made through `review serve`, in order: the decisions table
-- holds the latest one per candidate, this one who decided what and when.
CREATE TABLE decision_log (
    id           INTEGER PRIMARY KEY,
    flight_id    TEXT NOT NULL REFERENCES flights (flight_id),
    candidate_id INTEGER NOT NULL,
    verdict      TEXT NOT NULL,
    inspector    TEXT NOT NULL,
    decided_utc  TEXT NOT NULL
);
CREATE INDEX decision_log_candidate ON decision_log (flight_id, candidate_id, id);
