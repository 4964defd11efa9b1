//! Connecting to PostgreSQL for a `postgres://` state location: TLS per `sslmode` (rustls on
//! ring), the password from the URL, `PGPASSWORD` or `~/.pgpass`, and errors that say what
//! failed without the password. The store's statements run through [`super::db`].

use super::error::StoreError;
use super::location::{PostgresUrl, SslMode};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The name the server sees unless the URL gives `application_name`.
pub const APPLICATION_NAME: &str = "plumb";

/// What the environment adds to a URL, read once so tests can give their own.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// `PGPASSWORD`.
    pub pgpassword: Option<String>,
    /// `PGPASSFILE`, else `~/.pgpass`.
    pub pgpass: Option<PathBuf>,
    /// `PGUSER`, else `USER`: the user when the URL names none, as libpq.
    pub user: Option<String>,
}

impl Credentials {
    pub fn from_env() -> Credentials {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        Credentials {
            pgpassword: var("PGPASSWORD"),
            pgpass: var("PGPASSFILE")
                .map(PathBuf::from)
                .or_else(|| dirs::home_dir().map(|home| home.join(".pgpass"))),
            user: var("PGUSER").or_else(|| var("USER")),
        }
    }
}

/// Where the password came from, to say so when the server refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSource {
    Url,
    PgPassword,
    PgPass,
    None,
}

impl PasswordSource {
    fn describe(self) -> &'static str {
        match self {
            PasswordSource::Url => "the password from the URL",
            PasswordSource::PgPassword => "the password from PGPASSWORD",
            PasswordSource::PgPass => "the password from the pgpass file",
            PasswordSource::None => "no password (none in the URL, PGPASSWORD or ~/.pgpass)",
        }
    }
}

/// The password for a connection: the URL's, else `PGPASSWORD`, else the first matching
/// line of the pgpass file (ignored, as libpq does, when others may read it).
pub fn password(
    url: &PostgresUrl,
    user: &str,
    creds: &Credentials,
) -> (Option<String>, PasswordSource) {
    if let Some(password) = url.password() {
        return (Some(password.expose().to_string()), PasswordSource::Url);
    }
    if let Some(password) = &creds.pgpassword {
        return (Some(password.clone()), PasswordSource::PgPassword);
    }
    let from_file = creds.pgpass.as_deref().and_then(|path| {
        let text = read_pgpass(path)?;
        let dbname = url.dbname().unwrap_or(user);
        pgpass_lookup(&text, url.host(), url.port(), dbname, user)
    });
    match from_file {
        Some(password) => (Some(password), PasswordSource::PgPass),
        None => (None, PasswordSource::None),
    }
}

fn read_pgpass(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.mode() & 0o077 != 0 {
        tracing::warn!(
            "ignoring password file {}: others may read it (chmod 0600 it)",
            path.display()
        );
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// The password of the first `host:port:database:user:password` line that matches (`*`
/// matches anything; `\:` and `\\` escape).
pub fn pgpass_lookup(
    text: &str,
    host: &str,
    port: u16,
    dbname: &str,
    user: &str,
) -> Option<String> {
    let port = port.to_string();
    let wanted = [host, port.as_str(), dbname, user];
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .find_map(|line| {
            let fields = split_pgpass(line);
            let [h, p, d, u, password] = <[String; 5]>::try_from(fields).ok()?;
            let matches = [h, p, d, u]
                .iter()
                .zip(wanted)
                .all(|(field, want)| field == "*" || field == want);
            matches.then_some(password)
        })
}

fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(field)) = (chars.next(), fields.last_mut()) {
                    field.push(next);
                }
            }
            // The password is the last field and may hold unescaped colons.
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(field) = fields.last_mut() {
                    field.push(c);
                }
            }
        }
    }
    fields
}

/// Opens a connection. Every error names the redacted URL and says what failed; none
/// carries the password.
pub fn connect(url: &PostgresUrl, creds: &Credentials) -> Result<postgres::Client, StoreError> {
    let fail = |problem: String| StoreError::Postgres {
        url: Box::new(url.clone()),
        problem,
    };
    let user = url
        .user()
        .map(str::to_string)
        .or_else(|| creds.user.clone())
        .ok_or_else(|| fail("the URL names no user, and neither PGUSER nor USER is set".into()))?;
    let (password, source) = password(url, &user, creds);
    let mut config = postgres::Config::new();
    config
        .host(url.host().trim_start_matches('[').trim_end_matches(']'))
        .port(url.port())
        .user(&user)
        .dbname(url.dbname().unwrap_or(&user))
        .application_name(url.param("application_name").unwrap_or(APPLICATION_NAME))
        .ssl_mode(match url.sslmode() {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyFull => postgres::config::SslMode::Require,
        });
    if let Some(password) = &password {
        config.password(password);
    }
    if let Some(seconds) = url
        .param("connect_timeout")
        .and_then(|s| s.parse::<u64>().ok())
    {
        // libpq: 0 waits forever; below 2 counts as 2.
        if seconds > 0 {
            config.connect_timeout(Duration::from_secs(seconds.max(2)));
        }
    }
    let tls = tls_connector(url).map_err(fail)?;
    config.connect(tls).map_err(|err| {
        let mut problem = describe(&err, url, source);
        // Belt and braces: no driver or server text may echo the password.
        if let Some(password) = password.as_deref().filter(|p| !p.is_empty()) {
            problem = problem.replace(password, "***");
        }
        fail(problem)
    })
}

/// One sentence on a failed connection, naming the cause once.
fn describe(err: &postgres::Error, url: &PostgresUrl, source: PasswordSource) -> String {
    use postgres::error::SqlState;
    let address = format!("{}:{}", url.host(), url.port());
    if let Some(db) = err.as_db_error() {
        return if [
            SqlState::INVALID_PASSWORD,
            SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
        ]
        .contains(db.code())
        {
            format!(
                "the server at {address} refused the login ({}), with {}",
                db.message(),
                source.describe()
            )
        } else {
            format!("the server at {address} answered: {}", db.message())
        };
    }
    let text = err.to_string();
    if text.starts_with("error performing TLS handshake") {
        let sslmode = url.sslmode().as_str();
        format!(
            "TLS with {address} failed (sslmode={sslmode}): {}",
            cause_of(err, &text)
        )
    } else if text.starts_with("error connecting to server")
        || text.starts_with("error communicating")
    {
        format!("cannot reach {address}: {}", cause_of(err, &text))
    } else if text.starts_with("timeout") {
        format!("no answer from {address} within connect_timeout")
    } else if text.starts_with("authentication error") || text.starts_with("invalid configuration")
    {
        format!(
            "the server at {address} asks for a password, and there is {}",
            source.describe()
        )
    } else {
        format!("connecting to {address}: {text}")
    }
}

/// The driver's cause, else its whole text.
fn cause_of(err: &postgres::Error, text: &str) -> String {
    std::error::Error::source(err).map_or_else(|| text.to_string(), ToString::to_string)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// rustls for the URL's sslmode: verify-full checks the chain (the URL's `sslrootcert`, else
/// the system's roots) and the host name; prefer and require encrypt without checking, as
/// libpq does without a root certificate.
fn tls_connector(url: &PostgresUrl) -> Result<MakeRustlsConnect, String> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|err| format!("setting up TLS: {err}"))?;
    let config = if url.sslmode() == SslMode::VerifyFull {
        let mut roots = RootCertStore::empty();
        match url.param("sslrootcert") {
            Some(file) => {
                let certs = CertificateDer::pem_file_iter(file)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|err| format!("reading sslrootcert {file}: {err}"))?;
                roots.add_parsable_certificates(certs);
            }
            None => {
                roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            }
        }
        if roots.is_empty() {
            return Err("sslmode=verify-full, but no trusted root certificate was found".into());
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(
                provider.signature_verification_algorithms,
            )))
            .with_no_client_auth()
    };
    Ok(MakeRustlsConnect::new(config))
}

/// sslmode prefer/require: any certificate, but the handshake's signatures are still checked.
#[derive(Debug)]
struct EncryptOnly(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgpass_lines_match_by_field_with_wildcards_and_escapes() {
        let text = "# comment\n\
                    other:5432:*:u:nope\n\
                    db\\:x:5432:plumb:u:first\n\
                    *:*:plumb:u:pa\\:ss:with:colons\n\
                    *:*:*:*:fallback\n";
        assert_eq!(
            pgpass_lookup(text, "db:x", 5432, "plumb", "u").as_deref(),
            Some("first")
        );
        assert_eq!(
            pgpass_lookup(text, "h", 1, "plumb", "u").as_deref(),
            Some("pa:ss:with:colons")
        );
        assert_eq!(
            pgpass_lookup(text, "h", 1, "other", "v").as_deref(),
            Some("fallback")
        );
        assert_eq!(pgpass_lookup("h:1:d:u\n", "h", 1, "d", "u"), None);
    }
}
