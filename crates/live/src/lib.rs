//! The faultline live engine (being assembled).
pub mod error;
pub mod faults;
pub mod keys;
pub mod load;
pub mod profile;
pub mod sink;
pub mod target;
