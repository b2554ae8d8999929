#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod amplification;
pub mod auc;
pub mod benchmarks;
pub mod error;
pub mod fairness;
pub mod frame;
pub mod metrics;
pub mod misalign;
pub mod report;
pub mod stats;
pub mod tasks;

pub use amplification::{
    BiasAmplification, DirectionalAmplification, DirectionalCell, Reference, bias_amplification,
    directional_bias_amplification,
};
pub use auc::{SubgroupAuc, roc_auc, subgroup_aucs};
pub use error::{Error, Result};
pub use fairness::{FairnessReport, TprGaps, tpr_gaps};
pub use frame::{Aggregate, MetricFrame, MetricSummary, SensitiveFeature};
pub use metrics::{Confusion, Metric, Sample};
pub use stats::{BootstrapParams, Interval};
