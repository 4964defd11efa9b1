//! Connecting to a real PostgreSQL server for a `postgres://` state location (issue 16): the
//! password from the URL, PGPASSWORD or a pgpass file, and clear errors (exit 3) for a wrong
//! password, an unreachable server and a refused TLS handshake, none carrying the password.

mod support;

use plumb::store::pg::{self, Credentials};
use plumb::store::{PostgresUrl, StateLocation, StoreError};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use support::postgres::{PASSWORD, PgServer, USER, free_port};

fn parse(url: &str) -> PostgresUrl {
    match StateLocation::parse(url.as_ref()) {
        Ok(StateLocation::Postgres(url)) => url,
        other => panic!("{url}: {other:?}"),
    }
}

/// Connects and runs a query, or returns the error's text after checking it is exit 3.
fn login(url: &str, creds: &Credentials) -> Result<(), String> {
    match pg::connect(&parse(url), creds) {
        Ok(mut client) => {
            let rows = client.simple_query("SELECT current_user").unwrap();
            assert!(!rows.is_empty());
            Ok(())
        }
        Err(err) => {
            assert!(matches!(err, StoreError::Postgres { .. }), "{err:?}");
            let err = plumb::error::Error::from(err);
            let text = plumb::error::Chain(&err).to_string();
            assert_eq!(err.code(), 3, "{text}");
            Err(text)
        }
    }
}

#[test]
fn the_password_comes_from_the_url_pgpassword_or_pgpass() {
    let server = PgServer::start("the_password_comes_from_the_url_pgpassword_or_pgpass");
    let none = Credentials::default();
    login(&server.url(Some(PASSWORD), "sslmode=disable"), &none).unwrap();
    // prefer falls back to plain text when the server has no TLS.
    login(&server.url(Some(PASSWORD), ""), &none).unwrap();
    let url = server.url(None, "sslmode=disable&application_name=plumb-test");
    let from_env = Credentials {
        pgpassword: Some(PASSWORD.into()),
        ..Credentials::default()
    };
    login(&url, &from_env).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let pgpass = dir.path().join("pgpass");
    fs::write(
        &pgpass,
        format!(
            "# test\nother:1:*:*:nope\n127.0.0.1:{}:postgres:{USER}:{PASSWORD}\n",
            server.port
        ),
    )
    .unwrap();
    fs::set_permissions(&pgpass, fs::Permissions::from_mode(0o600)).unwrap();
    let from_file = Credentials {
        pgpass: Some(pgpass.clone()),
        ..Credentials::default()
    };
    login(&url, &from_file).unwrap();
    // A pgpass file others may read is ignored, as libpq does.
    fs::set_permissions(&pgpass, fs::Permissions::from_mode(0o644)).unwrap();
    let err = login(&url, &from_file).unwrap_err();
    assert!(err.contains("no password"), "{err}");
}

#[test]
fn failures_are_named_without_the_password() {
    let server = PgServer::start("failures_are_named_without_the_password");
    let canary = "CANARY-wrong-p4ss";
    let none = Credentials::default();

    let err = login(&server.url(Some(canary), "sslmode=disable"), &none).unwrap_err();
    assert!(err.contains("refused the login"), "{err}");
    assert!(err.contains("password authentication failed"), "{err}");
    assert!(err.contains("with the password from the URL"), "{err}");
    assert!(
        err.contains(&format!("postgres://{USER}:***@127.0.0.1:{}", server.port)),
        "{err}"
    );
    assert!(!err.contains(canary), "{err}");

    let wrong_env = Credentials {
        pgpassword: Some(canary.into()),
        ..Credentials::default()
    };
    let err = login(&server.url(None, "sslmode=disable"), &wrong_env).unwrap_err();
    assert!(err.contains("with the password from PGPASSWORD"), "{err}");
    assert!(!err.contains(canary), "{err}");

    // The server has ssl=off: require must fail, not fall back to plain text.
    let err = login(&server.url(Some(canary), "sslmode=require"), &none).unwrap_err();
    assert!(err.contains("TLS with 127.0.0.1"), "{err}");
    assert!(err.contains("sslmode=require"), "{err}");
    assert!(err.contains("server does not support TLS"), "{err}");
    assert!(!err.contains(canary), "{err}");

    let closed = free_port().unwrap();
    let url = format!("postgres://{USER}:{canary}@127.0.0.1:{closed}/postgres?sslmode=disable");
    let err = login(&url, &none).unwrap_err();
    assert!(
        err.contains(&format!("cannot reach 127.0.0.1:{closed}")),
        "{err}"
    );
    assert!(!err.contains(canary), "{err}");
}

/// sslmode against a server with TLS: require encrypts without checking; verify-full checks
/// the chain against sslrootcert and refuses another CA, without the password.
#[test]
fn verify_full_checks_the_certificate_and_require_does_not() {
    let server = PgServer::start_tls("verify_full_checks_the_certificate_and_require_does_not");
    let none = Credentials::default();
    let ca = server.ca.clone().unwrap();
    login(&server.url(Some(PASSWORD), "sslmode=require"), &none).unwrap();
    let query = format!("sslmode=verify-full&sslrootcert={}", ca.display());
    login(&server.url(Some(PASSWORD), &query), &none).unwrap();

    // A CA that did not sign the server's certificate.
    let other = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("openssl")
        .current_dir(other.path())
        .args([
            "req",
            "-x509",
            "-days",
            "1",
            "-subj",
            "/CN=other CA",
            "-newkey",
            "ec",
        ])
        .args(["-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
        .args(["-keyout", "ca.key", "-out", "ca.crt"])
        .output()
        .unwrap();
    assert!(status.status.success());
    let canary = "CANARY-tls-p4ss";
    let query = format!(
        "sslmode=verify-full&sslrootcert={}",
        other.path().join("ca.crt").display()
    );
    let err = login(&server.url(Some(canary), &query), &none).unwrap_err();
    assert!(err.contains("failed (sslmode=verify-full)"), "{err}");
    assert!(err.contains("UnknownIssuer"), "{err}");
    assert!(!err.contains(canary), "{err}");
}
