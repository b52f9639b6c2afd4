//! Quantitative risk analysis (Open FAIR). No I/O.
