"""cpjax.evaluate: metrics, tests of equal accuracy, conformal intervals, tables and plots.

Everything here works on host arrays (NumPy / pandas) after prediction.  Formulas and references:
``docs/evaluate.md``.
"""

from ._conformal import add_interval_columns as add_interval_columns
from ._conformal import conformal_intervals as conformal_intervals
from ._conformal import conformal_quantile as conformal_quantile
from ._conformal import empirical_coverage as empirical_coverage
from ._conformal import interval_column_names as interval_column_names
from ._conformal import interval_score as interval_score
from ._metrics import directional_accuracy as directional_accuracy
from ._metrics import mae as mae
from ._metrics import mape as mape
from ._metrics import mase as mase
from ._metrics import mse as mse
from ._metrics import persistence_scale as persistence_scale
from ._metrics import r2 as r2
from ._metrics import rmse as rmse
from ._metrics import smape as smape
from ._plots import plot_error_distribution as plot_error_distribution
from ._plots import plot_forecast as plot_forecast
from ._plots import plot_metrics_by_cutoff as plot_metrics_by_cutoff
from ._plots import save_figure as save_figure
from ._spikes import hit_rate_above as hit_rate_above
from ._spikes import spike_scores as spike_scores
from ._tables import DEFAULT_METRICS as DEFAULT_METRICS
from ._tables import METRICS as METRICS
from ._tables import format_table as format_table
from ._tables import mean_std_table as mean_std_table
from ._tables import metric_table as metric_table
from ._tests import TestResult as TestResult
from ._tests import comparison_tests as comparison_tests
from ._tests import diebold_mariano as diebold_mariano
from ._tests import paired_t_test as paired_t_test
from ._tests import wilcoxon_test as wilcoxon_test

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "TestResult",
    "add_interval_columns",
    "comparison_tests",
    "conformal_intervals",
    "conformal_quantile",
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
    "persistence_scale",
    "plot_error_distribution",
    "plot_forecast",
    "plot_metrics_by_cutoff",
    "r2",
    "rmse",
    "save_figure",
    "smape",
    "spike_scores",
    "wilcoxon_test",
]
