//! Schema migrations, forward only, tracked in `PRAGMA user_version`.
//!
//! Later features (schedule, jobs, export cursors) append migrations to [`MIGRATIONS`]; a
//! migration's index + 1 is the schema version it produces.

/// One forward step of the schema.
pub struct Migration {
    pub name: &'static str,
    /// Safe to apply automatically when a normal command opens the file: purely additive
    /// (new tables / indexes) and quick. Migrations that rewrite existing rows are not, and
    /// need an explicit `plumb state migrate`.
    pub auto_safe: bool,
    pub sql: &'static str,
}

/// Every migration, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "initial schema: hosts, rules, scans, host_rule_state, transactions, audit_events, host_locks, chain_checkpoints",
        auto_safe: true,
        sql: r#"
CREATE TABLE hosts (
    name               TEXT PRIMARY KEY NOT NULL,
    address            TEXT,
    port               INTEGER,
    user               TEXT,
    labels             TEXT NOT NULL DEFAULT '{}',
    first_seen         INTEGER NOT NULL,
    removed_at         INTEGER,
    -- Summary of the current state, kept in step by apply_scan so `state hosts` is O(hosts).
    last_scan_id       TEXT,
    last_scan_at       INTEGER,
    last_scan_status   TEXT,
    current_result_hash TEXT,
    pass_count         INTEGER NOT NULL DEFAULT 0,
    fail_count         INTEGER NOT NULL DEFAULT 0,
    skipped_count      INTEGER NOT NULL DEFAULT 0,
    error_count        INTEGER NOT NULL DEFAULT 0,
    fail_critical      INTEGER NOT NULL DEFAULT 0,
    fail_high          INTEGER NOT NULL DEFAULT 0,
    fail_medium        INTEGER NOT NULL DEFAULT 0,
    fail_low           INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE rules (
    id           TEXT PRIMARY KEY NOT NULL,
    title        TEXT NOT NULL,
    severity     TEXT NOT NULL CHECK (severity IN ('low','medium','high','critical')),
    content_hash TEXT NOT NULL,
    first_seen   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE scans (
    scan_id        TEXT PRIMARY KEY NOT NULL,
    host           TEXT NOT NULL REFERENCES hosts(name),
    trigger        TEXT NOT NULL CHECK (trigger IN ('manual','scheduled','ci')),
    started_at     INTEGER NOT NULL,
    finished_at    INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('ok','partial','error')),
    error          TEXT,
    policy_version INTEGER,
    ruleset_hash   TEXT NOT NULL,
    result_hash    TEXT,
    pass_count     INTEGER NOT NULL DEFAULT 0,
    fail_count     INTEGER NOT NULL DEFAULT 0,
    skipped_count  INTEGER NOT NULL DEFAULT 0,
    error_count    INTEGER NOT NULL DEFAULT 0,
    score          REAL,
    fast_path      INTEGER NOT NULL DEFAULT 0,
    change_count   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scans_by_host_time ON scans(host, finished_at);
CREATE INDEX scans_by_time ON scans(finished_at);

CREATE TABLE host_rule_state (
    host            TEXT NOT NULL REFERENCES hosts(name),
    rule_id         TEXT NOT NULL REFERENCES rules(id),
    status          TEXT NOT NULL CHECK (status IN ('pass','fail','skipped','error')),
    severity        TEXT NOT NULL CHECK (severity IN ('low','medium','high','critical')),
    reason          TEXT,
    evidence        TEXT NOT NULL,
    evidence_hash   TEXT NOT NULL,
    first_seen_at   INTEGER NOT NULL,
    last_changed_at INTEGER NOT NULL,
    last_checked_at INTEGER NOT NULL,
    check_count     INTEGER NOT NULL,
    last_scan_id    TEXT NOT NULL,
    removed_at      INTEGER,
    PRIMARY KEY (host, rule_id)
) WITHOUT ROWID;

-- Append-only change log with a hash chain (row_hash = sha256(prev_hash || canonical row)).
-- AUTOINCREMENT so ids never repeat after prune removes a prefix.
CREATE TABLE transactions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_id           TEXT NOT NULL,
    host              TEXT NOT NULL REFERENCES hosts(name),
    rule_id           TEXT NOT NULL REFERENCES rules(id),
    change_kind       TEXT NOT NULL CHECK (change_kind IN
                        ('first_seen','state_changed','severity_changed','evidence_changed','removed')),
    previous_status   TEXT,
    new_status        TEXT,
    previous_severity TEXT,
    severity          TEXT NOT NULL,
    reason            TEXT,
    evidence          TEXT,
    evidence_hash     TEXT,
    occurred_at       INTEGER NOT NULL,
    prev_hash         TEXT NOT NULL,
    row_hash          TEXT NOT NULL,
    UNIQUE (scan_id, rule_id)
);
CREATE INDEX transactions_by_host ON transactions(host, rule_id, id);
CREATE INDEX transactions_by_time ON transactions(occurred_at);

-- Where the chain resumes after `state prune` removed its prefix.
CREATE TABLE chain_checkpoints (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    last_pruned_id  INTEGER NOT NULL,
    row_hash        TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    host        TEXT,
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_by_time ON audit_events(occurred_at);

-- Per-host guard so two plumb runs never scan one host at once.
CREATE TABLE host_locks (
    host       TEXT PRIMARY KEY NOT NULL,
    owner      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
"#,
    },
    Migration {
        name: "scan scope and rule sources: a selection never removes rules, nor does another source",
        auto_safe: true,
        sql: r#"
ALTER TABLE scans ADD COLUMN scope TEXT NOT NULL DEFAULT 'full' CHECK (scope IN ('full','partial'));
ALTER TABLE scans ADD COLUMN rule_source TEXT;

-- A rule source is where a scan's rules came from: `embedded`, `rules:<paths>`, `policy:<path>`.
CREATE TABLE rule_sources (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- Which sources hold each live rule of a host. A full scan of a source drops the rules it no
-- longer has; a rule is `removed` once no source holds it. Rows older than this migration have
-- no membership; the next full scan of any source adopts them, as older plumb did.
CREATE TABLE host_rule_sources (
    host      TEXT NOT NULL,
    source_id INTEGER NOT NULL REFERENCES rule_sources(id),
    rule_id   TEXT NOT NULL,
    PRIMARY KEY (host, source_id, rule_id),
    FOREIGN KEY (host, rule_id) REFERENCES host_rule_state(host, rule_id)
) WITHOUT ROWID;
"#,
    },
    // migration 5 (wip-evidence)
    Migration {
        name: "evidence stored once: content-addressed `evidence` table, hashes as blobs, \
               `transactions` and `host_rule_state` become views",
        // Rewrites every change-log and rule-state row.
        auto_safe: false,
        sql: MIGRATION_EVIDENCE_ONCE,
    },
];

/// Migration 5. Evidence text was stored in every `host_rule_state` and `transactions` row,
/// and is mostly the same across hosts. It moves to `evidence`, keyed by the rows'
/// `evidence_hash` (the result hash, which covers the evidence, so one hash has one text).
/// The base tables `rule_state` and `change_log` keep the hashes as 32-byte blobs; views
/// with the old names and columns (hashes as lowercase hex, evidence joined back) keep every
/// reader and the hash chain exactly as before. Writes go to the base tables.
const MIGRATION_EVIDENCE_ONCE: &str = r#"
-- Refuse (and roll back) rather than lose anything: every hash must survive the blob round
-- trip unchanged, and one evidence_hash must have one evidence text. A file that fails this
-- was edited; `plumb state check` names the row.
CREATE TEMP TABLE migration_5_guard (
    ok INTEGER NOT NULL CONSTRAINT "every hash is lowercase hex and each evidence_hash has one evidence text (run plumb state check)" CHECK (ok)
);
INSERT INTO migration_5_guard SELECT
    NOT EXISTS (SELECT 1 FROM transactions
        WHERE lower(hex(unhex(prev_hash))) IS NOT prev_hash
           OR lower(hex(unhex(row_hash))) IS NOT row_hash
           OR (evidence_hash IS NULL) <> (evidence IS NULL)
           OR (evidence_hash IS NOT NULL AND lower(hex(unhex(evidence_hash))) IS NOT evidence_hash))
    AND NOT EXISTS (SELECT 1 FROM host_rule_state
        WHERE lower(hex(unhex(evidence_hash))) IS NOT evidence_hash)
    AND NOT EXISTS (SELECT 1 FROM
        (SELECT evidence_hash, evidence FROM transactions WHERE evidence_hash IS NOT NULL
         UNION SELECT evidence_hash, evidence FROM host_rule_state)
        GROUP BY evidence_hash HAVING count(*) > 1);
DROP TABLE migration_5_guard;

-- hash: the evidence_hash (sha256) of the rows that hold this text, as a blob.
CREATE TABLE evidence (
    hash BLOB PRIMARY KEY NOT NULL,
    body TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO evidence (hash, body)
    SELECT unhex(evidence_hash), evidence FROM transactions WHERE evidence_hash IS NOT NULL
    UNION SELECT unhex(evidence_hash), evidence FROM host_rule_state;

-- Renaming keeps indexes, host_rule_sources' foreign key and sqlite_sequence pointing at the
-- base tables. The hash columns keep their declared TEXT type but hold blobs from here on.
ALTER TABLE host_rule_state RENAME TO rule_state;
UPDATE rule_state SET evidence_hash = unhex(evidence_hash);
ALTER TABLE rule_state DROP COLUMN evidence;

ALTER TABLE transactions RENAME TO change_log;
UPDATE change_log SET evidence_hash = unhex(evidence_hash), prev_hash = unhex(prev_hash),
    row_hash = unhex(row_hash);
ALTER TABLE change_log DROP COLUMN evidence;

CREATE VIEW host_rule_state AS
SELECT s.host, s.rule_id, s.status, s.severity, s.reason, e.body AS evidence,
       lower(hex(s.evidence_hash)) AS evidence_hash, s.first_seen_at, s.last_changed_at,
       s.last_checked_at, s.check_count, s.last_scan_id, s.removed_at
FROM rule_state AS s LEFT JOIN evidence AS e ON e.hash = s.evidence_hash;

CREATE VIEW transactions AS
SELECT t.id, t.scan_id, t.host, t.rule_id, t.change_kind, t.previous_status, t.new_status,
       t.previous_severity, t.severity, t.reason, e.body AS evidence,
       CASE WHEN t.evidence_hash IS NOT NULL THEN lower(hex(t.evidence_hash)) END
           AS evidence_hash,
       t.occurred_at, lower(hex(t.prev_hash)) AS prev_hash, lower(hex(t.row_hash)) AS row_hash
FROM change_log AS t LEFT JOIN evidence AS e ON e.hash = t.evidence_hash;
"#;

/// The schema version this binary writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Migrations needed to go from `current` to the latest version.
pub fn pending(current: i64) -> impl Iterator<Item = (i64, &'static Migration)> {
    MIGRATIONS
        .iter()
        .enumerate()
        .map(|(index, migration)| (index as i64 + 1, migration))
        .filter(move |(version, _)| *version > current)
}
