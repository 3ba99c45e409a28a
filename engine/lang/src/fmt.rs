//! Formatting (to come).
