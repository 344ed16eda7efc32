//! The faultline experiment file: its data model, units, validation and JSON Schema.
//!
//! An experiment file (YAML or JSON) is read into a [`RawExperiment`], exactly as
//! written; [`validate`](crate::validate) checks it and reports every problem at once,
//! each with file, line, column and field path; engines accept only the validated
//! [`Experiment`].

pub mod model;
pub mod units;

pub use model::*;
pub use units::{Duration, Fraction, Rate, UnitError};
mod experiment;

pub use experiment::{load, parse, Experiment, SpecErrors};
mod schema;

pub use schema::json_schema;
