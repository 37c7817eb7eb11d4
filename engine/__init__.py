"""LR Lab's engine: pure numpy, no UI. Usable from a notebook.

The public surface is re-exported here; see each module for the details.
"""

from engine.child import learn_colour, learn_features
from engine.data import Dataset, load_dataset, make_regression_problem
from engine.descent import DescentResult, Verdict, run_descent, run_many
from engine.expr import ExpressionError, parse_function
from engine.models import ModelSpec, evaluate, init_params, loss_and_grad
from engine.optim import HD_DEFAULT_BETA, OPTIMIZERS, Optimizer, OptState, init_state, step
from engine.range_test import RangeTestResult, range_test
from engine.schedules import SCHEDULES, make_schedule
from engine.search import coarse_to_fine, successive_halving
from engine.surfaces import SURFACES_1D, SURFACES_2D, Surface, get_surface
from engine.theory import Thresholds, local_thresholds, quadratic_thresholds
from engine.train import History, classify_run, train

__all__ = [
    "HD_DEFAULT_BETA",
    "OPTIMIZERS",
    "SCHEDULES",
    "SURFACES_1D",
    "SURFACES_2D",
    "Dataset",
    "DescentResult",
    "ExpressionError",
    "History",
    "ModelSpec",
    "OptState",
    "Optimizer",
    "RangeTestResult",
    "Surface",
    "Thresholds",
    "Verdict",
    "classify_run",
    "coarse_to_fine",
    "evaluate",
    "get_surface",
    "init_params",
    "init_state",
    "learn_colour",
    "learn_features",
    "load_dataset",
    "local_thresholds",
    "loss_and_grad",
    "make_regression_problem",
    "make_schedule",
    "parse_function",
    "quadratic_thresholds",
    "range_test",
    "run_descent",
    "run_many",
    "step",
    "successive_halving",
    "train",
]
