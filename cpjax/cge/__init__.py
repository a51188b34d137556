"""cpjax.cge: a differentiable computable general equilibrium (CGE) model built from a SAM.

Public names (see ``docs/cge.md``): load a model from a SAM and a specification, set parameters
by name, solve (fixed point or Newton; implicitly differentiable; vmap over scenarios), report
every variable by name, and run the model checks (replication, homogeneity, Walras, identities).  ``make_core``
gives the pure, validated solve function that every solver path uses; a :class:`Block` adds
unknowns and equations to the CGE (the emissions-trading block is one).
All entry points compute in float64 inside :func:`x64` (a context, not a global switch).

Drivers (``docs/scenarios.md``): :class:`Drivers`, :func:`trend_drivers`, and the mapping from
trajectories (e.g. :mod:`cpjax.node` output) to drivers: :func:`map_to_drivers`,
:class:`DriverSpec`, :func:`drivers_from_trajectories` (with the plausibility gate).

Emissions trading, dynamics and scenarios (``docs/scenarios.md``): :func:`solve_ets` (one year
with the trading block), :func:`make_path` / :func:`solve_path` (2022–2030 as a ``lax.scan`` of
equilibria, differentiable), :func:`run_scenarios` / :func:`make_study` (S1–S5 of seed 001),
:func:`run_scenarios_to_dir` (``cpjax scenarios``).
"""

from ._build import build_model as build_model
from ._checks import (
    homogeneity_error as homogeneity_error,
    identity_gaps as identity_gaps,
    replication_residual as replication_residual,
    run_checks as run_checks,
    walras_residual as walras_residual,
)
from ._drivers import (
    BASE_CARBON_PRICE as BASE_CARBON_PRICE,
    DriverSpec as DriverSpec,
    annual_means as annual_means,
    map_to_drivers as map_to_drivers,
)
from ._drivers_io import (
    check_trajectories as check_trajectories,
    drivers_from_trajectories as drivers_from_trajectories,
)
from ._dynamics import (
    Drivers as Drivers,
    DynamicParams as DynamicParams,
    EtsPolicy as EtsPolicy,
    PathConfig as PathConfig,
    as_float64 as as_float64,
    compiled_path as compiled_path,
    dynamic_params as dynamic_params,
    make_path as make_path,
    no_policy as no_policy,
    solve_path as solve_path,
    trend_drivers as trend_drivers,
)
from ._ets import EtsBlock as EtsBlock, EtsConfig as EtsConfig, YearPolicy as YearPolicy
from ._ets_solve import (
    EtsSolution as EtsSolution,
    solve_ets as solve_ets,
    year_policy as year_policy,
)
from ._gradient import (
    finite_difference_gradient as finite_difference_gradient,
    implicit_gradient as implicit_gradient,
    implicit_jacobian as implicit_jacobian,
)
from ._load import demo_paths as demo_paths, load_demo as load_demo, load_model as load_model
from ._outputs import (
    output_names as output_names,
    output_vector as output_vector,
    scalar_output as scalar_output,
)
from ._params import (
    get_param as get_param,
    param_names as param_names,
    param_ref as param_ref,
    set_params as set_params,
)
from ._report import solution_dict as solution_dict, summary_rows as summary_rows
from ._run import SolveRun as SolveRun, run_solve as run_solve
from ._sam import (
    Sam as Sam,
    balance_ras as balance_ras,
    check_balance as check_balance,
    load_sam as load_sam,
)
from ._scenarios import (
    Scenario as Scenario,
    demo_scenarios as demo_scenarios,
    load_scenario as load_scenario,
    make_study as make_study,
    reduction_path as reduction_path,
    run_scenarios as run_scenarios,
    scenario_policy as scenario_policy,
    with_reference as with_reference,
)
from ._scenarios_run import (
    ScenariosRun as ScenariosRun,
    compare_runs as compare_runs,
    peak_years as peak_years,
    plot_scenarios as plot_scenarios,
    run_scenarios_to_dir as run_scenarios_to_dir,
    scenario_rows as scenario_rows,
)
from ._solve import (
    STATUS as STATUS,
    Solution as Solution,
    SolverConfig as SolverConfig,
    benchmark_guess as benchmark_guess,
    evaluate_solution as evaluate_solution,
    make_core as make_core,
    residual_function as residual_function,
    solve as solve,
    solve_batch as solve_batch,
    stack_params as stack_params,
)
from ._spec import load_spec as load_spec
from ._structure import Model as Model
from ._system import Block as Block
from ._x64 import x64 as x64

# isort: split
# calibration and sweeps (docs/calibration.md)
from ._calib_dynamic import DYNAMIC_OUTPUTS as DYNAMIC_OUTPUTS, dynamic_path as dynamic_path
from ._calib_file import CalibrationTask as CalibrationTask, load_targets as load_targets
from ._calib_paths import (
    PathFunction as PathFunction,
    static_path as static_path,
    trend_path as trend_path,
    trend_year_params as trend_year_params,
    with_defaults as with_defaults,
)
from ._calib_run import CalibrateRun as CalibrateRun, run_calibrate as run_calibrate
from ._calib_targets import Parameter as Parameter, Target as Target
from ._calibrate import (
    CalibrationConfig as CalibrationConfig,
    CalibrationResult as CalibrationResult,
    calibrate as calibrate,
    gradient_check as gradient_check,
)
from ._sweep import (
    device_mesh as device_mesh,
    grid as grid,
    initialize_multihost as initialize_multihost,
    monte_carlo as monte_carlo,
    path_sweep as path_sweep,
    solve_sweep as solve_sweep,
    sweep as sweep,
)
