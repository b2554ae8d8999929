//! Results files, aggregation across seeds, tables and plots.

pub mod aggregate;
pub mod format;
pub mod plot;
pub mod results;
pub mod table;

pub use aggregate::{AggregateRow, aggregate};
pub use format::{fmt_fixed, fmt_mean_of, fmt_p, fmt_signed};
pub use plot::{
    BarChart, LineChart, Point, Series, group_counts_chart, group_imbalance_chart, metric_vs_gamma,
    mitigation_color, render_png, save_plot, series_color, wilson_interval,
};
pub use results::{ResultRecord, ResultsFile, ResultsWriter, append_result, read_results};
pub use table::{markdown_table, write_csv};
