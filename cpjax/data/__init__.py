"""cpjax.data: loading, calendars, imputation, outliers, scaling, feature selection, windows.

Public names are re-exported here; the implementation lives in the private ``_*.py`` modules.
"""

from ._calendar import (
    ALIGN_KINDS as ALIGN_KINDS,
    align as align,
    align_to_calendar as align_to_calendar,
)
from ._calendar_features import (
    CALENDAR_ENCODINGS as CALENDAR_ENCODINGS,
    calendar_covariates as calendar_covariates,
    calendar_features as calendar_features,
)
from ._demo import (
    DEMO_FACTOR_TARGETS as DEMO_FACTOR_TARGETS,
    demo_market as demo_market,
    demo_panel as demo_panel,
)
from ._impute import impute as impute, nan_runs as nan_runs
from ._loaders import (
    COVARIATE_COLUMNS as COVARIATE_COLUMNS,
    EUA_COLUMNS as EUA_COLUMNS,
    PILOT_MARKETS as PILOT_MARKETS,
    data_file as data_file,
    load_coal_units as load_coal_units,
    load_eua as load_eua,
    load_gas_units as load_gas_units,
    load_pilot_closes as load_pilot_closes,
    load_pilot_ohlcv as load_pilot_ohlcv,
    load_provincial_generation as load_provincial_generation,
    load_thermal_hours as load_thermal_hours,
)
from ._market_calendar import (
    CALENDAR_DIR as CALENDAR_DIR,
    DEADLINE_STATUSES as DEADLINE_STATUSES,
    MARKET_CALENDARS as MARKET_CALENDARS,
    compliance_deadlines as compliance_deadlines,
    market_calendar as market_calendar,
    market_holidays as market_holidays,
    trading_days as trading_days,
)
from ._outliers import handle_outliers as handle_outliers, outlier_bounds as outlier_bounds
from ._read import (
    DATE_COLUMN_NAMES as DATE_COLUMN_NAMES,
    read_table as read_table,
    to_long as to_long,
    to_wide as to_wide,
)
from ._scale import (
    CATEGORIES as CATEGORIES,
    CategoryScaler as CategoryScaler,
    guess_category as guess_category,
    train_rows as train_rows,
)
from ._select import (
    OHLCV as OHLCV,
    Selection as Selection,
    granger_filter as granger_filter,
    pcc_class as pcc_class,
    pearson_select as pearson_select,
)
from ._validate import (
    check_length as check_length,
    check_no_future_copy as check_no_future_copy,
    validate_columns as validate_columns,
)
from ._windows import (
    Fold as Fold,
    Split as Split,
    Windows as Windows,
    date_split as date_split,
    make_windows as make_windows,
    ratio_split as ratio_split,
    rolling_origins as rolling_origins,
    window_indices as window_indices,
)
from ._ytd import ytd_to_monthly as ytd_to_monthly
