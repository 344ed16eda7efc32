//! The faultline experiment file: its data model, units, validation and JSON Schema.
//!
//! An experiment file (YAML, or JSON for a `.json` name) is read in four steps: the text
//! becomes a tree of YAML nodes that remember their line and column; the tree is checked
//! against the JSON Schema generated from the model ([`json_schema`]), collecting every
//! problem of shape (unknown fields with a did-you-mean, wrong types, malformed
//! durations); the checked value is read into a [`RawExperiment`]; and its meaning is
//! checked (every name a fault or a call uses exists, stages and faults fit together,
//! thresholds have the right unit). Only then is it an [`Experiment`], the type engines
//! accept. Every problem is reported at once as a [`Diagnostic`]: file, line, column,
//! field path and what would be valid.
//!
//! Main types: [`Experiment`] (validated), [`RawExperiment`] (as written),
//! [`SpecErrors`] (every problem), the units [`Duration`], [`Fraction`] and [`Rate`].
//!
//! ```
//! use std::path::Path;
//!
//! let text = r#"
//! name: tiny
//! architecture:
//!   api: { kind: service, instances: 2, concurrency: 8, service_time: { fixed: 5ms } }
//! workload:
//!   stages: [ { hold: 1m, users: 10 } ]
//!   mix: { read: 80%, write: 20% }
//! faults:
//!   - { at: 30s, kill: api.1 }
//! "#;
//! let experiment = faultline_spec::parse(text, Path::new("tiny.yaml")).unwrap();
//! assert_eq!(experiment.raw().faults.len(), 1);
//!
//! let broken = text.replace("kill: api.1", "kill: apu.1");
//! let errors = faultline_spec::parse(&broken, Path::new("tiny.yaml")).unwrap_err();
//! assert_eq!(
//!     errors.problems,
//!     ["tiny.yaml:9:22: faults[0].kill: no component named `apu` (did you mean `api`?); \
//!       the components are `api`"]
//! );
//! ```

pub mod floors;
pub mod model;
pub mod profile;
pub mod session;
pub mod signals;
pub mod units;

mod diag;
mod experiment;
mod reference;
mod schema;
mod structure;
mod suggest;
mod tree;
mod validate;

pub(crate) use diag::Problem;
pub use diag::{Diagnostic, FieldPath, PathSegment, Span, SpecErrors};
pub use experiment::{load, parse, Experiment};
pub use model::*;
pub use reference::reference_markdown;
pub use schema::json_schema;
pub use units::{Duration, Fraction, Rate, UnitError};
