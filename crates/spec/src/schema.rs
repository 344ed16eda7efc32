//! The JSON Schema of the experiment file, generated from the same types that parse it.
//!
//! The doc comments on the model's fields become the schema's descriptions, so editors
//! that read the schema show the user reference while typing. The shape check
//! ([`crate::structure`]) walks this same schema.

use std::sync::OnceLock;

use crate::model::RawExperiment;

/// The schema as a JSON value, generated once.
pub(crate) fn schema_value() -> &'static serde_json::Value {
    static SCHEMA: OnceLock<serde_json::Value> = OnceLock::new();
    SCHEMA.get_or_init(|| schemars::schema_for!(RawExperiment).to_value())
}

/// The JSON Schema of the experiment file, pretty-printed, ending in a newline.
///
/// It is committed at `schema/experiment.schema.json`; a test fails when that copy is
/// out of date (`UPDATE_SCHEMA=1 cargo test -p faultline-spec` rewrites it).
pub fn json_schema() -> String {
    let mut text = serde_json::to_string_pretty(schema_value())
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
