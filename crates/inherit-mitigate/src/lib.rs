//! inherit-mitigate (work in progress).
