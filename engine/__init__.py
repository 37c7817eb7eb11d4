"""LR Lab's engine: pure numpy, no UI. Usable from a notebook.

The public surface is re-exported here; see each module for the details.
"""

from engine.optim import HD_DEFAULT_BETA, OPTIMIZERS, Optimizer, OptState, init_state, step

__all__ = [
    "HD_DEFAULT_BETA",
    "OPTIMIZERS",
    "OptState",
    "Optimizer",
    "init_state",
    "step",
]
