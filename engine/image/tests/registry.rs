//! Reading from a real registry.
