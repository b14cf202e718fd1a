//! `bundle` of a release archive (`.tar.gz`, `.tar.xz`, `.tar.zst`, `.zip`).
