"""Social accounting matrices: loading, balance checks and RAS balancing.

A SAM is a square table of flows with the same accounts on rows and columns; rows *receive*,
columns *pay*.  Account ``k`` is balanced when its row total equals its column total.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from .._errors import CpjaxInputError

__all__ = ["Sam", "load_sam", "check_balance", "balance_ras", "BalanceReport"]

#: Default balance tolerance: |row - column| <= max(abs_tol, rel_tol * row total).
DEFAULT_REL_TOL = 1e-9
DEFAULT_ABS_TOL = 1e-9


@dataclasses.dataclass(frozen=True)
class Sam:
    """A social accounting matrix.

    Attributes:
        accounts: account names, in row (= column) order.
        values: ``values[i, j]`` is the payment from account ``j`` (column) to account ``i`` (row).
        source: where it came from (file path or a description), for messages.
    """

    accounts: tuple[str, ...]
    values: np.ndarray
    source: str = "<memory>"

    def __post_init__(self) -> None:
        v = np.asarray(self.values, dtype=np.float64)
        n = len(self.accounts)
        if v.shape != (n, n):
            raise CpjaxInputError(
                f"SAM {self.source}: values have shape {v.shape} but there are {n} accounts; "
                "fix: the table must be square with the same accounts on rows and columns")
        object.__setattr__(self, "values", v)

    def index(self, name: str) -> int:
        return self.accounts.index(name)

    def get(self, row: str, col: str) -> float:
        return float(self.values[self.index(row), self.index(col)])

    def to_frame(self):  # noqa: ANN201 - pandas is an optional-ish import here
        import pandas as pd

        return pd.DataFrame(self.values, index=list(self.accounts), columns=list(self.accounts))


def load_sam(path: str | os.PathLike, sheet: str | int = 0) -> Sam:
    """Read a SAM from CSV or Excel (first column and header row hold the account names).

    Arguments:
        path: ``.csv`` or ``.xlsx``/``.xls`` file; empty cells read as zero.
        sheet: Excel sheet name or index.

    Returns:
        A :class:`Sam` with rows reordered to match the column order.

    Example:
        >>> sam = load_sam("cpjax/cge/data/provincial_2022_sam.csv")  # doctest: +SKIP
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise CpjaxInputError(f"SAM file {path} not found; fix: give the path of a CSV or Excel file")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            df = pd.read_excel(path, sheet_name=sheet, index_col=0)
        else:
            df = pd.read_csv(path, index_col=0, comment="#")
    except Exception as err:  # parsing errors of many kinds
        raise CpjaxInputError(f"SAM file {path} could not be read ({err}); "
                              "fix: a CSV/Excel table with account names in the first column "
                              "and the header row") from err
    rows = [str(r).strip() for r in df.index]
    cols = [str(c).strip() for c in df.columns]
    if len(set(cols)) != len(cols) or len(set(rows)) != len(rows):
        dup = sorted({c for c in cols + rows if (cols.count(c) > 1 or rows.count(c) > 1)})
        raise CpjaxInputError(f"SAM file {path}: duplicated account names {dup}; fix: name each account once")
    if set(rows) != set(cols):
        only_r = sorted(set(rows) - set(cols))
        only_c = sorted(set(cols) - set(rows))
        raise CpjaxInputError(
            f"SAM file {path}: row and column accounts differ (only in rows: {only_r}; only in "
            f"columns: {only_c}); fix: use the same accounts on both axes")
    df.index = rows
    df.columns = cols
    df = df.loc[cols, cols]
    try:
        values = df.fillna(0.0).to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise CpjaxInputError(f"SAM file {path}: non-numeric cells ({err}); fix: numbers only") from err
    if not np.all(np.isfinite(values)):
        raise CpjaxInputError(f"SAM file {path}: infinite values; fix: finite numbers only")
    return Sam(tuple(cols), values, source=str(path))


@dataclasses.dataclass(frozen=True)
class BalanceReport:
    """Row minus column totals per account, worst first."""

    balanced: bool
    tolerance: str
    worst: tuple[tuple[str, float, float, float], ...]  # (account, row total, column total, diff)

    def message(self, n: int = 3) -> str:
        parts = [f"{a} (row {r:.6g} vs column {c:.6g}, diff {d:+.3g})" for a, r, c, d in self.worst[:n]]
        return "; ".join(parts)


def check_balance(sam: Sam, rel_tol: float = DEFAULT_REL_TOL,
                  abs_tol: float = DEFAULT_ABS_TOL) -> BalanceReport:
    """Compare row and column totals of every account.

    Tolerance: account ``k`` passes when ``|row_k - col_k| <= max(abs_tol, rel_tol * max(row_k, col_k))``.
    """
    r = sam.values.sum(axis=1)
    c = sam.values.sum(axis=0)
    d = r - c
    scale = np.maximum(np.maximum(np.abs(r), np.abs(c)), 1.0)
    bad = np.abs(d) > np.maximum(abs_tol, rel_tol * scale)
    order = np.argsort(-np.abs(d) / scale)
    worst = tuple((sam.accounts[k], float(r[k]), float(c[k]), float(d[k])) for k in order if bad[k])
    return BalanceReport(bool(not bad.any()), f"|row-col| <= max({abs_tol:g}, {rel_tol:g}*total)", worst)


def balance_ras(sam: Sam, targets: np.ndarray | None = None, max_iter: int = 10_000,
                tol: float = 1e-12) -> tuple[Sam, dict]:
    """Balance a SAM by biproportional (RAS) scaling ``x_ij = r_i a_ij s_j``.

    With ``targets`` (account totals) this is classic RAS.  Without, the totals are unknown and
    the scaling is chosen as ``r_i = d_i``, ``s_j = 1 / d_j`` so that every account's receipts
    equal its payments (matrix balancing by diagonal similarity, which exists for the strongly
    connected circular flow of a SAM and keeps the grand structure of each row and column).
    Only non-negative SAMs are supported (signs and zero cells are kept).  Returns the balanced
    SAM and a report: iterations, the largest absolute and relative cell changes and the accounts
    whose totals moved most.
    """
    a = sam.values
    if np.any(a < 0):
        raise CpjaxInputError(f"SAM {sam.source}: RAS needs non-negative cells; fix: move negative "
                              "entries to the transposed cell (a negative payment is a receipt)")
    x = a.copy()
    it, gap = 0, np.inf
    n = len(sam.accounts)
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        if targets is not None:
            rs = x.sum(axis=1)
            x = x * np.where(rs > 0, targets / np.where(rs > 0, rs, 1.0), 1.0)[:, None]
            cs = x.sum(axis=0)
            x = x * np.where(cs > 0, targets / np.where(cs > 0, cs, 1.0), 1.0)[None, :]
            gap = np.max(np.abs(x.sum(axis=1) - targets) / np.maximum(targets, 1.0))
        else:
            for k in range(n):
                r = x[k].sum() - x[k, k]
                c = x[:, k].sum() - x[k, k]
                if r > 0 and c > 0:
                    f = np.sqrt(c / r)
                    x[k] *= f
                    x[:, k] /= f
            r, c = x.sum(axis=1), x.sum(axis=0)
            gap = np.max(np.abs(r - c) / np.maximum(np.maximum(r, c), 1.0))
        if gap < tol:
            break
    else:
        raise CpjaxInputError(f"SAM {sam.source}: RAS did not converge in {max_iter} iterations "
                              f"(gap {gap:.3g}); fix: check for accounts that only receive or only "
                              "pay (every account needs entries in its row and its column)")
    change = x - a
    rel = np.abs(change) / np.maximum(np.abs(a), 1e-300)
    moved_by = x.sum(axis=1) - a.sum(axis=1)
    moved = np.argsort(-np.abs(moved_by))[:5]
    report = {
        "method": "RAS" if targets is not None else "RAS (similarity scaling, totals endogenous)",
        "iterations": it,
        "max_abs_change": float(np.abs(change).max()),
        "max_rel_change": float(rel[a != 0].max()) if np.any(a != 0) else 0.0,
        "row_total_changes": {sam.accounts[k]: float(moved_by[k]) for k in moved},
    }
    return Sam(sam.accounts, x, source=f"{sam.source} (RAS-balanced)"), report
