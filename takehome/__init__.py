"""Take it home: a page's current view as code a practitioner can run.

Pure code generation (no Streamlit, no torch at generation time): every builder takes plain
values (numbers, strings, tuples, LR Lab's frozen ``engine.optim.Optimizer``) and returns a
:class:`Snippet`, source text with its imports, requirements and notes in words.

* PyTorch: :func:`torch_optimizer` (SGD, momentum, Nesterov, Adam, hypergradient descent),
  :func:`torch_scheduler` (LR Lab's schedules as ``torch.optim.lr_scheduler``, rates equal step
  by step), :func:`torch_model_data` and :func:`torch_training` (LR Lab's data, seeded model
  and minibatches), :func:`torch_range_test` (torch-lr-finder and the page's rules),
  :func:`torch_loss` and :func:`torch_descent` (surfaces and typed functions with autograd).
* LR Lab's engine: :func:`engine_descent`, :func:`engine_train`, :func:`engine_range_test`,
  :func:`engine_hypergradient`, :func:`engine_child`, :func:`engine_search`: the few lines that
  recompute a view.
* :func:`torch_child`: the child and the dogs' belief updates in plain PyTorch autograd.
* :func:`build_notebook` / :func:`notebook_json`: both as a Jupyter notebook.
"""

from takehome.child import torch_child
from takehome.engine_code import (
    engine_child,
    engine_descent,
    engine_hypergradient,
    engine_range_test,
    engine_search,
    engine_train,
    optimizer_code,
)
from takehome.notebook import build_notebook, notebook_json
from takehome.optim import hd_class, optimizer_constructor, torch_optimizer
from takehome.range_test import rules_code, smooth_f_of, torch_range_test
from takehome.schedules import engine_schedule, scheduler_lr, torch_scheduler
from takehome.snippet import Snippet, join, lit
from takehome.surfaces import FunctionSpec, formula_code, function_spec, torch_descent, torch_loss
from takehome.training import torch_model_data, torch_training

__all__ = [
    "FunctionSpec",
    "Snippet",
    "build_notebook",
    "engine_child",
    "engine_descent",
    "engine_hypergradient",
    "engine_range_test",
    "engine_schedule",
    "engine_search",
    "engine_train",
    "formula_code",
    "function_spec",
    "hd_class",
    "join",
    "lit",
    "notebook_json",
    "optimizer_code",
    "optimizer_constructor",
    "rules_code",
    "scheduler_lr",
    "smooth_f_of",
    "torch_child",
    "torch_descent",
    "torch_loss",
    "torch_model_data",
    "torch_optimizer",
    "torch_range_test",
    "torch_scheduler",
    "torch_training",
]
