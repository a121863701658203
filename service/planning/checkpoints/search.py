"""The heuristic's search state: chosen sites, cover counts and exact marginal gains."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from scipy.sparse import _sparsetools

from geodata.errors import InfeasibleError

if TYPE_CHECKING:
    from service.planning.checkpoints.model import MaximalCovering


class _State:
    """Mutable search state of the heuristic: chosen sites, cover counts and exact gains.

    ``gain[c]`` is always the weight candidate ``c`` would add now; adding or removing a
    site updates it with one sparse product over the pieces whose cover count crosses 0/1.
    """

    def __init__(self, model: MaximalCovering, w: np.ndarray, reach: sparse.csr_array | None):
        p = model.problem
        self.model, self.w, self.reach, self.k = model, w, reach, model.k
        self.cov, self.cov_t, self.fixed = model.cov, model.cov_t, p.fixed
        n = p.n_candidates
        self.count = np.zeros(self.cov.shape[1], dtype=np.int32)
        self.chosen = np.zeros(n, dtype=bool)
        self.blocked = np.zeros(n, dtype=np.int32)  # chosen sites within the separation
        self.nb = p.neighbours.astype(np.int32).tocsr() if p.neighbours is not None else None
        self.reached = np.zeros(0 if reach is None else reach.shape[1], dtype=np.int32)
        self.gain = np.asarray(self.cov @ w, dtype=float)
        # Pieces × candidates holding each piece's weight: a slice of its rows gives the gain
        # of the pieces in that slice per candidate with one bincount (no transposed product;
        # the sums run in the same order, so the gains are the same to the bit).
        cov_t = self.cov_t
        piece = np.repeat(np.arange(cov_t.shape[0]), np.diff(cov_t.indptr))
        self.cov_tw = sparse.csr_array((w[piece], cov_t.indices, cov_t.indptr), cov_t.shape)
        self.tol = 1e-9 * max(float(w.sum()), 1.0)

    def _piece_gains(self, pieces: np.ndarray) -> np.ndarray:
        """Per candidate: the weight of ``pieces`` it covers (``cov_t[pieces].T @ w[pieces]``).

        The rows are gathered with scipy's own row-indexing kernel (what ``cov_tw[pieces]``
        runs, without building a matrix): a third of the heuristic's time on Porto.
        """
        mat = self.cov_tw
        ip = mat.indptr
        pieces = pieces.astype(ip.dtype, copy=False)
        n = int((ip[pieces + 1] - ip[pieces]).sum())
        cols, vals = np.empty(n, dtype=mat.indices.dtype), np.empty(n)
        _sparsetools.csr_row_index(len(pieces), pieces, ip, mat.indices, mat.data, cols, vals)
        return np.bincount(cols, weights=vals, minlength=mat.shape[1])

    def _row(self, mat: sparse.csr_array, c: int) -> np.ndarray:
        return mat.indices[mat.indptr[c] : mat.indptr[c + 1]]

    def add(self, c: int) -> None:
        row = self._row(self.cov, c)
        new = row[self.count[row] == 0]
        self.count[row] += 1
        if len(new):
            self.gain -= self._piece_gains(new)
        self.chosen[c] = True
        if self.nb is not None:
            self.blocked[self._row(self.nb, c)] += 1
        if self.reach is not None:
            self.reached[self._row(self.reach, c)] += 1

    def remove(self, c: int) -> None:
        row = self._row(self.cov, c)
        self.count[row] -= 1
        lost = row[self.count[row] == 0]
        if len(lost):
            self.gain += self._piece_gains(lost)
        self.chosen[c] = False
        if self.nb is not None:
            self.blocked[self._row(self.nb, c)] -= 1
        if self.reach is not None:
            self.reached[self._row(self.reach, c)] -= 1

    def value(self) -> float:
        return float(self.w[self.count > 0].sum())

    def snapshot(self) -> tuple[np.ndarray, ...]:
        return tuple(
            a.copy() for a in (self.count, self.chosen, self.blocked, self.reached, self.gain)
        )

    def restore(self, snap: tuple[np.ndarray, ...]) -> None:
        self.count, self.chosen, self.blocked, self.reached, self.gain = (a.copy() for a in snap)

    def _pick(self, score: np.ndarray, allowed: np.ndarray, rng: np.random.Generator) -> int:
        best = score[allowed].max()
        ties = np.flatnonzero(allowed & (score >= best))
        return int(ties[rng.integers(len(ties))]) if len(ties) > 1 else int(ties[0])

    def fill(self, rng: np.random.Generator, forbid: np.ndarray | None = None) -> None:
        """Add sites until there are ``k``: required settlements first, then by gain."""
        banned = np.zeros(len(self.chosen), dtype=bool)
        if forbid is not None:
            banned[forbid] = True
        if self.reach is not None:
            while self.chosen.sum() < self.k and (self.reached == 0).any():
                need = self.reach @ (self.reached == 0).astype(float)
                allowed = ~self.chosen & (self.blocked == 0) & (need > 0) & ~banned
                if not allowed.any():
                    break
                top = need[allowed].max()
                self.add(self._pick(self.gain, allowed & (need >= top), rng))
        while self.chosen.sum() < self.k:
            allowed = ~self.chosen & (self.blocked == 0)
            if (allowed & ~banned).any():
                allowed &= ~banned
            if not allowed.any():
                raise InfeasibleError(
                    f"Bara {int(self.chosen.sum())} av {self.k} kontroller får plats med det "
                    "minsta avståndet mellan platser. Minska avståndet eller antalet kontroller.",
                    field="min_separation_km",
                )
            self.add(self._pick(self.gain, allowed, rng))

    def swap(self, rng: np.random.Generator, start: float, time_limit: float | None) -> None:
        """1-swap local search: move each free site to the best candidate while that helps.

        Swapping ``s`` out and ``c`` in is worth ``gain[c] - loss[s] + both[c]``, where
        ``both[c]`` is the weight only ``s`` covers that ``c`` also covers: one sparse product
        over ``s``'s uniquely covered pieces, so a pass costs about one pass over the matrix.
        """
        cov, w = self.cov, self.w
        improved = True
        while improved:
            improved = False
            order = np.flatnonzero(self.chosen & ~self.fixed)
            for s in order[rng.permutation(len(order))]:
                if time_limit is not None and time.perf_counter() - start > time_limit:
                    return
                row = self._row(cov, int(s))
                uniq = row[self.count[row] == 1]
                loss = float(w[uniq].sum())
                both = self._piece_gains(uniq) if len(uniq) else 0.0
                delta = self.gain + both - loss
                allowed = ~self.chosen
                if self.nb is not None:
                    own = np.zeros(len(allowed), dtype=np.int32)
                    own[self._row(self.nb, int(s))] = 1
                    allowed &= (self.blocked - own) == 0
                if self.reach is not None:
                    sole = self._row(self.reach, int(s))
                    sole = sole[self.reached[sole] == 1]
                    if len(sole):
                        hits = np.asarray(self.reach[:, sole].sum(axis=1)).ravel()
                        allowed &= hits == len(sole)
                if not allowed.any():
                    continue
                c = int(np.flatnonzero(allowed)[np.argmax(delta[allowed])])
                if delta[c] <= self.tol:
                    continue
                self.remove(int(s))
                self.add(c)
                improved = True
