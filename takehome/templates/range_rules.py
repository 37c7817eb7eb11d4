"""Template: LR Lab's range-test readings in plain numpy, for any recorded curve (read as text
by ``takehome.range_test``; everything below the marker line is pasted into generated code).

The same rules, constants and order of operations as ``engine/range_test.py``; the tests check
that both give the same numbers."""

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# ---- snippet ----


def unsmooth(smoothed, smooth_f):
    """torch-lr-finder's raw batch losses from its smoothed history: it stores
    s_0 = L_0 and s_i = smooth_f * L_i + (1 - smooth_f) * s_(i-1)."""
    s = np.asarray(smoothed, dtype=np.float64)
    if smooth_f == 0 or s.size < 2:
        return s.copy()
    raw = s.copy()
    raw[1:] = (s[1:] - (1.0 - smooth_f) * s[:-1]) / smooth_f
    return raw


def lrlab_smooth(loss, beta):
    """LR Lab's (fastai's) bias-corrected moving average: S_i = v_i / (1 - beta**(i + 1)) with
    v_i = beta * v_(i-1) + (1 - beta) * L_i, v_(-1) = 0; so S_0 = L_0.  NaN from the first
    non-finite value on."""
    out = np.full(len(loss), np.nan)
    v = 0.0
    with np.errstate(all="ignore"):
        for i, x in enumerate(np.asarray(loss, dtype=np.float64)):
            v = beta * v + (1.0 - beta) * float(x)
            s = float(x) if i == 0 else v / (1.0 - beta ** (i + 1))
            if not math.isfinite(s):
                break
            out[i] = s
    return out


def lrlab_cut(smooth, stop_factor):
    """How many points LR Lab keeps: up to and including the first smoothed loss above
    stop_factor times the best so far (or not finite)."""
    bad = ~np.isfinite(smooth)
    if stop_factor is not None:
        best = np.minimum.accumulate(np.where(bad, np.inf, smooth))
        with np.errstate(invalid="ignore"):
            bad |= smooth > stop_factor * best
    hits = np.flatnonzero(bad)
    return int(hits[0]) + 1 if hits.size else len(smooth)


def _rolling_median(x, w):
    h, n = w // 2, x.shape[0]
    padded = np.concatenate([np.full(h, np.nan), x, np.full(h, np.nan)])
    win = np.sort(sliding_window_view(padded, 2 * h + 1), axis=1)
    rows = np.arange(n)
    count = np.minimum(rows, h) + np.minimum(n - 1 - rows, h) + 1
    return 0.5 * (win[rows, (count - 1) // 2] + win[rows, count // 2])


def _window(smooth, num_iter):
    """fastai's window [num_iter // 10, n - 5), cut at the first non-finite value."""
    lo = num_iter // 10
    bad = np.flatnonzero(~np.isfinite(smooth))
    end = len(smooth) if bad.size == 0 else int(bad[0])
    hi = min(len(smooth) - 5, end)
    return lo, hi, hi - lo >= 5


def _descends(s):
    return s.min() < s[0] - 0.02 * abs(s[0])


def min_over_10(lrs, smooth, num_iter):
    """fastai's 'minimum': a tenth of the rate at the lowest smoothed loss."""
    lo, hi, ok = _window(smooth, num_iter)
    if not ok or not _descends(smooth[lo:hi]):
        return None
    return float(lrs[lo + int(np.argmin(smooth[lo:hi]))]) / 10.0


def valley(lrs, smooth, num_iter):
    """fastai's 'valley': about half-way down the longest decreasing stretch."""
    lo, hi, ok = _window(smooth, num_iter)
    if not ok or not _descends(smooth[lo:hi]):
        return None
    s = smooth[lo:hi]
    lds = np.ones(len(s), dtype=np.int64)
    for i in range(1, len(s)):
        higher = s[:i] > s[i]
        if higher.any():
            lds[i] = lds[:i][higher].max() + 1
    max_end = int(np.argmax(lds))
    max_start = max_end - int(lds[max_end])
    sections = (max_end - max_start) / 3
    return float(lrs[lo + max_start + int(sections) + int(sections / 2)])


def steepest(lrs, smooth, num_iter):
    """Where the smoothed loss falls fastest per unit of log10(lr): least-squares slopes over
    centred windows of 2h + 1 points, h = 5% of num_iter (at least 3)."""
    lo, hi, ok = _window(smooth, num_iter)
    if not ok:
        return None
    pos = np.flatnonzero(lrs[lo:hi] > 0)
    lo = lo + (int(pos[0]) if pos.size else hi - lo)
    h = max(3, round(0.05 * num_iter))
    if hi - lo < max(5, 2 * h + 1) or not _descends(smooth[lo:hi]):
        return None
    xs = sliding_window_view(np.log10(lrs[lo:hi]), 2 * h + 1)
    ys = sliding_window_view(smooth[lo:hi], 2 * h + 1)
    xc = xs - xs.mean(axis=1, keepdims=True)
    yc = ys - ys.mean(axis=1, keepdims=True)
    slopes = np.sum(xc * yc, axis=1) / np.sum(xc * xc, axis=1)
    j = int(np.argmin(slopes))
    return float(lrs[lo + h + j]) if slopes[j] < 0 else None


def smith(lrs, loss, stopped, start_frac=0.05, plateau_frac=0.05, rise_frac=0.10, ragged=3.0):
    """Smith's reading on a running median of the raw losses: (start, max_lr, min_lr), where
    max_lr is where the loss stops falling or turns ragged and min_lr = max_lr / 4 (up to
    max_lr / 3).  None where the curve cannot say."""
    none = (None, None, None)
    bad = np.flatnonzero(~np.isfinite(loss))
    end = len(loss) if bad.size == 0 else int(bad[0])
    if end < 10:
        return none
    w = int(np.clip(end // 10, 5, 51)) | 1
    trend = _rolling_median(loss[:end], w)
    ref = float(trend[0])
    bottom = int(np.argmin(trend))
    drop = ref - float(trend[bottom])
    h = w // 2
    sigma = 1.4826 * float(np.median(np.abs(loss[:end] - trend)))
    full = trend[h : end - h] if end - h > h else trend
    fell = float(full[0] - full.min())
    if not drop > 0.02 * abs(ref) or not fell > 6.0 * 1.2533 * sigma / np.sqrt(w):
        return none
    above = np.flatnonzero(trend[: bottom + 1] > ref - start_frac * drop)
    start = 0 if above.size == 0 else min(int(above[-1]) + 1, bottom)
    best = float(trend[bottom])
    up = bottom + np.flatnonzero(trend[bottom:] > best + rise_frac * drop)
    if not up.size and not stopped:
        return float(lrs[start]), None, None  # the loss never turned back up
    slow = start + int(np.argmax(trend[start : bottom + 1] <= best + plateau_frac * drop))
    d2 = np.zeros(end)
    d2[1:-1] = np.abs(loss[2:end] - 2.0 * loss[1 : end - 1] + loss[: end - 2])
    d2[0], d2[-1] = d2[1], d2[-2]
    rough = _rolling_median(d2, w)
    base = max(float(np.median(rough[: bottom + 1])), 0.05 * drop / ragged)
    mid = int(np.argmax(trend[: bottom + 1] <= ref - 0.5 * drop))
    lo_r = max(mid, start)
    rag = np.flatnonzero(rough[lo_r : bottom + 1] > ragged * base)
    k = lo_r + int(rag[0]) if rag.size and lo_r + int(rag[0]) < slow else slow
    max_lr = float(lrs[max(k, start)])
    return float(lrs[start]), max_lr, max_lr / 4.0


def lrlab_suggestions(lrs, loss, num_iter, beta=0.98, stop_factor=4.0):
    """Every rule of LR Lab's range-test page on one curve (rates and raw batch losses):
    {rule: learning rate or None}, computed as the page does."""
    lrs = np.asarray(lrs, dtype=np.float64)
    loss = np.asarray(loss, dtype=np.float64)
    smooth = lrlab_smooth(loss, beta)
    n = lrlab_cut(smooth, stop_factor)
    lrs, loss, smooth = lrs[:n], loss[:n], smooth[:n]
    start, max_lr, min_lr = smith(lrs, loss, stopped=n < num_iter)
    return {
        "steepest": steepest(lrs, smooth, num_iter),
        "minimum / 10": min_over_10(lrs, smooth, num_iter),
        "valley": valley(lrs, smooth, num_iter),
        "Smith: start": start,
        "Smith: max": max_lr,
        "Smith: min": min_lr,
    }
