//! Password hashing off the async threads, with a bound on how many run at
//! once: each Argon2id run holds 19 MiB, so the bound caps memory too.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::Semaphore;
use twofold_core::password::{NewPassword, PasswordHasher, Verification};

use crate::{AppError, AppResult};

/// How long a request waits for a hashing slot before the server says "busy".
const QUEUE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct PasswordHashing {
    hasher: Arc<PasswordHasher>,
    permits: Arc<Semaphore>,
}

impl PasswordHashing {
    /// `concurrency` hashing runs at once (the number of cores is right).
    pub fn new(hasher: PasswordHasher, concurrency: usize) -> Self {
        Self {
            hasher: Arc::new(hasher),
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    pub async fn hash(&self, password: NewPassword) -> AppResult<String> {
        self.run(move |h| h.hash(&password).map_err(AppError::internal))
            .await?
    }

    /// See [`PasswordHasher::verify`]; `stored: None` costs the same time.
    pub async fn verify(
        &self,
        stored: Option<String>,
        password: SecretString,
    ) -> AppResult<Verification> {
        self.run(move |h| h.verify(stored.as_deref(), &password))
            .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&PasswordHasher) -> T + Send + 'static,
    ) -> AppResult<T> {
        // The owned permit moves into the blocking task: if the client goes
        // away, the hashing still runs to its end, and still holds its slot.
        let permit = tokio::time::timeout(QUEUE_TIMEOUT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| AppError::Busy)?
            .map_err(AppError::internal)?;
        let hasher = self.hasher.clone();
        tokio::task::spawn_blocking(move || {
            let result = work(&hasher);
            drop(permit);
            result
        })
        .await
        .map_err(AppError::internal)
    }
}
