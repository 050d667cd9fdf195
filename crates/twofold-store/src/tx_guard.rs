//! A tripwire for the pool deadlock: a use case that reads through the pool
//! while its own transaction holds a connection needs two connections at
//! once, and N such requests in parallel starve a pool of N (every one holds
//! one and waits for another). So, in debug builds (every test), a backend
//! transaction registers its task while it is open and every pool read
//! panics if its task has one: the mistake fails the first test that runs
//! it. Release builds compile this away.

#[cfg(debug_assertions)]
mod enabled {
    use std::collections::HashMap;
    use std::sync::{Mutex, PoisonError};

    use tokio::task::Id;

    static OPEN: Mutex<Option<HashMap<Id, usize>>> = Mutex::new(None);

    fn with_open<T>(f: impl FnOnce(&mut HashMap<Id, usize>) -> T) -> T {
        let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
        f(open.get_or_insert_with(HashMap::new))
    }

    /// Held by an open transaction: its task is marked until it drops.
    #[derive(Debug)]
    pub struct OpenTx(Option<Id>);

    impl OpenTx {
        pub fn mark() -> Self {
            let task = tokio::task::try_id();
            if let Some(id) = task {
                with_open(|open| *open.entry(id).or_default() += 1);
            }
            Self(task)
        }
    }

    impl Drop for OpenTx {
        fn drop(&mut self) {
            if let Some(id) = self.0 {
                with_open(|open| {
                    if let Some(count) = open.get_mut(&id) {
                        *count -= 1;
                        if *count == 0 {
                            open.remove(&id);
                        }
                    }
                });
            }
        }
    }

    /// Panics if this task has a transaction open.
    #[track_caller]
    #[allow(clippy::panic)]
    pub fn assert_no_open_tx() {
        let Some(id) = tokio::task::try_id() else {
            return;
        };
        if with_open(|open| open.contains_key(&id)) {
            panic!(
                "a pool read while this task's transaction is open: read before begin(), or through the Tx"
            );
        }
    }
}

#[cfg(not(debug_assertions))]
mod enabled {
    #[derive(Debug)]
    pub struct OpenTx;

    impl OpenTx {
        pub fn mark() -> Self {
            Self
        }
    }

    #[inline(always)]
    pub fn assert_no_open_tx() {}
}

pub use enabled::{OpenTx, assert_no_open_tx};
