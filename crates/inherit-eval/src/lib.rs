//! inherit-eval (work in progress).
