"""Template: hypergradient descent as a ``torch.optim.Optimizer`` (read as text by
``takehome.optim``; everything below the marker line is pasted into the generated code)."""

import math

import torch

# ---- snippet ----


class HDOptimizer(torch.optim.Optimizer):
    """Hypergradient descent (Baydin et al., ICLR 2018), exactly as LR Lab's engine runs it.

    Every update is p <- p - lr * d, with d the base optimiser's direction: g ("sgd"), the
    momentum buffer v = mu * v + g ("momentum"), g + mu * v ("nesterov", SGDN-HD) or
    m_hat / (sqrt(v_hat) + eps) ("adam").  Before each update the rate itself takes a step
    along its hypergradient, using the direction d_prev of the previous update:

        additive:        lr <- lr + hyper_lr * <g, d_prev>
        multiplicative:  lr <- lr * (1 + hyper_lr * cos(g, d_prev))

    d_prev = 0 at the start, so the rate does not move on the first update.  The rate is one
    number for all parameters (one parameter group); it costs one stored copy of d.

    Adam's eps is added to sqrt(v_hat) AFTER bias correction (Kingma & Ba, as LR Lab).  The
    authors' AdamHD adds it to sqrt(v) before the correction, i.e. uses eps / sqrt(1 - b2**t)
    here: about 1e-6 relative apart.
    """

    def __init__(
        self,
        params,
        lr,
        hyper_lr,
        *,
        base="sgd",
        rule="additive",
        momentum=0.9,
        betas=(0.9, 0.999),
        eps=1e-8,
    ):
        if base not in ("sgd", "momentum", "nesterov", "adam"):
            raise ValueError(f"unknown base optimiser {base!r}")
        if rule not in ("additive", "multiplicative"):
            raise ValueError("rule must be 'additive' or 'multiplicative'")
        defaults = dict(lr=lr, hyper_lr=hyper_lr, momentum=momentum, betas=betas, eps=eps)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("HDOptimizer adapts one rate: give it one parameter group")
        self.base, self.rule, self.t = base, rule, 0

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        group = self.param_groups[0]
        params = [p for p in group["params"] if p.grad is not None]
        if self.t > 0:  # the hypergradient step on the rate, before the update
            dot = sum(torch.sum(p.grad * self.state[p]["d"]).item() for p in params)
            if self.rule == "additive":
                group["lr"] = group["lr"] + group["hyper_lr"] * dot
            else:
                gg = sum(torch.sum(p.grad * p.grad).item() for p in params)
                dd = sum(torch.sum(self.state[p]["d"] ** 2).item() for p in params)
                norm = math.sqrt(gg * dd)
                cos = dot / norm if norm > 0 else 0.0
                group["lr"] = group["lr"] * (1.0 + group["hyper_lr"] * cos)
        self.t += 1
        lr, mu = group["lr"], group["momentum"]
        b1, b2 = group["betas"]
        for p in params:
            g, state = p.grad, self.state[p]
            if self.base == "sgd":
                d = g
            elif self.base in ("momentum", "nesterov"):
                buf = state.setdefault("buf", torch.zeros_like(p))
                buf.mul_(mu).add_(g)
                d = buf if self.base == "momentum" else torch.mul(buf, mu).add_(g)
            else:
                m = state.setdefault("m", torch.zeros_like(p))
                v = state.setdefault("v", torch.zeros_like(p))
                m.mul_(b1).add_((1.0 - b1) * g)
                v.mul_(b2).add_((1.0 - b2) * (g * g))
                c1, c2 = 1.0 - b1**self.t, 1.0 - b2**self.t
                d = (m / c1) / torch.sqrt(v / c2).add_(group["eps"])
            state["d"] = d.clone()  # d_prev of the next step: the one extra copy
            p.sub_(lr * d)
        return loss
