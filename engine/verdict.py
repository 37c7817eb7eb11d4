"""One vocabulary for what happened in a run: the verdict kinds and "did not happen".

Every classifier in the engine (gradient descent on a surface, training a model, the child's
beliefs) returns a :class:`Kind`; the pages key their icons on it.  :class:`Kind` is a
``StrEnum``, so a kind prints as its words (``"diverged"``) and compares equal to them.

Step and iteration indices that did not happen (a run that never blew up, a target that was
never reached) are :data:`NEVER` (``-1``) everywhere: in arrays and in scalar fields alike.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["NEVER", "Kind"]

#: the index of a step that did not happen (blow-up, stop, convergence, reaching a target)
NEVER = -1


class Kind(StrEnum):
    """What a run did, from best to worst; the value is the word a student reads."""

    #: settled at a minimum within the run
    CONVERGED = "converged"
    #: crossed the minimum back and forth (converging or not: see the run's numbers)
    OSCILLATING = "oscillating"
    #: moving the right way but too slowly to get there in the run
    SLOW = "too slow"
    #: training: the loss stopped falling well above where a better rate gets it
    PLATEAU = "plateaued high"
    #: came to rest in a minimum that is not the lowest one
    LOCAL_MIN = "local minimum"
    #: came to rest on a saddle point (zero gradient, not a minimum)
    SADDLE = "stuck at saddle"
    #: the loss or the parameters grew without bound (inf / NaN, or past the blow-up limit)
    DIVERGED = "diverged"
    #: ran off to infinity while the loss kept falling: the surface has no bottom there
    UNBOUNDED = "unbounded"
    #: the child: a learning rate that barely moves the belief (the new example is an outlier)
    TOO_LOW = "too low"
    #: the child: a learning rate that lets one example change the belief a little
    GOOD = "good"
    #: the child: a learning rate that chases the last example ("all dogs are white")
    TOO_HIGH = "too high"
    #: held back until the learner has predicted it
    PENDING = "not shown yet"
    #: nothing to judge yet (no example seen)
    NOTHING = "nothing yet"
