//! inherit-train (work in progress).
