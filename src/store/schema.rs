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
-- One row per consumer of `plumb state export`. The cursor is a change-log id (never
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
    Migration {
        name: "compact history: evidence stored once, integer host and rule keys, binary ids \
               and hashes; transactions, host_rule_state, host_rule_sources become views",
        // Rewrites every change-log and rule-state row.
        auto_safe: false,
        sql: MIGRATION_EVIDENCE_ONCE,
    },
    Migration {
        name: "change log rows carry the evidence and reason of the state they changed from",
        // New columns only; rows written before stay NULL and are looked up as before.
        auto_safe: true,
        sql: r#"
-- A change row names what it changed from, so drift needs no per-row lookup of the row
-- before it. Derived data, outside the row hash: `state check` verifies it against that row.
ALTER TABLE change_log ADD COLUMN previous_evidence_id INTEGER;
ALTER TABLE change_log ADD COLUMN previous_reason TEXT;
"#,
    },
    Migration {
        name: "waivers: status `waived` with the waiver's id in rule states and the change log",
        // New columns, one new value code and the two views redefined: no row is rewritten.
        auto_safe: true,
        sql: MIGRATION_WAIVERS,
    },
    Migration {
        name: "hosts keep the machine-id they last reported, to tell one machine under two names",
        // A new column and index only.
        auto_safe: true,
        sql: r#"
ALTER TABLE hosts ADD COLUMN machine_id TEXT;
CREATE INDEX hosts_by_machine_id ON hosts(machine_id) WHERE machine_id IS NOT NULL;
"#,
    },
    Migration {
        name: "unchanged re-scans count on the host instead of rewriting every rule state",
        // New columns with defaults and one view redefined: no row is rewritten.
        auto_safe: true,
        sql: MIGRATION_UNWRITTEN_CHECKS,
    },
];

/// Migration 5: a compact change log and rule state (DESIGN §4 Footprint).
///
/// Before it, a first scan of the embedded pack added ~360 KB per host, most of it the same
/// evidence text in `host_rule_state` and `transactions`, host and rule names and hex hashes
/// repeated in every row and index. The base tables now hold:
/// - evidence once per distinct value in `evidence`, content-addressed by the rows'
///   `evidence_hash` (the result hash, which covers the evidence, so one hash has one text);
/// - hosts, rules and (in the change log) scans as small integer keys (`host_keys`,
///   `rule_keys`, `scan_keys`), and statuses, severities and change kinds as the codes of
///   `value_codes`;
/// - scan ids as their 16 bytes and hashes as their 32 bytes;
/// - no `prev_hash`: it is the previous row's `row_hash` (or the prune checkpoint's, or the
///   genesis hash), so the view derives it and the chain hashes the same values.
///
/// Views with the old names and columns (`transactions`, `host_rule_state`,
/// `host_rule_sources`) give every reader, and the hash chain, exactly the old logical rows.
/// Writes go to the base tables (src/store/apply.rs).
const MIGRATION_EVIDENCE_ONCE: &str = r#"
-- Refuse (and roll back) rather than lose anything. Every hash and scan id must survive the
-- conversion to bytes unchanged, one evidence_hash must have one evidence text, a row has
-- evidence exactly when it has an evidence_hash, and every stored prev_hash must be the one
-- the view will derive. A file that fails this was edited: `plumb state check` names the row.
CREATE TEMP TABLE migration_5_guard (
    ok INTEGER NOT NULL CONSTRAINT "the change log is intact: hashes and scan ids are canonical, each evidence_hash has one evidence text and each prev_hash is the previous row_hash (run plumb state check)" CHECK (ok)
);
INSERT INTO migration_5_guard SELECT
    NOT EXISTS (SELECT 1 FROM transactions AS t
        WHERE lower(hex(unhex(t.row_hash))) IS NOT t.row_hash OR length(t.row_hash) <> 64
           OR t.prev_hash IS NOT coalesce(
                  (SELECT p.row_hash FROM transactions AS p WHERE p.id < t.id
                   ORDER BY p.id DESC LIMIT 1),
                  (SELECT row_hash FROM chain_checkpoints ORDER BY id DESC LIMIT 1),
                  '0000000000000000000000000000000000000000000000000000000000000000')
           OR (t.evidence_hash IS NULL) <> (t.evidence IS NULL)
           OR (t.evidence_hash IS NOT NULL
               AND lower(hex(unhex(t.evidence_hash))) IS NOT t.evidence_hash)
           OR length(t.scan_id) <> 36
           OR lower(hex(unhex(replace(t.scan_id, '-', '')))) IS NOT replace(t.scan_id, '-', '')
           OR substr(t.scan_id, 9, 1) || substr(t.scan_id, 14, 1) || substr(t.scan_id, 19, 1)
              || substr(t.scan_id, 24, 1) IS NOT '----')
    AND NOT EXISTS (SELECT 1 FROM host_rule_state AS s
        WHERE lower(hex(unhex(s.evidence_hash))) IS NOT s.evidence_hash
           OR length(s.last_scan_id) <> 36
           OR lower(hex(unhex(replace(s.last_scan_id, '-', ''))))
              IS NOT replace(s.last_scan_id, '-', '')
           OR substr(s.last_scan_id, 9, 1) || substr(s.last_scan_id, 14, 1)
              || substr(s.last_scan_id, 19, 1) || substr(s.last_scan_id, 24, 1) IS NOT '----')
    AND NOT EXISTS (SELECT 1 FROM
        (SELECT evidence_hash, evidence FROM transactions WHERE evidence_hash IS NOT NULL
         UNION SELECT evidence_hash, evidence FROM host_rule_state)
        GROUP BY evidence_hash HAVING count(*) > 1);
DROP TABLE migration_5_guard;

CREATE TABLE host_keys (
    key  INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
INSERT INTO host_keys (name)
    SELECT name FROM hosts
    UNION SELECT host FROM transactions UNION SELECT host FROM host_rule_state
    UNION SELECT host FROM host_rule_sources;

CREATE TABLE rule_keys (
    key INTEGER PRIMARY KEY,
    id  TEXT NOT NULL UNIQUE
);
INSERT INTO rule_keys (id)
    SELECT id FROM rules
    UNION SELECT rule_id FROM transactions UNION SELECT rule_id FROM host_rule_state
    UNION SELECT rule_id FROM host_rule_sources;

-- A change log row's scan (its 16 id bytes once per scan instead of once per row).
CREATE TABLE scan_keys (
    key     INTEGER PRIMARY KEY,
    scan_id BLOB NOT NULL UNIQUE
);
INSERT INTO scan_keys (scan_id)
    SELECT unhex(replace(scan_id, '-', '')) FROM transactions GROUP BY scan_id ORDER BY min(id);

-- The words of the status, severity and change-kind columns, stored as these codes.
CREATE TABLE value_codes (
    code INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
);
INSERT INTO value_codes (code, text) VALUES
    (0, 'pass'), (1, 'fail'), (2, 'skipped'), (3, 'error'),
    (4, 'low'), (5, 'medium'), (6, 'high'), (7, 'critical'),
    (8, 'first_seen'), (9, 'state_changed'), (10, 'severity_changed'),
    (11, 'evidence_changed'), (12, 'removed');

-- hash: the evidence_hash (sha256, 32 bytes) of the rows that refer to this text.
CREATE TABLE evidence (
    id   INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    body TEXT NOT NULL
);
INSERT INTO evidence (hash, body)
    SELECT unhex(evidence_hash), evidence FROM transactions WHERE evidence_hash IS NOT NULL
    UNION SELECT unhex(evidence_hash), evidence FROM host_rule_state;

-- The hash chain covers the logical row the `transactions` view shows; see src/store/chain.rs.
-- evidence_id has no foreign key: pruning deletes unreferenced evidence in one pass, which a
-- key would turn into a search of this table per evidence row. A dangling id shows as a
-- changed row in `plumb state check`.
CREATE TABLE change_log (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_key          INTEGER NOT NULL REFERENCES scan_keys(key),
    host_key          INTEGER NOT NULL REFERENCES host_keys(key),
    rule_key          INTEGER NOT NULL REFERENCES rule_keys(key),
    change_kind       INTEGER NOT NULL CHECK (change_kind BETWEEN 8 AND 12),
    previous_status   INTEGER CHECK (previous_status BETWEEN 0 AND 3),
    new_status        INTEGER CHECK (new_status BETWEEN 0 AND 3),
    previous_severity INTEGER CHECK (previous_severity BETWEEN 4 AND 7),
    severity          INTEGER NOT NULL CHECK (severity BETWEEN 4 AND 7),
    reason            TEXT,
    evidence_id       INTEGER,
    occurred_at       INTEGER NOT NULL,
    row_hash          BLOB NOT NULL,
    UNIQUE (scan_key, rule_key)
);
INSERT INTO change_log (id, scan_key, host_key, rule_key, change_kind, previous_status,
        new_status, previous_severity, severity, reason, evidence_id, occurred_at, row_hash)
    SELECT t.id, k.key, h.key, r.key,
           (SELECT code FROM value_codes WHERE text = t.change_kind),
           (SELECT code FROM value_codes WHERE text = t.previous_status),
           (SELECT code FROM value_codes WHERE text = t.new_status),
           (SELECT code FROM value_codes WHERE text = t.previous_severity),
           (SELECT code FROM value_codes WHERE text = t.severity),
           t.reason, e.id, t.occurred_at, unhex(t.row_hash)
    FROM transactions AS t
    JOIN scan_keys AS k ON k.scan_id = unhex(replace(t.scan_id, '-', ''))
    JOIN host_keys AS h ON h.name = t.host
    JOIN rule_keys AS r ON r.id = t.rule_id
    LEFT JOIN evidence AS e ON e.hash = unhex(t.evidence_hash)
    ORDER BY t.id;
-- Ids never repeat after a prune: carry the old sequence over.
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'change_log', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'change_log');
UPDATE sqlite_sequence
    SET seq = (SELECT max(seq) FROM sqlite_sequence WHERE name IN ('transactions', 'change_log'))
    WHERE name = 'change_log';
CREATE INDEX change_log_by_host ON change_log(host_key, rule_key, id);
CREATE INDEX change_log_by_time ON change_log(occurred_at);

CREATE TABLE rule_state (
    host_key        INTEGER NOT NULL REFERENCES host_keys(key),
    rule_key        INTEGER NOT NULL REFERENCES rule_keys(key),
    status          INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),
    severity        INTEGER NOT NULL CHECK (severity BETWEEN 4 AND 7),
    reason          TEXT,
    evidence_id     INTEGER NOT NULL,
    first_seen_at   INTEGER NOT NULL,
    last_changed_at INTEGER NOT NULL,
    last_checked_at INTEGER NOT NULL,
    check_count     INTEGER NOT NULL,
    last_scan_id    BLOB NOT NULL,
    removed_at      INTEGER,
    PRIMARY KEY (host_key, rule_key)
) WITHOUT ROWID;
INSERT INTO rule_state
    SELECT h.key, r.key, (SELECT code FROM value_codes WHERE text = s.status),
           (SELECT code FROM value_codes WHERE text = s.severity), s.reason, e.id, s.first_seen_at,
           s.last_changed_at, s.last_checked_at, s.check_count,
           unhex(replace(s.last_scan_id, '-', '')), s.removed_at
    FROM host_rule_state AS s
    JOIN host_keys AS h ON h.name = s.host
    JOIN rule_keys AS r ON r.id = s.rule_id
    JOIN evidence AS e ON e.hash = unhex(s.evidence_hash);

CREATE TABLE rule_state_sources (
    host_key  INTEGER NOT NULL,
    source_id INTEGER NOT NULL REFERENCES rule_sources(id),
    rule_key  INTEGER NOT NULL,
    PRIMARY KEY (host_key, source_id, rule_key),
    FOREIGN KEY (host_key, rule_key) REFERENCES rule_state(host_key, rule_key)
) WITHOUT ROWID;
INSERT INTO rule_state_sources
    SELECT h.key, m.source_id, r.key
    FROM host_rule_sources AS m
    JOIN host_keys AS h ON h.name = m.host
    JOIN rule_keys AS r ON r.id = m.rule_id;

-- Children before parents (foreign keys are on).
DROP TABLE host_rule_sources;
DROP TABLE host_rule_state;
DROP TABLE transactions;

CREATE VIEW transactions AS
SELECT t.id,
       lower(substr(hex(k.scan_id), 1, 8) || '-' || substr(hex(k.scan_id), 9, 4) || '-'
             || substr(hex(k.scan_id), 13, 4) || '-' || substr(hex(k.scan_id), 17, 4) || '-'
             || substr(hex(k.scan_id), 21)) AS scan_id,
       h.name AS host, r.id AS rule_id,
       (SELECT text FROM value_codes WHERE code = t.change_kind) AS change_kind,
       (SELECT text FROM value_codes WHERE code = t.previous_status) AS previous_status,
       (SELECT text FROM value_codes WHERE code = t.new_status) AS new_status,
       (SELECT text FROM value_codes WHERE code = t.previous_severity) AS previous_severity,
       (SELECT text FROM value_codes WHERE code = t.severity) AS severity,
       t.reason, e.body AS evidence,
       CASE WHEN e.hash IS NOT NULL THEN lower(hex(e.hash)) END AS evidence_hash,
       t.occurred_at,
       coalesce(
           (SELECT lower(hex(p.row_hash)) FROM change_log AS p WHERE p.id < t.id
            ORDER BY p.id DESC LIMIT 1),
           (SELECT c.row_hash FROM chain_checkpoints AS c ORDER BY c.id DESC LIMIT 1),
           '0000000000000000000000000000000000000000000000000000000000000000') AS prev_hash,
       lower(hex(t.row_hash)) AS row_hash
FROM change_log AS t
JOIN scan_keys AS k ON k.key = t.scan_key
JOIN host_keys AS h ON h.key = t.host_key
JOIN rule_keys AS r ON r.key = t.rule_key
LEFT JOIN evidence AS e ON e.id = t.evidence_id;

CREATE VIEW host_rule_state AS
SELECT h.name AS host, r.id AS rule_id,
       (SELECT text FROM value_codes WHERE code = s.status) AS status,
       (SELECT text FROM value_codes WHERE code = s.severity) AS severity,
       s.reason, e.body AS evidence,
       lower(hex(e.hash)) AS evidence_hash, s.first_seen_at, s.last_changed_at,
       s.last_checked_at, s.check_count,
       lower(substr(hex(s.last_scan_id), 1, 8) || '-' || substr(hex(s.last_scan_id), 9, 4)
             || '-' || substr(hex(s.last_scan_id), 13, 4) || '-'
             || substr(hex(s.last_scan_id), 17, 4) || '-' || substr(hex(s.last_scan_id), 21))
           AS last_scan_id,
       s.removed_at
FROM rule_state AS s
JOIN host_keys AS h ON h.key = s.host_key
JOIN rule_keys AS r ON r.key = s.rule_key
LEFT JOIN evidence AS e ON e.id = s.evidence_id;

CREATE VIEW host_rule_sources AS
SELECT h.name AS host, m.source_id, r.id AS rule_id
FROM rule_state_sources AS m
JOIN host_keys AS h ON h.key = m.host_key
JOIN rule_keys AS r ON r.key = m.rule_key;
"#;

/// Waivers (issue 14). A failure a waiver accepts has status `waived`, stored with the waiver's
/// id. The status columns' CHECKs (0..=3) predate `waived`, and SQLite widens a CHECK only by
/// rewriting every row; so a waived row keeps the `fail` code in its status column and the
/// waiver's id in `waiver` (`previous_waiver` for the state a change-log row changed from).
/// Readers see `waived` (code 13): the views below and [`waived_status`].
const MIGRATION_WAIVERS: &str = r#"
INSERT INTO value_codes (code, text) VALUES (13, 'waived');
ALTER TABLE rule_state ADD COLUMN waiver TEXT;
ALTER TABLE change_log ADD COLUMN waiver TEXT;
ALTER TABLE change_log ADD COLUMN previous_waiver TEXT;
ALTER TABLE hosts ADD COLUMN waived_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scans ADD COLUMN waived_count INTEGER NOT NULL DEFAULT 0;

DROP VIEW transactions;
CREATE VIEW transactions AS
SELECT t.id,
       lower(substr(hex(k.scan_id), 1, 8) || '-' || substr(hex(k.scan_id), 9, 4) || '-'
             || substr(hex(k.scan_id), 13, 4) || '-' || substr(hex(k.scan_id), 17, 4) || '-'
             || substr(hex(k.scan_id), 21)) AS scan_id,
       h.name AS host, r.id AS rule_id,
       (SELECT text FROM value_codes WHERE code = t.change_kind) AS change_kind,
       CASE WHEN t.previous_waiver IS NOT NULL THEN 'waived'
            ELSE (SELECT text FROM value_codes WHERE code = t.previous_status) END
           AS previous_status,
       CASE WHEN t.waiver IS NOT NULL THEN 'waived'
            ELSE (SELECT text FROM value_codes WHERE code = t.new_status) END AS new_status,
       (SELECT text FROM value_codes WHERE code = t.previous_severity) AS previous_severity,
       (SELECT text FROM value_codes WHERE code = t.severity) AS severity,
       t.reason, e.body AS evidence,
       CASE WHEN e.hash IS NOT NULL THEN lower(hex(e.hash)) END AS evidence_hash,
       t.occurred_at,
       coalesce(
           (SELECT lower(hex(p.row_hash)) FROM change_log AS p WHERE p.id < t.id
            ORDER BY p.id DESC LIMIT 1),
           (SELECT c.row_hash FROM chain_checkpoints AS c ORDER BY c.id DESC LIMIT 1),
           '0000000000000000000000000000000000000000000000000000000000000000') AS prev_hash,
       lower(hex(t.row_hash)) AS row_hash
FROM change_log AS t
JOIN scan_keys AS k ON k.key = t.scan_key
JOIN host_keys AS h ON h.key = t.host_key
JOIN rule_keys AS r ON r.key = t.rule_key
LEFT JOIN evidence AS e ON e.id = t.evidence_id;

DROP VIEW host_rule_state;
CREATE VIEW host_rule_state AS
SELECT h.name AS host, r.id AS rule_id,
       CASE WHEN s.waiver IS NOT NULL THEN 'waived'
            ELSE (SELECT text FROM value_codes WHERE code = s.status) END AS status,
       (SELECT text FROM value_codes WHERE code = s.severity) AS severity,
       s.reason, e.body AS evidence,
       lower(hex(e.hash)) AS evidence_hash, s.first_seen_at, s.last_changed_at,
       s.last_checked_at, s.check_count,
       lower(substr(hex(s.last_scan_id), 1, 8) || '-' || substr(hex(s.last_scan_id), 9, 4)
             || '-' || substr(hex(s.last_scan_id), 13, 4) || '-'
             || substr(hex(s.last_scan_id), 17, 4) || '-' || substr(hex(s.last_scan_id), 21))
           AS last_scan_id,
       s.removed_at
FROM rule_state AS s
JOIN host_keys AS h ON h.key = s.host_key
JOIN rule_keys AS r ON r.key = s.rule_key
LEFT JOIN evidence AS e ON e.id = s.evidence_id;
"#;

/// An unchanged re-scan (the fast path) checks every live rule state of its host and writes
/// none of them, only its host row (DESIGN §4: store only changes). The host counts such
/// scans (`fast_scans`, with the last one's time and id), and each rule state the count it
/// last caught up with (`fast_base`), so a live row's counters are what is stored plus
/// [`unwritten_checks`]. Readers see the sums: the `host_rule_state` view and the export.
const MIGRATION_UNWRITTEN_CHECKS: &str = r#"
ALTER TABLE hosts ADD COLUMN fast_scans INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN fast_scan_at INTEGER;
ALTER TABLE hosts ADD COLUMN fast_scan_id BLOB;
ALTER TABLE rule_state ADD COLUMN fast_base INTEGER NOT NULL DEFAULT 0;

DROP VIEW host_rule_state;
CREATE VIEW host_rule_state AS
SELECT h.name AS host, r.id AS rule_id,
       CASE WHEN s.waiver IS NOT NULL THEN 'waived'
            ELSE (SELECT text FROM value_codes WHERE code = s.status) END AS status,
       (SELECT text FROM value_codes WHERE code = s.severity) AS severity,
       s.reason, e.body AS evidence,
       lower(hex(e.hash)) AS evidence_hash, s.first_seen_at, s.last_changed_at,
       s.checked_at AS last_checked_at, s.checks AS check_count,
       lower(substr(hex(s.checked_by), 1, 8) || '-' || substr(hex(s.checked_by), 9, 4)
             || '-' || substr(hex(s.checked_by), 13, 4) || '-'
             || substr(hex(s.checked_by), 17, 4) || '-' || substr(hex(s.checked_by), 21))
           AS last_scan_id,
       s.removed_at
FROM (SELECT s.*,
             s.check_count + CASE WHEN s.removed_at IS NULL THEN f.fast_scans - s.fast_base ELSE 0 END AS checks,
             CASE WHEN s.removed_at IS NULL AND f.fast_scans > s.fast_base THEN f.fast_scan_at ELSE s.last_checked_at END AS checked_at,
             CASE WHEN s.removed_at IS NULL AND f.fast_scans > s.fast_base THEN f.fast_scan_id ELSE s.last_scan_id END AS checked_by
      FROM rule_state AS s
      JOIN host_keys AS k ON k.key = s.host_key
      JOIN hosts AS f ON f.name = k.name) AS s
JOIN host_keys AS h ON h.key = s.host_key
JOIN rule_keys AS r ON r.key = s.rule_key
LEFT JOIN evidence AS e ON e.id = s.evidence_id;
"#;

/// The SQL of a rule state's last check as readers see it (see
/// [`MIGRATION_UNWRITTEN_CHECKS`]): `s` is the `rule_state` row, `f` its host's `hosts` row.
/// The views hold the same text; a unit test keeps them equal.
pub(crate) fn unwritten_checks(s: &str, f: &str) -> UnwrittenChecks {
    let unwritten = format!("{s}.removed_at IS NULL AND {f}.fast_scans > {s}.fast_base");
    UnwrittenChecks {
        last_checked_at: format!(
            "CASE WHEN {unwritten} THEN {f}.fast_scan_at ELSE {s}.last_checked_at END"
        ),
        last_scan_id: format!(
            "CASE WHEN {unwritten} THEN {f}.fast_scan_id ELSE {s}.last_scan_id END"
        ),
    }
}

/// What [`unwritten_checks`] gives the export (the views also add the checks to
/// `check_count`).
pub(crate) struct UnwrittenChecks {
    pub last_checked_at: String,
    /// The 16 bytes of the scan id.
    pub last_scan_id: String,
}

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

/// The SQL of a status code as readers of the base tables see it: `waived` (code 13, see
/// [`MIGRATION_WAIVERS`]) where `waiver` holds a waiver's id, else the stored code.
pub(crate) fn waived_status(status: &str, waiver: &str) -> String {
    // CASE rather than SQLite's iif: the store's statements also run on PostgreSQL.
    format!("CASE WHEN {waiver} IS NULL THEN {status} ELSE {WAIVED_CODE} END")
}

/// The value code of `waived`, as [`MIGRATION_WAIVERS`] inserts it.
const WAIVED_CODE: i64 = 13;

/// What a base table's status column holds for `status` (see [`MIGRATION_WAIVERS`]).
pub(crate) fn stored_status(status: crate::eval::Status) -> crate::eval::Status {
    match status {
        crate::eval::Status::Waived => crate::eval::Status::Fail,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_views_derive_the_counters_as_readers_of_the_base_table_do() {
        let checks = unwritten_checks("s", "f");
        let check_count = "s.check_count + CASE WHEN s.removed_at IS NULL \
                           THEN f.fast_scans - s.fast_base ELSE 0 END AS checks";
        for view in [
            MIGRATION_UNWRITTEN_CHECKS,
            super::super::pg_schema::UNWRITTEN_CHECKS,
        ] {
            for expression in [&checks.last_checked_at, &checks.last_scan_id] {
                assert!(view.contains(expression.as_str()), "{expression}");
            }
            assert!(view.contains(check_count));
        }
    }
}
