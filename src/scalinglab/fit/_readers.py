"""Reading a runs file: one parser per format (CSV/TSV, JSONL, JSON, Parquet) and the checks on its cells.

Every failure is one :class:`~scalinglab.errors.DataError` naming the file, the row (1-based data rows; the
line too where it differs from what counting rows suggests), the column, the rule and a short excerpt of
the value, never the whole value: a runs file can be anything a user points at, a gzip archive included.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError

#: file extension -> format; any other extension is read as CSV
FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
           ".parquet": "parquet", ".pq": "parquet"}
EXCERPT = 60  # characters of a value shown in a message
_MAGIC = ((b"\x1f\x8b", "gzip-compressed bytes (decompress it first, e.g. gunzip)"),
          (b"PK\x03\x04", "a zip archive (an .xlsx workbook? export it as CSV)"),
          (b"PAR1", "a Parquet file (name it .parquet)"),
          (b"SQLite format 3\x00", "an SQLite database (a lab store? use --store)"),
          (b"\xff\xfe", "UTF-16 text (save it as UTF-8)"), (b"\xfe\xff", "UTF-16 text (save it as UTF-8)"))


def excerpt(value: Any, limit: int = EXCERPT) -> str:
    """``repr(value)`` cut to about ``limit`` characters, saying how long the whole was."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = len(value) if isinstance(value, (str, bytes)) else len(text)
    return f"{text[:limit]}… ({size:,} characters)"


def _where(path: Path, limit: int = 2 * EXCERPT) -> str:
    """A path for a message: its end (the file's name) is what must survive a cut."""
    text = str(path)
    return repr(text) if len(text) <= limit else repr("…" + text[-limit:])


def _json_text(value: Any) -> str:
    """A JSON value as JSON (``true``, not ``True``), cut to :data:`EXCERPT` characters."""
    text = json.dumps(value)
    return text if len(text) <= EXCERPT else f"{text[:EXCERPT]}… ({len(text):,} characters)"


def _plain(name: str) -> str:
    """A name as the user would type it; quoted (and cut) when it holds anything unprintable or is long."""
    return name if name.isprintable() and len(name) <= EXCERPT else excerpt(name)


def _names(columns: list[str], most: int = 12) -> str:
    """The first ``most`` column names, as :func:`_plain` shows them."""
    if not columns:
        return "none"
    more = f", … ({len(columns)} columns)" if len(columns) > most else ""
    return ", ".join(_plain(c) for c in columns[:most]) + more


def _reason(exc: BaseException, limit: int = 100) -> str:
    """The first line of a third-party error, shortened."""
    text = (str(exc).splitlines() or [type(exc).__name__])[0]
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass(frozen=True)
class Table:
    """The header and data rows of a runs file; ``lines[i]``: the line row ``i`` starts on (text formats)."""

    name: str
    columns: list[str]
    rows: list[dict[str, Any]]
    sha256: str
    lines: list[int] | None = None
    header_lines: int = 0  # lines before the first row when the file has no blank lines (CSV: 1)

    def at(self, i: int) -> str:
        """``'row 3'`` for the 0-based index ``i``, ``'row 3 (line 7)'`` where blank or multi-line rows
        make the line differ from the count."""
        if self.lines is None or self.lines[i] == i + 1 + self.header_lines:
            return f"row {i + 1}"
        return f"row {i + 1} (line {self.lines[i]})"

    def require(self, col: str) -> None:
        """Refuse a column that no row has, listing (a few of) those there are."""
        if col in self.columns:
            return
        shown = _names(self.columns)
        hint = [c for c in self.columns if c.strip().casefold() == col.strip().casefold()]
        if hint:
            shown += f" (did you mean {excerpt(hint[0])}?)"
        elif len(self.columns) == 1 and any(s in self.columns[0] for s in ";\t|"):
            shown += " (one column whose name holds a separator: is the file separated by ';', tabs or '|'?)"
        raise DataError(f"Column {col!r} must exist in {self.name}. Got columns: {shown}.")

    def _cell(self, i: int, col: str) -> Any:
        row = self.rows[i]
        if col not in row:
            raise DataError(f"Column {col!r} {self.at(i)} of {self.name} must have a value. Got a row "
                            f"without it (keys: {_names(list(row))}).")
        return row[col]

    def number(self, i: int, col: str) -> float:
        """Cell ``(i, col)`` as a float that is finite and > 0."""
        value = self._cell(i, col)
        where = f"Column {col!r} {self.at(i)}"
        if isinstance(value, (bool, np.bool_)):  # float(True) is 1.0: a flag is not a count
            raise DataError(f"{where} must be a number, not a boolean. Got {str(value).lower()}.")
        if value is None:
            raise DataError(f"{where} must be a number. Got null.")
        try:
            x = float(value)
        except OverflowError:  # a JSON integer beyond float range
            x = math.inf
        except (TypeError, ValueError):
            raise DataError(f"{where} must be numeric. Got {excerpt(value)}.") from None
        if not math.isfinite(x) or x <= 0:
            raise DataError(f"{where} must be finite and > 0. Got {excerpt(value)}.")
        return x

    def fraction(self, i: int, col: str, what: str = "an accuracy") -> float:
        """Cell ``(i, col)`` as a finite number in [0, 1] (an accuracy or an error rate)."""
        value = self._cell(i, col)
        where = f"Column {col!r} {self.at(i)}"
        if isinstance(value, (bool, np.bool_)) or value is None:
            raise DataError(f"{where} must be {what} in [0, 1]. Got {_json_text(value)}.")
        try:
            x = float(value)
        except (TypeError, ValueError, OverflowError):
            raise DataError(f"{where} must be {what} in [0, 1]. Got {excerpt(value)}.") from None
        if not (math.isfinite(x) and 0.0 <= x <= 1.0):
            hint = " (a percentage? divide it by 100)" if 1.0 < x <= 100.0 else ""
            raise DataError(f"{where} must be {what} in [0, 1]. Got {excerpt(value)}{hint}.")
        return x

    def label(self, i: int, col: str) -> str:
        """Cell ``(i, col)`` as text (run ids, group labels); null is refused, not turned into 'None'."""
        value = self._cell(i, col)
        if value is None:
            raise DataError(f"Column {col!r} {self.at(i)} must hold a label. Got null.")
        return str(value)

    def matches(self, i: int, where: dict[str, Any]) -> bool:
        """Whether row ``i`` equals every ``where`` value (as text); a row without the column does not."""
        row = self.rows[i]
        return all(row.get(k) is not None and str(row[k]) == str(v) for k, v in where.items())


def read_table(path: Path) -> Table:
    """Parse the runs file at ``path`` by its extension (see :data:`FORMATS`)."""
    fmt = FORMATS.get(path.suffix.lower(), "csv")
    raw = _read_bytes(path)
    name = _plain(path.name)
    sha = hashlib.sha256(raw).hexdigest()
    if fmt == "parquet":
        columns, rows = _parquet(raw, name)
        return Table(name, columns, rows, sha)
    text = _text(raw, name, fmt)
    if fmt == "jsonl":
        columns, rows, lines = _jsonl(text, name)
        return Table(name, columns, rows, sha, lines)
    if fmt == "json":
        columns, rows = _json(text, name)
        return Table(name, columns, rows, sha)
    columns, rows, lines = _csv(text, name, "\t" if fmt == "tsv" else ",")
    return Table(name, columns, rows, sha, lines, header_lines=1)


def _read_bytes(path: Path) -> bytes:
    if path.is_dir():
        raise DataError(f"The runs file must be a file. Got a directory: {_where(path)}.")
    if path.exists() and not path.is_file():  # reading a pipe or /dev/zero would wait or fill memory
        raise DataError(f"The runs file must be a regular file. Got a pipe, socket or device: "
                        f"{_where(path)}.")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"The runs file must exist. Got {_where(path)}.") from None
    except OSError as exc:  # permission denied, a FIFO or device that fails, an I/O error
        raise DataError(f"The runs file must be readable. Got {exc.strerror or type(exc).__name__} for "
                        f"{_where(path)}.") from None


def _kind(raw: bytes) -> str | None:
    """What a file that is not the text it should be looks like, from its first bytes."""
    return next((what for magic, what in _MAGIC if raw.startswith(magic)), None)


def _text(raw: bytes, name: str, fmt: str) -> str:
    what = {"csv": "CSV", "tsv": "TSV", "jsonl": "JSON Lines", "json": "JSON"}[fmt]
    return decode_text(raw, f"The runs file {name}", what)


def decode_text(raw: bytes, subject: str, what: str) -> str:
    """``raw`` as UTF-8 text (a byte-order mark dropped), or one DataError starting with ``subject`` ("The runs
    file x.csv") that says what it is instead: compressed or binary bytes, another encoding, NUL bytes."""
    kind = _kind(raw)
    if kind:
        raise DataError(f"{subject} must be {what} text (UTF-8). Got {kind}.")
    try:
        text = raw.decode("utf-8-sig")  # -sig: a byte-order mark must not glue itself to the first column
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(f"{subject} must be UTF-8 text. Got byte 0x{raw[exc.start]:02x} on line "
                        f"{line} (Latin-1 or another encoding? save it as UTF-8).") from None
    nul = text.find("\x00")
    if nul >= 0:
        raise DataError(f"{subject} must be {what} text. Got a NUL byte on line "
                        f"{text.count(chr(10), 0, nul) + 1} (a binary file?).")
    return text


def _csv(text: str, name: str, delimiter: str) -> tuple[list[str], list[dict[str, Any]], list[int]]:
    # strict: an unclosed quote or text after a closing quote is an error, not a field that eats the file
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    start = 1  # the line the next row starts on
    try:
        for fields in reader:
            first, start = start, reader.line_num + 1
            if not any(f.strip() for f in fields):  # a blank line, or ',,,' as spreadsheets export
                continue
            if header is None:
                header = fields
                _unique(header, name)
            elif len(fields) != len(header):
                got = f"{len(fields)}: {excerpt(delimiter.join(fields))}"
                raise DataError(f"Row {len(rows) + 1} (line {first}) of {name} must have {len(header)} "
                                f"fields, as the header has. Got {got}.")
            else:
                rows.append(dict(zip(header, fields)))
                lines.append(first)
    except csv.Error as exc:
        if str(exc).startswith("field larger than field limit"):
            raise DataError(f"A field of {name} must be at most {csv.field_size_limit():,} characters. Got a "
                            f"longer one in the row starting on line {start} (an unclosed quote?).") from None
        hint = " (an unclosed quote?)" if "end of data" in str(exc) else ""
        raise DataError(f"The runs file {name} must be valid CSV. Got {exc} in the row starting on line "
                        f"{start}{hint}.") from None
    if header is None:
        raise DataError(f"The runs file {name} must start with a header row. Got an empty file.")
    if not rows:
        raise DataError(f"The runs file {name} must hold at least one data row. Got only the header "
                        f"(columns: {_names(header)}).")
    return header, rows, lines


def _unique(columns: list[str], name: str) -> None:
    seen: set[str] = set()
    for c in columns:
        if c in seen and c.strip():  # blank names repeat in spreadsheet exports with trailing empty columns
            raise DataError(f"Column names in {name} must be unique. Got {excerpt(c)} twice.")
        seen.add(c)


class _DuplicateKey(Exception):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):  # json.loads would keep the last silently
        raise _DuplicateKey(next(k for i, (k, _) in enumerate(pairs) if k in dict(pairs[:i])))
    return out


def _loads(text: str, name: str, line: int | None) -> Any:
    """``json.loads`` of a whole ``.json`` file (``line`` None) or of one line of a JSON Lines file."""
    what = f"Line {line} of {name}" if line else f"The runs file {name}"
    try:
        return json.loads(text, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        at = "" if line else f" at line {exc.lineno}, column {exc.colno}"
        near = text.strip() if line else text[max(exc.pos - 20, 0):exc.pos + 20]
        raise DataError(f"{what} must be valid JSON ({exc.msg}{at}). Got {excerpt(near)}.") from None
    except _DuplicateKey as exc:
        key = excerpt(exc.args[0])
        raise DataError(f"{what} must not repeat a key in an object. Got {key} twice.") from None
    except (ValueError, RecursionError) as exc:  # a 5,000-digit integer, nesting deeper than Python's stack
        raise DataError(f"{what} must be JSON that Python can read. Got {_reason(exc)}.") from None


def _json_kind(value: Any) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def _jsonl(text: str, name: str) -> tuple[list[str], list[dict[str, Any]], list[int]]:
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    for lineno, line in enumerate(text.split("\n"), 1):  # not splitlines: JSON strings may hold U+2028
        if not line.strip():
            continue
        obj = _loads(line, name, lineno)
        if not isinstance(obj, dict):
            raise DataError(f"Line {lineno} of {name} must be a JSON object (one run). Got "
                            f"{_json_kind(obj)}: {excerpt(line.strip())}.")
        rows.append(obj)
        lines.append(lineno)
    if not rows:
        raise DataError(f"The runs file {name} must hold at least one JSON object. Got none.")
    return list(dict.fromkeys(k for r in rows for k in r)), rows, lines


def _json(text: str, name: str) -> tuple[list[str], list[dict[str, Any]]]:
    data = _loads(text, name, None)
    if not isinstance(data, list):
        got = f"an object with keys {_names(list(data), 5)}" if isinstance(data, dict) else _json_kind(data)
        raise DataError(f"The runs file {name} must be a JSON array of objects, one per run (or use .jsonl, "
                        f".csv, .parquet). Got {got}.")
    if not data:
        raise DataError(f"The runs file {name} must hold at least one run. Got an empty array.")
    for i, obj in enumerate(data):
        if not isinstance(obj, dict):
            raise DataError(f"Element {i + 1} of the array in {name} must be a JSON object (one run). Got "
                            f"{_json_kind(obj)}: {_json_text(obj)}.")
    return list(dict.fromkeys(k for r in data for k in r)), data


def _parquet(raw: bytes, name: str) -> tuple[list[str], list[dict[str, Any]]]:
    if not (len(raw) >= 12 and raw.startswith(b"PAR1") and raw.endswith(b"PAR1")):
        head = raw[:40].decode("utf-8", "replace")
        texty = "\ufffd" not in head.rstrip("\ufffd") and "".join(head.split()).isprintable()
        if raw.startswith(b"PAR1"):
            kind = "a file that opens with PAR1 but does not end with it (cut short?)"
        elif _kind(raw):
            kind = _kind(raw)
        elif raw and texty:
            kind = f"text starting {excerpt(head)} (a CSV file? name it .csv)"
        else:
            kind = f"{len(raw):,} bytes without them"
        raise DataError(f"The runs file {name} must be a Parquet file (starting and ending with the bytes "
                        f"PAR1). Got {kind}.")
    try:
        import pandas as pd  # lazy: an optional extra
        import pyarrow
    except ImportError:
        raise ConfigError("Reading Parquet needs pandas and pyarrow: pip install scalinglab[data]") from None
    try:
        frame = pd.read_parquet(io.BytesIO(raw))
    except (pyarrow.ArrowException, ValueError, OSError, TypeError, KeyError, IndexError) as exc:
        # a damaged file: the first line of pyarrow's reason, shortened
        reason = _reason(exc)
        raise DataError(f"The runs file {name} must be a readable Parquet file. Got: {reason}") from None
    columns = [str(c) for c in frame.columns]
    _unique(columns, name)
    if len(frame) == 0:
        raise DataError(f"The runs file {name} must hold at least one data row. Got 0 rows (columns: "
                        f"{_names(columns)}).")
    frame.columns = columns
    return columns, frame.to_dict("records")
