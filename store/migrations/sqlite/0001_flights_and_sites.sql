-- Version 1 of the store (SQLite). The same tables, columns and meanings as
-- ../postgres/0001_flights_and_sites.sql; only the spatial index differs (R*Tree here,
-- PostGIS GiST there). Positions WGS-84 degrees; times microseconds since the Unix epoch
-- (UTC); covariances in the local east/north plane, square metres; flags 0/1 integers.

CREATE TABLE flights (
    flight_id          TEXT PRIMARY KEY,
    river              TEXT NOT NULL,
    created_utc_us     INTEGER NOT NULL,
    first_photo_utc_us INTEGER,
    last_photo_utc_us  INTEGER,
    source             TEXT NOT NULL,
    vehicle_id         TEXT NOT NULL,
    software           TEXT NOT NULL,
    model_sha256       TEXT NOT NULL,
    min_sightings      INTEGER NOT NULL,
    folder             TEXT NOT NULL,
    journal_sha256     TEXT NOT NULL,
    frames             INTEGER NOT NULL,
    frames_without_ground INTEGER NOT NULL,
    candidates         INTEGER NOT NULL,
    confirmed          INTEGER NOT NULL,
    ingested_utc_us    INTEGER NOT NULL
);
CREATE INDEX flights_river_time ON flights (river, created_utc_us);

CREATE TABLE frames (
    id          INTEGER PRIMARY KEY,
    flight_id   TEXT NOT NULL REFERENCES flights (flight_id),
    boot        INTEGER NOT NULL,
    image_index INTEGER NOT NULL,
    t_utc_us    INTEGER NOT NULL,
    file        TEXT NOT NULL,
    -- The photo's ground footprint: four corners, [[lat, lon], ...] as JSON.
    corners     TEXT NOT NULL,
    UNIQUE (flight_id, boot, image_index)
);
CREATE VIRTUAL TABLE frames_rtree USING rtree (id, min_lat, max_lat, min_lon, max_lon);

CREATE TABLE sites (
    id             INTEGER PRIMARY KEY,
    class_name     TEXT NOT NULL,
    -- The local east/north plane the information sums below are in.
    anchor_lat_deg REAL NOT NULL,
    anchor_lon_deg REAL NOT NULL,
    info_ee        REAL NOT NULL,
    info_en        REAL NOT NULL,
    info_nn        REAL NOT NULL,
    info_e         REAL NOT NULL,
    info_n         REAL NOT NULL,
    -- The fused position and its covariance (from the sums).
    lat_deg        REAL NOT NULL,
    lon_deg        REAL NOT NULL,
    cov_ee_m2      REAL NOT NULL,
    cov_en_m2      REAL NOT NULL,
    cov_nn_m2      REAL NOT NULL
);
CREATE VIRTUAL TABLE sites_rtree USING rtree (id, min_lat, max_lat, min_lon, max_lon);

CREATE TABLE candidates (
    id               INTEGER PRIMARY KEY,
    flight_id        TEXT NOT NULL REFERENCES flights (flight_id),
    candidate_id     INTEGER NOT NULL,
    class_name       TEXT NOT NULL,
    lat_deg          REAL NOT NULL,
    lon_deg          REAL NOT NULL,
    cov_ee_m2        REAL NOT NULL,
    cov_en_m2        REAL NOT NULL,
    cov_nn_m2        REAL NOT NULL,
    cep50_m          REAL NOT NULL,
    ce90_m           REAL NOT NULL,
    sightings        INTEGER NOT NULL,
    confirmed        INTEGER NOT NULL,
    first_t_utc_us   INTEGER NOT NULL,
    last_t_utc_us    INTEGER NOT NULL,
    confidence_max   REAL NOT NULL,
    best_file        TEXT NOT NULL,
    best_bbox_px     TEXT NOT NULL,
    site_id          INTEGER REFERENCES sites (id),
    UNIQUE (flight_id, candidate_id)
);
CREATE INDEX candidates_site ON candidates (site_id);
CREATE INDEX candidates_flight_class ON candidates (flight_id, class_name);

-- A flight whose photos covered a site: whether it saw the site, and (outfalls) a plume at it.
CREATE TABLE site_passes (
    site_id   INTEGER NOT NULL REFERENCES sites (id),
    flight_id TEXT NOT NULL REFERENCES flights (flight_id),
    seen      INTEGER NOT NULL,
    plume     INTEGER NOT NULL,
    PRIMARY KEY (site_id, flight_id)
);
CREATE INDEX site_passes_flight ON site_passes (flight_id);

CREATE TABLE decisions (
    flight_id    TEXT NOT NULL REFERENCES flights (flight_id),
    candidate_id INTEGER NOT NULL,
    verdict      TEXT NOT NULL,
    inspector    TEXT,
    decided_utc  TEXT,
    PRIMARY KEY (flight_id, candidate_id)
);
