//! inherit-mix (work in progress).
