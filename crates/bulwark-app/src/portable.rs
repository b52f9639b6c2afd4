//! Export and import of the whole database in a portable, versioned format.
