"""Reading a shop's exports (``orders.csv``, ``receipts.csv``, ``stockouts.csv``; ``data.md``).

Rules (``docs/fit.md#reading-the-exports``):

* CSV with a header row, UTF-8 (a UTF-8 byte-order mark is accepted and dropped, as
  spreadsheets write one); column names are matched without regard to case or
  surrounding blanks; columns the reader does not use are ignored with one notice.
* Times in ISO 8601, a date (``2024-03-01``) or a date-time with or without seconds and
  time zone (``2024-03-01T09:30``, ``2024-03-01 09:30:00+01:00``, ``…Z``). Times with a
  zone are converted to UTC; times without one are read as UTC wall-clock time (so an
  export written in local time without offsets keeps its local days), with one notice
  when a file mixes both.
* Every bad row is reported, in one message, with its file, its row as a spreadsheet
  shows it (the header is row 1), its column, what was expected, what was found and a
  hint; the first :data:`MAX_PROBLEMS` are listed.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from supplysim.records.model import UNIT_SECONDS, Orders, Receipts, Records, Stockouts
from supplysim.scenario.errors import ScenarioError, clip
from supplysim.scenario.hints import did_you_mean
from supplysim.scenario.limits import MAX_UNITS

__all__ = ["MAX_PROBLEMS", "MAX_RECORD_BYTES", "Problem", "RecordsError", "list_skus", "parse_time", "read_records"]

MAX_RECORD_BYTES = 500_000_000
"""Largest export file [bytes], 500 MB: several million orders."""

MAX_PROBLEMS = 10
"""Most bad rows listed in one message (the count of the others follows)."""

ORDER_COLUMNS = ("order_id", "created_at", "quantity", "backordered", "fulfilled_at", "cancelled_at")
RECEIPT_COLUMNS = ("po_id", "ordered_at", "received_at", "quantity")
STOCKOUT_COLUMNS = ("start", "end")
_OPTIONAL = {"orders": ("sku",), "receipts": ("supplier", "sku"), "stockouts": ("sku",)}

_ISO = "an ISO 8601 date or date-time, e.g. 2024-03-01 or 2024-03-01T09:30:00+01:00"
_ZONE = re.compile(r"[T ]\d\d(?::?\d\d){0,2}(?:[.,]\d+)?\s*(?:Z|[+-]\d\d(?::?\d\d)?)$", re.IGNORECASE)
"""A time of day followed by a zone (``T09:30Z``, ``09:30:00+01:00``); a date alone has none."""
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


@dataclass(frozen=True)
class Problem:
    """One bad thing in one place of an export."""

    file: str
    row: int | None
    """Row as a spreadsheet shows it (the header is row 1); None for the file as a whole."""
    column: str | None
    expected: str
    found: str
    hint: str | None = None

    def __str__(self) -> str:
        where = self.file + (f", row {self.row}" if self.row is not None else "")
        where += f", column {self.column}" if self.column is not None else ""
        text = f"{where}\n  expected: {self.expected}\n  found:    {self.found}"
        return text + (f"\n  hint: {self.hint}" if self.hint else "")


class RecordsError(ScenarioError):
    """Exports that cannot be read: ``str(err)`` is the whole message (exit code 2)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.file, p.row or 0)))
        first = self.problems[0]
        bad_rows = {(p.file, p.row) for p in self.problems if p.row is not None}
        head = ""
        if len(self.problems) > 1:
            head = f"{first.file}: {len(bad_rows)} bad row{'s' if len(bad_rows) != 1 else ''}\n"
        shown = "\n".join(str(p) for p in self.problems[:MAX_PROBLEMS])
        more = len(self.problems) - MAX_PROBLEMS
        tail = f"\n… and {more} more problem{'s' if more != 1 else ''}" if more > 0 else ""
        super().__init__(head + shown + tail)


# --------------------------------------------------------------------------- times


def parse_time(text: str) -> datetime:
    """One ISO 8601 date or date-time as an aware UTC ``datetime`` (naive → read as UTC).

    Raises ``ValueError`` with the expected form when ``text`` is not one.
    """
    import pandas as pd

    value = pd.to_datetime(pd.Series([text.strip()]), format="ISO8601", utc=True, errors="coerce").iloc[0]
    if pd.isna(value):
        raise ValueError(f"expected {_ISO}, found {clip(text)!r}")
    return datetime.fromtimestamp(value.timestamp(), tz=UTC)


_PARSED: dict[tuple[str, int, int], tuple[Any, np.ndarray]] = {}
"""The last files parsed, by (path, modification time, size): a catalog reads each product's
rows from the same files, which are parsed once."""


def _malformed(name: str, text: str, exc: Exception) -> Problem:
    """The problem of a file the CSV parser refused, located at its first bad row: a row with more
    fields than the header (fewer are read as empty cells), or a quoted field never closed."""
    header_fields = 0
    row = 1  # the row being read, as a spreadsheet numbers it (a quoted line break stays in its row)
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        for fields in reader:
            if row == 1:
                header_fields = len(fields)
            elif len(fields) > header_fields:
                return Problem(
                    name,
                    row,
                    None,
                    f"at most {header_fields} fields, as many as the header's columns",
                    f"{len(fields)} fields: {clip(','.join(fields), 80)!r}",
                    'quote fields that contain commas: "a, b"',
                )
            row += 1
    except csv.Error as err:
        if "end of data" in str(err):
            found = "a quoted field that is never closed"
        else:
            found = clip(str(err), 200)
        return Problem(name, row, None, "comma-separated values", found, 'close each quote: "a, b"')
    found = str(exc).strip().splitlines()[-1] if str(exc).strip() else "a malformed line"
    return Problem(
        name,
        None,
        None,
        "comma-separated values with one field per column",
        clip(found, 200),
        'quote fields that contain commas: "a, b"',
    )


def _parse(path: Path, name: str) -> tuple[Any, np.ndarray]:
    """The file as a DataFrame of stripped strings, header names lower-cased, blank rows
    dropped, and each row's number as a spreadsheet shows it. Not to be modified (shared)."""
    import pandas as pd

    text = _read_text(path, name)  # checks the file first: a FIFO is never opened
    info = os.stat(path)
    key = (str(Path(path).resolve()), info.st_mtime_ns, info.st_size)
    if key in _PARSED:
        return _PARSED[key]
    if not text.strip():
        raise RecordsError([Problem(name, None, None, "a header row and data rows", "an empty file")])
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False, sep=",")
    except pd.errors.ParserError as exc:
        raise RecordsError([_malformed(name, text, exc)]) from None
    frame = frame.fillna("").astype(str).apply(lambda col: col.str.strip())
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    blank = (frame == "").all(axis=1).to_numpy()
    rows = np.arange(2, len(frame) + 2, dtype=np.int64)[~blank]
    frame = frame.loc[~blank].reset_index(drop=True)
    while len(_PARSED) >= 3:  # the three files of one export
        del _PARSED[next(iter(_PARSED))]
    _PARSED[key] = (frame, rows)
    return frame, rows


class _Table:
    """One CSV file as strings, with the checks that turn its columns into arrays."""

    def __init__(self, path: Path, role: str, required: Sequence[str], *, empty_ok: bool = False) -> None:

        self.path = path
        self.name = path.name
        self.role = role
        self.problems: list[Problem] = []
        self.notices: list[str] = []
        self.naive = 0
        self.aware = 0
        frame, rows = _parse(path, self.name)
        columns = list(frame.columns)
        missing = [c for c in required if c not in columns]
        if missing:
            present = [c for c in columns if c not in required]
            close = did_you_mean(missing[0], present)
            hint: str | None = f"did you mean {close!r}? (rename the column)" if close else None
            if len(columns) == 1 and ";" in columns[0]:
                hint = "the file seems to use ';' between fields: save it as CSV with commas"
            elif len(columns) == 1 and "\t" in columns[0]:
                hint = "the file seems to use tabs between fields: save it as CSV with commas"
            raise RecordsError(
                [
                    Problem(
                        self.name,
                        1,
                        missing[0],
                        f"a column named {missing[0]!r} (the columns of {role}: {', '.join(required)})",
                        "columns " + ", ".join(repr(clip(c, 30)) for c in columns[:12]),
                        hint,
                    )
                ]
            )
        known = set(required) | set(_OPTIONAL[role])
        ignored = [c for c in columns if c not in known]
        if ignored:
            listed = ", ".join(clip(c, 40) for c in ignored[:8]) + (
                f" (+{len(ignored) - 8} more)" if len(ignored) > 8 else ""
            )
            self.notices.append(f"{self.name}: ignored column{'s' if len(ignored) > 1 else ''} {listed}")
        self.rows = rows
        self.frame = frame
        if len(self.frame) == 0 and not empty_ok:
            raise RecordsError([Problem(self.name, None, None, f"at least one row of {role}", "only a header")])

    def has(self, column: str) -> bool:
        return column in self.frame.columns

    def keep(self, mask: np.ndarray) -> None:
        self.frame = self.frame.loc[mask].reset_index(drop=True)
        self.rows = self.rows[mask]

    def text(self, column: str) -> list[str]:
        return [str(v) for v in self.frame[column].tolist()]  # stripped when parsed

    def bad(self, i: int, column: str, expected: str, found: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.name, int(self.rows[i]), column, expected, found, hint))

    def times(self, column: str, *, required: bool) -> np.ndarray:
        """Seconds since the Unix epoch (UTC) of each row's ``column``; nan where empty."""
        import pandas as pd

        raw = self.text(column)
        parsed = pd.to_datetime(pd.Series(raw, dtype=object), format="ISO8601", utc=True, errors="coerce")
        seconds = np.full(len(raw), np.nan)
        ok = parsed.notna().to_numpy()
        if ok.any():
            seconds[ok] = parsed[ok].dt.as_unit("us").astype("int64").to_numpy() / 1e6
        for i, value in enumerate(raw):
            if value == "":
                if required:
                    self.bad(i, column, _ISO, "an empty cell", f"every row of {self.role} needs its {column}")
            elif not ok[i]:
                self.bad(i, column, _ISO, repr(clip(value)), _time_hint(value))
            elif _ZONE.search(value):
                self.aware += 1
            else:
                self.naive += 1
        return seconds

    def counts(self, column: str) -> np.ndarray:
        """Whole numbers ≥ 1 of each row's ``column`` (0 where bad)."""
        out = np.zeros(len(self.frame), dtype=np.int64)
        for i, value in enumerate(self.text(column)):
            try:
                x = float(value.replace("_", "x"))
            except ValueError:
                self.bad(i, column, "a whole number of units ≥ 1", repr(clip(value)) if value else "an empty cell")
                continue
            if not math.isfinite(x) or x != int(x):
                self.bad(i, column, "a whole number of units ≥ 1", repr(clip(value)), "quantities count whole units")
            elif x < 1:
                self.bad(
                    i,
                    column,
                    "a whole number of units ≥ 1",
                    repr(clip(value)),
                    "a return or a correction is not an order: leave such rows out of the export",
                )
            elif x > MAX_UNITS:
                self.bad(
                    i,
                    column,
                    "a whole number of units ≥ 1 (at most 10⁹)",
                    repr(clip(value)),
                    "10⁹ units is the most a scenario can hold; a larger number is a typo or a unit mix-up",
                )
            else:
                out[i] = int(x)
        return out

    def flags(self, column: str) -> np.ndarray:
        out = np.zeros(len(self.frame), dtype=bool)
        for i, value in enumerate(self.text(column)):
            word = value.lower()
            if word in _TRUE:
                out[i] = True
            elif word not in _FALSE:
                self.bad(i, column, "true or false", repr(clip(value)) if value else "an empty cell")
        return out

    def ids(self, column: str) -> tuple[str, ...]:
        values = self.text(column)
        first: dict[str, int] = {}
        for i, value in enumerate(values):
            if value == "":
                self.bad(i, column, "an identifier", "an empty cell", f"every row needs its {column}")
            elif value in first:
                self.bad(
                    i,
                    column,
                    "an identifier used on one row only",
                    f"{clip(value)!r}, also on row {self.rows[first[value]]}",
                    "each row is one order: remove the repeated row",
                )
            else:
                first[value] = i
        return tuple(values)

    def order_of(self, i: int, column: str, earlier: str, later_t: float, earlier_t: float) -> None:
        """Report row ``i`` when ``column`` comes before ``earlier``."""
        if later_t < earlier_t:
            self.bad(i, column, f"a time at or after {earlier}", f"{_iso(later_t)}, before {earlier} {_iso(earlier_t)}")


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat().replace("+00:00", "Z")


def _time_hint(value: str) -> str:
    if re.fullmatch(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}.*", value):
        return "write dates year first (2024-03-01): day-first and month-first dates are ambiguous"
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return "a spreadsheet's date number is not a date: format the column as yyyy-mm-dd before exporting"
    return "write dates as yyyy-mm-dd, times as yyyy-mm-ddThh:mm[:ss][+hh:mm]"


def _read_text(path: Path, name: str) -> str:
    """The file's text (UTF-8, a byte-order mark dropped), refusing what is not a readable regular file."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        close = did_you_mean(path.name, [p.name for p in path.parent.glob("*.csv")]) if path.parent.is_dir() else None
        raise RecordsError(
            [
                Problem(
                    str(path), None, None, "a CSV file", "no such file", f"did you mean {close!r}?" if close else None
                )
            ]
        ) from None
    except OSError as exc:
        raise RecordsError(
            [Problem(str(path), None, None, "a readable CSV file", clip(exc.strerror or str(exc)))]
        ) from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a device, pipe or socket)"
        raise RecordsError([Problem(str(path), None, None, "a CSV file", kind)])
    if info.st_size > MAX_RECORD_BYTES:
        raise RecordsError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    f"a file of at most {MAX_RECORD_BYTES // 1_000_000} MB",
                    f"{info.st_size / 1e6:,.0f} MB",
                    "export one product or a shorter period (--sku)",
                )
            ]
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordsError(
            [Problem(str(path), None, None, "a readable CSV file", clip(exc.strerror or str(exc)))]
        ) from None
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise RecordsError(
            [Problem(name, None, None, "a CSV file", "a spreadsheet workbook", "save the sheet as 'CSV UTF-8' first")]
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise RecordsError([Problem(name, None, None, "UTF-8 text", "UTF-16 text", "save it as 'CSV UTF-8'")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise RecordsError(
            [
                Problem(
                    name,
                    row,
                    None,
                    "UTF-8 text",
                    f"the byte {data[exc.start]:#04x}, not UTF-8",
                    "save it as 'CSV UTF-8' (a spreadsheet's plain CSV may use another encoding)",
                )
            ]
        ) from None


# --------------------------------------------------------------------------- products


def _pick_sku(table: _Table, sku: str | None, chosen: str | None) -> str | None:
    """Keep only the rows of ``sku`` (or of the file's single product); return the product."""
    if not table.has("sku"):
        if sku is not None and table.role == "orders":
            raise RecordsError(
                [
                    Problem(
                        table.name,
                        1,
                        "sku",
                        "a column sku to choose the product by",
                        "no such column",
                        "leave --sku out for an export of one product",
                    )
                ]
            )
        if chosen is not None:
            table.notices.append(f"{table.name} has no sku column: every row is taken as {chosen!r}'s")
        return chosen
    column = table.frame["sku"]
    want = sku if sku is not None else chosen
    mask = (column == want).to_numpy() if want is not None else None
    found = mask is not None and bool(mask.any())
    distinct = [] if found else [v for v in column.unique().tolist() if v]
    if want is None:
        if len(distinct) > 1:
            listed = ", ".join(repr(clip(v, 30)) for v in distinct[:6]) + (" …" if len(distinct) > 6 else "")
            raise RecordsError(
                [
                    Problem(
                        table.name,
                        None,
                        "sku",
                        "one product (or --sku to choose one)",
                        f"{len(distinct)} products: {listed}",
                        f"fit one with --sku {clip(distinct[0], 30)}",
                    )
                ]
            )
        want = distinct[0] if distinct else None
    if want is not None:
        if table.role == "orders" and not found and want not in distinct:
            close = did_you_mean(want, distinct)
            raise RecordsError(
                [
                    Problem(
                        table.name,
                        None,
                        "sku",
                        "a product of the file",
                        f"no orders of {clip(want)!r}",
                        f"did you mean {close!r}?" if close else f"its products: {', '.join(distinct[:6])}",
                    )
                ]
            )
        table.keep((column == want).to_numpy() if mask is None else mask)
    return want


def list_skus(orders: Path | str) -> tuple[list[str], datetime | None]:
    """The products of ``orders.csv`` (its ``sku`` column) in order of first appearance, and the
    latest time of its orders (created, fulfilled, cancelled; None if none parses): the common
    export time of a catalog.

    Raises:
        RecordsError: the file cannot be read, or has no ``sku`` column.
    """
    import pandas as pd

    table = _Table(Path(orders), "orders", ORDER_COLUMNS)
    if not table.has("sku"):
        raise RecordsError(
            [
                Problem(
                    table.name,
                    1,
                    "sku",
                    "a column sku naming each order's product",
                    "no such column",
                    "a catalog needs the product of every order",
                )
            ]
        )
    latest = None
    for column in ("created_at", "fulfilled_at", "cancelled_at"):
        parsed = pd.to_datetime(table.frame[column].str.strip(), format="ISO8601", utc=True, errors="coerce").max()
        if not pd.isna(parsed):
            when = parsed.to_pydatetime()
            latest = when if latest is None or when > latest else latest
    return list(dict.fromkeys(v for v in table.text("sku") if v)), latest


# --------------------------------------------------------------------------- reading


def read_records(
    orders: Path | str,
    receipts: Path | str | None = None,
    stockouts: Path | str | None = None,
    *,
    sku: str | None = None,
    time_unit: str = "day",
    exported_at: datetime | str | None = None,
) -> Records:
    """Read one product's exports (``data.md``) into :class:`~supplysim.records.Records`.

    Args:
        orders: ``orders.csv`` (required).
        receipts: ``receipts.csv`` of the purchase orders, or None.
        stockouts: ``stockouts.csv`` of the "out of stock" spells, or None.
        sku: the product to read from a multi-product export; None for a single product.
        time_unit: the unit of the returned times (the template scenario's ``time_unit``).
        exported_at: the export time (ISO 8601 text or a datetime; naive = UTC); default
            the latest timestamp found in the files. Orders open at that time are censored
            there; no timestamp may lie after it.

    Times are floats in ``time_unit`` from the origin, 00:00 UTC of the Monday on or
    before the day of the first order; ``Records.start`` is 00:00 of that day.

    Raises:
        RecordsError: with every bad row located (file, row, column, expected, found, hint).
    """
    if time_unit not in UNIT_SECONDS and time_unit.lower().rstrip("s") in UNIT_SECONDS:
        time_unit = time_unit.lower().rstrip("s")  # "days" is a day
    if time_unit not in UNIT_SECONDS:
        raise RecordsError(
            [
                Problem(
                    "the template's time_unit",
                    None,
                    None,
                    "a unit of time: " + ", ".join(UNIT_SECONDS),
                    repr(clip(time_unit)),
                    "records carry dates, so the scenario's time unit must be one of these",
                )
            ]
        )
    unit = UNIT_SECONDS[time_unit]
    export_s: float | None = None
    if exported_at is not None:
        try:
            when = parse_time(exported_at) if isinstance(exported_at, str) else exported_at
        except ValueError:
            raise RecordsError([Problem("--exported-at", None, None, _ISO, repr(clip(str(exported_at))))]) from None
        export_s = (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()

    files: dict[str, Path] = {"orders": Path(orders)}
    o = _Table(Path(orders), "orders", ORDER_COLUMNS)
    chosen = _pick_sku(o, sku, None)
    r = s = None
    if receipts is not None:
        files["receipts"] = Path(receipts)
        r = _Table(Path(receipts), "receipts", RECEIPT_COLUMNS)
        _pick_sku(r, sku, chosen)
    if stockouts is not None:
        files["stockouts"] = Path(stockouts)
        s = _Table(Path(stockouts), "stockouts", STOCKOUT_COLUMNS, empty_ok=True)
        _pick_sku(s, sku, chosen)
    if r is not None and len(r.frame) == 0:
        o.notices.append(f"{r.name} has no purchase orders of {chosen!r}: no lead time is fitted")
        r = None
        del files["receipts"]

    # orders
    ids = o.ids("order_id")
    created = o.times("created_at", required=True)
    quantity = o.counts("quantity")
    backordered = o.flags("backordered")
    fulfilled = o.times("fulfilled_at", required=False)
    cancelled = o.times("cancelled_at", required=False)
    for i in range(len(ids)):
        if not math.isnan(created[i]):
            if not math.isnan(fulfilled[i]):
                o.order_of(i, "fulfilled_at", "created_at", fulfilled[i], created[i])
            if not math.isnan(cancelled[i]):
                o.order_of(i, "cancelled_at", "created_at", cancelled[i], created[i])
        if not math.isnan(fulfilled[i]) and not math.isnan(cancelled[i]):
            o.bad(
                i,
                "cancelled_at",
                "fulfilled_at or cancelled_at, not both",
                "both",
                "an order either shipped or was cancelled: clear the one that did not happen",
            )
    all_problems = list(o.problems)

    # receipts
    if r is not None:
        po_ids = r.ids("po_id")
        ordered = r.times("ordered_at", required=True)
        received = r.times("received_at", required=False)
        po_qty = r.counts("quantity")
        for i in range(len(po_ids)):
            if not (math.isnan(ordered[i]) or math.isnan(received[i])):
                r.order_of(i, "received_at", "ordered_at", received[i], ordered[i])
        supplier = tuple(r.text("supplier")) if r.has("supplier") else None
        if supplier is not None:
            for i, name in enumerate(supplier):
                if not name:
                    r.bad(
                        i,
                        "supplier",
                        "a supplier's name",
                        "an empty cell",
                        "name the supplier of every row, or drop the column",
                    )
        all_problems += r.problems
    if s is not None:
        s_start = s.times("start", required=True)
        s_end = s.times("end", required=False)
        for i in range(len(s_start)):
            if not (math.isnan(s_start[i]) or math.isnan(s_end[i])):
                s.order_of(i, "end", "start", s_end[i], s_start[i])
        all_problems += s.problems

    # the window: from the first order's day to the export time
    stamps = [created, fulfilled, cancelled]
    if r is not None:
        stamps += [ordered, received]
    if s is not None:
        stamps += [s_start, s_end]
    latest = max(float(np.nanmax(a)) if np.isfinite(a).any() else -math.inf for a in stamps)
    if export_s is not None:
        for col, arr in (("created_at", created), ("fulfilled_at", fulfilled), ("cancelled_at", cancelled)):
            for j in np.flatnonzero(arr > export_s):
                o.bad(int(j), col, f"a time at or before the export time {_iso(export_s)}", _iso(float(arr[j])))
        all_problems = list(o.problems) + (r.problems if r else []) + (s.problems if s else [])
    if all_problems:
        raise RecordsError(all_problems)
    end_s = export_s if export_s is not None else latest
    first = datetime.fromtimestamp(float(np.min(created)), tz=UTC)
    day0 = first.replace(hour=0, minute=0, second=0, microsecond=0)
    origin = day0 - timedelta(days=day0.weekday())
    o_s = origin.timestamp()

    def t(a: np.ndarray) -> np.ndarray:
        return np.asarray((a - o_s) / unit, dtype=float)

    tables = [x for x in (o, r, s) if x is not None]
    notices = [n for x in tables for n in x.notices]
    notices += [
        f"{x.name}: {x.naive:,} times without a time zone were read as UTC ({x.aware:,} others carry one)"
        for x in tables
        if x.naive and x.aware
    ]
    rec_orders = Orders(ids, t(created), quantity, backordered, t(fulfilled), t(cancelled), o.rows)
    rec_receipts = Receipts(po_ids, t(ordered), t(received), po_qty, supplier, r.rows) if r is not None else None
    rec_stockouts = None
    if s is not None:
        rec_stockouts = Stockouts(t(s_start), t(np.where(np.isnan(s_end), end_s, s_end)), s.rows)
    return Records(
        orders=rec_orders,
        receipts=rec_receipts,
        stockouts=rec_stockouts,
        origin=origin,
        start=(day0.timestamp() - o_s) / unit,
        end=(end_s - o_s) / unit,
        time_unit=time_unit,
        sku=chosen,
        files=files,
        notices=tuple(notices),
    )
