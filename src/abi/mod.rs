//! abi (placeholder)
