"""cpjax.data: loading, calendars, imputation, outliers, scaling, feature selection, windows.

Public names are re-exported here; the implementation lives in the private ``_*.py`` modules.
"""

from ._calendar import ALIGN_KINDS as ALIGN_KINDS
from ._calendar import align as align
from ._calendar import align_to_calendar as align_to_calendar
from ._demo import DEMO_FACTOR_TARGETS as DEMO_FACTOR_TARGETS
from ._demo import demo_market as demo_market
from ._demo import demo_panel as demo_panel
from ._impute import impute as impute
from ._impute import nan_runs as nan_runs
from ._loaders import COVARIATE_COLUMNS as COVARIATE_COLUMNS
from ._loaders import EUA_COLUMNS as EUA_COLUMNS
from ._loaders import PILOT_MARKETS as PILOT_MARKETS
from ._loaders import data_file as data_file
from ._loaders import load_coal_units as load_coal_units
from ._loaders import load_eua as load_eua
from ._loaders import load_gas_units as load_gas_units
from ._loaders import load_pilot_closes as load_pilot_closes
from ._loaders import load_pilot_ohlcv as load_pilot_ohlcv
from ._loaders import load_provincial_generation as load_provincial_generation
from ._loaders import load_thermal_hours as load_thermal_hours
from ._outliers import handle_outliers as handle_outliers
from ._outliers import outlier_bounds as outlier_bounds
from ._read import DATE_COLUMN_NAMES as DATE_COLUMN_NAMES
from ._read import read_table as read_table
from ._read import to_long as to_long
from ._read import to_wide as to_wide
from ._scale import CATEGORIES as CATEGORIES
from ._scale import CategoryScaler as CategoryScaler
from ._scale import guess_category as guess_category
from ._scale import train_rows as train_rows
from ._select import OHLCV as OHLCV
from ._select import Selection as Selection
from ._select import granger_filter as granger_filter
from ._select import pcc_class as pcc_class
from ._select import pearson_select as pearson_select
from ._validate import check_length as check_length
from ._validate import validate_columns as validate_columns
from ._windows import Fold as Fold
from ._windows import Split as Split
from ._windows import Windows as Windows
from ._windows import date_split as date_split
from ._windows import make_windows as make_windows
from ._windows import ratio_split as ratio_split
from ._windows import rolling_origins as rolling_origins
from ._windows import window_indices as window_indices
from ._ytd import ytd_to_monthly as ytd_to_monthly
