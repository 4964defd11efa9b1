//! Where the state lives: a file path or a PostgreSQL URL (DESIGN §4). `--state`,
//! `PLUMB_STATE` and the config file's `state:` are all read by [`StateLocation::parse`], so a
//! URL can never fall back to a file (`postgres://h/db` would otherwise be a relative
//! directory named `postgres:`).
//!
//! The URL's password never leaves this module in text: `Display` and `Debug` print
//! `postgres://user:***@host/db`, and a malformed URL is quoted only in that redacted form,
//! with problems that name the part, never its text.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};

/// The schemes of a PostgreSQL URL, as libpq accepts them.
pub const POSTGRES_SCHEMES: [&str; 2] = ["postgres", "postgresql"];

/// The query parameters a state URL may carry; libpq refuses unknown ones too, so a typo
/// such as `sslmod=require` cannot silently weaken TLS.
pub const URL_PARAMETERS: [&str; 5] = [
    "sslmode",
    "sslrootcert",
    "connect_timeout",
    "application_name",
    "password",
];

/// A state location that cannot be used as written (exit 2). The `Display` of every variant
/// is free of passwords.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    #[error(
        "--state takes a file path or a postgres:// (postgresql://) URL, not a {scheme}:// URL"
    )]
    UnknownScheme { scheme: String },
    #[error("malformed PostgreSQL URL {shown}: {problem}")]
    Malformed {
        /// The URL with any password replaced by `***`.
        shown: String,
        problem: String,
    },
}

/// `--state`, `PLUMB_STATE` or the config file's `state:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateLocation {
    Path(PathBuf),
    Postgres(PostgresUrl),
}

impl StateLocation {
    /// Reads a location. A value with a URL scheme (`word://`) or a `postgres:` prefix is a
    /// URL and must be a valid PostgreSQL one; anything else is a path.
    pub fn parse(value: &OsStr) -> Result<StateLocation, LocationError> {
        let Some(text) = value.to_str() else {
            // Not UTF-8, so not a URL.
            return Ok(StateLocation::Path(PathBuf::from(value)));
        };
        if let Some((scheme, _)) = text.split_once("://") {
            if is_scheme(scheme) {
                let lower = scheme.to_ascii_lowercase();
                return match POSTGRES_SCHEMES.iter().find(|known| **known == lower) {
                    Some(known) => PostgresUrl::parse(known, &text[scheme.len() + 3..], text)
                        .map(StateLocation::Postgres),
                    None => Err(LocationError::UnknownScheme { scheme: lower }),
                };
            }
        }
        let lower = text.to_ascii_lowercase();
        if let Some(scheme) = POSTGRES_SCHEMES
            .iter()
            .find(|scheme| lower.starts_with(&format!("{scheme}:")))
        {
            // Without "//" nothing says where a password would be, so none of it is shown.
            return Err(LocationError::Malformed {
                shown: format!("{}:…", &text[..scheme.len()]),
                problem: "a PostgreSQL URL starts with postgres:// or postgresql://".into(),
            });
        }
        Ok(StateLocation::Path(PathBuf::from(value)))
    }

    /// The file, for a path.
    pub fn as_path(&self) -> Option<&Path> {
        match self {
            StateLocation::Path(path) => Some(path),
            StateLocation::Postgres(_) => None,
        }
    }
}

impl fmt::Display for StateLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateLocation::Path(path) => write!(f, "{}", path.display()),
            StateLocation::Postgres(url) => url.fmt(f),
        }
    }
}

/// RFC 3986 scheme: a letter, then letters, digits, `+`, `-`, `.`.
fn is_scheme(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// libpq's `sslmode`, limited to the modes plumb implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    Disable,
    /// TLS if the server offers it (libpq's default).
    #[default]
    Prefer,
    /// TLS, without checking the certificate.
    Require,
    /// TLS with a certificate that chains to a trusted root and names the host.
    VerifyFull,
}

impl SslMode {
    pub const ALL: [SslMode; 4] = [
        SslMode::Disable,
        SslMode::Prefer,
        SslMode::Require,
        SslMode::VerifyFull,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// A password, printed only as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The password itself, for the connection and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A parsed `postgres://[user[:password]@]host[:port][/dbname][?param=value&…]` URL (one
/// host; percent-decoded parts).
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl {
    scheme: &'static str,
    user: Option<String>,
    password: Option<Password>,
    host: String,
    port: Option<u16>,
    dbname: Option<String>,
    sslmode: Option<SslMode>,
    /// The parameters, decoded, in the order given (`sslmode` too, never `password`).
    params: Vec<(String, String)>,
}

/// PostgreSQL's default port.
pub const DEFAULT_PORT: u16 = 5432;

/// What stays unescaped when a part is printed back.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl PostgresUrl {
    /// `rest` is what follows `scheme://`; `whole` is the text as given (quoted only redacted).
    fn parse(scheme: &'static str, rest: &str, whole: &str) -> Result<PostgresUrl, LocationError> {
        let bad = |problem: &str| LocationError::Malformed {
            shown: redact_text(whole),
            problem: problem.to_string(),
        };
        if rest.contains('#') {
            return Err(bad(
                "it has a fragment (#), which a PostgreSQL URL cannot have",
            ));
        }
        let (before_query, query) = match rest.split_once('?') {
            Some((before, query)) => (before, Some(query)),
            None => (rest, None),
        };
        // As libpq: the authority ends at the first '/', and credentials end at its last '@'.
        let (authority, path) = match before_query.split_once('/') {
            Some((authority, path)) => (authority, Some(path)),
            None => (before_query, None),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let (mut user, mut password) = (None, None);
        if let Some(userinfo) = userinfo {
            let (name, secret) = match userinfo.split_once(':') {
                Some((name, secret)) => (name, Some(secret)),
                None => (userinfo, None),
            };
            let name = decode(name).ok_or_else(|| bad("the user name is not valid UTF-8"))?;
            user = (!name.is_empty()).then_some(name);
            if let Some(secret) = secret {
                let secret =
                    decode(secret).ok_or_else(|| bad("the password is not valid UTF-8"))?;
                password = Some(Password(secret));
            }
        }
        let (host, port) = split_host_port(hostport).map_err(&bad)?;
        let dbname = match path {
            None => None,
            Some(path) if path.contains('/') => {
                return Err(bad("the database name has a '/' (one path segment only)"));
            }
            Some(path) => {
                let name =
                    decode(path).ok_or_else(|| bad("the database name is not valid UTF-8"))?;
                (!name.is_empty()).then_some(name)
            }
        };
        let password_in_userinfo = password.is_some();
        let mut sslmode = None;
        let mut seen: Vec<String> = Vec::new();
        let mut params: Vec<(String, String)> = Vec::new();
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            if pair.is_empty() {
                continue;
            }
            let Some((key, value)) = pair.split_once('=') else {
                return Err(bad("a query parameter has no '=value'"));
            };
            let key = decode(key)
                .filter(|key| URL_PARAMETERS.contains(&key.as_str()))
                .ok_or_else(|| {
                    bad(&format!(
                        "a query parameter is not one of {}",
                        URL_PARAMETERS.join(", ")
                    ))
                })?;
            let value = decode(value)
                .ok_or_else(|| bad(&format!("the value of {key} is not valid UTF-8")))?;
            if seen.contains(&key) || (key == "password" && password_in_userinfo) {
                return Err(bad(&format!("{key} is given more than once")));
            }
            seen.push(key.clone());
            match key.as_str() {
                "password" => {
                    password = Some(Password(value));
                    continue;
                }
                "sslmode" => {
                    let mode = SslMode::ALL.into_iter().find(|mode| mode.as_str() == value);
                    sslmode = Some(mode.ok_or_else(|| {
                        bad(&format!(
                            "sslmode {value:?} is not one of disable, prefer, require, \
                             verify-full"
                        ))
                    })?);
                }
                "connect_timeout" if !is_number(&value) => {
                    return Err(bad("connect_timeout is not a whole number of seconds"));
                }
                _ => {}
            }
            params.push((key, value));
        }
        Ok(PostgresUrl {
            scheme,
            user,
            password,
            host,
            port,
            dbname,
            sslmode,
            params,
        })
    }

    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// From the URL (its userinfo or `password=`); `PGPASSWORD` and `~/.pgpass` are the
    /// connection's to consult.
    pub fn password(&self) -> Option<&Password> {
        self.password.as_ref()
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port.unwrap_or(DEFAULT_PORT)
    }

    pub fn dbname(&self) -> Option<&str> {
        self.dbname.as_deref()
    }

    pub fn sslmode(&self) -> SslMode {
        self.sslmode.unwrap_or_default()
    }

    /// A parameter other than `password` and `sslmode` (`sslrootcert`, `connect_timeout`,
    /// `application_name`).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Digits only (Rust's integer parsing would take a leading `+`).
fn is_number(text: &str) -> bool {
    !text.is_empty() && text.len() <= 9 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Percent-decodes into UTF-8 text.
fn decode(text: &str) -> Option<String> {
    percent_decode_str(text)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

/// `host[:port]` or `[v6][:port]`. Problems name the part, never its text: a mistyped URL
/// may have put a piece of the password there.
fn split_host_port(text: &str) -> Result<(String, Option<u16>), &'static str> {
    let (host, port) = if let Some(v6) = text.strip_prefix('[') {
        let (address, after) = v6
            .split_once(']')
            .ok_or("an IPv6 host has no closing ']'")?;
        if address.is_empty()
            || !address
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err("the IPv6 host is not an IPv6 address");
        }
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or("the host is followed by text that is not a port")?,
            ),
        };
        (format!("[{address}]"), port)
    } else {
        match text.split_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (text.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err("the host is missing (postgres://[user@]host[:port]/dbname)");
    }
    if host.contains(',') {
        return Err("it names several hosts; plumb connects to one");
    }
    if !host.starts_with('[')
        && !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err("the host has characters a host name cannot have");
    }
    let port = match port {
        None => None,
        Some(port) => Some(
            Some(port)
                .filter(|port| is_number(port))
                .and_then(|port| port.parse::<u16>().ok())
                .filter(|port| *port != 0)
                .ok_or("the port is not a number from 1 to 65535")?,
        ),
    };
    Ok((host, port))
}

/// A text that looked like a URL but did not parse, with everything that may be a password
/// replaced: whatever lies between the user name and the last '@', and `password=` values.
fn redact_text(text: &str) -> String {
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), text),
    };
    let rest = match rest.rsplit_once('@') {
        Some((userinfo, after)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{after}"),
            None => format!("{userinfo}@{after}"),
        },
        None => rest.to_string(),
    };
    let rest = match rest.split_once('?') {
        Some((before, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}=***")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            format!("{before}?{}", query.join("&"))
        }
        None => rest,
    };
    format!("{scheme}{rest}")
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme)?;
        if self.user.is_some() || self.password.is_some() {
            if let Some(user) = &self.user {
                write!(f, "{}", utf8_percent_encode(user, UNRESERVED))?;
            }
            if self.password.is_some() {
                f.write_str(":***")?;
            }
            f.write_str("@")?;
        }
        f.write_str(&self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        if let Some(dbname) = &self.dbname {
            write!(f, "/{}", utf8_percent_encode(dbname, UNRESERVED))?;
        }
        for (i, (key, value)) in self.params.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            write!(f, "{sep}{key}={}", utf8_percent_encode(value, UNRESERVED))?;
        }
        Ok(())
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> PostgresUrl {
        match StateLocation::parse(OsStr::new(text)) {
            Ok(StateLocation::Postgres(url)) => url,
            other => panic!("{text}: {other:?}"),
        }
    }

    fn problem(text: &str) -> String {
        match StateLocation::parse(OsStr::new(text)) {
            Err(err) => err.to_string(),
            Ok(other) => panic!("{text} was accepted as {other:?}"),
        }
    }

    #[test]
    fn a_url_is_parsed_into_its_parts() {
        let u = url("postgres://plumb:s3cret@db.example.com:6543/state?sslmode=verify-full");
        assert_eq!(u.user(), Some("plumb"));
        assert_eq!(u.password().map(Password::expose), Some("s3cret"));
        assert_eq!((u.host(), u.port()), ("db.example.com", 6543));
        assert_eq!(u.dbname(), Some("state"));
        assert_eq!(u.sslmode(), SslMode::VerifyFull);

        let u = url("POSTGRESQL://h");
        assert_eq!((u.user(), u.password(), u.dbname()), (None, None, None));
        assert_eq!((u.port(), u.sslmode()), (DEFAULT_PORT, SslMode::Prefer));
        assert_eq!(u.to_string(), "postgresql://h");

        let u = url("postgres://a%40b:p%2Fw%3Ad%40@[::1]:5433/my%20db");
        assert_eq!(u.user(), Some("a@b"));
        assert_eq!(u.password().map(Password::expose), Some("p/w:d@"));
        assert_eq!(u.port(), 5433);
        assert_eq!(u.host(), "[::1]");
        assert_eq!(u.dbname(), Some("my db"));
    }

    #[test]
    fn paths_stay_paths() {
        for path in [
            "state.db",
            "./postgres://h/db",
            "/srv/a://b/x.db",
            "a:b.db",
            "postgres",
        ] {
            assert_eq!(
                StateLocation::parse(OsStr::new(path)),
                Ok(StateLocation::Path(PathBuf::from(path))),
                "{path}"
            );
        }
    }

    #[test]
    fn display_and_debug_redact_the_password_and_keep_the_rest() {
        let u = url(
            "postgresql://plumb:CANARY@db:5432/state?application_name=cron%201&sslmode=require",
        );
        let shown =
            "postgresql://plumb:***@db:5432/state?application_name=cron%201&sslmode=require";
        assert_eq!(u.to_string(), shown);
        assert_eq!(format!("{u:?}"), format!("PostgresUrl({shown})"));
        let location = StateLocation::Postgres(u.clone());
        assert_eq!(location.to_string(), shown);
        assert!(!format!("{location:?} {location:#?}").contains("CANARY"));
        assert_eq!(format!("{:?}", u.password().unwrap()), "***");

        // A password in the query is one too, and its parameter is not printed.
        let u = url("postgres://plumb@db/state?password=CANARY&connect_timeout=5");
        assert_eq!(u.password().map(Password::expose), Some("CANARY"));
        assert_eq!(u.param("connect_timeout"), Some("5"));
        assert_eq!(
            u.to_string(),
            "postgres://plumb:***@db/state?connect_timeout=5"
        );
    }

    #[test]
    fn malformed_urls_are_refused_without_their_password() {
        let cases = [
            ("postgres://u:CANARY@h:99999/db", "the port is not a number"),
            ("postgres://u:CANARY@h:0/db", "the port is not a number"),
            ("postgres://u:CANARY@h:+5432/db", "the port is not a number"),
            ("postgres://u:CANARY@h:/db", "the port is not a number"),
            ("postgres://u:CANARY@h:abc/db", "the port is not a number"),
            ("postgres://u:CANARY@/db", "the host is missing"),
            ("postgres:///db", "the host is missing"),
            ("postgres://u:CANARY@h1,h2/db", "several hosts"),
            (
                "postgres://u:CANARY@h/db?sslmode=allow",
                "sslmode \"allow\" is not one of",
            ),
            (
                "postgres://u:CANARY@h/db?sslmode=verify-ca",
                "is not one of",
            ),
            (
                "postgres://u:CANARY@h/db?sslmod=require",
                "a query parameter is not one of",
            ),
            ("postgres://u:CANARY@h/db?sslmode", "no '=value'"),
            (
                "postgres://u:CANARY@h/db?sslmode=require&sslmode=disable",
                "more than once",
            ),
            (
                "postgres://u:CANARY@h/db?password=CANARY",
                "password is given more than once",
            ),
            (
                "postgres://u:CANARY@h/db?connect_timeout=soon",
                "connect_timeout",
            ),
            ("postgres://u:CANARY@h/a/b", "one path segment"),
            ("postgres://u:CANARY@h/db#x", "fragment"),
            ("postgres://u:CANARY@[::1/db", "no closing ']'"),
            (
                "postgres://u:CANARY@h%20x/db",
                "characters a host name cannot have",
            ),
            // A '/' in an unescaped password ends the authority, as in libpq.
            ("postgres://u:CANA/RY@h/db", "the port is not a number"),
            ("postgres:u:CANARY@h/db", "starts with postgres://"),
            ("PostgreSQL:CANARY", "starts with postgres://"),
        ];
        for (text, expected) in cases {
            let err = problem(text);
            assert!(err.contains(expected), "{text}: {err}");
            assert!(
                err.starts_with("malformed PostgreSQL URL "),
                "{text}: {err}"
            );
            for piece in ["CANARY", "CANA", "RY@"] {
                assert!(!err.contains(piece), "{text} leaked {piece}: {err}");
            }
        }
        for (text, scheme) in [
            ("postgress://u:CANARY@h/db", "postgress"),
            ("mysql://u:CANARY@h/db", "mysql"),
            ("SQLite:///x.db", "sqlite"),
        ] {
            assert_eq!(
                StateLocation::parse(OsStr::new(text)),
                Err(LocationError::UnknownScheme {
                    scheme: scheme.into()
                })
            );
            assert!(!problem(text).contains("CANARY"));
        }
    }
}
