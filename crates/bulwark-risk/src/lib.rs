//! Qualitative risk rules. No I/O.
//!
//! A [`Matrix`] turns a likelihood and an impact (1-based positions on its axes) into a level;
//! three built-in matrices (3×3, 4×4, 5×5, in the style of ISO/IEC 27005) are the defaults and
//! organisations may define their own. [`appetite`] says whether a level is above what a
//! category of risk may carry, across matrices of different sizes. [`heatmap`] draws the
//! register as an SVG grid; [`lec`] draws a loss-exceedance curve with the risk tolerance over it.

pub mod appetite;
pub mod heatmap;
pub mod lec;
pub mod matrix;
mod svg;

pub use appetite::Appetite;
pub use matrix::{Axis, Level, Matrix};
pub use svg::{ink_on, rgb};
