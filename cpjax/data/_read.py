"""Read a table (DataFrame, CSV or Excel), find and parse its dates, check its values.

Wide form: one date column plus numeric columns (one series with its exogenous inputs).
Long form: ``unique_id, ds, y`` plus exogenous columns (the Nixtla convention), several series.
Either way the date column comes back as ``ds`` (``datetime64``) and rows are sorted by date.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from cpjax._errors import CpjaxInputError, unknown_name_message

from ._dates import parse_dates

__all__ = ["DATE_COLUMN_NAMES", "read_table", "to_long", "to_wide"]

#: Column names recognised as the date column (compared case-insensitively), in order.
DATE_COLUMN_NAMES = ("ds", "date", "trade_date", "trading_date", "datetime", "timestamp",
                     "time", "day", "month", "period", "日期", "交易日期")

_EXCEL = (".xlsx", ".xls", ".xlsm")
_TEXT = (".csv", ".txt", ".tsv")


def _row_ref(i: int, is_csv: bool) -> str:
    """Human reference to data row ``i`` (0-based): the file line for CSV input."""
    return f"row {i} (line {i + 2} of the file)" if is_csv else f"row {i}"


def _load(source, sheet) -> tuple[pd.DataFrame, str, bool]:
    if isinstance(source, pd.DataFrame):
        return source.copy(), str(source.attrs.get("source", "the DataFrame")), False
    if not isinstance(source, str | os.PathLike):
        raise CpjaxInputError(
            f"cannot read a table from a {type(source).__name__}; "
            "fix: pass a pandas DataFrame or the path of a .csv/.xlsx/.xls file")
    path = Path(source)
    if not path.exists():
        raise CpjaxInputError(
            f"data file not found: {path} (working directory {Path.cwd()}); "
            "fix: check the path or pass an absolute path")
    if path.is_dir():
        raise CpjaxInputError(f"{path} is a folder, not a data file; fix: pass a .csv/.xlsx file")
    suffix = path.suffix.lower()
    try:
        if suffix in _EXCEL:
            df = pd.read_excel(path, sheet_name=0 if sheet is None else sheet)
        elif suffix in _TEXT:
            df = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",",
                             skipinitialspace=True)
        else:
            raise CpjaxInputError(
                f"unreadable format {suffix or '(no extension)'!r} for {path}; "
                "fix: save the table as .csv, .xlsx or .xls")
    except CpjaxInputError:
        raise
    except Exception as exc:  # parser errors, bad zip files, wrong sheet names, encodings
        raise CpjaxInputError(
            f"cannot read {path} as {suffix[1:].upper()}: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}; "
            "fix: check that the file is a valid, UTF-8 encoded table with a header row") from None
    if suffix in _TEXT:
        _check_delimiter(df, path, "\t" if suffix == ".tsv" else ",")
        df.attrs["raw_columns"] = _raw_header(path, "\t" if suffix == ".tsv" else ",")
    return df, str(path), suffix in _TEXT


def _check_delimiter(df: pd.DataFrame, path: Path, sep: str) -> None:
    """A single column whose name holds another delimiter: say so instead of 'no date column'."""
    if df.shape[1] != 1:
        return
    name = str(df.columns[0])
    for other, word in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
        if other != sep and other in name:
            raise CpjaxInputError(
                f"{path} looks separated by {word}, not {'commas' if sep == ',' else 'tabs'} "
                f"(its header is {name!r}); fix: save it as comma-separated CSV (in Excel: 'CSV "
                "UTF-8 (comma delimited)'); decimal commas must become points too")


def _raw_header(path: Path, sep: str) -> list[str] | None:
    """The header cells as written (pandas renames repeated names to ``name.1``)."""
    import csv

    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return next(csv.reader(fh, delimiter=sep, skipinitialspace=True), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _check_names(df: pd.DataFrame, where: str) -> list[str]:
    """Column names stripped of surrounding spaces; two columns with one name are an error."""
    raw = df.attrs.pop("raw_columns", None)
    names = [str(c) for c in (raw if raw and len(raw) == df.shape[1] else df.columns)]
    seen: dict[str, str] = {}
    for name in names:
        key = name.strip()
        if key in seen:
            spelled = (f" (written {seen[key]!r} and {name!r}; surrounding spaces are ignored)"
                       if seen[key] != name else "")
            raise CpjaxInputError(f"{where} has two columns named {key!r}{spelled}; fix: rename "
                                  "or delete one of them")
        seen[key] = name
    return list(seen)


def _find_date_column(df: pd.DataFrame, date_col: str | None, where: str) -> str:
    cols = [str(c) for c in df.columns]
    if date_col is not None:
        if date_col not in cols:
            raise CpjaxInputError(unknown_name_message("date column", date_col, cols, where)
                                  + " Fix: pass date_col= with one of these names.")
        return date_col
    lower = {c.lower(): c for c in cols}
    for name in DATE_COLUMN_NAMES:
        if name.lower() in lower:
            return lower[name.lower()]
    for c in cols:  # a column already holding datetimes
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            return c
    raise CpjaxInputError(
        f"no date column found in {where} (columns: {', '.join(cols)}); "
        f"fix: name the date column one of {', '.join(DATE_COLUMN_NAMES[:4])} or pass date_col=")


def _to_numeric(df: pd.DataFrame, skip: set[str], where: str, is_csv: bool) -> pd.DataFrame:
    for c in df.columns:
        if c in skip:
            continue
        s = df[c]
        if pd.api.types.is_bool_dtype(s):
            df[c] = s.astype(np.float64)
            continue
        if pd.api.types.is_numeric_dtype(s):
            df[c] = s.astype(np.float64)  # one dtype for every value column
            continue
        text = s.astype("string").str.strip().replace("", pd.NA)
        num = pd.to_numeric(text, errors="coerce")
        bad = num.isna() & text.notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise CpjaxInputError(
                f"non-numeric value {s.iloc[i]!r} in column {c!r} of {where} at "
                f"{_row_ref(i, is_csv)} ({int(bad.sum())} such value(s)); fix: correct or "
                "blank those cells, or drop the column before passing the table")
        df[c] = num.astype(np.float64)
    return df


def read_table(source, *, date_col: str | None = None, sheet: str | int | None = None,
               drop_columns: tuple[str, ...] = (), date_format: str | None = None
               ) -> pd.DataFrame:
    """Read a wide or long table and return it sorted by date with the date column named ``ds``.

    Arguments:
        source: a ``pandas.DataFrame`` or the path of a ``.csv``/``.tsv``/``.xlsx``/``.xls`` file.
        date_col: name of the date column; detected from :data:`DATE_COLUMN_NAMES` (or the first
            datetime column) when omitted.
        sheet: Excel sheet name or index (first sheet by default).
        drop_columns: columns to discard before checking (e.g. free-text notes).
        date_format: ``strftime`` format of the dates (e.g. ``"%d.%m.%Y"``). By default the
            format is detected over the whole column (every row is read the same way); a column
            that fits both day-first and month-first is refused and needs this argument.

    Returns:
        A new DataFrame: ``ds`` (``datetime64[ns]``) first, all other columns ``float64`` except
        ``unique_id`` in long form; sorted by ``ds`` (by ``unique_id, ds`` in long form);
        ``attrs["source"]`` names where it came from and ``attrs["date_format"]`` the date
        format used.

    Raises:
        CpjaxInputError: missing file, unreadable format, no date column, unparsable,
        ambiguous (day/month), mixed-format, mixed-time-zone, out-of-range or duplicate dates,
        column names that collide, non-numeric values in a numeric column, or an all-NaN
        column. The message names the file, the column, an example value with its row, and
        the fix.

    Example:
        >>> df = read_table("prices.csv")               # doctest: +SKIP
        >>> df = read_table(frame, date_col="trade_dt")  # doctest: +SKIP
    """
    df, where, is_csv = _load(source, sheet)
    if drop_columns:
        df = df.drop(columns=[c for c in drop_columns if c in df.columns])
    if df.shape[0] == 0:
        raise CpjaxInputError(f"{where} has no data rows; fix: pass a table with a header and rows")
    if isinstance(df.index, pd.DatetimeIndex) and date_col is None and not any(
            str(c).lower() in DATE_COLUMN_NAMES for c in df.columns):
        df = df.rename_axis("ds").reset_index()
    df.columns = _check_names(df, where)
    df = df.reset_index(drop=True)
    col = _find_date_column(df, date_col, where)
    df[col], fmt = parse_dates(df[col], col, where, lambda i: _row_ref(i, is_csv), date_format)
    if col != "ds":
        if "ds" in df.columns:
            raise CpjaxInputError(f"{where} has both 'ds' and date column {col!r}; "
                                  "fix: drop one of them or pass date_col='ds'")
        df = df.rename(columns={col: "ds"})
    long = "unique_id" in df.columns
    keys = ["unique_id", "ds"] if long else ["ds"]
    dup = df.duplicated(subset=keys, keep=False)
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        what = (f"series {df['unique_id'].iloc[i]!r} date" if long else "date")
        raise CpjaxInputError(
            f"duplicate {what} {df['ds'].iloc[i].date()} in {where} at {_row_ref(i, is_csv)} "
            f"({int(df.duplicated(subset=keys).sum())} duplicate row(s)); "
            "fix: keep one row per date (e.g. average or drop duplicates before loading)")
    df = _to_numeric(df, set(keys), where, is_csv)
    for c in df.columns:
        if c not in keys and df[c].isna().all():
            raise CpjaxInputError(f"column {c!r} of {where} is entirely empty (all NaN); "
                                  "fix: drop the column or fill it with data")
    order = keys + [c for c in df.columns if c not in keys]
    df = df[order].sort_values(keys, kind="stable").reset_index(drop=True)
    df.attrs["source"] = where
    df.attrs["date_format"] = fmt or df.attrs.get("date_format")
    return df


def to_wide(df_long: pd.DataFrame, unique_id=None, *, target: str | None = None) -> pd.DataFrame:
    """Extract one series of a long table as a wide table ``ds, y, <exogenous>``.

    Arguments:
        df_long: long table with ``unique_id, ds, y`` (plus exogenous columns).
        unique_id: which series; may be omitted when the table holds exactly one.
        target: rename ``y`` to this name (e.g. ``"close"``).

    Returns:
        Wide DataFrame sorted by ``ds`` without the ``unique_id`` column.

    Example:
        >>> wide = to_wide(panel, "market_0", target="close")  # doctest: +SKIP
    """
    for c in ("unique_id", "ds", "y"):
        if c not in df_long.columns:
            raise CpjaxInputError(unknown_name_message("column", c, map(str, df_long.columns),
                                                       "the long table")
                                  + " Fix: long tables need unique_id, ds and y.")
    ids = list(pd.unique(df_long["unique_id"]))
    if unique_id is None:
        if len(ids) != 1:
            raise CpjaxInputError(f"the long table holds {len(ids)} series; "
                                  "fix: pass unique_id= to pick one")
        unique_id = ids[0]
    if unique_id not in ids:
        raise CpjaxInputError(unknown_name_message("unique_id", str(unique_id),
                                                   [str(i) for i in ids], "the long table"))
    out = df_long[df_long["unique_id"] == unique_id].drop(columns="unique_id")
    out = out.sort_values("ds").reset_index(drop=True)
    if target is not None:
        out = out.rename(columns={"y": target})
    return out


def to_long(df_wide: pd.DataFrame, target: str, unique_id: str = "series_0") -> pd.DataFrame:
    """Turn a wide table into long form ``unique_id, ds, y, <exogenous>``.

    Arguments:
        df_wide: wide table with ``ds`` and the ``target`` column.
        target: column that becomes ``y``.
        unique_id: identifier written in the ``unique_id`` column.

    Example:
        >>> long = to_long(wide, "close", "guangdong")  # doctest: +SKIP
    """
    cols = [str(c) for c in df_wide.columns]
    for c in ("ds", target):
        if c not in cols:
            raise CpjaxInputError(unknown_name_message("column", c, cols, "the wide table")
                                  + " Fix: run read_table first or pass the right target.")
    if "y" in cols and target != "y":
        raise CpjaxInputError("the wide table already has a column 'y'; "
                              "fix: rename it before converting to long form")
    out = df_wide.rename(columns={target: "y"})
    out.insert(0, "unique_id", unique_id)
    rest = [c for c in out.columns if c not in ("unique_id", "ds", "y")]
    return out[["unique_id", "ds", "y", *rest]].reset_index(drop=True)
