//! Software inventories read from SBOMs and lockfiles. No I/O: parsers read from any `BufRead`.
