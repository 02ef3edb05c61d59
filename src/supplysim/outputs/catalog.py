"""A catalog's files: the journal written as the run goes, and the results folder assembled
from it (``docs/catalog.md``, "The results folder" and "Interrupting and resuming").

While a catalog runs, ``DIR.partial/`` beside the results folder ``DIR`` holds ``run.json``
(the run's fingerprint) and ``parts/NNNNNN.jsonl``, one file per finished chunk, each
written atomically (:func:`~supplysim.outputs.folders.write_file`: flushed, fsynced,
renamed): a head line (:class:`_PartHead`: the chunk's rows of ``catalog.csv``, revenues and
classes, made by the worker), then one summary per product. When every chunk is there, the
final files are written from the parts in table order (a first pass reads the heads,
``catalog.csv`` and the ABC classes; a second the summaries, ``recommendations.csv`` and the
portfolio) into a new folder that replaces ``DIR`` atomically
(:class:`~supplysim.outputs.folders.FolderBuilder`). Nothing is held but running sums, the
set of finished chunks, and 9 bytes per product (its revenue as a double and its ABC class
as a byte, when the classes come from revenue): no object per product.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import shutil
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from supplysim.analysis.intervals import t_quantile
from supplysim.analysis.kpis import json_number
from supplysim.analysis.portfolio import PortfolioBuilder, ProductSummary, abc_codes, cell
from supplysim.analysis.provenance import supplysim_version
from supplysim.experiments.catalog import ChunkResult, Objective, chunk_head
from supplysim.outputs.documents import scenario_fingerprint
from supplysim.outputs.folders import FolderBuilder, FolderKind, check_destination, write_file
from supplysim.scenario import Scenario
from supplysim.scenario.load import scenario_source
from supplysim.scenario.products import file_sha256, table_changed, table_unreadable

__all__ = [
    "CATALOG_COLUMNS",
    "RECOMMENDATION_COLUMNS",
    "CatalogJournal",
    "Extras",
    "ResumeError",
    "fingerprint",
    "partial_folder",
]

RECOMMENDATION_COLUMNS = (
    "sku",
    "best_policy",
    "objective",
    "gain_vs_baseline",
    "ci95_low",
    "ci95_high",
    "runner_up",
    "tied",
    "name",
    "description",
    "class",
    "status",
    "baseline_objective",
    "runner_up_objective",
    "runner_up_diff",
    "runner_up_ci95_low",
    "runner_up_ci95_high",
    "replications_to_resolve",
    "revenue",
    "replications",
    "seed",
    "note",
    "confirmed_gain",
    "confirmed_ci95_low",
    "confirmed_ci95_high",
)
"""The columns of ``recommendations.csv``, in order (the first eight are the contract of issue 11)."""

CATALOG_COLUMNS = ("sku", "policy", "kpi", "mean", "ci95_half_width", "n")
"""The columns of ``catalog.csv``."""

Extras = Callable[[Path], Mapping[str, str | bytes]]
"""A hook adding files to a finished catalog folder (the page): given the folder being
assembled (``recommendations.csv``, ``catalog.csv``, ``portfolio.json``, ``scenario.yaml``
are written), it returns more files by relative path."""


class ResumeError(ValueError):
    """``--resume`` cannot continue (another run's journal), or a journal is in the way."""


def partial_folder(out: Path) -> Path:
    """Where a catalog written to ``out`` keeps its journal while it runs: ``OUT.partial``."""
    out = Path(out)
    return out.with_name(f"{out.name}.partial")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(
    template: Scenario,
    products_sha256: str,
    objective: Objective,
    chunks: Sequence[range],
    ignore: Sequence[str] = (),
    confirm: int = 0,
) -> dict[str, Any]:
    """What must be equal for ``--resume`` to continue a journal (each named in the message when not)."""
    return {
        "template": scenario_fingerprint(template),
        "products": products_sha256,
        "seed": template.seed,
        "replications": template.replications,
        "objective": objective.kpi,
        "subject_to": [str(c) for c in objective.constraints],
        "ignore_columns": list(ignore),
        "confirm_replications": confirm,
        "chunks": _sha(json.dumps([[c.start, c.stop] for c in chunks])),
        "supplysim_version": supplysim_version(),
    }


_WHAT = {
    "template": "the template scenario",
    "products": "the products table",
    "seed": "the seed",
    "replications": "the replications",
    "objective": "the objective",
    "subject_to": "the constraints (--subject-to)",
    "ignore_columns": "the ignored columns",
    "confirm_replications": "the confirming replications",
    "chunks": "the plan of chunks",
    "supplysim_version": "the supplysim version",
}


@dataclass(frozen=True)
class _PartHead:
    """The first line of a chunk's part: what assembling the folder reads before the summaries
    (:class:`~supplysim.experiments.catalog.ChunkResult`), so that its first pass over the parts
    parses one line of each, not every product's summary."""

    table: str
    """The chunk's rows of ``catalog.csv`` (CSV text)."""
    revenues: tuple[float, ...]
    classes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        revenue = [json_number(r) for r in self.revenues]  # JSON has no NaN
        return {"catalog": self.table, "revenue": revenue, "class": list(self.classes)}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> _PartHead:
        table, classes = d["catalog"], d["class"]
        if not isinstance(table, str) or not all(isinstance(c, str) for c in classes):
            raise TypeError("not the head of a part")
        return cls(table, tuple(math.nan if r is None else float(r) for r in d["revenue"]), tuple(classes))


@dataclass
class CatalogJournal:
    """The journal of one catalog run into ``out`` (a :class:`~supplysim.experiments.catalog.ChunkSink`).

    Args:
        out: the results folder.
        print_: the run's fingerprint (:func:`fingerprint`).
        sizes: how many products each chunk of the run has, in order.
        kpis: the indicators ``catalog.csv`` lists.
        notice: told, in a sentence, what a resumed run keeps and what it runs again.
    """

    out: Path
    print_: dict[str, Any]
    sizes: tuple[int, ...]
    kpis: tuple[str, ...]
    notice: Callable[[str], None] | None = None

    @property
    def chunks(self) -> int:
        """How many chunks the run has."""
        return len(self.sizes)

    @property
    def partial(self) -> Path:
        return partial_folder(self.out)

    def _part(self, index: int) -> Path:
        return self.partial / "parts" / f"{index:06d}.jsonl"

    def start(self, resume: bool) -> set[int]:
        """Open the journal; the chunks already finished (only with ``resume``).

        Raises:
            ResumeError: a journal is there without ``resume``, or ``resume`` finds a journal
                of another run (names what differs).
            ResultsFolderError: ``out`` is not a folder supplysim may replace.
        """
        check_destination(self.out, kind=FolderKind.CATALOG)
        run = self.partial / "run.json"
        if self.partial.exists():
            if not resume:
                done = len(self._done())
                raise ResumeError(
                    f"{self.partial} holds an interrupted catalog run ({done} of its chunks finished)\n"
                    f"  hint: add --resume to continue it, or delete {self.partial} to start over"
                )
            try:
                before = json.loads(run.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                before = None
            if not isinstance(before, dict):
                raise ResumeError(
                    f"{run}: missing or unreadable, so the interrupted run cannot be checked\n"
                    f"  hint: delete {self.partial} to start over"
                )
            differ = [_WHAT.get(k, k) for k in self.print_ if before.get(k) != self.print_[k]]
            if differ:
                raise ResumeError(
                    f"--resume: {self.partial} was started with other inputs: {', '.join(differ)} differ\n"
                    f"  hint: run with the same template, table and options, or delete {self.partial} to start over"
                )
            return self._kept()
        write_file(run, json.dumps(self.print_, indent=2) + "\n")
        return set()

    def _done(self) -> set[int]:
        folder = self.partial / "parts"
        if not folder.is_dir():
            return set()
        return {int(p.stem) for p in folder.glob("*.jsonl") if p.stem.isdecimal() and int(p.stem) < self.chunks}

    def _kept(self) -> set[int]:
        """The finished chunks a resumed run keeps: those whose part holds one readable summary per
        product of the chunk. A damaged part (cut short, emptied, edited: parts are written whole,
        so only something outside the run does that) is removed, and its chunk runs again."""
        kept, damaged = set(), []
        for index in sorted(self._done()):
            if self._intact(index):
                kept.add(index)
            else:
                damaged.append(index)
                self._part(index).unlink(missing_ok=True)
        if self.notice is not None:
            products = sum(self.sizes[i] for i in kept)
            total = sum(self.sizes)
            line = f"resuming: {products} of {total} products already finished are kept"
            if damaged:
                again = sum(self.sizes[i] for i in damaged)
                line += (
                    f"; {len(damaged)} damaged part{'s' if len(damaged) > 1 else ''} of {self.partial / 'parts'} "
                    f"({', '.join(self._part(i).name for i in damaged[:5])}{', …' if len(damaged) > 5 else ''}) "
                    f"removed, {again} product{'s' if again != 1 else ''} run again"
                )
            self.notice(line)
        return kept

    def _intact(self, index: int) -> bool:
        """Part ``index`` holds one readable summary per product of its chunk, and its head is
        the one those summaries make (:func:`~supplysim.experiments.catalog.chunk_head`)."""
        try:
            with open(self._part(index), encoding="utf-8") as fh:
                head = _PartHead.from_json(json.loads(fh.readline()))
                summaries = [ProductSummary.from_json(json.loads(line)) for line in fh]
            if len(summaries) != self.sizes[index]:
                return False
            table, revenues, classes = chunk_head(summaries, self.kpis)
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return False
        return _PartHead(table, revenues, classes).to_json() == head.to_json()  # NaN as null, alike

    def put(self, result: ChunkResult) -> None:
        """Store a finished chunk (atomically, fsynced): its head (:class:`_PartHead`), then one
        summary per line."""
        head = _PartHead(result.table, result.revenues, result.classes)
        text = json.dumps(head.to_json(), separators=(",", ":"), allow_nan=False) + "\n"
        write_file(self._part(result.index), text + "".join(line + "\n" for line in result.lines))

    def _heads(self) -> Iterator[_PartHead]:
        """Each part's head, in table order (a line of each part is read)."""
        for index in range(self.chunks):
            with open(self._part(index), encoding="utf-8") as fh:
                yield _PartHead.from_json(json.loads(fh.readline()))

    def summaries(self) -> Iterator[ProductSummary]:
        """Every product's summary, in table order (reading the parts one at a time)."""
        for index in range(self.chunks):
            with open(self._part(index), encoding="utf-8") as fh:
                fh.readline()  # the head
                for line in fh:
                    yield ProductSummary.from_json(json.loads(line))

    def finish(
        self,
        template: Scenario,
        products: Path,
        objective: Objective,
        extras: Extras | None = None,
    ) -> Path:
        """Assemble the results folder from the parts and put it in place; remove the journal."""
        with FolderBuilder(self.out, FolderKind.CATALOG) as tmp:
            revenues = array("d")
            given = False
            with open(tmp / "catalog.csv", "w", encoding="utf-8", newline="") as fh:
                csv.writer(fh, lineterminator="\n").writerow(CATALOG_COLUMNS)
                for head in self._heads():
                    fh.write(head.table)
                    revenues.extend(head.revenues)
                    given = given or any(head.classes)
            source = "column" if given else "revenue"
            count = len(revenues)
            codes = None if given else abc_codes(revenues)
            del revenues
            builder = PortfolioBuilder(list(template.policies), self.kpis)
            with open(tmp / "recommendations.csv", "w", encoding="utf-8", newline="") as fh:
                _recommendations(fh, self.summaries(), count, codes, builder)
            document = {
                "supplysim_version": supplysim_version(),
                "template": template.name,
                "products": count,
                "objective": objective.kpi,
                "better": "higher" if objective.sign > 0 else "lower",
                "subject_to": [str(c) for c in objective.constraints],
                "baseline": template.baseline,
                "policies": list(template.policies),
                "replications": template.replications,
                "seed": template.seed,
                **builder.document(),
                "class_source": source,
                "fingerprint": _sha(json.dumps(self.print_, sort_keys=True)),
            }
            (tmp / "portfolio.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
            (tmp / "scenario.yaml").write_text(_template_yaml(template), encoding="utf-8")
            suffix = ".parquet" if products.suffix.lower() in (".parquet", ".pq") else ".csv"
            try:
                shutil.copyfile(products, tmp / f"products{suffix}")
            except OSError as exc:
                raise table_unreadable(str(products), exc) from None
            if file_sha256(tmp / f"products{suffix}") != self.print_.get("products"):
                raise table_changed(str(products), "the file copied into the results folder is another one")
            if extras is not None:
                for name, content in extras(tmp).items():
                    (tmp / name).parent.mkdir(parents=True, exist_ok=True)
                    if isinstance(content, bytes):
                        (tmp / name).write_bytes(content)
                    else:
                        (tmp / name).write_text(content, encoding="utf-8")
        shutil.rmtree(self.partial, ignore_errors=True)
        return self.out


def _recommendations(
    fh: TextIO, summaries: Iterator[ProductSummary], count: int, codes: bytes | None, builder: PortfolioBuilder
) -> None:
    """Write ``recommendations.csv`` from the ``count`` summaries and add each to ``builder``; a
    product's class is its label, or its byte of ``codes`` (:func:`abc_codes`) when given."""
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(RECOMMENDATION_COLUMNS)
    written = 0
    for k, s in enumerate(summaries):
        klass = s.labels[2] if codes is None else chr(codes[k])
        written += 1
        builder.add(s, klass)
        kpi = s.objective_kpi
        ok = s.best is not None
        ru = s.runner_up_gap
        row = [
            s.sku,
            s.best or "",
            cell(s.mean(s.best, kpi)) if s.best is not None else "",
            cell(s.gain[0]) if ok else "",
            cell(s.gain[1]) if ok else "",
            cell(s.gain[2]) if ok else "",
            s.runner_up or "",
            "true" if s.tied else "false",
            s.labels[0],
            s.labels[1],
            klass,
            s.status,
            cell(s.mean(s.baseline, kpi)),
            cell(s.mean(s.runner_up, kpi)) if s.runner_up is not None else "",
            cell(ru[0]) if ru is not None else "",
            cell(ru[1]) if ru is not None else "",
            cell(ru[2]) if ru is not None else "",
            "" if s.needed is None else s.needed,
            cell(s.revenue),
            s.replications,
            s.seed,
            s.note,
            *_confirmed(s),
        ]
        w.writerow(row)
    if written != count:
        raise ValueError(f"the journal gave {written} products on its second reading, {count} on its first")


def _confirmed(s: ProductSummary) -> list[str]:
    """The chosen policy's gain over the baseline on the fresh replications, with its 95% interval."""
    if s.confirmed is None or s.best is None:
        return ["", "", ""]
    mean, var, n = s.confirmed[s.baseline]
    if n < 2 or not math.isfinite(var):
        return [cell(mean), "", ""]
    hw = t_quantile(0.975, n - 1) * math.sqrt(var)
    return [cell(mean), cell(mean - hw), cell(mean + hw)]


def _template_yaml(template: Scenario) -> str:
    """The template as resolved (``--replications``/``--seed`` applied), each policy written as its
    difference from the base: ``supplysim run scenario.yaml --set … --seed SEED`` with a row's
    cells and its seed reproduces that product exactly (``docs/catalog.md``)."""
    header = (
        f"# The catalog's template, resolved by supplysim {supplysim_version()}: each product is this\n"
        "# scenario with its row's cells as --set and its seed (recommendations.csv, column seed).\n"
    )
    return header + yaml.safe_dump(scenario_source(template), sort_keys=False, allow_unicode=True)
