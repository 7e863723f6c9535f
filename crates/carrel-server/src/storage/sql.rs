//! The one way the server speaks SQL, whichever database it runs on.
//!
//! Every module writes its statements once, against [`Conn`]: `execute`, `query_row`,
//! `prepare(…)?.query_map(…)`, with parameters from [`params!`] (`?1`, `?2`, …) or
//! [`named_params!`] (`:name`). A [`Conn`] runs them on a [`Backend`], the storage trait with two
//! implementations: SQLite (`rusqlite`, the zero-setup default) and PostgreSQL
//! ([`super::postgres`]). Values cross as the five SQLite storage classes ([`Value`]); the
//! PostgreSQL backend converts them to and from the column types its schema declares, so a
//! module reads a `bool`, an `i64` or an `Option<String>` the same way on both.
//!
//! The SQL itself is the common subset of both dialects (`ON CONFLICT`, `RETURNING`, `CAST`,
//! `coalesce`, …). Where the two differ (JSON functions), a module asks [`Conn::dialect`]; those
//! places are few, and each is covered by the shared test suite, which runs on both backends.

use std::borrow::Cow;

/// Takes the transaction-scoped advisory lock named by `?1` (PostgreSQL).
pub const ADVISORY_LOCK: &str = "SELECT CAST(1 AS BIGINT) FROM (SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))) AS locked";

/// Which SQL dialect a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3 (bundled with `rusqlite`).
    Sqlite,
    /// PostgreSQL 13 or newer, or a database compatible with it.
    Postgres,
}

impl Dialect {
    /// A `FROM` item named `alias` with one row per element of the JSON array in `column` (at
    /// `key` inside it, when given); each element is `alias.value`.
    pub fn json_elements(self, column: &str, key: Option<&str>, alias: &str) -> String {
        match (self, key) {
            (Dialect::Sqlite, None) => format!("json_each({column}) AS {alias}"),
            (Dialect::Sqlite, Some(key)) => format!("json_each({column}, '$.{key}') AS {alias}"),
            // `json`, not `jsonb`: it takes every string SQLite's JSON takes (`\u0000` too).
            (Dialect::Postgres, None) => {
                format!("json_array_elements(CAST({column} AS json)) AS {alias}(value)")
            }
            (Dialect::Postgres, Some(key)) => {
                format!("json_array_elements(CAST({column} AS json) -> '{key}') AS {alias}(value)")
            }
        }
    }

    /// A condition: the login in `column` is `param`, whatever the case of ASCII letters (SQLite's
    /// `users.login` is `COLLATE NOCASE`; PostgreSQL compares `lower()` of both, with a unique
    /// index on `lower(login)`: a deterministic comparison, so no two spellings that differ in
    /// anything but case — an invisible character, a full-width letter — ever meet).
    pub fn same_login(self, column: &str, param: &str) -> String {
        match self {
            Dialect::Sqlite => format!("{column} = {param}"),
            Dialect::Postgres => format!("lower({column}) = lower({param})"),
        }
    }

    /// The text at `key` of the JSON object `value` (from [`Dialect::json_elements`]).
    pub fn json_text(self, value: &str, key: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_extract({value}, '$.{key}')"),
            Dialect::Postgres => format!("({value} ->> '{key}')"),
        }
    }

    /// The integer at `key` of the JSON object `value`.
    pub fn json_integer(self, value: &str, key: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_extract({value}, '$.{key}')"),
            Dialect::Postgres => format!("CAST({value} ->> '{key}' AS BIGINT)"),
        }
    }
}

/// One SQL value, as SQLite stores it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `NULL`.
    Null,
    /// An integer (a PostgreSQL `BIGINT`, `INTEGER`, `SMALLINT` or `BOOLEAN`).
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes (a PostgreSQL `BYTEA`).
    Blob(Vec<u8>),
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Integer(_) => "an integer",
            Value::Real(_) => "a real number",
            Value::Text(_) => "text",
            Value::Blob(_) => "bytes",
        }
    }
}

/// What can go wrong running a statement.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[error("{}", postgres_message(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// No connection to PostgreSQL could be had from the pool.
    #[error("cannot reach the PostgreSQL database: {0}")]
    Pool(String),
    /// A query that must return a row returned none.
    #[error("the query returned no rows")]
    NoRows,
    /// A column held a value of another kind than the code reads.
    #[error("column {index} holds {found}, not {expected}")]
    Type {
        /// The column's index.
        index: usize,
        /// What the code reads.
        expected: &'static str,
        /// What the column held.
        found: &'static str,
    },
    /// A column's value could not be turned into what the code reads.
    #[error("column {index} cannot be read: {source}")]
    Conversion {
        /// The column's index.
        index: usize,
        /// Why.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

pub(crate) fn postgres_message(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{}: {} ({})", db.severity(), db.message(), db.code().code()),
        None => error.to_string(),
    }
}

impl Error {
    /// A column value that does not convert: `Error::conversion(0, parse_error)`.
    pub fn conversion(
        index: usize,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Conversion {
            index,
            source: Box::new(source),
        }
    }

    /// Whether a unique constraint (or primary key) refused the statement.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Error::Sqlite(rusqlite::Error::SqliteFailure(failure, _)) => {
                failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            Error::Postgres(error) => {
                error.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
            }
            _ => false,
        }
    }

    /// Whether the transaction lost a race with another one and is worth running again from
    /// the start: a serialization failure or a deadlock on PostgreSQL.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Postgres(error) => matches!(
                error.code(),
                Some(&tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE)
                    | Some(&tokio_postgres::error::SqlState::T_R_DEADLOCK_DETECTED)
            ),
            _ => false,
        }
    }
}

/// A statement's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `Ok(None)` for a query that returned no row.
pub trait OptionalExtension<T> {
    /// `Ok(Some(row))`, `Ok(None)` for no row, or the error.
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(Error::NoRows) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// A Rust value that can be a statement's parameter.
pub trait ToValue {
    /// The SQL value.
    fn to_value(&self) -> Value;
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

macro_rules! integer_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                // Sizes, counts and times all fit; a u64 beyond i64::MAX saturates.
                Value::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
integer_to_value!(i64, i32, i16, u8, u16, u32, u64, usize);

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}

/// A Rust value a column can be read as.
pub trait FromValue: Sized {
    /// Reads column `index`'s `value`.
    fn from_value(value: &Value, index: usize) -> Result<Self>;
}

fn mismatch<T>(value: &Value, index: usize, expected: &'static str) -> Result<T> {
    Err(Error::Type {
        index,
        expected,
        found: value.kind(),
    })
}

impl FromValue for Value {
    fn from_value(value: &Value, _: usize) -> Result<Self> {
        Ok(value.clone())
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value, index: usize) -> Result<Self> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other, index).map(Some),
        }
    }
}

macro_rules! integer_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(value: &Value, index: usize) -> Result<Self> {
                match value {
                    Value::Integer(i) => <$t>::try_from(*i).map_err(|e| Error::conversion(index, e)),
                    other => mismatch(other, index, "an integer"),
                }
            }
        }
    )*};
}
integer_from_value!(i64, i32, u32, u64, usize);

impl FromValue for bool {
    fn from_value(value: &Value, index: usize) -> Result<Self> {
        match value {
            Value::Integer(i) => Ok(*i != 0),
            other => mismatch(other, index, "a boolean"),
        }
    }
}

impl FromValue for f64 {
    fn from_value(value: &Value, index: usize) -> Result<Self> {
        match value {
            Value::Real(f) => Ok(*f),
            Value::Integer(i) => Ok(*i as f64),
            other => mismatch(other, index, "a real number"),
        }
    }
}

impl FromValue for String {
    fn from_value(value: &Value, index: usize) -> Result<Self> {
        match value {
            Value::Text(s) => Ok(s.clone()),
            other => mismatch(other, index, "text"),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: &Value, index: usize) -> Result<Self> {
        match value {
            Value::Blob(b) => Ok(b.clone()),
            other => mismatch(other, index, "bytes"),
        }
    }
}

/// A statement's parameters: [`params!`], [`named_params!`], an array or a slice of values.
pub trait Params {
    /// The statement with any `:name` turned into `?N`, and the values in order.
    fn bind(self, sql: &str) -> (Cow<'_, str>, Vec<Value>);
}

impl<T: ToValue, const N: usize> Params for [T; N] {
    fn bind(self, sql: &str) -> (Cow<'_, str>, Vec<Value>) {
        (
            Cow::Borrowed(sql),
            self.iter().map(ToValue::to_value).collect(),
        )
    }
}

impl<T: ToValue> Params for &[T] {
    fn bind(self, sql: &str) -> (Cow<'_, str>, Vec<Value>) {
        (
            Cow::Borrowed(sql),
            self.iter().map(ToValue::to_value).collect(),
        )
    }
}

/// Parameters by name, from [`named_params!`].
pub struct Named(pub Vec<(&'static str, Value)>);

impl Params for Named {
    fn bind(self, sql: &str) -> (Cow<'_, str>, Vec<Value>) {
        let mut out = String::with_capacity(sql.len());
        let mut rest = sql;
        while let Some(at) = rest.find(':') {
            out.push_str(&rest[..at]);
            let after = &rest[at..];
            let end = after[1..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(after.len(), |n| n + 1);
            let name = &after[..end];
            match self.0.iter().position(|(known, _)| *known == name) {
                Some(index) if end > 1 => out.push_str(&format!("?{}", index + 1)),
                _ => out.push_str(name),
            }
            rest = &after[end..];
        }
        out.push_str(rest);
        (
            Cow::Owned(out),
            self.0.into_iter().map(|(_, v)| v).collect(),
        )
    }
}

/// Positional parameters for `?1`, `?2`, …: `params![course_id, user_id]`.
#[doc(hidden)]
#[macro_export]
macro_rules! __carrel_sql_params {
    () => {{
        let none: [$crate::storage::sql::Value; 0] = [];
        none
    }};
    ($($value:expr),+ $(,)?) => {
        [$($crate::storage::sql::ToValue::to_value(&$value)),+]
    };
}
#[doc(inline)]
pub use crate::__carrel_sql_params as params;

/// Named parameters for `:name`: `named_params! {":user": user_id}`.
#[doc(hidden)]
#[macro_export]
macro_rules! __carrel_sql_named_params {
    ($($name:literal : $value:expr),* $(,)?) => {
        $crate::storage::sql::Named(vec![
            $(($name, $crate::storage::sql::ToValue::to_value(&$value))),*
        ])
    };
}
#[doc(inline)]
pub use crate::__carrel_sql_named_params as named_params;

/// One result row, read by column index: `row.get::<String>(0)?`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    values: Vec<Value>,
}

impl Row {
    /// A row of `values`, in column order.
    pub fn new(values: Vec<Value>) -> Self {
        Self { values }
    }

    /// Column `index` as a `T`.
    pub fn get<T: FromValue>(&self, index: usize) -> Result<T> {
        let value = self.values.get(index).ok_or(Error::Type {
            index,
            expected: "a column",
            found: "no such column",
        })?;
        T::from_value(value, index)
    }
}

/// A database the server can run statements on: the storage trait. Each call runs one statement
/// with positional parameters (`?1`, `?2`, …, already bound from names) inside the transaction
/// the caller holds.
pub trait Backend {
    /// The dialect the statements must be written in where the two differ.
    fn dialect(&self) -> Dialect;
    /// Runs a statement that returns no rows; the number of rows it changed.
    fn execute(&self, sql: &str, params: &[Value]) -> Result<usize>;
    /// Runs a query; all its rows.
    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>>;
    /// Runs several statements without parameters (a migration).
    fn execute_batch(&self, sql: &str) -> Result<()>;
}

/// A connection (inside a transaction for writers) on either backend.
#[derive(Clone, Copy)]
pub struct Conn<'a> {
    backend: &'a dyn Backend,
}

impl<'a> Conn<'a> {
    /// A connection running its statements on `backend`.
    pub fn new(backend: &'a dyn Backend) -> Self {
        Self { backend }
    }

    /// The dialect, for the few statements written twice.
    pub fn dialect(&self) -> Dialect {
        self.backend.dialect()
    }

    /// Runs a statement that returns no rows; the number of rows it changed.
    pub fn execute(&self, sql: &str, params: impl Params) -> Result<usize> {
        let (sql, values) = params.bind(sql);
        self.backend.execute(&sql, &values)
    }

    /// Runs several statements without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        self.backend.execute_batch(sql)
    }

    /// The first row of a query, mapped by `f`; [`Error::NoRows`] when there is none (see
    /// [`OptionalExtension::optional`]).
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        let (sql, values) = params.bind(sql);
        let rows = self.backend.query(&sql, &values)?;
        f(rows.first().ok_or(Error::NoRows)?)
    }

    /// Makes the writers that call it take turns until each commits: on PostgreSQL a
    /// transaction-scoped advisory lock, on SQLite nothing (its writers always take turns). For
    /// numbers readers follow in order (the changes feed, forum versions): a number taken under
    /// the lock is committed before the next one is taken, so no reader ever sees a later number
    /// before an earlier one.
    pub fn lock_feed(&self) -> Result<()> {
        self.lock("changes feed")
    }

    /// Waits until no other transaction holds the advisory lock `key`, then holds it until this
    /// one ends (PostgreSQL; on SQLite, where writers always take turns, nothing). Statements
    /// after it see what the previous holder committed.
    pub fn lock(&self, key: &str) -> Result<()> {
        if self.dialect() == Dialect::Postgres {
            self.execute(ADVISORY_LOCK, params![key])?;
        }
        Ok(())
    }

    /// A statement to run once or more. The backends keep prepared statements by their text, so
    /// this only remembers it.
    pub fn prepare(&self, sql: &str) -> Result<Statement<'a>> {
        Ok(Statement {
            conn: *self,
            sql: sql.to_owned(),
        })
    }

    /// The same as [`Conn::prepare`].
    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'a>> {
        self.prepare(sql)
    }
}

/// A statement with its connection.
pub struct Statement<'a> {
    conn: Conn<'a>,
    sql: String,
}

impl Statement<'_> {
    /// Runs it; the number of rows it changed.
    pub fn execute(&mut self, params: impl Params) -> Result<usize> {
        self.conn.execute(&self.sql, params)
    }

    /// Its first row, mapped by `f`.
    pub fn query_row<T>(
        &mut self,
        params: impl Params,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        self.conn.query_row(&self.sql, params, f)
    }

    /// Every row, mapped by `f`, to iterate or collect.
    pub fn query_map<T>(
        &mut self,
        params: impl Params,
        mut f: impl FnMut(&Row) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let rows = self.query(params)?;
        Ok(rows.rows.iter().map(&mut f).collect::<Vec<_>>().into_iter())
    }

    /// Every row.
    pub fn query(&mut self, params: impl Params) -> Result<Rows> {
        let (sql, values) = params.bind(&self.sql);
        let rows = self.conn.backend.query(&sql, &values)?;
        Ok(Rows { rows, next: 0 })
    }

    /// Whether it returns at least one row.
    pub fn exists(&mut self, params: impl Params) -> Result<bool> {
        Ok(!self.query(params)?.rows.is_empty())
    }
}

/// A query's rows, read one by one: `while let Some(row) = rows.next()? { … }`.
pub struct Rows {
    rows: Vec<Row>,
    next: usize,
}

impl Rows {
    /// The next row, or `None` after the last.
    #[allow(clippy::should_implement_trait)] // as rusqlite's: fallible, and lends the row
    pub fn next(&mut self) -> Result<Option<&Row>> {
        let row = self.rows.get(self.next);
        self.next += 1;
        Ok(row)
    }
}

// --- SQLite -------------------------------------------------------------------------------------

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn sqlite_row(row: &rusqlite::Row<'_>, columns: usize) -> rusqlite::Result<Row> {
    use rusqlite::types::ValueRef;
    let mut values = Vec::with_capacity(columns);
    for index in 0..columns {
        values.push(match row.get_ref(index)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        });
    }
    Ok(Row::new(values))
}

impl Backend for rusqlite::Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<usize> {
        let mut statement = self.prepare_cached(sql)?;
        Ok(statement.execute(rusqlite::params_from_iter(params))?)
    }

    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let mut statement = self.prepare_cached(sql)?;
        let columns = statement.column_count();
        let mut rows = statement.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(sqlite_row(row, columns)?);
        }
        Ok(out)
    }

    fn execute_batch(&self, sql: &str) -> Result<()> {
        Ok(rusqlite::Connection::execute_batch(self, sql)?)
    }
}

/// `sql` with SQLite's `?N` and `?` parameters written as PostgreSQL's `$N`, leaving string
/// literals, quoted names and comments alone.
pub fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next_anonymous = 1;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for inner in chars.by_ref() {
                    out.push(inner);
                    if inner == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for inner in chars.by_ref() {
                    out.push(inner);
                    if inner == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    digits = next_anonymous.to_string();
                    next_anonymous += 1;
                }
                out.push('$');
                out.push_str(&digits);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_parameters_become_numbered_ones() {
        let (sql, values) = named_params! {":after": 5_i64, ":user": "ana"}
            .bind("SELECT 1 WHERE seq > :after AND (a = :user OR b = :user) AND c = '::x'");
        assert_eq!(
            sql,
            "SELECT 1 WHERE seq > ?1 AND (a = ?2 OR b = ?2) AND c = '::x'"
        );
        assert_eq!(values, vec![Value::Integer(5), Value::Text("ana".into())]);
    }

    #[test]
    fn postgres_gets_dollar_parameters_outside_literals() {
        assert_eq!(
            to_postgres(
                "SELECT '?1', \"a?\" FROM t WHERE a = ?1 AND b = ?12 -- c = ?3\n AND d = ?"
            ),
            "SELECT '?1', \"a?\" FROM t WHERE a = $1 AND b = $12 -- c = ?3\n AND d = $1"
        );
    }

    #[test]
    fn values_read_back_as_what_the_code_wants_or_say_why_not() {
        let row = Row::new(vec![
            Value::Integer(1),
            Value::Null,
            Value::Text("x".into()),
            Value::Integer(-1),
        ]);
        assert!(row.get::<bool>(0).unwrap());
        assert_eq!(row.get::<Option<String>>(1).unwrap(), None);
        assert_eq!(row.get::<String>(2).unwrap(), "x");
        assert!(matches!(
            row.get::<i64>(2),
            Err(Error::Type { index: 2, .. })
        ));
        assert!(matches!(
            row.get::<u64>(3),
            Err(Error::Conversion { index: 3, .. })
        ));
        assert!(matches!(
            row.get::<i64>(9),
            Err(Error::Type { index: 9, .. })
        ));
    }

    #[test]
    fn sqlite_runs_statements_through_the_trait() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let db = Conn::new(&conn);
        db.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, data BLOB)")
            .unwrap();
        let id: i64 = db
            .query_row(
                "INSERT INTO t (name, data) VALUES (?1, ?2) RETURNING id",
                params!["a", vec![1_u8, 2]],
                |row| row.get(0),
            )
            .unwrap();
        let duplicate = db.execute("INSERT INTO t (name) VALUES (?1)", params!["a"]);
        assert!(duplicate.unwrap_err().is_unique_violation());
        let names: Vec<(String, Vec<u8>)> = db
            .prepare("SELECT name, data FROM t WHERE id = :id")
            .unwrap()
            .query_map(named_params! {":id": id}, |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(names, vec![("a".to_owned(), vec![1, 2])]);
        let none = db
            .query_row("SELECT id FROM t WHERE name = ?1", params!["b"], |row| {
                row.get::<i64>(0)
            })
            .optional()
            .unwrap();
        assert_eq!(none, None);
    }
}
