"""cpjax.evaluate: metrics, probabilistic scores (pinball, CRPS), tests of equal accuracy,
conformal intervals, tables and plots.

Everything here works on host arrays (NumPy / pandas) after prediction.  Formulas and references:
``docs/evaluate.md``.
"""

from ._conformal import (
    add_interval_columns as add_interval_columns,
    conformal_intervals as conformal_intervals,
    conformal_quantile as conformal_quantile,
    empirical_coverage as empirical_coverage,
    interval_column_names as interval_column_names,
    interval_score as interval_score,
)
from ._metrics import (
    directional_accuracy as directional_accuracy,
    mae as mae,
    mape as mape,
    mase as mase,
    mse as mse,
    persistence_scale as persistence_scale,
    r2 as r2,
    rmse as rmse,
    smape as smape,
)
from ._plots import (
    plot_error_distribution as plot_error_distribution,
    plot_forecast as plot_forecast,
    plot_metrics_by_cutoff as plot_metrics_by_cutoff,
    plot_text as plot_text,
    save_figure as save_figure,
)
from ._probabilistic import (
    crps_gaussian as crps_gaussian,
    crps_quantiles as crps_quantiles,
    crps_student_t as crps_student_t,
    pinball_loss as pinball_loss,
    probabilistic_table as probabilistic_table,
    quantile_column as quantile_column,
    scaled_crps as scaled_crps,
)
from ._spikes import hit_rate_above as hit_rate_above, spike_scores as spike_scores
from ._tables import (
    DEFAULT_METRICS as DEFAULT_METRICS,
    METRICS as METRICS,
    format_table as format_table,
    mean_std_table as mean_std_table,
    metric_table as metric_table,
)
from ._tests import (
    TestResult as TestResult,
    comparison_tests as comparison_tests,
    diebold_mariano as diebold_mariano,
    paired_t_test as paired_t_test,
    wilcoxon_test as wilcoxon_test,
)

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "TestResult",
    "add_interval_columns",
    "comparison_tests",
    "conformal_intervals",
    "conformal_quantile",
    "crps_gaussian",
    "crps_quantiles",
    "crps_student_t",
    "diebold_mariano",
    "directional_accuracy",
    "empirical_coverage",
    "format_table",
    "hit_rate_above",
    "interval_column_names",
    "interval_score",
    "mae",
    "mape",
    "mase",
    "mean_std_table",
    "metric_table",
    "mse",
    "paired_t_test",
    "pinball_loss",
    "persistence_scale",
    "plot_error_distribution",
    "plot_forecast",
    "plot_metrics_by_cutoff",
    "plot_text",
    "probabilistic_table",
    "quantile_column",
    "r2",
    "rmse",
    "save_figure",
    "scaled_crps",
    "smape",
    "spike_scores",
    "wilcoxon_test",
]
