//! elf (placeholder)
