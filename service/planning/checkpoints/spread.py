"""The second stage of checkpoint planning: spread the sites among plans with the best coverage.

Objective (lexicographic)
-------------------------
1. Covered demand, exactly as the maximal-covering stage found it: never lower.
2. Among plans with that coverage, the least demand-weighted network distance from every
   road piece to its nearest site, capped at the radius R (p-median on the capped distance):
   ``sum_j w_j * min(d_j, R)``.

Why this spread objective: once the roads within reach are covered, the remaining sites have
no coverage gain and used to land anywhere (two sites 90 m apart in the README's Oslo
example). The capped p-median moves them to where they shorten the drive from the roads they
share with other sites to a checkpoint, which is what "utspritt" means on a road network:
every stretch of road has a checkpoint close by, not only within reach. Capping at R keeps
the term a pure tie-breaker among covered pieces: an uncovered piece costs R whatever the
plan, so the second stage never trades coverage for distance, and the network distances it
needs are exactly the ones the coverage sweep already computed (no second, wider sweep). Backup
coverage (pieces reached twice) was the alternative; it rewards piling sites on dense road
grids, the opposite of spreading them.

Minimum separation
------------------
Unless the planner sets one, sites stand at least R/3 apart in a straight line (1 km at
3 km radius; for a radius in minutes, R is first turned into metres at 50 km/h). A third of
the radius still lets three sites share one long road through a town, yet no two sites guard
the same junction. ``--min-separation-km 0`` turns it off.
"""

from __future__ import annotations

import time
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

if TYPE_CHECKING:
    from service.planning.checkpoints.search import _State

#: Default minimum separation as a share of the radius (see the module docstring).
SEPARATION_SHARE = 1.0 / 3.0
#: Speed (km/h) that turns a radius in minutes into metres for the default separation.
SEPARATION_SPEED_KMH = 50.0
#: Distance-matrix entries one site's moves may scan (bounds the work on large instances).
MOVE_BUDGET = 400_000
#: Passes over all free sites at most.
MAX_PASSES = 8


def default_min_separation(radius: float, mode: str = "length") -> float:
    """The default minimum straight-line distance between sites (m) for a radius.

    Parameters
    ----------
    radius
        Metres (``mode="length"``) or seconds (``mode="time"``).
    mode
        ``length`` or ``time``.
    """
    metres = radius if mode == "length" else radius * SEPARATION_SPEED_KMH / 3.6
    return SEPARATION_SHARE * metres


def nearest_two(
    dist: sparse.csr_array, chosen: np.ndarray, cap: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per demand piece: distance to the nearest chosen site, which site, and the second nearest.

    Distances are capped at ``cap`` (pieces no chosen site reaches get ``cap`` and site -1).
    """
    n = dist.shape[1]
    d1 = np.full(n, cap)
    d2 = np.full(n, cap)
    who = np.full(n, -1, dtype=np.int64)
    sub = dist[chosen].tocoo()
    if sub.nnz == 0:
        return d1, who, d2
    col, val, site = sub.col, sub.data.astype(float), chosen[sub.row]
    order = np.lexsort((val, col))
    col, val, site = col[order], val[order], site[order]
    first = np.concatenate([[True], col[1:] != col[:-1]])
    d1[col[first]] = np.minimum(val[first], cap)
    who[col[first]] = site[first]
    second = np.flatnonzero(~first)
    second = second[first[second - 1]]  # the second entry of each piece
    d2[col[second]] = np.minimum(val[second], cap)
    return d1, who, d2


def spread_cost(dist: sparse.csr_array, w: np.ndarray, chosen: np.ndarray, cap: float) -> float:
    """The second-stage objective: ``sum_j w_j * min(distance to nearest chosen site, cap)``."""
    d1, _, _ = nearest_two(dist, np.asarray(chosen, dtype=np.int64), cap)
    return float((w * d1).sum())


def _neighbourhoods(xy: np.ndarray, dist: sparse.csr_array) -> int:
    """How many nearest candidates one site's moves consider (all on small instances)."""
    per_row = max(dist.nnz / max(dist.shape[0], 1), 1.0)
    return int(np.clip(MOVE_BUDGET / per_row, 30, len(xy)))


def improve_spread(
    state: _State,
    dist: sparse.csr_array,
    cap: float,
    xy: np.ndarray,
    rng: np.random.Generator,
    deadline: float | None = None,
) -> int:
    """Move free sites to lower the capped distance sum without losing any coverage.

    A move takes one free site out and puts one candidate in; it is made when it raises the
    covered demand, or keeps it (within the state's tolerance) and lowers the capped distance
    sum. Separation and required settlements are kept as in the coverage stage. Moves of a
    site are searched among its nearest candidates (all of them unless the instance is large,
    see ``MOVE_BUDGET``).

    Parameters
    ----------
    state
        The coverage stage's final state; changed in place.
    dist
        Candidates × pieces network distances within the radius (csr, float).
    cap
        The radius (distance units of ``dist``).
    xy
        Candidate coordinates, for the move neighbourhoods.
    rng
        Breaks ties in the order sites are visited.
    deadline
        ``time.perf_counter()`` value after which no further move is searched.

    Returns
    -------
    int
        The number of moves made.
    """
    w = state.w
    m = _neighbourhoods(xy, dist)
    eps = 1e-9 * max(float(w.sum()) * cap, 1.0)
    near = _Nearest(dist, cap, np.flatnonzero(state.chosen))
    w_all = w[dist.indices] if m >= dist.shape[0] else None
    moves = 0
    for _ in range(MAX_PASSES):
        improved = False
        order = np.flatnonzero(state.chosen & ~state.fixed)
        for s in order[rng.permutation(len(order))]:
            if deadline is not None and time.perf_counter() > deadline:
                return moves
            c = _best_move(state, near, xy, m, int(s), eps, w_all)
            if c != s:
                moves += 1
                improved = True
        if not improved:
            break
    return moves


class _Nearest:
    """Each piece's nearest chosen site and its (capped) distance, updated move by move."""

    def __init__(self, dist: sparse.csr_array, cap: float, chosen: np.ndarray) -> None:
        self.dist, self.cap = dist, cap
        self.d1, self.who, _ = nearest_two(dist, chosen, cap)
        # Pieces × chosen sites (columns in candidate order), rebuilt after each move: the
        # fallback of a site's pieces only looks at chosen sites, and this is a K-row
        # transpose rather than one of the whole matrix.
        self._sites = np.zeros(0, dtype=np.int64)
        self._sites_t = sparse.csr_array((dist.shape[1], 0))

    @cached_property
    def rows_all(self) -> np.ndarray:
        """Row (candidate) of every stored entry: the all-candidates move search's flat view."""
        return np.repeat(np.arange(self.dist.shape[0]), np.diff(self.dist.indptr))

    @cached_property
    def data_all(self) -> np.ndarray:
        """Every stored distance as float, aligned with :attr:`rows_all`."""
        return self.dist.data.astype(float)

    def _chosen_t(self, sites: np.ndarray) -> sparse.csr_array:
        """Pieces × ``sites`` distances (``sites`` sorted), cached until the sites change."""
        if not np.array_equal(sites, self._sites):
            self._sites = sites
            self._sites_t = self.dist[sites].T.tocsr()
            self._sites_t.sort_indices()
        return self._sites_t

    def row(self, c: int) -> tuple[np.ndarray, np.ndarray]:
        """Pieces candidate ``c`` reaches and their distances."""
        a, b = self.dist.indptr[c], self.dist.indptr[c + 1]
        return self.dist.indices[a:b], self.dist.data[a:b].astype(float)

    def without(self, s: int, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For the pieces nearest to ``s``: the nearest other chosen site and its distance.

        Returns the pieces, their new distance (capped) and new site (-1 if none).
        """
        pieces = self.row(s)[0]
        pieces = pieces[self.who[pieces] == s]
        d = np.full(len(pieces), self.cap)
        site = np.full(len(pieces), -1, dtype=np.int64)
        if len(pieces) == 0:
            return pieces, d, site
        # The chosen sites with ``s`` (taken out of ``chosen`` by the caller or not): the set
        # stays the same between moves, so one transpose serves every site's search.
        sites = np.flatnonzero(chosen)
        if not chosen[s]:
            sites = np.sort(np.append(sites, s))
        sub = self._chosen_t(sites)[pieces]
        rows = np.repeat(np.arange(len(pieces)), np.diff(sub.indptr))
        cand = sites[sub.indices]
        keep = cand != s
        r, c, v = rows[keep], cand[keep], sub.data[keep].astype(float)
        order = np.lexsort((v, r))
        r, c, v = r[order], c[order], v[order]
        first = np.concatenate([[True], r[1:] != r[:-1]]) if len(r) else np.zeros(0, bool)
        d[r[first]] = np.minimum(v[first], self.cap)
        site[r[first]] = c[first]
        return pieces, d, site

    def move(self, _s: int, c: int, fallback: tuple[np.ndarray, ...]) -> None:
        """Take site ``_s`` out (its pieces fall back as ``fallback`` says) and put ``c`` in.

        ``_s`` itself is not read: ``fallback`` already holds where its pieces go.
        """
        pieces, d, site = fallback
        self.d1[pieces], self.who[pieces] = d, site
        idx, dc = self.row(c)
        better = dc < self.d1[idx]
        self.d1[idx[better]] = np.minimum(dc[better], self.cap)
        self.who[idx[better]] = c


def _best_move(
    state: _State,
    near: _Nearest,
    xy: np.ndarray,
    m: int,
    s: int,
    eps: float,
    w_all: np.ndarray | None,
) -> int:
    """Replace site ``s`` by its best move (possibly itself); return the site now chosen."""
    w, dist = state.w, near.dist
    row = state._row(state.cov, s)
    loss = float(w[row[state.count[row] == 1]].sum())
    lost_reach = None
    if state.reach is not None:
        sole = state._row(state.reach, s)
        lost_reach = sole[state.reached[sole] == 1]
    state.remove(s)
    if m >= dist.shape[0]:
        pool = np.arange(dist.shape[0])
    else:
        pool = np.sort(np.argpartition(np.hypot(*(xy - xy[s]).T), m - 1)[:m])
    allowed = ~state.chosen[pool] & (state.blocked[pool] == 0)
    if state.reach is not None and lost_reach is not None and len(lost_reach):
        hits = np.asarray(state.reach[pool][:, lost_reach].sum(axis=1)).ravel()
        allowed &= hits == len(lost_reach)
    cov_delta = state.gain[pool] - loss
    allowed &= cov_delta >= -state.tol
    allowed[pool == s] = True
    full = len(pool) == dist.shape[0]
    pool, cov_delta = pool[allowed], cov_delta[allowed]
    # Distance after taking s out: its pieces fall back to their next-nearest site.
    fallback = near.without(s, state.chosen)
    pieces, d_back, _ = fallback
    d_out = near.d1.copy()
    d_out[pieces] = d_back
    removal = float((w[pieces] * (d_back - near.d1[pieces])).sum())
    if full and w_all is not None:
        gain = w_all * np.maximum(d_out[dist.indices] - near.data_all, 0.0)
        save = np.bincount(near.rows_all, weights=gain, minlength=dist.shape[0])[pool]
    else:
        sub = dist[pool]
        rows = np.repeat(np.arange(len(pool)), np.diff(sub.indptr))
        idx = sub.indices
        gain = w[idx] * np.maximum(d_out[idx] - sub.data, 0.0)
        save = np.bincount(rows, weights=gain, minlength=len(pool))
    net = save - removal  # > 0: the move shortens the capped distance sum
    better_cov = cov_delta > state.tol
    if better_cov.any():
        c = int(pool[np.flatnonzero(better_cov)[np.argmax(cov_delta[better_cov])]])
    else:
        best = int(np.argmax(net))
        c = int(pool[best]) if net[best] > eps else s
    state.add(c)
    if c != s:
        near.move(s, c, fallback)
    return c
