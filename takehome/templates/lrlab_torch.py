"""Template: LR Lab's data and seeded model in PyTorch (read as text by ``takehome.training``;
everything below the marker line is pasted into the generated code)."""

import math

import numpy as np
import torch

from engine.data import minibatch_indices
from engine.models import ModelSpec, init_params

# ---- snippet ----


def lrlab_model(spec: ModelSpec, seed: int) -> torch.nn.Sequential:
    """LR Lab's softmax regression or MLP as torch layers, in float64 (LR Lab's precision),
    starting from the same seeded weights as LR Lab's engine."""
    act = torch.nn.ReLU if spec.activation == "relu" else torch.nn.Tanh
    layers = []
    for i, (n_in, n_out) in enumerate(spec.shapes):
        if i > 0:
            layers.append(act())
        layers.append(torch.nn.Linear(n_in, n_out, dtype=torch.float64))
    model = torch.nn.Sequential(*layers)
    theta = init_params(spec, 1, seed)[0]  # LR Lab's weights: W is (n_in, n_out), torch's (out, in)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for layer, (W, b) in zip(linears, spec.unpack(theta), strict=True):
            layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
            layer.bias.copy_(torch.from_numpy(np.array(b)))
    return model


class LRLabBatches:
    """The minibatches of LR Lab's trainer (engine.train.train with this seed): the same
    examples in the same order, epoch after epoch (each pass over a DataLoader is one epoch)."""

    def __init__(self, n: int, batch_size: int | None, seed: int):
        self.n, self.batch_size = n, batch_size
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))

    def __iter__(self):
        for idx in minibatch_indices(self.n, self.batch_size, self.rng):
            yield idx.tolist()

    def __len__(self):
        return 1 if self.batch_size is None else math.ceil(self.n / self.batch_size)


def lrlab_loader(X, y, batch_size: int | None, seed: int) -> torch.utils.data.DataLoader:
    """A DataLoader over LR Lab's arrays (features float64, labels int64) in LR Lab's order."""
    dataset = torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y))  # copies
    return torch.utils.data.DataLoader(
        dataset, batch_sampler=LRLabBatches(len(X), batch_size, seed)
    )
