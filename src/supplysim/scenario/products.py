"""A products table: one row per product, each a set of overrides of a template scenario.

The table is a CSV file (or Parquet, with the optional extra ``supplysim[parquet]``). Its
column ``sku`` names the product; ``name``, ``description`` and ``class`` are labels; every
other column is a key path of the template (``demand.rate``, ``product.price``, …) and each
of its cells overrides that key for the row's product exactly as ``--set PATH=VALUE`` would
(:func:`~supplysim.scenario.load.with_overrides`), an empty cell keeping the template's
value. Every problem is one located message (:class:`~supplysim.scenario.overrides.Origin`
``cell``: file, row as a spreadsheet numbers it, column), raised as a
:class:`~supplysim.scenario.errors.ScenarioError`. The contract is ``docs/catalog.md``.

Rows are read one at a time (:meth:`ProductsTable.rows`): a table of any length is
validated without holding its scenarios. Each row knows where it starts in the file
(:attr:`ProductRow.at`: a byte offset in a CSV file, a row index in a Parquet file) and a
digest of its cells (:attr:`ProductRow.digest`), so that a run can read a stretch of rows
again from there (``rows(start=…)``) and tell whether they are still those it validated.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import heapq
import math
import re
from array import array
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supplysim.scenario.errors import ScenarioError, clip, excerpt, fmt_path
from supplysim.scenario.hints import did_you_mean
from supplysim.scenario.limits import MAX_NAME
from supplysim.scenario.load import key_path_problem, scenario_source, with_overrides
from supplysim.scenario.overrides import Origin, cell, parts
from supplysim.scenario.specs import Scenario
from supplysim.scenario.yaml_source import read_value

__all__ = [
    "LABELS",
    "MAX_MESSAGES",
    "VALIDATION_BATCH",
    "Checked",
    "ProductRow",
    "ProductsTable",
    "TableChanged",
    "file_sha256",
    "open_table",
    "table_changed",
    "table_unreadable",
]

SKU = "sku"
"""The column that names a product."""

LABELS = ("name", "description", "class")
"""Columns carried to the outputs, never read as keys of the scenario."""

RESERVED = {
    "seed": "a product's seed comes from its sku and the template's seed (docs/catalog.md); use --seed",
    "sweep": "a catalog runs no sweep; remove the column",
    "policies": "the policies are written in the template; a column may set one key of a policy, "
    "e.g. policies.NAME.store.max_quoted_wait",
}
"""Key paths a column may not set, and why."""

MAX_MESSAGES = 20
"""Most messages about bad cells shown at once (then the count of the others)."""


VALIDATION_BATCH = 100
"""Rows whose scenarios one validation task checks (≈ 50 ms of work: sending it costs little)."""

MapUnordered = Callable[[Callable[[Any], Any], Iterable[Any]], Iterator[tuple[int, Any]]]
"""An executor's ``map_unordered``: runs ``fn`` on each task, yields ``(index, result)`` as they finish."""

DIGEST_BYTES = 8
"""Bytes of a row's digest (BLAKE2b of its cells): two different rows share one with
probability 2⁻⁶⁴, and a changed stretch of rows is told by the digest of all of them."""

_BARE_CR = re.compile(rb"(?<=\r)(?!\n)")
"""Where a line ends on a carriage return alone (old Mac files), inside a line read up to ``\n``."""


class TableChanged(ScenarioError):
    """The products table is no longer the one that was validated (it changed during the run)."""


def table_changed(file: str, what: str, *, running: bool = True) -> TableChanged:
    """The message for a table that changed since it was validated: ``what`` says where; ``running``
    when chunks may have run already (the finished ones are kept for ``--resume``)."""
    if running:
        hint = (
            "a catalog reads its table again while it runs, so leave the file unchanged until the run "
            "ends; restore it and run again with --resume (the finished products are kept), or delete the "
            "unfinished results (the results folder's name with .partial after it) and run again to start "
            "over with the new table"
        )
    else:
        hint = "nothing has run; run again once the file is no longer being written"
    return TableChanged(f"{file}: the products table changed since it was checked ({what})\n  hint: {hint}")


def table_unreadable(file: str, exc: OSError, *, running: bool = True) -> TableChanged:
    """:func:`table_changed` for a table that can no longer be read (removed, moved, its permissions)."""
    return table_changed(file, f"it can no longer be read: {exc.strerror or exc}", running=running)


@dataclass(frozen=True)
class ProductRow:
    """One product of the table."""

    sku: str
    row: int
    """Its row as a spreadsheet numbers it (the header is row 1)."""
    labels: tuple[str, str, str]
    """``name``, ``description`` and ``class`` (empty when the table has no such column)."""
    overrides: tuple[tuple[str, Any, Origin], ...]
    """``(key path, value, origin)`` of every non-empty key cell, in column order."""
    problem: str | None = None
    """Why the row cannot be read (a cell that is not a value, a sku too long), or None."""
    at: int = 0
    """Where the row starts in the file: a byte offset (CSV) or a row index from 0 below the header
    (Parquet); ``rows(start=at)`` reads the table again from this row."""
    digest: bytes = b""
    """BLAKE2b of the row's cells as read (:data:`DIGEST_BYTES` bytes)."""

    def scenario(self, template: Scenario, seed: int) -> Scenario:
        """The product's scenario: the template with the row's overrides and the product's ``seed``.

        Raises:
            ScenarioError: a cell the scenario refuses (the message names the file, row and column).
        """
        where = self.overrides[0][2].where.split(": row")[0] if self.overrides else "the table"
        seed_origin = Origin(f"{where}: row {self.row} (the product's seed)", f"row {self.row}: seed")
        try:
            return with_overrides(template, [*self.overrides, ("seed", seed, seed_origin)])
        except ScenarioError as exc:
            text = str(exc)
            for key, _, origin in self.overrides:  # "…, column demand.rate: demand.rate" says it twice
                for shown in {key, fmt_path(parts(key))}:
                    text = text.replace(f"{origin.where}: {shown}\n", f"{origin.where}\n")
            if f"row {self.row}" not in text.split("\n", 1)[0]:
                text = f"{where}: row {self.row} (sku {self.sku!r}): {text}"
            raise ScenarioError(text) from None


@dataclass
class Checked:
    """What up-front validation keeps of the products, in table order: 32 bytes each, no scenario."""

    costs: array[float] = field(default_factory=lambda: array("d"))
    """Expected customers of each whole product: arrivals per replication × policies × replications."""
    ats: array[int] = field(default_factory=lambda: array("q"))
    """Where each row starts (:attr:`ProductRow.at`)."""
    numbers: array[int] = field(default_factory=lambda: array("q"))
    """Each row's number as a spreadsheet shows it."""
    digests: bytearray = field(default_factory=bytearray)
    """Each row's digest (:attr:`ProductRow.digest`), :data:`DIGEST_BYTES` bytes each."""

    def add(self, row: ProductRow) -> int:
        """Keep ``row``'s place, number and digest (its cost still to come); its position."""
        self.costs.append(math.nan)
        self.ats.append(row.at)
        self.numbers.append(row.row)
        self.digests += row.digest
        return len(self.costs) - 1

    def __len__(self) -> int:
        return len(self.costs)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (read in blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _key_paths(value: Any, prefix: str = "") -> Iterator[str]:
    """Dotted key paths of every key of a scenario's data (lists by index), for "did you mean"."""
    if isinstance(value, dict):
        for k, v in value.items():
            path = f"{prefix}.{k}" if prefix else str(k)
            yield path
            yield from _key_paths(v, path)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            path = f"{prefix}.{i}"
            yield path
            yield from _key_paths(v, path)


def _sets(body: Any, path: Sequence[str | int]) -> bool:
    """True when a policy body (its difference from the base) sets ``path`` or a mapping holding it."""
    node = body
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
        if not isinstance(node, dict):
            return True
    return True


class ProductsTable:
    """A products table checked against its template: columns now, rows as they are read.

    Args:
        path: the CSV (or ``.parquet``) file.
        template: the validated template scenario.
        ignore: columns to skip (``--ignore-column``).

    Raises:
        ScenarioError: the file cannot be read, or its header is wrong (no ``sku`` column,
            a duplicate or unknown column, a column that may not be set).
    """

    def __init__(self, path: Path, template: Scenario, ignore: Sequence[str] = ()) -> None:
        self.path = Path(path)
        self.file = str(path)
        self.template = template
        self.ignore = tuple(ignore)
        parquet = self.path.suffix.lower() in (".parquet", ".pq")
        self._reader = _parquet_rows if parquet else _csv_rows
        header = self._header()
        self.header = header
        self.keys = self._check_columns(header)
        self._parquet = parquet

    @functools.cached_property
    def extent(self) -> int:
        """The table's size in the unit of :attr:`ProductRow.at`: bytes of a CSV file, rows of a
        Parquet file (read when first asked, for progress only; 0 if it cannot be read)."""
        return _parquet_extent(self.path) if self._parquet else _csv_extent(self.path)

    def share_before(self, at: int) -> float:
        """The share of the table that lies before the row starting at ``at`` (a
        :attr:`ProductRow.at`), from 0 to 1: of its bytes in a CSV file, of its rows in a Parquet
        file. How far a reading has come, for a progress bar."""
        return min(at / self.extent, 1.0) if self.extent > 0 else 1.0

    # ----------------------------------------------------------------- header

    def _header(self) -> list[str]:
        for _, header in self._reader(self.path, self.file, None):
            return [str(h).strip() for h in header]
        raise ScenarioError(f"{self.file}: the file is empty\n  hint: the first row names the columns: sku, …")

    def _check_columns(self, header: list[str]) -> dict[int, str]:
        file = self.file
        seen: dict[str, int] = {}
        for i, name in enumerate(header):
            if name in seen:
                raise ScenarioError(
                    f"{file}: row 1, column {i + 1}: the column {excerpt(name)} appears twice "
                    f"(also column {seen[name] + 1})\n  hint: each key path is one column"
                )
            seen[name] = i
        if SKU not in seen:
            close = next((h for h in header if h.strip().lower() in ("sku", "skus", "sku_id", "product", "item")), None)
            hint = f"rename the column {close!r} to sku" if close else "add a column sku naming each product"
            if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
                hint = "the file seems separated by semicolons or tabs; save it as comma-separated values"
            raise ScenarioError(f"{file}: row 1: no column sku\n  found: {excerpt(header, 100)}\n  hint: {hint}")
        for name in self.ignore:
            if name == SKU:
                raise ScenarioError(
                    f"--ignore-column {SKU}: the sku column names each product and cannot be skipped\n"
                    "  hint: leave it out of --ignore-column"
                )
            if name not in seen:
                raise ScenarioError(
                    f"--ignore-column {excerpt(name)}: {file} has no such column"
                    + (f"; did you mean {close!r}?" if (close := did_you_mean(name, header)) else "")
                )
        source = scenario_source(self.template)
        known = [p for p in _key_paths(source) if not p.startswith(("policies", "sweep"))]
        bodies = list(source.get("policies", {}).values())
        keys: dict[int, str] = {}
        for i, name in enumerate(header):
            if name == SKU or name in LABELS or name in self.ignore:
                continue
            where = f"{file}: row 1, column {name}"
            if not name:
                raise ScenarioError(
                    f"{file}: row 1, column {i + 1}: the column has no name\n"
                    "  hint: name it by a key path of the template, or remove it"
                )
            top = name.split(".", 1)[0]
            if top in RESERVED and (top != "policies" or "." not in name):
                raise ScenarioError(f"{where}: this column cannot be set per product\n  hint: {RESERVED[top]}")
            problem = key_path_problem(self.template, name)
            if problem is not None:
                close = did_you_mean(name, known) or next(
                    (p for p in known if p.rsplit(".", 1)[-1] == name.rsplit(".", 1)[-1]), None
                )
                problem = problem.split("\n", 1)[0]
                hint = f"did you mean {close!r}? " if close else ""
                raise ScenarioError(
                    f"{where}: not a key path of the template: {problem}\n"
                    f"  hint: {hint}a column is a key path such as demand.rate or product.price, "
                    "or a label (name, description, class); skip a column with --ignore-column"
                )
            path = parts(name)
            if path[0] != "policies" and bodies and all(_sets(b, path) for b in bodies):
                policy = next(iter(self.template.policies))
                raise ScenarioError(
                    f"{where}: every policy of the template sets {name} for itself, so a value here would "
                    f"change no policy\n  hint: set it for one policy, e.g. a column policies.{policy}.{name}"
                )
            keys[i] = name
        return keys

    # ----------------------------------------------------------------- rows

    def rows(self, start: int | None = None, first: int = 2) -> Generator[ProductRow, None, None]:
        """The products, in table order (each row's cells parsed, not yet validated as a scenario).

        Args:
            start: read from the row that starts there (a :attr:`ProductRow.at` of an earlier
                reading) rather than from the first row below the header.
            first: the row number of that row (as a spreadsheet numbers it).

        Raises:
            ScenarioError: a row of the wrong width, an empty or too long sku, a cell that is
                not a value (each names its row and column).
        """
        width = len(self.header)
        index = {name: i for i, name in enumerate(self.header)}
        sku_at = index[SKU]
        label_at = [index.get(name) for name in LABELS]
        rows = self._reader(self.path, self.file, start)
        if start is None:
            next(rows)
        for number, (at, cells) in enumerate(rows, start=first):
            if all(_blank(c) for c in cells):
                continue  # a blank line
            digest = hashlib.blake2b(repr(cells).encode("utf-8"), digest_size=DIGEST_BYTES).digest()
            if len(cells) != width:
                wrong = (
                    f"{self.file}: row {number}: {len(cells)} cells, the header has {width}\n"
                    "  hint: a cell holding a comma must be quoted"
                )
                yield ProductRow(f"(row {number})", number, ("", "", ""), (), wrong, at, digest)
                continue
            sku = "" if _blank(cells[sku_at]) else str(cells[sku_at]).strip()
            problem: str | None = None
            if not sku:
                problem = f"{self.file}: row {number}, column sku: the sku is empty\n  hint: name every product"
            elif len(sku) > MAX_NAME:
                problem = (
                    f"{self.file}: row {number}, column sku: the sku is {len(sku)} characters long, "
                    f"at most {MAX_NAME} are allowed\n  found: {excerpt(sku)}"
                )
            labels = tuple("" if at is None or _blank(cells[at]) else str(cells[at]).strip() for at in label_at)
            if label_at[2] is not None and not labels[2] and problem is None:
                problem = (
                    f"{self.file}: row {number}, column class: the class is empty\n"
                    "  hint: give every product its class (e.g. A, B, C), or remove the column "
                    "to have ABC classes computed from revenue"
                )
            overrides = []
            for i, key in self.keys.items():
                raw = cells[i]
                if _blank(raw):
                    continue
                origin = cell(self.file, number, key)
                try:
                    overrides.append((key, _value(raw, origin), origin))
                except ScenarioError as exc:
                    problem = problem or str(exc)
            yield ProductRow(sku, number, (labels[0], labels[1], labels[2]), tuple(overrides), problem, at, digest)

    def validated(
        self,
        seed_of: Callable[[str], int],
        cost: Callable[[Scenario], float],
        map_unordered: MapUnordered,
        batch: int = VALIDATION_BATCH,
        checking: Callable[[float], None] | None = None,
    ) -> Checked:
        """Every row validated as a scenario (the template, its cells, its seed): what a plan
        keeps of each, in table order.

        The rows are read here (a cell that is not a value, a duplicate sku); validating each row's
        scenario, the costly part, is done ``batch`` rows at a time by ``map_unordered`` (an
        executor's: on its workers, or here one batch after the other). A batch's costs
        are written at its rows' positions as it finishes, so only the batches in flight are held,
        whatever order they finish in; the messages and the result are the same either way.
        ``checking`` is told the share of the table checked (:meth:`share_before` the oldest batch
        in flight, or the last row drawn) after each batch, and 1.0 at the end when every row is valid.

        Raises:
            ScenarioError: every bad row's message, in table order (the first
                :data:`MAX_MESSAGES`, then how many more), an empty table, a duplicate sku
                (naming both rows).
        """
        checked = Checked()
        kept: list[tuple[int, str]] = []
        """The messages of the first rows with problems, at most MAX_MESSAGES: (−row, message), a heap
        whose top is the latest row kept."""
        problems = 0
        unreadable: list[ScenarioError] = []
        flying: dict[int, tuple[_Batch, array[int]]] = {}
        """Per batch drawn and not finished: the task and the positions of its rows (its first row's
        position first, then those of the rows it validates)."""

        def problem_at(row: int, message: str) -> None:
            nonlocal problems
            problems += 1
            if len(kept) < MAX_MESSAGES:
                heapq.heappush(kept, (-row, message))
            elif -row > kept[0][0]:
                heapq.heapreplace(kept, (-row, message))

        def batches() -> Iterator[_Batch]:
            made = 0
            skus: dict[str, int] = {}
            checks: list[tuple[ProductRow, int]] = []
            where = array("q")
            rows = self.rows()
            while True:
                try:
                    row = next(rows, None)
                except ScenarioError as exc:  # the reader cannot go on past it reliably
                    unreadable.append(exc)
                    row = None
                if row is not None:
                    position = checked.add(row)
                    if not where:
                        where.append(position)
                    problem = row.problem
                    if problem is None and row.sku in skus:
                        problem = (
                            f"{self.file}: row {row.row}, column sku: the sku {row.sku!r} is also in row "
                            f"{skus[row.sku]}\n  hint: each product is one row; skus must be unique"
                        )
                    elif problem is None:
                        skus[row.sku] = row.row
                    if problem is None:
                        checks.append((row, seed_of(row.sku)))
                        where.append(position)
                    else:
                        problem_at(row.row, problem)
                if where and (row is None or len(checked) - where[0] >= batch):
                    if checks:  # not a batch of rows refused here only
                        task = _Batch(self.template, tuple(checks), cost)
                        flying[made] = (task, where)
                        made += 1
                        yield task
                    checks, where = [], array("q")
                if row is None:
                    return

        for index, result in map_unordered(check_batch, batches()):
            task, where = flying.pop(index)
            for (row, _), position, outcome in zip(task.rows, where[1:], result, strict=True):
                if isinstance(outcome, float):
                    checked.costs[position] = outcome
                    continue
                if f"row {row.row}" not in outcome.split("\n", 1)[0]:
                    outcome = f"{self.file}: row {row.row} (sku {row.sku!r}): {outcome}"
                problem_at(row.row, outcome)
            if checking is not None:  # every row before the oldest batch in flight is checked
                first = flying[min(flying)][1][0] if flying else len(checked) - 1
                checking(self.share_before(checked.ats[first]))
        messages = [message for _, message in sorted(kept, reverse=True)]
        more = problems - len(messages)
        if more:
            messages.append(f"… and {more} more rows with problems")
        if unreadable:  # after the messages of the rows before it
            if not messages:
                raise unreadable[0]
            raise ScenarioError("\n".join([*messages, str(unreadable[0])])) from None
        if messages:
            raise ScenarioError("\n".join(messages))
        if not checked:
            raise ScenarioError(
                f"{self.file}: the table has a header but no product rows\n"
                "  hint: add one row per product, below the header"
            )
        if checking is not None:
            checking(1.0)
        return checked


@dataclass(frozen=True)
class _Batch:
    """Rows to validate elsewhere: each with its product's seed, and how to cost the scenario."""

    template: Scenario
    rows: tuple[tuple[ProductRow, int], ...]
    cost: Callable[[Scenario], float]


def check_batch(batch: _Batch) -> tuple[float | str, ...]:
    """Each row's scenario validated: its cost (a float), or the message that refuses it."""
    out: list[float | str] = []
    for row, seed in batch.rows:
        try:
            out.append(float(batch.cost(row.scenario(batch.template, seed))))
        except ScenarioError as exc:
            out.append(str(exc))
    return tuple(out)


def _blank(value: Any) -> bool:
    """An empty cell: nothing, blanks, or a missing value of a typed (Parquet) column."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _value(raw: Any, origin: Origin) -> Any:
    """A cell's value: a text cell read as YAML (like ``--set``), a typed cell as it is."""
    if not isinstance(raw, str):
        return raw.item() if hasattr(raw, "item") else raw
    try:
        return read_value(raw, origin.where)
    except ScenarioError:
        raise ScenarioError(
            f"{origin.where}: the cell {excerpt(clip(raw, 100))} is not a value\n"
            "  hint: write a number, true/false, a word, or a mapping such as {dist: exponential, mean: 7}"
        ) from None


def _csv_rows(path: Path, file: str, start: int | None) -> Iterator[tuple[int, list[Any]]]:
    """The records of a CSV file (UTF-8, a byte-order mark allowed), each as (its byte offset,
    its cells): from the header, or from the record at byte ``start``.

    The file is read in binary and cut into lines as text mode with ``newline=""`` cuts them
    (at ``\n``, ``\r\n`` or a lone ``\r``), so the offset of each record is known.
    """
    consumed = 0 if start is None else start

    def lines(fh: Any) -> Iterator[str]:
        nonlocal consumed
        first = start is None
        for raw in fh:
            for piece in _BARE_CR.split(raw) if b"\r" in raw else (raw,):
                if not piece:
                    continue
                consumed += len(piece)
                yield piece.decode("utf-8-sig" if first else "utf-8")
                first = False

    try:
        with open(path, "rb") as fh:
            if start is not None:
                fh.seek(start)
            reader = csv.reader(lines(fh), strict=True)
            try:
                while True:
                    at = consumed
                    try:
                        cells = next(reader)
                    except StopIteration:
                        return
                    yield at, cells
            except csv.Error as exc:
                raise ScenarioError(f"{file}: row {reader.line_num}: not valid CSV: {exc}") from None
    except FileNotFoundError:
        raise ScenarioError(f"{file}: no such file\n  hint: check the path of the products table") from None
    except IsADirectoryError:
        raise ScenarioError(f"{file}: a folder, not a products table") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{file}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x})\n"
            "  hint: save the table as CSV UTF-8 (the spreadsheet's 'CSV UTF-8' format)"
        ) from None


def _csv_extent(path: Path) -> int:
    """Bytes of the file (0 if it cannot be read: then every row reads as the end)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _parquet_extent(path: Path) -> int:
    """Rows of the Parquet file below its header, from its metadata (0 if it cannot be read)."""
    import pyarrow.parquet as pq  # type: ignore[import-not-found,import-untyped,unused-ignore]

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except Exception:
        return 0


def _parquet_hint(path: Path) -> str:
    """A hint for a file named .parquet that is not one: a text table saved under that name, or any
    other file (a Parquet file begins and ends with the bytes PAR1)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return ""
    if head.startswith(b"PAR1"):
        return "\n  hint: the file is cut short or damaged: write it again"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the end of the 4 KiB read
            return "\n  hint: a products table is a CSV or a Parquet file"
    return "\n  hint: the file holds text: if it is CSV, name it .csv"


def _parquet_rows(path: Path, file: str, start: int | None) -> Iterator[tuple[int, list[Any]]]:
    """The header, then the rows of a Parquet file, read in batches, each as (its row index from 0
    below the header, its cells); from row ``start`` (no header), reading only the row groups from
    the one that holds it."""
    try:
        import pyarrow.parquet as pq  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        raise ScenarioError(
            f"{file}: reading Parquet needs pyarrow: pip install 'supplysim[parquet]'\n  hint: or save the table as CSV"
        ) from None
    try:
        table = pq.ParquetFile(path)
    except FileNotFoundError:
        raise ScenarioError(f"{file}: no such file\n  hint: check the path of the products table") from None
    except Exception as exc:
        raise ScenarioError(f"{file}: not a readable Parquet file: {exc}{_parquet_hint(path)}") from None
    first, groups = 0, list(range(table.metadata.num_row_groups))
    if start is None:
        yield 0, list(table.schema_arrow.names)
    else:
        while groups and first + table.metadata.row_group(groups[0]).num_rows <= start:
            first += table.metadata.row_group(groups.pop(0)).num_rows
    at = first
    for batch in table.iter_batches(batch_size=1024, row_groups=groups) if groups else ():
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        for cells in zip(*columns, strict=True):
            if start is None or at >= start:
                yield at, list(cells)
            at += 1


def open_table(path: Path, template: Scenario, ignore: Sequence[str] = ()) -> ProductsTable:
    """The products table at ``path``, its header checked against ``template`` (:class:`ProductsTable`)."""
    return ProductsTable(path, template, ignore)
