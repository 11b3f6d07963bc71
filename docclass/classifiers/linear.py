"""The linear models the offline classifiers fit: a linear SVM (examples), a least-squares
classifier (the lexicon's batch pass) and a logistic regression (co-training).

They minimise the same objectives as scikit-learn's ``LinearSVC`` (squared hinge, one
against the rest, liblinear's class weighting, the intercept a regularised constant feature),
``Ridge`` on ±1 targets (the same constant feature, balanced sample weights; one Cholesky
factorisation for all classes) and ``LogisticRegression`` (multinomial, intercept not
regularised), the first and last with scipy's L-BFGS-B: the SVM in liblinear's dual form, the
regression as scikit-learn's lbfgs solver does. The objectives are strictly convex, so the
optimum is one and the answers agree with scikit-learn's to its tolerance
(tests/unit/classifiers/test_linear.py compares them).

Why not scikit-learn itself: importing it costs about a second of CPU in every process that
fits (it imports scipy.stats and pandas); the readers' server, which imported it for the batch
pass, took 1.85-2.2 s of CPU to start and now 1.2-1.3 s (``classify`` on the benchmark's mixed
set). scipy.optimize costs 0.2 s. Deterministic: no randomness, and the same inputs give the
same floating-point steps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

# scikit-learn's defaults for these estimators.
SVM_TOL = 1e-4
LOGISTIC_TOL = 1e-4
MAX_ITER = 1000
# Up to this many rows (and fewer rows than features) the logistic regression is solved in
# the rows' span: its eigendecomposition costs rows³ (0.16 s at 1,000 rows on one core).
SPAN_ROWS_MAX = 1000


@dataclass(frozen=True)
class LinearModel:
    """Fitted weights: one row of ``coef`` and one ``intercept`` per class in ``classes``."""

    classes: np.ndarray
    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray  # (classes,)

    def decision_function(self, x: sparse.spmatrix | np.ndarray) -> np.ndarray:
        """One score per row and class (also for two classes, unlike scikit-learn)."""
        return np.asarray(x @ self.coef.T) + self.intercept

    def predict_proba(self, x: sparse.spmatrix | np.ndarray) -> np.ndarray:
        """The logistic regression's class probabilities."""
        return _softmax(self.decision_function(x))


def balanced_weights(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """scikit-learn's ``class_weight="balanced"``: n / (classes × members), per class."""
    counts = np.array([np.count_nonzero(y == c) for c in classes], dtype=float)
    return len(y) / (len(classes) * counts)


def _lbfgs(
    fun: object,
    size: int,
    *,
    tol: float,
    max_iter: int,
    bounds: bool = False,
    callback: Callable[..., None] | None = None,
) -> np.ndarray:
    """scipy's L-BFGS-B from zero, with scikit-learn's options; ``bounds``: every x ≥ 0;
    ``callback``: called after each step, it may end the search (StopIteration)."""
    from scipy.optimize import Bounds, minimize  # 0.2 s: imported where a model is fitted

    eps = 64 * np.finfo(float).eps
    options = {"maxiter": max_iter, "maxls": 50, "gtol": tol, "ftol": eps}
    # As arrays: a list of (low, high) pairs is converted pair by pair (a tenth of a fit).
    limits = Bounds(np.zeros(size), np.full(size, np.inf)) if bounds else None
    return minimize(
        fun,
        np.zeros(size),
        method="L-BFGS-B",
        jac=True,
        bounds=limits,
        options=options,
        callback=callback,
    ).x


def fit_svm(
    x: sparse.spmatrix,
    y: Sequence[object] | np.ndarray,
    *,
    c: float,
    balanced: bool = False,
    tol: float = SVM_TOL,
    max_iter: int = MAX_ITER,
) -> LinearModel:
    """L2-regularised squared-hinge SVM, one class against the rest (two classes: one model).

    Per class k: minimise ½‖[w, b]‖² + Σᵢ Cᵢ · max(0, 1 − tᵢ(w·xᵢ + b))², tᵢ = ±1. As in
    liblinear, a class weight scales C for that class's own documents only (the rest keep
    C), and with two classes one model separates classes[1] (positive) from classes[0].
    Memory: the n × n Gram matrix of the dual (8 n² bytes); callers bound n (a batch pass
    has at most 2,000 documents, a taxonomy at most 1,000 examples).
    """
    y = np.asarray(y)
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError("a linear SVM needs at least two classes")
    x = sparse.csr_matrix(x, dtype=float)
    weights = balanced_weights(y, classes) if balanced else np.ones(len(classes))
    index = np.searchsorted(classes, y)
    if len(classes) == 2:
        targets = np.where(index == 1, 1.0, -1.0)[:, None]
        cost = (c * weights[index])[:, None]
    else:
        own = np.arange(len(classes))[None, :] == index[:, None]
        targets = np.where(own, 1.0, -1.0)
        cost = np.where(own, c * weights[None, :], c)
    # Solved in the dual (liblinear's own formulation), n variables per class instead of d:
    # minimise ½ aᵀ(Q + D)a − Σa over a ≥ 0, Q = (t tᵀ) ∘ (X Xᵀ + 1), D = diag(1 / 2Cᵢ);
    # then w = Xᵀ(t ∘ a) and b = Σ t ∘ a. Text batches have far fewer documents than words.
    # One class at a time: solved jointly, L-BFGS took three to five times the steps.
    gram = _gram(x) + 1.0
    ta = np.zeros(targets.shape)
    for k in range(targets.shape[1]):
        t, ridge = targets[:, k], 1.0 / (2.0 * cost[:, k])

        def objective(a: np.ndarray, t: np.ndarray = t, ridge: np.ndarray = ridge) -> tuple:
            grad = t * (gram @ (t * a)) + ridge * a - 1.0
            return 0.5 * float(a @ (grad + 1.0)) - float(a.sum()), grad

        ta[:, k] = t * _lbfgs(objective, len(t), tol=tol, max_iter=max_iter, bounds=True)
    coef, intercept = np.asarray(x.T @ ta).T, ta.sum(axis=0)
    if len(classes) == 2:  # both rows, so that decision_function has a column per class
        coef, intercept = np.vstack([-coef[0], coef[0]]), np.array([-intercept[0], intercept[0]])
    return LinearModel(classes, np.ascontiguousarray(coef), np.asarray(intercept))


def fit_least_squares(
    x: sparse.spmatrix,
    y: Sequence[object] | np.ndarray,
    *,
    c: float,
    balanced: bool = False,
) -> LinearModel:
    """Regularised least-squares classifier, one class against the rest: the SVM's squared
    loss on every row instead of on rows inside the margin.

    Per class k: minimise ½‖[w, b]‖² + Σᵢ Cᵢ (tᵢ − w·xᵢ − b)², tᵢ = ±1, Cᵢ = C times the
    class weight of row i's own class (scikit-learn's ``sample_weight`` form of "balanced",
    where the SVM weighs only each model's own positives). Then the weights do not depend on
    k, and every class's model comes from one system: [w, b] = [X, 1]ᵀβ with
    (X Xᵀ + 1 + diag(1 / 2Cᵢ)) β = T, one Cholesky factorisation for all classes where the
    SVM solves one bound-constrained problem per class. Two classes: one model, as fit_svm.
    """
    from scipy.linalg import cho_factor, cho_solve  # with scipy.optimize, where models fit

    y = np.asarray(y)
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError("a least-squares classifier needs at least two classes")
    x = sparse.csr_matrix(x, dtype=float)
    index = np.searchsorted(classes, y)
    weights = balanced_weights(y, classes) if balanced else np.ones(len(classes))
    if len(classes) == 2:
        targets = np.where(index == 1, 1.0, -1.0)[:, None]
    else:
        targets = np.where(np.arange(len(classes))[None, :] == index[:, None], 1.0, -1.0)
    system = _gram(x) + 1.0
    system[np.diag_indices_from(system)] += 1.0 / (2.0 * c * weights[index])
    beta = cho_solve(cho_factor(system, lower=True), targets)
    coef, intercept = np.asarray(x.T @ beta).T, beta.sum(axis=0)
    if len(classes) == 2:  # both rows, so that decision_function has a column per class
        coef, intercept = np.vstack([-coef[0], coef[0]]), np.array([-intercept[0], intercept[0]])
    return LinearModel(classes, np.ascontiguousarray(coef), np.asarray(intercept))


def fit_logistic(
    x: sparse.spmatrix | np.ndarray,
    y: Sequence[object] | np.ndarray,
    *,
    c: float,
    balanced: bool = False,
    tol: float = LOGISTIC_TOL,
    max_iter: int = MAX_ITER,
) -> LinearModel:
    """Multinomial logistic regression, as scikit-learn's lbfgs solver states it.

    Minimise Σᵢ sᵢ · cross-entropyᵢ / Σs + ‖W‖² / (2 C Σs), sᵢ the class weight of
    document i's class; intercepts are not regularised.

    With fewer rows than features (a batch's TF-IDF: hundreds of documents, tens of thousands
    of terms) it is solved in the span of the rows (:func:`_row_basis`), which holds every
    L-BFGS iterate: the same steps on a few hundred coordinates per class instead of every
    term's, and the same stopping rule.
    """
    y = np.asarray(y)
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError("a logistic regression needs at least two classes")
    x = sparse.csr_matrix(x, dtype=float)
    n, d = x.shape
    k = len(classes)
    index = np.searchsorted(classes, y)
    sample = (balanced_weights(y, classes) if balanced else np.ones(k))[index]
    onehot = np.zeros((n, k))
    onehot[np.arange(n), index] = 1.0
    loss = _Logistic(sample, onehot, 1.0 / (c * float(sample.sum())))
    if n >= d or n > SPAN_ROWS_MAX:
        w = _lbfgs(loss.objective(x), (d + 1) * k, tol=tol, max_iter=max_iter).reshape(d + 1, k)
        return LinearModel(classes, np.ascontiguousarray(w[:d].T), w[d].copy())
    # W = Q V, Q = xᵀ B orthonormal: the rows' features are x Q = (x xᵀ) B = U √s, and the
    # gradient in W is Q times the gradient in V (the iterates never leave the span).
    basis, features = _row_basis(x)
    r = basis.shape[1]
    plain = loss.objective(features)
    last: list[np.ndarray] = [np.empty(0), np.empty(0)]  # the point L-BFGS-B evaluated last

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = plain(flat)
        last[:] = [flat.copy(), grad]
        return value, grad

    def w_gradient_small(intermediate_result: object) -> None:
        """L-BFGS-B's own test, max |gradient| ≤ tol, on the gradient in W's coordinates
        (the intercepts' part first: while it is over, the rest need not be mapped back)."""
        v = np.asarray(intermediate_result.x)  # type: ignore[attr-defined]
        g = (last[1] if np.array_equal(v, last[0]) else plain(v)[1]).reshape(r + 1, k)
        if np.abs(g[r]).max() > tol:
            return
        if np.abs(x.T @ (basis @ g[:r])).max() <= tol:
            raise StopIteration

    v = _lbfgs(
        objective, (r + 1) * k, tol=0.0, max_iter=max_iter, callback=w_gradient_small
    ).reshape(r + 1, k)
    coef = np.asarray(x.T @ (basis @ v[:r])).T
    return LinearModel(classes, np.ascontiguousarray(coef), v[r].copy())


@dataclass(frozen=True)
class _Logistic:
    """The regression's objective for any features (sparse rows, or the rows' span)."""

    sample: np.ndarray  # each row's class weight
    onehot: np.ndarray
    reg: float

    def objective(self, x: sparse.spmatrix | np.ndarray) -> Callable[[np.ndarray], tuple]:
        d, k = x.shape[1], self.onehot.shape[1]
        total = float(self.sample.sum())
        xt = x.T.tocsr() if sparse.issparse(x) else np.ascontiguousarray(x.T)
        sample, onehot, reg = self.sample[:, None], self.onehot, self.reg

        def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
            w = flat.reshape(d + 1, k)
            scores = x @ w[:d] + w[d]
            scores -= scores.max(axis=1, keepdims=True)
            log_norm = np.log(np.exp(scores).sum(axis=1, keepdims=True))
            log_p = scores - log_norm
            loss = -float((sample * onehot * log_p).sum()) / total
            loss += 0.5 * reg * float((w[:d] * w[:d]).sum())
            g = sample * (np.exp(log_p) - onehot) / total
            grad = np.empty_like(w)
            grad[:d] = xt @ g + reg * w[:d]
            grad[d] = g.sum(axis=0)
            return loss, grad.ravel()

        return objective


def _row_basis(x: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """``B`` with ``xᵀ B`` an orthonormal basis of the rows' span, and the rows in it.

    From the rows' Gram matrix x xᵀ = U diag(s) Uᵀ: B = U s^-½ over the eigenvalues above
    rounding (rows that repeat or combine others add no direction), and x xᵀ B = U s^½.
    """
    gram = _gram(x)
    s, u = np.linalg.eigh(gram)
    keep = s > max(float(s.max()), 1.0) * 1e-10
    s, u = s[keep], u[:, keep]
    return u / np.sqrt(s), u * np.sqrt(s)


def _gram(x: sparse.csr_matrix) -> np.ndarray:
    """x xᵀ, dense; columns that most rows use (an embedding block) by a dense product: the
    sparse one took 40 ms per 300 rows on 384 of them, a tenth of the whole fit."""
    crowded = np.bincount(x.indices, minlength=x.shape[1]) > x.shape[0] // 2
    if not crowded.any():
        return np.asarray((x @ x.T).todense())
    rare = x[:, np.flatnonzero(~crowded)]
    dense = x[:, np.flatnonzero(crowded)].toarray()
    return np.asarray((rare @ rare.T).todense()) + dense @ dense.T


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)
