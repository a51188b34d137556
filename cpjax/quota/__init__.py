"""cpjax.quota: allowance surplus and deficit of China's thermal power units (seed 002).

Inventory (GEM trackers or a user table) -> ETS categories and filled technical fields ->
provincial output forecast shared over units -> supply, emissions, free allowances and
surplus under one or several benchmark rule sets (data files in ``cpjax/quota/rules``).
"""

from ._accounting import AccountingConfig as AccountingConfig
from ._accounting import RuleArrays as RuleArrays
from ._accounting import UnitArrays as UnitArrays
from ._accounting import account as account
from ._accounting import load_factor as load_factor
from ._accounting import rule_arrays as rule_arrays
from ._accounting import unit_arrays as unit_arrays
from ._build import Inventory as Inventory
from ._build import build_inventory as build_inventory
from ._build import prepare_inventory as prepare_inventory
from ._demo import demo_generation as demo_generation
from ._demo import demo_units as demo_units
from ._fill import fill_fields as fill_fields
from ._fill import load_fill_rules as load_fill_rules
from ._generation import annual_table as annual_table
from ._generation import monthly_from_ytd as monthly_from_ytd
from ._generation import read_generation as read_generation
from ._generation import read_heat as read_heat
from ._generation import share_generation as share_generation
from ._inventory import CATEGORIES as CATEGORIES
from ._inventory import CATEGORY_LABELS as CATEGORY_LABELS
from ._inventory import assign_categories as assign_categories
from ._inventory import read_units as read_units
from ._output import OUTPUT_MODELS as OUTPUT_MODELS
from ._output import compare_output_models as compare_output_models
from ._output import forecast_heat as forecast_heat
from ._output import project_generation as project_generation
from ._output import register_output_model as register_output_model
from ._rules import RuleSet as RuleSet
from ._rules import available_rules as available_rules
from ._rules import load_rules as load_rules
from ._rules import parse_rules as parse_rules
from ._run import QuotaConfig as QuotaConfig
from ._run import QuotaResult as QuotaResult
from ._run import compute_quota as compute_quota
from ._run import run_quota as run_quota
from ._run import summarize as summarize
