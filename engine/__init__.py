"""LR Lab's engine: pure numpy, no UI. Usable from a notebook.

The public surface is re-exported here; see each module for the details.  Two small modules
hold the vocabulary every other one speaks: :mod:`engine.fmt` (how a number is printed) and
:mod:`engine.verdict` (:class:`Kind`, what a run did, and :data:`NEVER`, the index of a step
that did not happen).
"""

from engine import fmt
from engine.child import colour_outcomes, feature_outcomes, learn_colour, learn_features
from engine.data import Dataset, load_dataset, make_regression_problem
from engine.descent import DescentError, DescentResult, Verdict, run_descent, run_many
from engine.expr import ExpressionError, parse_function
from engine.models import ModelSpec, evaluate, init_params, loss_and_grad
from engine.optim import HD_DEFAULT_BETA, OPTIMIZERS, Optimizer, OptState, init_state, step
from engine.range_test import RangeTestResult, range_test
from engine.schedules import SCHEDULES, make_schedule
from engine.search import coarse_to_fine, successive_halving
from engine.surfaces import SURFACES_1D, SURFACES_2D, Surface, get_surface
from engine.theory import Thresholds, local_thresholds, quadratic_thresholds
from engine.train import History, classify_run, train
from engine.verdict import NEVER, Kind

__all__ = [
    "HD_DEFAULT_BETA",
    "NEVER",
    "OPTIMIZERS",
    "SCHEDULES",
    "SURFACES_1D",
    "SURFACES_2D",
    "Dataset",
    "DescentError",
    "DescentResult",
    "ExpressionError",
    "History",
    "Kind",
    "ModelSpec",
    "OptState",
    "Optimizer",
    "RangeTestResult",
    "Surface",
    "Thresholds",
    "Verdict",
    "classify_run",
    "coarse_to_fine",
    "colour_outcomes",
    "evaluate",
    "feature_outcomes",
    "fmt",
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
