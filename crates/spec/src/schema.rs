//! The JSON Schema of the experiment file, generated from the same types that parse it.

use crate::model::RawExperiment;

/// The JSON Schema of the experiment file, pretty-printed, ending in a newline.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(RawExperiment);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema always serializes");
    text.push('\n');
    text
}
