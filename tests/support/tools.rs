//! The outside tools the tests drive: sqlite3 and ssh-keygen, which must be installed
//! (`.ci/run` installs them).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs a tool that must succeed; its stdout.
pub fn checked(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|err| panic!("running {cmd:?}: {err}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The sqlite3 CLI's output for `sql` run on the database at `path`, waiting (as plumb does)
/// while a running plumb holds the write lock.
pub fn sqlite3(path: &Path, sql: &str) -> String {
    checked(
        Command::new("sqlite3")
            .args(["-cmd", ".timeout 10000"])
            .arg(path)
            .arg(sql),
    )
}

/// A new key pair without passphrase, commented `<name>@example.com`; the private key's path.
pub fn keygen(dir: &Path, name: &str, key_type: &str) -> PathBuf {
    let path = dir.join(name);
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-q", "-t", key_type, "-N", "", "-C"])
        .arg(format!("{name}@example.com"))
        .arg("-f")
        .arg(&path);
    if key_type == "rsa" {
        cmd.args(["-b", "2048"]);
    }
    checked(&mut cmd);
    path
}

/// `<file>.sig`, where `ssh-keygen -Y sign` writes the signature of `file`.
pub fn sig_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// `ssh-keygen -Y sign` of `file` in `namespace`, replacing any earlier signature.
pub fn sign(key: &Path, file: &Path, namespace: &str) {
    let _ = fs::remove_file(sig_path(file));
    checked(
        Command::new("ssh-keygen")
            .args(["-q", "-Y", "sign", "-n", namespace, "-f"])
            .arg(key)
            .arg(file),
    );
}

/// The `SHA256:` fingerprint ssh-keygen prints for a key's public half.
pub fn fingerprint(key: &Path) -> String {
    let out = checked(
        Command::new("ssh-keygen")
            .arg("-lf")
            .arg(key.with_extension("pub")),
    );
    out.split_whitespace()
        .nth(1)
        .expect("fingerprint field")
        .to_owned()
}
