//! The PostgreSQL backend: a pool of connections shared by every request of this instance, and
//! as many instances as the operator runs on one database.
//!
//! Every unit of work runs in its own `SERIALIZABLE` transaction, so the server's rules that read
//! before they write ("one submission per client id", "one per group") hold across instances as
//! they do on SQLite's single writer. A transaction that loses a race is rolled back by
//! PostgreSQL and run again from the start (at most [`ATTEMPTS`] times), which is why
//! [`super::Storage::transact`] takes a closure it may call more than once.
//!
//! Statements are the modules' own (see [`super::sql`]), with `?N` parameters rewritten to `$N`
//! and prepared once per connection. Values convert to the column types of
//! `sql/postgres/*.sql` at the wire: the schema declares `BIGINT` where SQLite has `INTEGER`,
//! `BYTEA` for `BLOB`, `DOUBLE PRECISION` for `REAL`.
//!
//! Blocking closures run on the blocking pool ([`tokio::task::spawn_blocking`]) and drive the
//! asynchronous client with the runtime's handle, so one code path serves both backends.

use std::error::Error as StdError;
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

use super::sql::{self, Backend, Conn, Dialect, Row, Value};

/// How many times a transaction that lost a serialization race is tried in all.
pub const ATTEMPTS: u32 = 8;

/// Migrations: `(version, statements)`. PostgreSQL support began at schema version 17, so its
/// first migration creates the whole schema of that version; every later version appends one
/// file here and one to the SQLite list, with the same number.
pub(super) const MIGRATIONS: &[(i64, &str)] = &[(17, include_str!("sql/postgres/0017_schema.sql"))];

/// The advisory lock key every instance takes while migrating, so two starting at once do not
/// both migrate.
const MIGRATION_LOCK: i64 = 0x6361_7272_656c_0001;

/// Whether `location` (a `--db` value) names a PostgreSQL database rather than a SQLite file.
pub fn is_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// `url` without its password (in the user part or as a `password=` parameter), for logs and
/// messages.
pub fn redacted(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "postgres://(unreadable URL)".to_owned();
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    if parsed.query_pairs().any(|(key, _)| key == "password") {
        let kept: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let value = if key == "password" {
                    "***".into()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    parsed.to_string()
}

/// A pool of connections to one database.
pub struct Pool {
    pool: deadpool_postgres::Pool,
}

impl Pool {
    /// A pool for `url` of at most `size` connections. Connects lazily.
    pub fn new(url: &str, size: usize) -> Result<Self, String> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| format!("{e}"))?;
        let manager = deadpool_postgres::Manager::from_config(
            config,
            tokio_postgres::NoTls,
            deadpool_postgres::ManagerConfig {
                recycling_method: deadpool_postgres::RecyclingMethod::Fast,
            },
        );
        let pool = deadpool_postgres::Pool::builder(manager)
            .max_size(size)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { pool })
    }

    /// A connection from the pool, waited for without holding a thread.
    pub async fn connection(&self) -> Result<Connection, sql::Error> {
        self.pool
            .get()
            .await
            .map(Connection)
            .map_err(|e| sql::Error::Pool(e.to_string()))
    }
}

/// A pooled connection, back in the pool when dropped.
pub struct Connection(deadpool_postgres::Object);

impl Connection {
    /// Runs `f` in a transaction (on a blocking thread: the caller's), committing when it
    /// returns `Ok` and running it again when PostgreSQL says it lost a race, with `read_only`
    /// declared when `f` only reads. `retryable` tells which of `f`'s errors are such a race.
    ///
    /// Without `locks` the transaction is `SERIALIZABLE`. With them it is `READ COMMITTED` and
    /// first takes a transaction-scoped advisory lock on each key (in order, so two transactions
    /// never wait on each other crosswise): for a hot path whose read-then-write rules are all
    /// covered by those keys, where serializable's page-level conflict checks would make
    /// unrelated writers abort each other.
    pub fn run<T, E>(
        &mut self,
        handle: &tokio::runtime::Handle,
        read_only: bool,
        locks: &[String],
        retryable: impl Fn(&E) -> bool,
        f: impl Fn(&Conn<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<sql::Error>,
    {
        let client = &mut self.0;
        let mut attempt = 1;
        loop {
            let tx = handle
                .block_on(
                    client
                        .build_transaction()
                        .isolation_level(if locks.is_empty() {
                            tokio_postgres::IsolationLevel::Serializable
                        } else {
                            tokio_postgres::IsolationLevel::ReadCommitted
                        })
                        .read_only(read_only)
                        .start(),
                )
                .map_err(sql::Error::from)?;
            let mut keys: Vec<&String> = locks.iter().collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                handle
                    .block_on(tx.execute(&sql::to_postgres(sql::ADVISORY_LOCK), &[key]))
                    .map_err(sql::Error::from)?;
            }
            let backend = Transaction {
                tx,
                handle: handle.clone(),
            };
            let outcome = f(&Conn::new(&backend));
            let error = match outcome {
                Ok(value) => match handle.block_on(backend.tx.commit()) {
                    Ok(()) => return Ok(value),
                    Err(error) => E::from(sql::Error::from(error)),
                },
                Err(error) => {
                    // Dropping the transaction rolls it back.
                    drop(backend);
                    error
                }
            };
            if attempt >= ATTEMPTS || !retryable(&error) {
                return Err(error);
            }
            tracing::debug!(
                attempt,
                "transaction lost a serialization race; running it again"
            );
            std::thread::sleep(Duration::from_millis(2 * u64::from(attempt * attempt)));
            attempt += 1;
        }
    }
}

/// One open transaction: the PostgreSQL [`Backend`].
struct Transaction<'a> {
    tx: deadpool_postgres::Transaction<'a>,
    handle: tokio::runtime::Handle,
}

impl Transaction<'_> {
    fn params(values: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
        values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
    }

    fn prepare(&self, sql: &str) -> sql::Result<tokio_postgres::Statement> {
        let sql = sql::to_postgres(sql);
        self.handle
            .block_on(self.tx.prepare_cached(&sql))
            .map_err(|error| {
                tracing::error!(%sql, "PostgreSQL refused a statement: {}", sql::postgres_message(&error));
                error.into()
            })
    }
}

impl Backend for Transaction<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&self, sql: &str, params: &[Value]) -> sql::Result<usize> {
        let statement = self.prepare(sql)?;
        let changed = self
            .handle
            .block_on(self.tx.execute(&statement, &Self::params(params)))?;
        Ok(changed as usize)
    }

    fn query(&self, sql: &str, params: &[Value]) -> sql::Result<Vec<Row>> {
        let statement = self.prepare(sql)?;
        let rows = self
            .handle
            .block_on(self.tx.query(&statement, &Self::params(params)))?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|index| row.try_get::<_, Value>(index).map_err(sql::Error::from))
                    .collect::<sql::Result<Vec<_>>>()
                    .map(Row::new)
            })
            .collect()
    }

    fn execute_batch(&self, sql: &str) -> sql::Result<()> {
        Ok(self.handle.block_on(self.tx.batch_execute(sql))?)
    }
}

/// The schema version of the database at `url` (0 before the first migration), and with
/// `migrate`, after bringing it to [`super::SCHEMA_VERSION`] under an advisory lock. Runs on a
/// thread of its own with a connection of its own, so it can be called from anywhere.
pub(super) fn migrate(url: &str, migrate: bool) -> Result<i64, MigrateError> {
    let url = url.to_owned();
    on_own_thread(async move { migrate_on(&url, migrate).await })
        .unwrap_or_else(|reason| Err(MigrateError::Connect(reason)))
}

/// Runs `work` to completion on a new thread with a runtime of its own, so a synchronous caller
/// anywhere (even inside the server's runtime) can talk to PostgreSQL once.
fn on_own_thread<T: Send>(work: impl Future<Output = T> + Send) -> Result<T, String> {
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                Ok(runtime.block_on(work))
            })
            .join()
            .unwrap_or_else(|_| Err("the PostgreSQL thread panicked".to_owned()))
    })
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, String> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|e| postgres_error(&e))?;
    tokio::spawn(connection);
    Ok(client)
}

/// The `server_meta` value `key` of the database at `url`; `None` when it has none (or no
/// schema yet).
pub fn meta(url: &str, key: &str) -> Result<Option<String>, String> {
    on_own_thread(async {
        let client = connect(url).await?;
        let exists: bool = client
            .query_one("SELECT to_regclass('server_meta') IS NOT NULL", &[])
            .await
            .map_err(|e| postgres_error(&e))?
            .get(0);
        if !exists {
            return Ok(None);
        }
        Ok(client
            .query_opt("SELECT value FROM server_meta WHERE key = $1", &[&key])
            .await
            .map_err(|e| postgres_error(&e))?
            .map(|row| row.get(0)))
    })?
}

/// Sets the `server_meta` value `key` of the (migrated) database at `url`.
pub fn set_meta(url: &str, key: &str, value: &str) -> Result<(), String> {
    on_own_thread(async {
        let client = connect(url).await?;
        client
            .execute(
                "INSERT INTO server_meta (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&key, &value],
            )
            .await
            .map_err(|e| postgres_error(&e))?;
        Ok(())
    })?
}

/// Makes a new, empty database in the cluster that `admin_url` reaches (as a user who may
/// create databases); answers its URL. For test servers and benchmarks.
pub fn create_database(admin_url: &str) -> Result<String, String> {
    let mut bytes = [0_u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    let name: String = bytes.iter().fold("carrel_".to_owned(), |mut name, byte| {
        name.push_str(&format!("{byte:02x}"));
        name
    });
    on_own_thread(async {
        let client = connect(admin_url).await?;
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(|e| postgres_error(&e))?;
        let mut url = url::Url::parse(admin_url).map_err(|e| e.to_string())?;
        url.set_path(&name);
        Ok(url.to_string())
    })?
}

/// What can go wrong reading or migrating the schema.
#[derive(Debug)]
pub(super) enum MigrateError {
    Connect(String),
    TooNew(i64),
    Failed { version: i64, source: sql::Error },
}

async fn migrate_on(url: &str, migrate: bool) -> Result<i64, MigrateError> {
    let mut client = connect(url).await.map_err(MigrateError::Connect)?;
    let failed = |version| {
        move |source: tokio_postgres::Error| MigrateError::Failed {
            version,
            source: source.into(),
        }
    };
    if migrate {
        // Two instances starting at once: the second waits here, then finds the schema current.
        client
            .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(failed(0))?;
        client
            .batch_execute(
                "SET client_min_messages = warning;
                 CREATE TABLE IF NOT EXISTS carrel_schema (version BIGINT NOT NULL)",
            )
            .await
            .map_err(failed(0))?;
    }
    let exists: bool = client
        .query_one("SELECT to_regclass('carrel_schema') IS NOT NULL", &[])
        .await
        .map_err(failed(0))?
        .get(0);
    let found: i64 = if exists {
        client
            .query_one("SELECT coalesce(max(version), 0) FROM carrel_schema", &[])
            .await
            .map_err(failed(0))?
            .get(0)
    } else {
        0
    };
    let mut version = found;
    if found > super::SCHEMA_VERSION {
        return Err(MigrateError::TooNew(found));
    }
    if migrate {
        for (target, statements) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
            let tx = client.transaction().await.map_err(failed(*target))?;
            tx.batch_execute(statements)
                .await
                .map_err(failed(*target))?;
            tx.execute("DELETE FROM carrel_schema", &[])
                .await
                .map_err(failed(*target))?;
            tx.execute("INSERT INTO carrel_schema (version) VALUES ($1)", &[target])
                .await
                .map_err(failed(*target))?;
            tx.commit().await.map_err(failed(*target))?;
            tracing::info!(version = target, "server database migrated");
            version = *target;
        }
        client
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(failed(version))?;
    }
    Ok(version)
}

fn postgres_error(error: &tokio_postgres::Error) -> String {
    sql::postgres_message(error)
}

// --- values on the wire -------------------------------------------------------------------------

fn wrong(value: &Value, ty: &Type) -> Box<dyn StdError + Sync + Send> {
    format!("cannot send {value:?} as a PostgreSQL {ty}").into()
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::FLOAT4 => (*i as f32).to_sql(ty, out),
                _ => Err(wrong(self, ty)),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => Err(wrong(self, ty)),
            },
            Value::Text(s) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    s.as_str().to_sql(ty, out)
                }
                Type::JSON => {
                    out.put_slice(s.as_bytes());
                    Ok(IsNull::No)
                }
                Type::JSONB => {
                    out.put_u8(1);
                    out.put_slice(s.as_bytes());
                    Ok(IsNull::No)
                }
                _ => Err(wrong(self, ty)),
            },
            Value::Blob(b) => match *ty {
                Type::BYTEA => b.as_slice().to_sql(ty, out),
                _ => Err(wrong(self, ty)),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(match *ty {
            Type::BOOL => Value::Integer(i64::from(bool::from_sql(ty, raw)?)),
            Type::INT2 => Value::Integer(i64::from(i16::from_sql(ty, raw)?)),
            Type::INT4 => Value::Integer(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f64::from(f32::from_sql(ty, raw)?)),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                Value::Text(<&str>::from_sql(ty, raw)?.to_owned())
            }
            Type::JSON => Value::Text(std::str::from_utf8(raw)?.to_owned()),
            Type::JSONB => {
                Value::Text(std::str::from_utf8(raw.get(1..).unwrap_or_default())?.to_owned())
            }
            Type::BYTEA => Value::Blob(raw.to_vec()),
            _ => {
                return Err(format!(
                    "a column of type {ty} has no SQL value here; CAST it to BIGINT, DOUBLE \
                     PRECISION or TEXT in the query"
                )
                .into());
            }
        })
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_passwords_for_logs() {
        assert_eq!(
            redacted("postgres://carrel:s3cret@db.internal:5432/carrel"),
            "postgres://carrel:***@db.internal:5432/carrel"
        );
        let query = redacted("postgres://carrel@db/carrel?sslmode=disable&password=s3cret");
        assert!(
            !query.contains("s3cret") && query.contains("sslmode=disable"),
            "{query}"
        );
        assert_eq!(redacted("postgres://db/carrel"), "postgres://db/carrel");
        assert!(is_url("postgresql://db/x") && !is_url("/srv/carrel/server.sqlite3"));
    }
}
