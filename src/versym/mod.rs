//! versym (placeholder)
