//! The port, one aggregate a file: each holds the aggregate's reads (on the
//! store) and its transaction methods. [`crate::Store`] and [`crate::Tx`]
//! gather them; `crate::prelude` brings them all into scope.

pub mod access_tokens;
pub mod accounts;
pub mod applications;
pub mod audit;
pub mod challenges;
pub mod maintenance;
pub mod mfa_deadlines;
pub mod passkeys;
pub mod password_links;
pub mod recovery;
pub mod sessions;
pub mod throttle;
pub mod totp;
