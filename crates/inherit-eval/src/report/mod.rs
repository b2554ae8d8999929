//! Results files, aggregation across seeds, tables and plots.

pub mod aggregate;
pub mod format;
pub mod plot;
pub mod results;
pub mod table;

pub use aggregate::{AggregateRow, aggregate};
pub use format::{fmt_fixed, fmt_mean_of, fmt_p, fmt_signed};
pub use plot::{
    BarChart, LineChart, Point, Series, group_imbalance_chart, metric_vs_gamma, render_png,
    save_plot,
};
pub use results::{ResultRecord, ResultsFile, ResultsWriter, append_result, read_results};
pub use table::{markdown_table, write_csv};
