"""cpjax.quota: allowance surplus and deficit of China's thermal power units (seed 002).

Inventory (GEM trackers or a user table) -> ETS categories and filled technical fields ->
provincial output forecast shared over units -> supply, emissions, free allowances and
surplus under one or several benchmark rule sets (data files in ``cpjax/quota/rules``).
"""

from ._accounting import (
    AccountingConfig as AccountingConfig,
    RuleArrays as RuleArrays,
    UnitArrays as UnitArrays,
    account as account,
    load_factor as load_factor,
    rule_arrays as rule_arrays,
    unit_arrays as unit_arrays,
)
from ._build import (
    Inventory as Inventory,
    build_inventory as build_inventory,
    prepare_inventory as prepare_inventory,
)
from ._demo import demo_generation as demo_generation, demo_units as demo_units
from ._fill import fill_fields as fill_fields, load_fill_rules as load_fill_rules
from ._generation import (
    annual_table as annual_table,
    monthly_from_ytd as monthly_from_ytd,
    read_generation as read_generation,
    read_heat as read_heat,
    share_generation as share_generation,
)
from ._inventory import (
    CATEGORIES as CATEGORIES,
    CATEGORY_LABELS as CATEGORY_LABELS,
    assign_categories as assign_categories,
    read_units as read_units,
)
from ._neural import network_output_model as network_output_model
from ._output import (
    OUTPUT_SETTINGS as OUTPUT_SETTINGS,
    check_output_model as check_output_model,
    compare_output_models as compare_output_models,
    forecast_heat as forecast_heat,
    output_forecast as output_forecast,
    project_generation as project_generation,
)
from ._rules import (
    RuleSet as RuleSet,
    available_rules as available_rules,
    load_rules as load_rules,
    parse_rules as parse_rules,
)
from ._run import (
    QuotaConfig as QuotaConfig,
    QuotaResult as QuotaResult,
    compute_quota as compute_quota,
    run_quota as run_quota,
    summarize as summarize,
)
