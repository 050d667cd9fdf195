//! Applications allowed to introspect tokens.

/// Implements `ApplicationReads` and `ApplicationTx` for the backend.
#[doc(hidden)]
#[macro_export]
macro_rules! applications {
    ($store:ty, $tx:ty) => {
        const _: () = {
            use $crate::macro_support::*;

            #[async_trait]
            impl ApplicationReads for $store {
                async fn application(
                    &self,
                    id: ApplicationId,
                ) -> StoreResult<Option<ApplicationRecord>> {
                    let row: Option<ApplicationRow> = sqlx::query_as(
                        "SELECT id, name, secret_hash, created_at FROM applications WHERE id = $1",
                    )
                    .bind(id.uuid())
                    .fetch_optional(self.reader())
                    .await
                    .map_err(store_error)?;
                    row.map(ApplicationRecord::try_from).transpose()
                }

                async fn applications(&self) -> StoreResult<Vec<ApplicationRecord>> {
                    let rows: Vec<ApplicationRow> = sqlx::query_as(
                        "SELECT id, name, secret_hash, created_at FROM applications \
                         ORDER BY created_at, id",
                    )
                    .fetch_all(self.reader())
                    .await
                    .map_err(store_error)?;
                    rows.into_iter().map(ApplicationRecord::try_from).collect()
                }
            }

            #[async_trait]
            impl ApplicationTx for $tx {
                async fn insert_application(
                    &mut self,
                    application: &ApplicationRecord,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO applications (id, name, secret_hash, created_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(application.id.uuid())
                    .bind(&application.name)
                    .bind(application.secret_hash.as_bytes())
                    .bind(application.created_at.unix())
                    .execute(self.connection())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn delete_application(&mut self, id: ApplicationId) -> StoreResult<bool> {
                    Ok($crate::changed_one_row!(
                        sqlx::query("DELETE FROM applications WHERE id = $1").bind(id.uuid()),
                        self.connection()
                    ))
                }
            }
        };
    };
}
