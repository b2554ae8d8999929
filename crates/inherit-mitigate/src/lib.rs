//! `inherit-mitigate`: bias mitigation strategies as composable trait objects.
//!
//! (Strategies and the stack are being written; see the crate README when done.)

#![warn(missing_docs)]

pub mod base;
pub mod error;

pub use base::{BatchView, Mitigation};
pub use error::{Error, Result};
