//! Broken and hostile inputs: each is a clear error, never a panic or a hang.
