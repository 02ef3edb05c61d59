"""Reading what a scenario is made of: files, YAML with the position of every key, CSV data.

* :func:`read_text` reads a file only if it is a regular file of at most
  :data:`MAX_FILE_BYTES` of UTF-8 text, and never blocks (a FIFO or a device is
  refused before it is opened, and the file is opened non-blocking).
* :func:`read_yaml` composes a YAML document after a scan of its events that
  refuses nesting deeper than :data:`MAX_DEPTH`, more than :data:`MAX_ALIASES`
  aliases and more than :data:`MAX_NODES` values once aliases are expanded, so an
  alias bomb fails at once, at its line. It records the line and column of every
  key path (:class:`Source`).
* :func:`read_column` reads one column of numbers of a CSV data file that must lie
  inside the scenario's folder (unless the caller allows otherwise).

Messages quote content only as short, printable excerpts.
"""

from __future__ import annotations

import csv
import difflib
import errno
import io
import math
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from supplysim.scenario.errors import ScenarioError, clip, excerpt, fmt_path
from supplysim.scenario.limits import MAX_ALIASES, MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, MAX_VALUES

__all__ = [
    "OutsideFolder",
    "Path_",
    "Source",
    "UnreadableFile",
    "data_path",
    "read_column",
    "read_text",
    "read_value",
    "read_yaml",
]

Path_ = tuple[str | int, ...]
"""A key path: mapping keys and list indices."""

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when installed (ten times faster), the pure-Python one otherwise."""


# --------------------------------------------------------------------------- files


class UnreadableFile(ValueError):
    """A file that is not read; ``str(err)`` says why (without naming the file)."""


class OutsideFolder(UnreadableFile):
    """A data file that leads outside the scenario's folder."""


_NOT_REGULAR = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def _check_regular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _NOT_REGULAR if test(mode)), None)
        raise UnreadableFile(f"{kind}, not a regular file" if kind else "not a regular file")


def _too_large(size: int, limit: int) -> str:
    return f"larger than {limit / 1e6:g} MB" + (f" ({size / 1e6:.1f} MB)" if size else "")


def read_text(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of the regular file at ``path`` (a byte-order mark dropped).

    Never blocks and never reads more than ``limit`` + 1 bytes: the file is checked
    with ``os.stat`` before it is opened, opened with ``O_NONBLOCK`` and checked again
    once open (``fstat``), since special files such as ``/proc/…`` report size 0.

    Raises:
        UnreadableFile: missing, a loop of symbolic links, not a regular file,
            larger than ``limit`` bytes, or not UTF-8 text.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise UnreadableFile("no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnreadableFile("a loop of symbolic links") from None
        raise UnreadableFile(str(exc.strerror or exc).lower()) from None
    _check_regular(st.st_mode)
    if st.st_size > limit:
        raise UnreadableFile(_too_large(st.st_size, limit))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnreadableFile(str(exc.strerror or exc).lower()) from None
    try:
        _check_regular(os.fstat(fd).st_mode)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise UnreadableFile(str(exc.strerror or exc).lower()) from None
    finally:
        os.close(fd)
    if size > limit:
        raise UnreadableFile(_too_large(0, limit))
    data = b"".join(chunks)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UnreadableFile(f"not UTF-8 text (line {line} holds the byte 0x{data[exc.start]:02x})") from None


# --------------------------------------------------------------------------- YAML


@dataclass
class Source:
    """Where each key path of a YAML document came from (file positions or command-line options)."""

    file: str
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    overridden: dict[Path_, str] = field(default_factory=dict)
    """Key paths set by overrides → where their messages say they came from."""
    remedy: str = "the override ({path!r}, {py})"
    """How a hint writes one more override (see :class:`~supplysim.scenario.overrides.Origin`)."""
    built: dict[int, Any] = field(default_factory=dict)
    building: set[int] = field(default_factory=set)
    scalars: Any = None
    """A constructor of scalars (numbers, booleans, null, strings) exactly as ``yaml.safe_load``'s."""

    def where(self, path: Path_, key: bool = False) -> str:
        """``file:line:col`` of ``path`` (or of its nearest located ancestor), or the override that set it."""
        for p in prefixes(path):
            if p in self.overridden:
                return self.overridden[p]
            if p and p not in self.positions:  # a mapping an override created on its way (``--set a.b=1``)
                below = next((w for o, w in self.overridden.items() if o[: len(p)] == p), None)
                if below is not None:
                    return below
            table = self.key_positions if key else self.positions
            if p in table:
                line, col = table[p]
                return f"{self.file}:{line}:{col}"
            if p in self.positions:
                line, col = self.positions[p]
                return f"{self.file}:{line}:{col}"
        return self.file

    def set_by_option(self, path: Path_) -> bool:
        """True when a command-line option set ``path`` or a mapping holding it."""
        return any(p in self.overridden for p in prefixes(path))


def prefixes(path: Path_) -> Iterable[Path_]:
    """``path`` and each of its ancestors, longest first."""
    for n in range(len(path), -1, -1):
        yield path[:n]


class _DuplicateKey(Exception):
    def __init__(self, key: Any, first: yaml.Mark, second: yaml.Mark) -> None:
        super().__init__(key)
        self.key, self.first, self.second = key, first, second


def _at(label: str, mark: Any, located: bool) -> str:
    """``label:line:col`` of a YAML mark (``label`` alone for a command-line value)."""
    return f"{label}:{mark.line + 1}:{mark.column + 1}" if located and mark is not None else label


def _scan(text: str, label: str, loader: Any, located: bool) -> None:
    """Walk the events of ``text`` once (no document is built) and refuse it early when it
    nests deeper than :data:`MAX_DEPTH`, holds more than :data:`MAX_ALIASES` aliases or
    more than :data:`MAX_NODES` values with its aliases expanded."""
    sizes: dict[str, int] = {}  # anchor -> values it stands for
    stack: list[list[Any]] = [[None, 0]]  # open collections: [anchor, values so far]
    total = aliases = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.ScalarEvent):
            added = 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if len(stack) > MAX_DEPTH:
                raise ScenarioError(
                    f"{_at(label, event.start_mark, located)}: mappings and lists nested more than {MAX_DEPTH} deep\n"
                    "  hint: a scenario needs at most 8 levels; look for a runaway `[` or `{`"
                )
            stack.append([event.anchor, 1])
            total += 1
            continue
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            anchor, count = stack.pop()
            if anchor is not None:
                sizes[anchor] = count
            stack[-1][1] += count
            continue
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise ScenarioError(
                    f"{_at(label, event.start_mark, located)}: more than {MAX_ALIASES:,} aliases (*name) in one file"
                )
            added = sizes.get(event.anchor or "", 1)
        else:
            continue
        stack[-1][1] += added
        total += added
        if total > MAX_NODES:
            alias = isinstance(event, yaml.AliasEvent)
            raise ScenarioError(
                f"{_at(label, event.start_mark, located)}: the document holds more than {MAX_NODES:,} values"
                + (" with its aliases expanded" if alias else "")
                + "\n  hint: "
                + (
                    f"this alias repeats {added:,} values; aliases of aliases grow exponentially"
                    if alias
                    else "read long data from a CSV file (`file:` and `column:`)"
                )
            )


_TAG_NAMES = {
    "tag:yaml.org,2002:int": "an integer",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:timestamp": "a date",
}


_PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{kind}" for kind in ("str", "int", "float", "bool", "null", "timestamp"))
"""Tags whose constructor builds a scalar directly (no generator, no recursion to track)."""


_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_STR = "tag:yaml.org,2002:str"
_LEADING_ZERO = re.compile(r"[-+]?0[0-9][0-9_]*")
"""An integer written with a leading zero: YAML 1.1 reads ``060`` as octal (48) and ``08`` as
text; read here as 60 and 8."""
_EXPONENT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+")
"""A number in exponent notation (``1e3``, ``2.5E-4``): YAML 1.1 wants a dot and a signed exponent
(``1.0e+3``) and reads the rest as text; read here as the number."""


def _yaml12_number(node: yaml.ScalarNode) -> Any:
    """The value of a plain (unquoted) scalar whose YAML 1.1 reading is not what a person means and
    not what YAML 1.2 (its core schema) says, or ``node`` itself when there is none: a leading zero
    is decimal (``060`` is 60, not octal 48; ``08`` is 8), ``1:30`` is text (not the base-60 number 90), and
    ``1e3`` is a number (not text). Quoting keeps any of them text."""
    if node.style:  # None (PyYAML) or "" (libyaml) for a plain scalar
        return node
    value = node.value
    if node.tag in (_INT, _FLOAT) and ":" in value:
        return value
    if node.tag in (_INT, _STR) and _LEADING_ZERO.fullmatch(value):
        return int(value.replace("_", ""))
    if node.tag == _STR and _EXPONENT.fullmatch(value):
        return float(value)
    return node


def _scalar(node: yaml.ScalarNode, path: Path_, src: Source, located: bool) -> Any:
    plain = _yaml12_number(node)
    if plain is not node:
        return plain
    try:
        if node.tag in _PLAIN_TAGS:  # the fast path of construct_object for the common scalars
            return src.scalars.yaml_constructors[node.tag](src.scalars, node)
        return src.scalars.construct_object(node)
    except (ValueError, OverflowError) as exc:  # !!int abc, !!float x, a 5,000-digit integer, month 13
        what = _TAG_NAMES.get(node.tag, f"`{node.tag}`")
        digits = sum(c.isdigit() for c in node.value)
        detail = (
            f": it has {digits:,} digits, far beyond any number of the model"
            if node.tag.endswith(":int") and digits > 1000
            else (f" ({exc})" if node.tag.endswith(":timestamp") else "")
        )
        key = path[:-1] if path[-1:] == ("<key>",) else path
        where = _at(src.file, node.start_mark, located) + (f": {fmt_path(key)}" if key else "")
        raise ScenarioError(f"{where}: cannot read {excerpt(node.value)} as {what}{detail}") from None


def _construct(node: yaml.Node, path: Path_, src: Source, located: bool) -> Any:
    """Build Python data from a YAML node, recording each path's position.

    A node reached again through an alias is built once and shared (as
    ``yaml.safe_load`` does); an alias that contains itself is an error.
    """
    src.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    key = id(node)
    if key in src.building:
        raise ScenarioError(
            f"{_at(src.file, node.start_mark, located)}: a YAML anchor refers to itself (recursive alias)"
        )
    if key in src.built:
        return src.built[key]
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        src.building.add(key)
        try:
            value = _construct_collection(node, path, src, located)
        finally:
            src.building.discard(key)
        src.built[key] = value
        return value
    return _scalar(node, path, src, located)  # type: ignore[arg-type]


_MERGE = "tag:yaml.org,2002:merge"


def _merged(value_node: yaml.Node, path: Path_, src: Source, located: bool) -> list[dict[Any, Any]]:
    """The mappings a merge key ``<<`` brings in: one mapping (``<<: *base``) or a list of them
    (``<<: [*a, *b]``, earlier ones first), as YAML's merge-key type defines."""
    nodes = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
    out = []
    here = src.positions.get(path)
    for item in nodes:
        value = _construct(item, path, src, located) if isinstance(item, yaml.MappingNode) else None
        if here is not None:
            src.positions[path] = here  # the merging mapping stays where it is written
        if not isinstance(value, dict):
            where = _at(src.file, item.start_mark, located)
            raise ScenarioError(
                f"{where}: `<<` merges a mapping (`<<: *name` with an anchored mapping, or a list of them)"
            )
        out.append(value)
    return out


def _construct_collection(node: yaml.Node, path: Path_, src: Source, located: bool) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        seen: dict[Any, yaml.Mark] = {}
        merges: list[dict[Any, Any]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.extend(_merged(value_node, path, src, located))
                continue
            key = _construct(key_node, (*path, "<key>"), src, located)
            if isinstance(key, list | dict):
                where = _at(src.file, key_node.start_mark, located)
                raise ScenarioError(f"{where}: a mapping key must be a plain name")
            if key in seen:
                raise _DuplicateKey(key, seen[key], key_node.start_mark)
            seen[key] = key_node.start_mark
            child = (*path, key)
            src.key_positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _construct(value_node, child, src, located)
        src.positions.pop((*path, "<key>"), None)
        if merges:  # the mapping's own keys win; of the merged ones, the first given wins
            brought: dict[Any, Any] = {}
            for merged in merges:
                for key, value in merged.items():
                    brought.setdefault(key, value)
            out = {**{k: v for k, v in brought.items() if k not in out}, **out}
        return out
    return [_construct(item, (*path, i), src, located) for i, item in enumerate(node.value)]


def _compose(text: str, label: str, located: bool) -> yaml.Node | None:
    """The node graph of ``text``, after :func:`_scan`.

    libyaml does the work when installed; whatever it refuses is read again by PyYAML,
    whose verdict and wording (the messages users know) decide – unless the text is
    over 1 MB, which PyYAML would take many seconds to read: then libyaml's word is final.
    """
    if _LOADER is not yaml.SafeLoader:
        try:
            _scan(text, label, _LOADER, located)
            node: yaml.Node | None = yaml.compose(text, Loader=_LOADER)
            return node
        except yaml.YAMLError:
            if len(text) > 1_000_000:
                raise
    _scan(text, label, yaml.SafeLoader, located)
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    return node


def read_yaml(text: str, file: str, located: bool = True) -> tuple[Any, Source]:
    """The data of the YAML document ``text`` and where each of its key paths is.

    ``file`` names it in messages, followed by ``:line:col`` unless ``located`` is false
    (a command-line value). An empty document is ``None``.

    Raises:
        ScenarioError: invalid YAML, a duplicate key, a limit of the reader crossed,
            a scalar that its tag cannot read.
    """
    src = Source(file, scalars=yaml.SafeLoader(""))
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(f"{file}: {_too_large(len(text), MAX_FILE_BYTES)}")
    try:
        node = _compose(text, file, located)
    except yaml.MarkedYAMLError as exc:
        where = _at(file, exc.problem_mark, located)
        raise ScenarioError(
            f"{where}: this is not valid YAML: {exc.problem}"
            + (f" ({exc.context})" if exc.context else "")
            + "\n  hint: check the indentation and that every `key: value` pair has a space after the colon"
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (it has no mark)
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - text.rfind("\n", 0, exc.position)
        where = f"{file}:{line}:{col}" if located else file
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        problem = f"unacceptable character #x{code:04x}: {exc.reason}"
        raise ScenarioError(f"{where}: this is not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{file}: this is not valid YAML: {str(exc)[:300]}") from None
    if node is None:
        return None, src
    try:
        data = _construct(node, (), src, located)
    except _DuplicateKey as dup:
        raise ScenarioError(
            f"{_at(file, dup.second, located)}: key {excerpt(dup.key)} appears twice "
            f"(first at line {dup.first.line + 1})\n"
            "  hint: YAML would silently keep only the last one; remove or merge them"
        ) from None
    except yaml.constructor.ConstructorError as exc:
        raise ScenarioError(f"{_at(file, exc.problem_mark, located)}: {exc.problem}") from None
    src.built.clear()
    return data, src


_PLAIN_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_PLAIN_FLOAT = re.compile(r"-?[0-9]{1,17}\.[0-9]{1,17}")
"""Numbers written the plainest way (``12``, ``-3``, ``2.345``): the reader's value for them is
what Python's ``int`` and ``float`` give. Anything else (an integer with a leading zero, an
exponent, a sign ``+``, ``_``, blanks, more than 18 digits) takes the full reader."""


def read_value(text: str, label: str) -> Any:
    """A YAML value from the command line or a table's cell (``label`` names it), read under the
    same limits as a file. A plain number skips the YAML reader (a catalog reads thousands of
    cells; the value is the one YAML gives, tests/test_inputs.py compares)."""
    if _PLAIN_INT.fullmatch(text):
        return int(text)
    if _PLAIN_FLOAT.fullmatch(text):
        return float(text)
    data, _ = read_yaml(text, label, located=False)
    return data


# --------------------------------------------------------------------------- data files


def data_path(file: str, base_dir: str | None, allow_outside: bool = False) -> Path:
    """The real path of data file ``file``: relative to ``base_dir`` (the scenario's folder;
    the current directory if none), and inside it unless ``allow_outside``.

    Symbolic links are followed before the check, so a link leading outside is outside.

    Raises:
        OutsideFolder: the path leads outside the folder.
    """
    root = Path(base_dir) if base_dir else Path.cwd()
    given = Path(file)
    path = given if given.is_absolute() else root / given
    real = Path(os.path.realpath(path))
    real_root = Path(os.path.realpath(root))
    if not allow_outside and not real.is_relative_to(real_root):
        via = f" (through a symbolic link, to {real})" if real != Path(os.path.abspath(path)) else ""
        raise OutsideFolder(f"{file} leads outside the scenario's folder {real_root}{via}")
    return real


def _cell_value(cell: str, whole: bool) -> float | int | str:
    """The number in a CSV cell, or why it is not one."""
    try:
        value = float(cell)
    except ValueError:
        return "is not a number"
    if not math.isfinite(value):
        return "is not a finite number"
    if whole:
        return int(value) if value.is_integer() else "is not a whole number"
    return value if value >= 0 else "is negative (durations are ≥ 0)"


def read_column(
    file: str,
    column: str,
    base_dir: str | None,
    *,
    whole: bool = False,
    allow_outside: bool = False,
    cache: dict[Any, list[Any]] | None = None,
) -> list[Any]:
    """The numbers of ``column`` in the CSV data file ``file`` (see :func:`data_path`).

    Empty cells are skipped. ``whole`` asks for whole numbers (quantities), otherwise
    durations (finite, ≥ 0). A ``cache`` keeps what was read, so a file shared by the
    base and every policy is read once per scenario.

    Raises:
        OutsideFolder: the file leads outside the scenario's folder.
        ValueError: the message names the file, and the line and column of a bad cell.
    """
    path = data_path(file, base_dir, allow_outside)
    key = (str(path), column, whole)
    if cache is not None and key in cache:
        return cache[key]
    try:
        text = read_text(path)
    except UnreadableFile as exc:
        raise ValueError(f"cannot read {file}: {exc} (looked for {path})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    values: list[Any] = []
    try:
        names = reader.fieldnames or []
        if column not in names:
            shown = ", ".join(clip(n, 30) for n in names[:10]) + (", …" if len(names) > 10 else "")
            close = difflib.get_close_matches(column, names[:1000], n=1)
            hint = f"; did you mean {excerpt(close[0], 30)}?" if close else ""
            raise ValueError(f"{file} has no column {excerpt(column, 30)} (its columns: {shown or 'none'}){hint}")
        for row in reader:
            cell = (row.get(column) or "").strip()
            if not cell:
                continue
            value = _cell_value(cell, whole)
            if isinstance(value, str):
                raise ValueError(
                    f"{file}, line {reader.line_num}, column {excerpt(column, 30)}: {excerpt(cell, 30)} {value}"
                )
            values.append(value)
            if len(values) > MAX_VALUES:
                raise ValueError(f"{file}, column {excerpt(column, 30)}: more than {MAX_VALUES:,} values")
    except csv.Error as exc:
        line = reader.line_num + 1  # the line being read when the reader gave up
        raise ValueError(f"{file}, line {line}: not a CSV file this reader can read ({exc})") from None
    if not values:
        raise ValueError(f"{file}, column {excerpt(column, 30)}: no values")
    if cache is not None:
        cache[key] = values
    return values
