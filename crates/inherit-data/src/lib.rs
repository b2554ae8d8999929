//! inherit-data (work in progress).
