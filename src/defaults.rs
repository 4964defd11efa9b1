//! Settings with a default, each defined once. Flags and their `--help`, policy defaults, the
//! SSH transport, the native executor and the generated shell probe all read them here.

use std::time::Duration;

/// Limit for connecting and authenticating to one host.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Limit for the whole probe of one host (exec to exit).
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(300);
/// Hosts scanned at once.
pub const CONCURRENCY: u32 = 16;
/// Cap on everything one host may send back.
pub const MAX_OUTPUT: usize = 64 * 1024 * 1024;
/// Limit for one command a rule runs without its own `timeout`, and for the package and unit
/// queries.
pub const COMMAND_TIMEOUT_MS: u64 = 30_000;
/// Symlink hops allowed while resolving one path under `--root`, as the kernel's limit.
pub const MAX_LINK_HOPS: usize = 40;
/// Evidence kept per rule result, in bytes of `eval::evidence_size`, unless a flag or the
/// policy says otherwise.
pub const EVIDENCE_BYTES: usize = 64 * 1024;
/// No flag or policy may raise the evidence cap beyond this; the store refuses anything larger.
pub const MAX_EVIDENCE_BYTES: usize = 256 * 1024;
