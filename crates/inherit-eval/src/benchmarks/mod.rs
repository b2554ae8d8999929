//! Bias benchmarks over their upstream files, reusable on any model: [`bbq`],
//! [`crows`] (CrowS-Pairs), [`winobias`] and [`eec`].

pub mod bbq;
pub mod crows;
pub mod eec;
pub mod winobias;
