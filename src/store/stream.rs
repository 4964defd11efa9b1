//! Reading a long result in batches on either engine, so a whole table or change log never
//! sits in memory at once (`state check`'s chain walk, `state copy`). [`super::db::Tx`]'s
//! queries collect every row, which suits the store's bounded reads.

use super::db::{DbResult, Row, Tx};

/// Rows fetched from PostgreSQL per round trip (SQLite steps one row at a time).
pub(crate) const BATCH_ROWS: i32 = 1000;

/// Runs `sql` (a statement without parameters) and passes each row to `visit` in order until
/// it returns `false`.
pub(crate) fn for_each_row(
    tx: &mut Tx,
    sql: &str,
    mut visit: impl FnMut(&Row<'_>) -> DbResult<bool>,
) -> DbResult<()> {
    match tx {
        Tx::Sqlite(tx) => {
            let mut statement = tx.prepare_cached(sql)?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                if !visit(&Row::Sqlite(row))? {
                    break;
                }
            }
            Ok(())
        }
        Tx::Postgres { tx, .. } => {
            // A portal keeps the result on the server; each call fetches the next batch.
            let portal = tx.bind(sql, &[])?;
            loop {
                let rows = tx.query_portal(&portal, BATCH_ROWS)?;
                for row in &rows {
                    if !visit(&Row::Postgres(row))? {
                        return Ok(());
                    }
                }
                if rows.len() < BATCH_ROWS as usize {
                    return Ok(());
                }
            }
        }
    }
}
