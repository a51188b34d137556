"""cpjax.cge: a differentiable computable general equilibrium (CGE) model built from a SAM.

Public names (see ``docs/cge.md``): load a model from a SAM and a specification, set parameters
by name, solve (fixed point or Newton; implicitly differentiable; vmap over scenarios), report
every variable by name, and run the model checks (replication, homogeneity, Walras, identities).
All entry points compute in float64 inside :func:`x64` (a context, not a global switch).
"""

from ._build import build_model as build_model
from ._checks import homogeneity_error as homogeneity_error
from ._checks import identity_gaps as identity_gaps
from ._checks import replication_residual as replication_residual
from ._checks import run_checks as run_checks
from ._checks import walras_residual as walras_residual
from ._gradient import finite_difference_gradient as finite_difference_gradient
from ._gradient import implicit_gradient as implicit_gradient
from ._load import demo_paths as demo_paths
from ._load import load_demo as load_demo
from ._load import load_model as load_model
from ._outputs import output_names as output_names
from ._outputs import scalar_output as scalar_output
from ._params import get_param as get_param
from ._params import param_names as param_names
from ._params import set_params as set_params
from ._report import solution_dict as solution_dict
from ._report import summary_rows as summary_rows
from ._run import SolveRun as SolveRun
from ._run import run_solve as run_solve
from ._sam import Sam as Sam
from ._sam import balance_ras as balance_ras
from ._sam import check_balance as check_balance
from ._sam import load_sam as load_sam
from ._solve import STATUS as STATUS
from ._solve import Solution as Solution
from ._solve import SolverConfig as SolverConfig
from ._solve import benchmark_guess as benchmark_guess
from ._solve import evaluate_solution as evaluate_solution
from ._solve import residual_function as residual_function
from ._solve import solve as solve
from ._solve import solve_batch as solve_batch
from ._solve import stack_params as stack_params
from ._spec import load_spec as load_spec
from ._structure import Model as Model
from ._x64 import x64 as x64
