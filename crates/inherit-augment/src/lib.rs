//! inherit-augment (work in progress).
