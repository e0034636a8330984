"""Batch files: JSON lines or CSV, one onboarding request per row, validated whole before anything starts.

Rows are numbered as the file shows them: a JSON-lines file by its lines, a CSV file as a spreadsheet
shows it (the header is row 1). CSV columns are the request's fields, nested ones dotted
(``numbers.country``, ``agent.system_prompt``); an empty cell leaves its field out, so its default applies.
Every problem is reported at once, as ``rows[N].field`` (422); nothing is started while one remains.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from api.errors import ApiError, FieldError, field_errors
from api.schemas import OnboardingStart
from config import Settings
from domain.onboarding import OnboardingRequest
from starts.onboardings import callback_refusal

CSV_TYPE = "text/csv"
JSON_LINES_TYPES = frozenset(
    {"application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/json-lines"}
)
#: the most errors one answer lists; every invalid row is counted in its message
MAX_LISTED_ERRORS = 1000


@dataclass(frozen=True)
class BatchFileRow:
    """One valid row: its number as the file shows it, and its request."""

    number: int
    request: OnboardingRequest


@dataclass(frozen=True)
class _Malformed:
    """A row that is not even a set of fields."""

    reason: str


def _columns(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, bool]]:
    """Every CSV column of ``model`` (nested models dotted), and whether a row must fill it."""
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            nested = _columns(annotation, f"{prefix}{name}.")
            yield from ((column, field.is_required() and needed) for column, needed in nested)
        else:
            yield f"{prefix}{name}", field.is_required()


#: the columns of a batch CSV, and whether each must be present
COLUMNS: dict[str, bool] = dict(_columns(OnboardingStart))


def _invalid(message: str, fields: list[FieldError]) -> ApiError:
    return ApiError(422, "invalid_request", message, fields=fields[:MAX_LISTED_ERRORS])


def _text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _invalid(
            "the file is not UTF-8 text: nothing was started",
            [FieldError(field="body", message=f"not UTF-8 at byte {exc.start}: save the file as UTF-8")],
        ) from None


def _json_lines(text: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError:
                yield number, _Malformed("malformed JSON")


def _csv_rows(text: str) -> Iterator[tuple[int, Any]]:
    records = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(records, [])]
        while header and not header[-1]:  # unnamed columns a spreadsheet export pads the header with
            header.pop()
        _check_header(header)
        for number, record in enumerate(records, start=2):
            cells = [cell.strip() for cell in record]
            while len(cells) > len(header) and not cells[-1]:
                cells.pop()
            if not any(cells):
                continue
            if len(cells) > len(header):
                yield number, _Malformed(f"{len(cells)} cells but {len(header)} columns")
                continue
            yield number, _nested({name: cell for name, cell in zip(header, cells, strict=False) if cell})
    except csv.Error as exc:
        raise _invalid(
            "the file is not valid CSV: nothing was started",
            [FieldError(field="body", message=f"line {records.line_num}: {exc}")],
        ) from None


def _check_header(header: list[str]) -> None:
    problems = [
        f"column {place} has no name" if not name else f"unknown column {name!r}"
        for place, name in enumerate(header, start=1)
        if name not in COLUMNS
    ]
    problems += [
        f"column {name!r} appears twice" for name in sorted({n for n in header if header.count(n) > 1})
    ]
    missing = [name for name, required in COLUMNS.items() if required and name not in header]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if problems:
        known = ", ".join(COLUMNS)
        raise _invalid(
            f"the CSV header does not match the request fields ({known}): nothing was started",
            [FieldError(field="columns", message=problem) for problem in problems],
        )


def _nested(cells: dict[str, str]) -> dict[str, Any]:
    """``{"numbers.count": "2"}`` as ``{"numbers": {"count": "2"}}``."""
    nested: dict[str, Any] = {}
    for name, value in cells.items():
        parent, _, child = name.rpartition(".")
        (nested.setdefault(parent, {}) if parent else nested)[child] = value
    return nested


def _format(content_type: str) -> str:
    media, _, params = content_type.partition(";")
    charset = params.partition("charset=")[2].strip().strip('"').lower()
    if charset not in ("", "utf-8", "utf8"):
        raise ApiError(415, "unsupported_media_type", f"send the file as UTF-8 (charset={charset} given)")
    media = media.strip().lower()
    if media != CSV_TYPE and media not in JSON_LINES_TYPES:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"send the batch as {CSV_TYPE} or application/x-ndjson (JSON lines), not {media or 'nothing'}",
        )
    return media


def parse_batch(content: bytes, content_type: str, settings: Settings) -> list[BatchFileRow]:
    """The valid rows of a batch file, or a 415/422 :class:`ApiError` naming every problem."""
    media = _format(content_type)
    text = _text(content)
    parsed = _csv_rows(text) if media == CSV_TYPE else _json_lines(text)
    rows: list[BatchFileRow] = []
    errors: list[FieldError] = []
    references: list[tuple[int, str]] = []
    for count, (number, fields) in enumerate(parsed, start=1):
        if count > settings.batch_max_rows:
            raise _invalid(
                f"a batch holds at most {settings.batch_max_rows} rows: nothing was started",
                [FieldError(field="rows", message=f"row {number} is past the limit; split the file")],
            )
        if isinstance(fields, dict) and isinstance(fields.get("reference"), str):
            references.append((number, fields["reference"]))
        problems = _row_problems(number, fields, settings)
        if isinstance(problems, BatchFileRow):
            rows.append(problems)
        else:
            errors += problems
    errors += _duplicates(references)
    if not rows and not errors:
        raise _invalid("the batch has no rows", [FieldError(field="rows", message="no rows")])
    if errors:
        listed = "" if len(errors) <= MAX_LISTED_ERRORS else f" (the first {MAX_LISTED_ERRORS} are listed)"
        raise _invalid(f"{len(errors)} problem(s) in the batch's rows{listed}: nothing was started", errors)
    return rows


def _row_problems(number: int, fields: Any, settings: Settings) -> BatchFileRow | list[FieldError]:
    at = f"rows[{number}]"
    if isinstance(fields, _Malformed):
        return [FieldError(field=at, message=fields.reason)]
    if not isinstance(fields, dict):
        return [FieldError(field=at, message="must be a JSON object")]
    try:
        request = OnboardingStart.model_validate(fields)
    except ValidationError as exc:
        return [
            FieldError(field=at if error.field == "body" else f"{at}.{error.field}", message=error.message)
            for error in field_errors(exc.errors())
        ]
    refusal = callback_refusal(request, settings)
    if refusal is not None:
        return [FieldError(field=f"{at}.callback_url", message=refusal)]
    return BatchFileRow(number=number, request=request)


def _duplicates(references: list[tuple[int, str]]) -> list[FieldError]:
    """A reference given again, in any row, valid or not: the later rows name the first."""
    first: dict[str, int] = {}
    errors: list[FieldError] = []
    for number, reference in references:
        if reference in first:
            errors.append(
                FieldError(field=f"rows[{number}].reference", message=f"also in row {first[reference]}")
            )
        first.setdefault(reference, number)
    return errors
