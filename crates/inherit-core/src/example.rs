//! One text example with its label, group attributes and provenance.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::attr::Groups;
use crate::provenance::Provenance;

/// Free-form metadata attached to an example (template id, benchmark fields, counts ...).
pub type Meta = BTreeMap<String, serde_json::Value>;

/// A text example: the unit every crate passes around.
///
/// Serialised as one JSON object per line in JSONL files:
///
/// ```json
/// {"id":"occ-17","text":"...","label":"nurse","groups":{"stated":{"gender":"female"}},
///  "provenance":{"kind":"original","source":"occupation-suite"}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// Unique id within its dataset.
    pub id: String,
    /// The text.
    pub text: String,
    /// The class name, for labelled data; its index comes from the dataset's label set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Stated and inferred group attributes.
    #[serde(default, skip_serializing_if = "Groups::is_empty")]
    pub groups: Groups,
    /// Original or augmented, and how.
    pub provenance: Provenance,
    /// Free-form metadata.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: Meta,
}

impl Example {
    /// An original, unlabelled example with no groups.
    pub fn new(id: impl Into<String>, text: impl Into<String>, provenance: Provenance) -> Self {
        Example {
            id: id.into(),
            text: text.into(),
            label: None,
            groups: Groups::default(),
            provenance,
            meta: Meta::new(),
        }
    }

    /// Builder: sets the label.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Builder: sets the groups.
    pub fn with_groups(mut self, groups: Groups) -> Self {
        self.groups = groups;
        self
    }

    /// Builder: adds a metadata entry.
    pub fn with_meta(
        mut self,
        key: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) -> Self {
        self.meta.insert(key.into(), value.into());
        self
    }

    /// True for augmented examples.
    pub fn is_augmented(&self) -> bool {
        self.provenance.is_augmented()
    }
}
