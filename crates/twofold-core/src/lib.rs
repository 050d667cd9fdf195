//! The security core of twofold: the rules of accounts, passwords, sessions and
//! (later) second factors, as plain Rust with no I/O.
//!
//! Time is always a parameter (`now: Timestamp`), so every rule can be tested at
//! any instant; nothing here reads the clock, the network or the database.

pub mod access_token;
pub mod account;
pub mod audit;
pub mod ceremony;
pub mod clock;
pub mod device;
pub mod email;
pub mod factor;
pub mod ids;
pub mod key;
pub mod mfa_policy;
pub mod password;
pub mod qr;
pub mod recovery;
pub mod session;
mod text;
pub mod throttle;
pub mod token;
pub mod totp;

pub use account::Role;
pub use clock::{Clock, Timestamp};
pub use email::Email;
pub use ids::{AccessTokenId, AccountId, ApplicationId, EventId, PasskeyId, SessionId, TotpId};
