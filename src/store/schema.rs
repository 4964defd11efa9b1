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
    Migration {
        name: "schedule: host_schedule, host_backoff and jobs (leases with an HMAC per job)",
        auto_safe: true,
        sql: r#"
-- One row per host ever enrolled. A host that leaves the inventory keeps its row with
-- enrolled = 0 (its history stays) and is never claimed. Times are unix milliseconds.
CREATE TABLE host_schedule (
    host                        TEXT PRIMARY KEY NOT NULL,
    compliance_state            TEXT NOT NULL CHECK (compliance_state IN
                                  ('unknown','critical','non_compliant','partial','mostly_compliant','compliant')),
    score                       REAL,
    has_critical                INTEGER NOT NULL DEFAULT 0,
    interval_secs               INTEGER NOT NULL CHECK (interval_secs > 0),
    next_scan_at                INTEGER NOT NULL,
    last_scan_finished_at       INTEGER,
    policy_version_at_last_scan INTEGER,
    maintenance_until           INTEGER,
    enrolled                    INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
CREATE INDEX host_schedule_by_next ON host_schedule(next_scan_at);

-- Consecutive failed scans of a host; suppressed (not claimed) until suppress_until.
CREATE TABLE host_backoff (
    host                 TEXT PRIMARY KEY NOT NULL,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    suppress_until       INTEGER,
    last_error           TEXT
) WITHOUT ROWID;

-- A claimed scan of one host: a lease held by one run (owner) until lease_expires_at. hmac
-- covers host, ruleset_hash, policy_version and enqueued_at under the local schedule key.
CREATE TABLE jobs (
    job_id           TEXT PRIMARY KEY NOT NULL,
    host             TEXT NOT NULL,
    owner            TEXT NOT NULL,
    claimed_at       INTEGER NOT NULL,
    lease_expires_at INTEGER NOT NULL,
    policy_version   INTEGER,
    ruleset_hash     TEXT NOT NULL,
    enqueued_at      INTEGER NOT NULL,
    hmac             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN
                       ('claimed','done','failed','rejected','expired','released'))
) WITHOUT ROWID;
CREATE INDEX jobs_by_host_status ON jobs(host, status);
-- At most one live lease per host, whatever the claim logic does.
CREATE UNIQUE INDEX jobs_one_live_claim ON jobs(host) WHERE status = 'claimed';
"#,
    },
    Migration {
        name: "export consumers and batches: a delta export's cursor moves only on ack",
        auto_safe: true,
        sql: r#"
-- One row per consumer of `plumb state export`. The cursor is a transactions.id (never
-- reused): everything logged after acked_through_txn is not yet acknowledged.
CREATE TABLE export_consumers (
    name              TEXT PRIMARY KEY NOT NULL,
    created_at        INTEGER NOT NULL,
    acked_batch_id    TEXT,
    acked_through_txn INTEGER,
    -- created_at of the acknowledged batch: host removals after it are not yet acknowledged.
    acked_through_at  INTEGER,
    acked_at          INTEGER,
    -- created_at of the last acknowledged full batch.
    last_full_at      INTEGER
) WITHOUT ROWID;

-- Every batch written, so `state ack` can tell a known batch from an unknown or older one.
CREATE TABLE export_batches (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id    TEXT NOT NULL UNIQUE,
    consumer    TEXT NOT NULL REFERENCES export_consumers(name),
    from_txn    INTEGER,
    through_txn INTEGER NOT NULL,
    full        INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX export_batches_by_consumer ON export_batches(consumer, seq);
"#,
    },
];

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
