//! Password work off the async threads, with a bound on how much of it runs
//! at once and on the memory it holds.
//!
//! `concurrency` permits bound the runs; each Argon2id run borrows one of at
//! most `concurrency` working memories (19 MiB each), made on first need and
//! then kept and reused. The memory hashing can ever hold is therefore
//! `concurrency × 19 MiB`, however many sign-ins arrive: allocating a fresh
//! block per run instead lets the allocator keep every freed one in a
//! per-thread arena (RSS grew from 14 MB to 878 MB after 200 sign-ins).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::Semaphore;
use twofold_core::password::{
    HashingMemory, NewPassword, PasswordContext, PasswordError, PasswordHasher, Verification,
};

use crate::{AppError, AppResult};

/// How long a request waits for a hashing slot before the server says "busy".
const QUEUE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct PasswordHashing {
    hasher: Arc<PasswordHasher>,
    permits: Arc<Semaphore>,
    memories: Arc<MemoryPool>,
}

impl PasswordHashing {
    /// `concurrency` runs at once (the number of cores is right).
    pub fn new(hasher: PasswordHasher, concurrency: usize) -> Self {
        Self {
            hasher: Arc::new(hasher),
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            memories: Arc::new(MemoryPool::default()),
        }
    }

    /// Judges a new password by every rule of [`NewPassword::parse`]. The
    /// strength estimate takes up to 20 ms, so it waits its turn with the
    /// hashes instead of holding an async thread.
    pub async fn judge(
        &self,
        candidate: SecretString,
        email: String,
        issuer: String,
    ) -> AppResult<Result<NewPassword, PasswordError>> {
        self.with_permit(move || {
            NewPassword::parse(
                candidate,
                &PasswordContext {
                    email: &email,
                    issuer: &issuer,
                },
            )
        })
        .await
    }

    pub async fn hash(&self, password: NewPassword) -> AppResult<String> {
        self.run(move |hasher, memory| hasher.hash(&password, memory).map_err(AppError::internal))
            .await?
    }

    /// See [`PasswordHasher::verify`]; `stored: None` costs the same time.
    pub async fn verify(
        &self,
        stored: Option<String>,
        password: SecretString,
    ) -> AppResult<Verification> {
        self.run(move |hasher, memory| hasher.verify(stored.as_deref(), &password, memory))
            .await
    }

    /// Runs `work` with a working memory borrowed from the pool. The permit
    /// is held throughout, so no more memories than permits ever exist.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&PasswordHasher, &mut HashingMemory) -> T + Send + 'static,
    ) -> AppResult<T> {
        let hasher = self.hasher.clone();
        let memories = self.memories.clone();
        self.with_permit(move || {
            // If `work` panics the memory is freed while unwinding, and the
            // next run makes another: still at most one per permit.
            let mut memory = memories.take(&hasher);
            let result = work(&hasher, &mut memory);
            memories.give_back(memory);
            result
        })
        .await
    }

    async fn with_permit<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        // The owned permit moves into the blocking task: if the client goes
        // away, the work still runs to its end, and still holds its slot.
        let permit = tokio::time::timeout(QUEUE_TIMEOUT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| AppError::Busy)?
            .map_err(AppError::internal)?;
        tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await
        .map_err(AppError::internal)
    }

    /// How many working memories exist (for tests of the bound).
    pub fn memories_made(&self) -> usize {
        self.memories.made()
    }
}

/// Idle working memories, and how many were ever made.
#[derive(Default)]
struct MemoryPool {
    state: Mutex<PoolState>,
}

#[derive(Default)]
struct PoolState {
    idle: Vec<HashingMemory>,
    made: usize,
}

impl MemoryPool {
    /// An idle memory, or a new one when all are lent (callers hold a permit,
    /// so that happens at most once per permit).
    fn take(&self, hasher: &PasswordHasher) -> HashingMemory {
        let mut state = self.lock();
        state.idle.pop().unwrap_or_else(|| {
            state.made += 1;
            hasher.memory()
        })
    }

    fn give_back(&self, memory: HashingMemory) {
        self.lock().idle.push(memory);
    }

    fn made(&self) -> usize {
        self.lock().made
    }

    /// A panic while the lock is held cannot leave the pool inconsistent
    /// (each change is one step), so a poisoned lock is used as is.
    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_runs_share_at_most_one_memory_per_permit() {
        let hashing = PasswordHashing::new(PasswordHasher::new().unwrap(), 2);
        let runs = (0..12).map(|i| {
            let hashing = hashing.clone();
            tokio::spawn(async move {
                hashing
                    .verify(None, SecretString::from(format!("password {i}")))
                    .await
            })
        });
        for run in runs.collect::<Vec<_>>() {
            assert_eq!(run.await.unwrap().unwrap(), Verification::Invalid);
        }
        assert!(
            (1..=2).contains(&hashing.memories_made()),
            "{}",
            hashing.memories_made()
        );
    }

    #[tokio::test]
    async fn a_new_password_is_judged_in_the_queue() {
        let hashing = PasswordHashing::new(PasswordHasher::new().unwrap(), 1);
        let judged = hashing
            .judge(
                SecretString::from("12345678".to_owned()),
                "someone@example.com".to_owned(),
                "twofold".to_owned(),
            )
            .await
            .unwrap();
        assert_eq!(judged.err(), Some(PasswordError::Common));
    }
}
