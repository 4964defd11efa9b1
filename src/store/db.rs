//! One SQL text, two drivers: the store's statements run unchanged on SQLite (rusqlite) and
//! PostgreSQL (postgres), so each store operation is written once.
//!
//! Statements are written in the subset both engines read, with SQLite's `?N` placeholders
//! (rewritten to `$N` for PostgreSQL). The PostgreSQL schema supplies the few SQLite
//! functions the statements use (`hex`, `unhex`) and a `rowid` column where statements
//! order by it. Values cross as [`Value`]: a parameter is converted to the type PostgreSQL
//! inferred for it (an integer binds to SMALLINT, INTEGER, BIGINT or BOOLEAN), and a column
//! of any of those types reads back as an integer, as SQLite returns it.
//!
//! Where the engines really differ (SQLite's PRAGMAs and sequences, PostgreSQL's advisory
//! locks) callers branch on [`Tx::dialect`].

use bytes::BytesMut;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// Which engine a statement runs on, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A failure of either driver, or a stored value that is not what the store wrote.
#[derive(Debug)]
pub enum DbError {
    Sqlite(rusqlite::Error),
    Postgres(postgres::Error),
    /// A column held something other than the store's own encoding.
    Decode {
        column: usize,
        problem: String,
    },
    /// A statement that must return a row returned none.
    NoRow,
    /// A row of [`Tx::execute_rows`] has another number of values than its statement.
    RowWidth {
        expected: usize,
        found: usize,
    },
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::Sqlite(err) => write!(f, "{err}"),
            DbError::Postgres(err) => match err.as_db_error() {
                Some(db) => write!(f, "{}", db.message()),
                None => write!(f, "{err}"),
            },
            DbError::Decode { column, problem } => write!(f, "column {column}: {problem}"),
            DbError::NoRow => write!(f, "the statement returned no row"),
            DbError::RowWidth { expected, found } => {
                write!(f, "a row of {found} values for a statement of {expected}")
            }
        }
    }
}

impl std::error::Error for DbError {}

impl From<rusqlite::Error> for DbError {
    fn from(err: rusqlite::Error) -> Self {
        match err {
            rusqlite::Error::QueryReturnedNoRows => DbError::NoRow,
            other => DbError::Sqlite(other),
        }
    }
}

impl From<postgres::Error> for DbError {
    fn from(err: postgres::Error) -> Self {
        DbError::Postgres(err)
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// A parameter or a column value, in SQLite's five storage classes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(Cow<'a, str>),
    Blob(Cow<'a, [u8]>),
}

impl Value<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Int(_) => "an integer",
            Value::Real(_) => "a real",
            Value::Text(_) => "text",
            Value::Blob(_) => "a blob",
        }
    }
}

/// What can be a statement parameter (borrowed: the value outlives the statement).
pub trait ToValue {
    fn to_value(&self) -> Value<'_>;
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value<'_> {
                Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
int_to_value!(i64, i32, u32, u16, u8, usize, u64);

impl ToValue for bool {
    fn to_value(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value<'_> {
        Value::Real(*self)
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value<'_> {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value<'_> {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

impl ToValue for Value<'_> {
    fn to_value(&self) -> Value<'_> {
        match self {
            Value::Text(text) => Value::Text(Cow::Borrowed(text)),
            Value::Blob(bytes) => Value::Blob(Cow::Borrowed(bytes)),
            Value::Null => Value::Null,
            Value::Int(i) => Value::Int(*i),
            Value::Real(r) => Value::Real(*r),
        }
    }
}

/// Statement parameters, borrowed like rusqlite's `params!`: `args![a, b.as_str(), c]`.
macro_rules! args {
    () => { [] as [$crate::store::db::Value<'_>; 0] };
    ($($arg:expr),+ $(,)?) => {
        [$($crate::store::db::ToValue::to_value(&$arg)),+]
    };
}
pub(crate) use args;

/// What a column can be read as.
pub trait FromValue: Sized {
    /// `Err` names what was expected.
    fn from_value(value: Value<'_>) -> Result<Self, &'static str>;
}

impl FromValue for i64 {
    fn from_value(value: Value<'_>) -> Result<Self, &'static str> {
        match value {
            Value::Int(i) => Ok(i),
            _ => Err("an integer"),
        }
    }
}

macro_rules! narrow_int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(value: Value<'_>) -> Result<Self, &'static str> {
                match value {
                    Value::Int(i) => <$t>::try_from(i).map_err(|_| "an integer in range"),
                    _ => Err("an integer"),
                }
            }
        }
    )*};
}
narrow_int_from_value!(i32, u32, u64, usize);

impl FromValue for bool {
    fn from_value(value: Value<'_>) -> Result<Self, &'static str> {
        match value {
            Value::Int(i) => Ok(i != 0),
            _ => Err("a 0/1 flag"),
        }
    }
}

impl FromValue for f64 {
    fn from_value(value: Value<'_>) -> Result<Self, &'static str> {
        match value {
            Value::Real(r) => Ok(r),
            #[allow(clippy::cast_precision_loss)]
            Value::Int(i) => Ok(i as f64),
            _ => Err("a number"),
        }
    }
}

impl FromValue for String {
    fn from_value(value: Value<'_>) -> Result<Self, &'static str> {
        match value {
            Value::Text(text) => Ok(text.into_owned()),
            _ => Err("text"),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: Value<'_>) -> Result<Self, &'static str> {
        match value {
            Value::Blob(bytes) => Ok(bytes.into_owned()),
            _ => Err("a blob"),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value<'_>) -> Result<Self, &'static str> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(r) => ValueRef::Real(*r),
            Value::Text(text) => ValueRef::Text(text.as_bytes()),
            Value::Blob(bytes) => ValueRef::Blob(bytes),
        }))
    }
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

/// Binds to the type PostgreSQL inferred for the parameter.
impl ToSql for Value<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        let mismatch =
            || -> BoxError { format!("cannot bind {} to a {ty} parameter", self.kind()).into() };
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                #[allow(clippy::cast_precision_loss)]
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => i.to_string().to_sql(ty, out),
                _ => Err(mismatch()),
            },
            Value::Real(r) => match *ty {
                Type::FLOAT8 => r.to_sql(ty, out),
                _ => Err(mismatch()),
            },
            Value::Text(text) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    text.as_ref().to_sql(ty, out)
                }
                _ => Err(mismatch()),
            },
            Value::Blob(bytes) => match *ty {
                Type::BYTEA => bytes.as_ref().to_sql(ty, out),
                _ => Err(mismatch()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A PostgreSQL column read as SQLite would return it.
struct AnyValue(Value<'static>);

impl<'a> FromSql<'a> for AnyValue {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let value = match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(Cow::Owned(raw.to_vec())),
            _ => Value::Text(Cow::Owned(String::from_sql(ty, raw)?)),
        };
        Ok(AnyValue(value))
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(AnyValue(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// PostgreSQL's binary NUMERIC (what `sum` of a BIGINT returns): an integer when it has no
/// fraction and fits, else a real.
fn numeric(raw: &[u8]) -> Result<Value<'static>, BoxError> {
    let word = |i: usize| -> Result<i16, BoxError> {
        raw.get(i..i + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "truncated NUMERIC".into())
    };
    let (ndigits, weight, sign) = (word(0)?, word(2)?, word(4)? as u16);
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let (mut int, mut real, mut integral) = (0i128, 0f64, true);
    for i in 0..usize::try_from(ndigits).unwrap_or(0) {
        let digit = word(8 + 2 * i)?;
        let power = i32::from(weight) - i32::try_from(i).unwrap_or(i32::MAX);
        real += f64::from(digit) * 10000f64.powi(power);
        if power < 0 {
            integral &= digit == 0;
        } else {
            int = u32::try_from(power)
                .ok()
                .and_then(|p| 10000i128.checked_pow(p))
                .and_then(|scale| int.checked_add(i128::from(digit) * scale))
                .ok_or("NUMERIC out of range")?;
        }
    }
    let negative = sign == 0x4000;
    Ok(match i64::try_from(if negative { -int } else { int }) {
        Ok(i) if integral => Value::Int(i),
        _ => Value::Real(if negative { -real } else { real }),
    })
}

/// One result row of either driver.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r postgres::Row),
}

impl Row<'_> {
    /// Column `index` as `T`.
    pub fn get<T: FromValue>(&self, index: usize) -> DbResult<T> {
        let value =
            match self {
                Row::Sqlite(row) => {
                    use rusqlite::types::ValueRef;
                    match row.get_ref(index)? {
                        ValueRef::Null => Value::Null,
                        ValueRef::Integer(i) => Value::Int(i),
                        ValueRef::Real(r) => Value::Real(r),
                        ValueRef::Text(bytes) => Value::Text(Cow::Borrowed(
                            std::str::from_utf8(bytes).map_err(|_| DbError::Decode {
                                column: index,
                                problem: "text is not UTF-8".into(),
                            })?,
                        )),
                        ValueRef::Blob(bytes) => Value::Blob(Cow::Borrowed(bytes)),
                    }
                }
                Row::Postgres(row) => row.try_get::<_, AnyValue>(index)?.0,
            };
        let found = value.kind();
        T::from_value(value).map_err(|expected| DbError::Decode {
            column: index,
            problem: format!("expected {expected}, found {found}"),
        })
    }
}

/// Parses a stored word (a status, a kind) into its enum.
pub fn parse<T: std::str::FromStr<Err = String>>(text: String) -> DbResult<T> {
    text.parse()
        .map_err(|problem| DbError::Decode { column: 0, problem })
}

/// SQLite's `?N` placeholders as PostgreSQL's `$N` (outside quoted text).
fn postgres_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    for ch in sql.chars() {
        match ch {
            '\'' => quoted = !quoted,
            '?' if !quoted => {
                out.push('$');
                continue;
            }
            _ => {}
        }
        out.push(ch);
    }
    out
}

/// A PostgreSQL connection and its prepared statements (one parse per statement text).
pub struct PgConn {
    pub client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
}

impl PgConn {
    pub fn new(client: postgres::Client) -> PgConn {
        PgConn {
            client,
            statements: HashMap::new(),
        }
    }
}

/// An open connection of either engine.
pub enum Db {
    Sqlite(rusqlite::Connection),
    Postgres(Box<PgConn>),
}

/// How a transaction locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxMode {
    /// Writes: SQLite takes the write lock at once (IMMEDIATE); PostgreSQL reads committed
    /// rows and locks what it writes.
    Write,
    /// Reads from one snapshot (SQLite DEFERRED; PostgreSQL REPEATABLE READ, READ ONLY).
    Read,
}

impl Db {
    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    pub fn begin(&mut self, mode: TxMode) -> DbResult<Tx<'_>> {
        match self {
            Db::Sqlite(conn) => {
                let behavior = match mode {
                    TxMode::Write => rusqlite::TransactionBehavior::Immediate,
                    TxMode::Read => rusqlite::TransactionBehavior::Deferred,
                };
                Ok(Tx::Sqlite(conn.transaction_with_behavior(behavior)?))
            }
            Db::Postgres(pg) => {
                let PgConn { client, statements } = &mut **pg;
                let mut builder = client.build_transaction();
                if mode == TxMode::Read {
                    builder = builder
                        .isolation_level(postgres::IsolationLevel::RepeatableRead)
                        .read_only(true);
                }
                Ok(Tx::Postgres {
                    tx: builder.start()?,
                    statements,
                })
            }
        }
    }
}

/// A transaction of either engine; dropped without [`Tx::commit`], it rolls back.
pub enum Tx<'c> {
    Sqlite(rusqlite::Transaction<'c>),
    Postgres {
        tx: postgres::Transaction<'c>,
        statements: &'c mut HashMap<String, postgres::Statement>,
    },
}

/// `head` + `count` copies of `row` with their `?` numbered on from `leading` + `tail`.
fn rows_sql(head: &str, leading: usize, row: &str, tail: &str, count: usize) -> String {
    let mut sql = String::with_capacity(head.len() + tail.len() + count * (row.len() + 16));
    sql.push_str(head);
    let mut n = leading;
    for i in 0..count {
        if i > 0 {
            sql.push_str(", ");
        }
        let mut chars = row.chars().peekable();
        while let Some(ch) = chars.next() {
            sql.push(ch);
            // A numbered `?N` in the row is one of the leading values.
            if ch == '?' && !chars.peek().is_some_and(char::is_ascii_digit) {
                n += 1;
                sql.push_str(&n.to_string());
            }
        }
    }
    sql.push_str(tail);
    sql
}

/// [`rows_sql`] for any number of rows in one PostgreSQL statement: each bare `?` of `row`
/// becomes a column of `unnest` over one array parameter per column (typed as `types`, the
/// types PostgreSQL infers for the one-row statement). A `VALUES` head becomes
/// `SELECT … ORDER BY` the rows' order; any other head (an `IN (` list) takes the `SELECT`.
fn array_sql(head: &str, leading: usize, row: &str, tail: &str, types: &[Type]) -> String {
    let mut select = String::with_capacity(row.len() + 16);
    let mut columns = 0;
    let mut chars = unparenthesised(row).chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '?' && !chars.peek().is_some_and(char::is_ascii_digit) {
            columns += 1;
            select.push_str(&format!("u.c{columns}"));
        } else {
            select.push(ch);
        }
    }
    let arrays: Vec<String> = (0..columns)
        .map(|i| {
            let name = types.get(i).map_or("text", Type::name);
            format!("?{}::{name}[]", leading + i + 1)
        })
        .collect();
    let names: Vec<String> = (1..=columns).map(|i| format!("c{i}")).collect();
    let (arrays, names) = (arrays.join(", "), names.join(", "));
    match head.trim_end().strip_suffix("VALUES") {
        Some(insert) => format!(
            "{insert}SELECT {select} FROM unnest({arrays}) WITH ORDINALITY AS u({names}, n) \
             ORDER BY u.n{tail}"
        ),
        None => format!("{head}SELECT {select} FROM unnest({arrays}) AS u({names}){tail}"),
    }
}

/// `row` without the parentheses around the whole of it (a `VALUES` tuple).
fn unparenthesised(row: &str) -> &str {
    let Some(inner) = row.strip_prefix('(').and_then(|r| r.strip_suffix(')')) else {
        return row;
    };
    // "(a), (b)" is not one tuple: the first parenthesis must close at the end.
    let mut depth = 0usize;
    for ch in inner.chars() {
        match ch {
            '(' => depth += 1,
            ')' if depth == 0 => return row,
            ')' => depth -= 1,
            _ => {}
        }
    }
    inner
}

/// Parameters as PostgreSQL's driver takes them.
fn pg_params<'v>(params: &'v [Value<'_>]) -> Vec<&'v (dyn ToSql + Sync)> {
    params.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

impl Tx<'_> {
    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres { .. } => Dialect::Postgres,
        }
    }

    /// The prepared PostgreSQL statement for `sql` (statement texts are the store's own
    /// constants, so the cache is bounded by the code).
    fn statement(
        tx: &mut postgres::Transaction<'_>,
        statements: &mut HashMap<String, postgres::Statement>,
        sql: &str,
    ) -> DbResult<postgres::Statement> {
        if let Some(statement) = statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = tx.prepare(&postgres_sql(sql))?;
        statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    /// Runs `sql` prepared: on PostgreSQL prepared once per connection when `cached`, else
    /// parsed for this run only (rusqlite's own cache is a bounded LRU).
    fn execute_inner(&mut self, sql: &str, cached: bool, params: &[Value<'_>]) -> DbResult<u64> {
        match self {
            Tx::Sqlite(tx) => {
                let changed = tx
                    .prepare_cached(sql)?
                    .execute(rusqlite::params_from_iter(params))?;
                Ok(changed as u64)
            }
            Tx::Postgres { tx, statements } if cached => {
                let statement = Tx::statement(tx, statements, sql)?;
                Ok(tx.execute(&statement, &pg_params(params))?)
            }
            Tx::Postgres { tx, .. } => Ok(tx.execute(&postgres_sql(sql), &pg_params(params))?),
        }
    }

    /// Many rows in one statement form: `head` (whose `?1..?n` are the `leading` values),
    /// then `row` once per row (its bare `?` numbered on from n+1), joined by commas, then
    /// `tail`. No rows, no statement. SQLite runs one small prepared statement per row, its
    /// fastest form; PostgreSQL runs one statement over arrays ([`array_sql`]), so a scan's
    /// thousand rows are one round trip.
    pub fn execute_rows(
        &mut self,
        head: &str,
        leading: &[Value<'_>],
        row: &str,
        tail: &str,
        rows: &[Vec<Value<'_>>],
    ) -> DbResult<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        match self {
            Tx::Sqlite(_) => {
                let sql = rows_sql(head, leading.len(), row, tail, 1);
                let mut changed = 0;
                for values in rows {
                    let params: Vec<Value<'_>> = leading
                        .iter()
                        .chain(values)
                        .map(ToValue::to_value)
                        .collect();
                    changed += self.execute_inner(&sql, true, &params)?;
                }
                Ok(changed)
            }
            Tx::Postgres { tx, statements } => {
                let (statement, columns) =
                    Tx::array_statement(tx, statements, head, leading.len(), row, tail, rows)?;
                let mut params = pg_params(leading);
                params.extend(columns.iter().map(|c| c as &(dyn ToSql + Sync)));
                Ok(tx.execute(&statement, &params)?)
            }
        }
    }

    /// The prepared array form of a rows statement and its column parameters.
    fn array_statement<'v>(
        tx: &mut postgres::Transaction<'_>,
        statements: &mut HashMap<String, postgres::Statement>,
        head: &str,
        leading: usize,
        row: &str,
        tail: &str,
        rows: &'v [Vec<Value<'_>>],
    ) -> DbResult<(postgres::Statement, Vec<Vec<&'v Value<'v>>>)> {
        let one_row = Tx::statement(tx, statements, &rows_sql(head, leading, row, tail, 1))?;
        let types = one_row.params().get(leading..).unwrap_or_default();
        let sql = array_sql(head, leading, row, tail, types);
        let statement = Tx::statement(tx, statements, &sql)?;
        let mut columns = vec![Vec::with_capacity(rows.len()); types.len()];
        for values in rows {
            if values.len() != types.len() {
                return Err(DbError::RowWidth {
                    expected: types.len(),
                    found: values.len(),
                });
            }
            for (column, value) in columns.iter_mut().zip(values) {
                column.push(value);
            }
        }
        Ok((statement, columns))
    }

    /// [`Tx::execute_rows`] for a query: the rows it returns, each through `map`.
    pub fn query_rows<T>(
        &mut self,
        head: &str,
        row: &str,
        tail: &str,
        rows: &[Vec<Value<'_>>],
        mut map: impl FnMut(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<Vec<T>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        match self {
            Tx::Sqlite(_) => {
                let sql = rows_sql(head, 0, row, tail, 1);
                let mut out = Vec::new();
                for values in rows {
                    out.extend(self.query_inner(&sql, true, values, &mut map)?);
                }
                Ok(out)
            }
            Tx::Postgres { tx, statements } => {
                let (statement, columns) =
                    Tx::array_statement(tx, statements, head, 0, row, tail, rows)?;
                let params: Vec<&(dyn ToSql + Sync)> =
                    columns.iter().map(|c| c as &(dyn ToSql + Sync)).collect();
                let found = tx.query(&statement, &params)?;
                found.iter().map(|row| map(&Row::Postgres(row))).collect()
            }
        }
    }

    /// Runs one of the store's statements (prepared once per connection); returns the rows
    /// it changed.
    pub fn execute(&mut self, sql: &str, params: &[Value<'_>]) -> DbResult<u64> {
        self.execute_inner(sql, true, params)
    }

    /// [`Tx::execute`] for a one-off statement built at run time (not kept prepared).
    pub fn execute_dynamic(&mut self, sql: &str, params: &[Value<'_>]) -> DbResult<u64> {
        self.execute_inner(sql, false, params)
    }

    /// Several statements without parameters (schema text).
    pub fn execute_batch(&mut self, sql: &str) -> DbResult<()> {
        match self {
            Tx::Sqlite(tx) => Ok(tx.execute_batch(sql)?),
            Tx::Postgres { tx, .. } => Ok(tx.batch_execute(sql)?),
        }
    }

    /// Every row, each through `map`.
    pub fn query_map<T>(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        map: impl FnMut(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<Vec<T>> {
        self.query_inner(sql, true, params, map)
    }

    /// [`Tx::query_map`] for a one-off statement built at run time (not kept prepared).
    pub fn query_dynamic<T>(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        map: impl FnMut(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<Vec<T>> {
        self.query_inner(sql, false, params, map)
    }

    fn query_inner<T>(
        &mut self,
        sql: &str,
        cached: bool,
        params: &[Value<'_>],
        mut map: impl FnMut(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<Vec<T>> {
        match self {
            Tx::Sqlite(tx) => {
                // rusqlite's cache is an LRU, so run-time texts are safe in it.
                let mut statement = tx.prepare_cached(sql)?;
                let mut rows = statement.query(rusqlite::params_from_iter(params))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push(map(&Row::Sqlite(row))?);
                }
                Ok(out)
            }
            Tx::Postgres { tx, statements } => {
                let rows = if cached {
                    let statement = Tx::statement(tx, statements, sql)?;
                    tx.query(&statement, &pg_params(params))?
                } else {
                    tx.query(&postgres_sql(sql), &pg_params(params))?
                };
                rows.iter().map(|row| map(&Row::Postgres(row))).collect()
            }
        }
    }

    /// The first row, if any.
    pub fn query_opt<T>(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        map: impl FnOnce(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<Option<T>> {
        let mut map = Some(map);
        let mut rows = self.query_map(sql, params, |row| match map.take() {
            Some(map) => map(row).map(Some),
            None => Ok(None),
        })?;
        Ok(if rows.is_empty() {
            None
        } else {
            rows.swap_remove(0)
        })
    }

    /// The one row the statement must return.
    pub fn query_row<T>(
        &mut self,
        sql: &str,
        params: &[Value<'_>],
        map: impl FnOnce(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<T> {
        self.query_opt(sql, params, map)?.ok_or(DbError::NoRow)
    }

    pub fn commit(self) -> DbResult<()> {
        match self {
            Tx::Sqlite(tx) => Ok(tx.commit()?),
            Tx::Postgres { tx, .. } => Ok(tx.commit()?),
        }
    }

    /// The SQLite transaction, for what only SQLite has (PRAGMAs, `sqlite_sequence`).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Tx::Sqlite(tx) => Some(tx),
            Tx::Postgres { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_numbered_after_the_leading_values_and_quoted_text_is_left_alone() {
        assert_eq!(
            rows_sql("UPDATE t SET a = ?1 WHERE k IN (", 1, "?", ")", 3),
            "UPDATE t SET a = ?1 WHERE k IN (?2, ?3, ?4)"
        );
        assert_eq!(
            rows_sql("INSERT INTO t VALUES ", 1, "(?1, ?, unhex(?))", "", 2),
            "INSERT INTO t VALUES (?1, ?2, unhex(?3)), (?1, ?4, unhex(?5))"
        );
        assert_eq!(
            postgres_sql("SELECT ?1, '?' || ?12"),
            "SELECT $1, '?' || $12"
        );
    }

    #[test]
    fn postgresql_takes_rows_as_arrays_unnested_in_their_order() {
        assert_eq!(
            array_sql(
                "INSERT INTO t (k, a, b) VALUES ",
                1,
                "(?1, unhex(?), ?)",
                " ON CONFLICT(k) DO NOTHING",
                &[Type::TEXT, Type::INT8],
            ),
            "INSERT INTO t (k, a, b) SELECT ?1, unhex(u.c1), u.c2 \
             FROM unnest(?2::text[], ?3::int8[]) WITH ORDINALITY AS u(c1, c2, n) \
             ORDER BY u.n ON CONFLICT(k) DO NOTHING"
        );
        assert_eq!(
            array_sql(
                "DELETE FROM t WHERE a = ?1 AND k IN (",
                1,
                "?",
                ")",
                &[Type::INT2]
            ),
            "DELETE FROM t WHERE a = ?1 AND k IN (SELECT u.c1 FROM unnest(?2::int2[]) AS u(c1))"
        );
        assert_eq!(unparenthesised("(a), (b)"), "(a), (b)");
        assert_eq!(unparenthesised("(f(a), b)"), "f(a), b");
    }

    #[test]
    fn numeric_reads_as_an_integer_when_whole() {
        // 12345678 = 1234 * 10000 + 5678 (weight 1), positive, scale 0.
        let raw = [0, 2, 0, 1, 0, 0, 0, 0, 0x04, 0xd2, 0x16, 0x2e];
        assert_eq!(numeric(&raw).unwrap(), Value::Int(12_345_678));
        // -2.5 = 2 (weight 0) and 5000 (weight -1), negative, scale 1.
        let raw = [0, 2, 0, 0, 0x40, 0, 0, 1, 0, 2, 0x13, 0x88];
        assert_eq!(numeric(&raw).unwrap(), Value::Real(-2.5));
    }
}
