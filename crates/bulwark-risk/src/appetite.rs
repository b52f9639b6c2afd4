//! Risk appetite: the highest level a category of risk may carry before it must be treated.
//!
//! Matrices differ in size, so levels are compared by their place on their own scale (0 for the
//! lowest level, 1 for the highest): "Medium" on a 4-level matrix (1/3) is below "Medium" on a
//! 3-level one (1/2).

use crate::matrix::position;
use serde::{Deserialize, Serialize};

/// The appetite of one category: the highest acceptable level of a matrix with `levels` levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appetite {
    /// Index of the highest acceptable level (0 = lowest).
    pub max_level: usize,
    /// How many levels the matrix it was set on has.
    pub levels: usize,
}

impl Appetite {
    /// Whether `level` of a matrix with `levels` levels is above this appetite.
    pub fn exceeded_by(&self, level: usize, levels: usize) -> bool {
        position(level, levels) > position(self.max_level, self.levels) + 1e-9
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_matrix_compares_levels() {
        let a = Appetite {
            max_level: 1,
            levels: 4,
        };
        assert!(!a.exceeded_by(0, 4));
        assert!(!a.exceeded_by(1, 4));
        assert!(a.exceeded_by(2, 4));
    }

    #[test]
    fn other_matrices_compare_by_place_on_the_scale() {
        let medium_of_four = Appetite {
            max_level: 1,
            levels: 4,
        };
        assert!(medium_of_four.exceeded_by(1, 3));
        let medium_of_three = Appetite {
            max_level: 1,
            levels: 3,
        };
        assert!(!medium_of_three.exceeded_by(1, 4));
        assert!(medium_of_three.exceeded_by(2, 4));
    }
}
