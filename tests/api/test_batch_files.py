"""Batch files as a reseller writes them: the CSV template parses, columns map to the request's fields,
and every problem in every row is reported at once with the row number the file shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.batch_files import COLUMNS, MAX_LISTED_ERRORS, parse_batch
from api.errors import ApiError
from config import Settings
from tests.api.harness import onboarding_body

TEMPLATE = Path(__file__).resolve().parents[2] / "docs" / "batch-template.csv"
SETTINGS = Settings(_env_file=None, batch_max_rows=50)
HEADER = "reference,business_name,email,numbers.country,numbers.count,agent.name,agent.system_prompt"


def refused(content: str | bytes, content_type: str = "text/csv") -> ApiError:
    with pytest.raises(ApiError) as caught:
        parse_batch(content.encode() if isinstance(content, str) else content, content_type, SETTINGS)
    return caught.value


def fields(error: ApiError) -> dict[str, str]:
    """Each field named, with its messages (one a line)."""
    named: dict[str, str] = {}
    for field in error.detail.fields:
        named[field.field] = "\n".join(filter(None, [named.get(field.field), field.message]))
    return named


def test_the_csv_template_names_every_field_and_parses() -> None:
    text = TEMPLATE.read_text()
    assert text.splitlines()[0].split(",") == list(COLUMNS)
    rows = parse_batch(text.encode(), "text/csv; charset=utf-8", SETTINGS)
    assert [(row.number, row.request.reference) for row in rows] == [
        (2, "cust-2001"),
        (3, "cust-2002"),
        (4, "cust-2003"),
    ]
    second = rows[1].request
    assert (
        second.numbers.provider == "agent_platform"
        and second.agent.system_prompt == "Answer questions, then book a visit."
    )
    assert rows[2].request.email is None and rows[2].request.kyc_flow == "email"  # empty cells: defaults


def test_json_lines_are_numbered_by_line_and_blank_lines_are_skipped() -> None:
    lines = [json.dumps(onboarding_body("j-1")), "", json.dumps(onboarding_body("j-2"))]
    rows = parse_batch("\n".join(lines).encode(), "application/x-ndjson", SETTINGS)
    assert [(row.number, row.request.reference) for row in rows] == [(1, "j-1"), (3, "j-2")]


def test_every_row_problem_is_reported_at_once_with_its_row_number() -> None:
    text = "\n".join(
        [
            HEADER,
            "ok-1,Acme,a@example.com,IN,2,Desk,Hi.",
            "bad-1,Acme,not-an-email,IN,0,Desk,Hi.",
            "ok-1,Acme,a@example.com,IN,2,Desk,Hi.",
            "bad-2,Acme,a@example.com,India,1,Desk,Hi.,extra",
            "bad-1,Acme,a@example.com,IN,1,Desk,Hi.",
        ]
    )
    problems = fields(refused(text))
    assert set(problems) == {
        "rows[3].email", "rows[3].numbers.count", "rows[4].reference", "rows[5]", "rows[6].reference"
    }  # fmt: skip
    assert problems["rows[4].reference"] == "also in row 2"
    assert problems["rows[6].reference"] == "also in row 3"  # the first of them is invalid otherwise
    assert "8 cells but 7 columns" in problems["rows[5]"]


def test_a_spreadsheet_export_with_padded_columns_and_spaced_cells_parses() -> None:
    text = "\n".join(
        [
            HEADER + ",,",
            " sp-1 , Acme ,a@example.com,IN,2,Desk, Hi. ,,",
            "sp-2,Acme,b@example.com,IN,1,Desk,Hi.",
        ]
    )
    rows = parse_batch(text.encode(), "text/csv", SETTINGS)
    assert [(row.number, row.request.reference) for row in rows] == [(2, "sp-1"), (3, "sp-2")]
    assert rows[0].request.business_name == "Acme" and rows[0].request.agent.system_prompt == "Hi."
    unnamed = refused(HEADER.replace(",email,", ",,") + "\nx,Acme,a@example.com,IN,1,Desk,Hi.")
    assert "column 3 has no name" in fields(unnamed)["columns"]


def test_an_unterminated_quote_is_refused_as_bad_csv_not_read_as_one_long_cell() -> None:
    text = "\n".join(
        [HEADER, 'q-1,"Acme,a@example.com,IN,1,Desk,Hi.', "q-2,Acme,b@example.com,IN,1,Desk,Hi."]
    )
    error = refused(text)
    assert error.status_code == 422 and "not valid CSV" in error.detail.message
    assert fields(error)["body"] == "line 3: unexpected end of data"


def test_a_json_lines_row_that_is_not_an_object_or_not_json_is_named() -> None:
    lines = [json.dumps(onboarding_body("j-1")), "{not json", "[1, 2]", json.dumps({"reference": "j-4"})]
    problems = fields(refused("\n".join(lines), "application/x-ndjson"))
    assert problems["rows[2]"] == "malformed JSON" and problems["rows[3]"] == "must be a JSON object"
    assert {"rows[4].business_name", "rows[4].numbers", "rows[4].agent"} <= set(problems)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (HEADER.replace(",numbers.count,", ",numbers.cuont,"), "unknown column 'numbers.cuont'"),
        (HEADER.replace(",agent.name", ""), "missing column(s) agent.name"),
        (HEADER + ",email", "column 'email' appears twice"),
    ],
    ids=["misspelt", "missing", "twice"],
)
def test_a_wrong_header_is_refused_before_any_row(header: str, message: str) -> None:
    error = refused(header + "\nx,Acme,a@example.com,IN,1,Desk,Hi.")
    assert error.status_code == 422 and message in fields(error)["columns"]


def test_bad_encoding_other_media_types_and_empty_files_are_refused() -> None:
    latin = refused((HEADER + "\nx,Café,a@example.com,IN,1,Desk,Hi.").encode("latin-1"))
    assert latin.status_code == 422 and "UTF-8" in latin.detail.message
    assert refused(HEADER, "application/json").status_code == 415
    assert refused(HEADER, "text/csv; charset=latin-1").status_code == 415
    assert fields(refused(HEADER + "\n")) == {"rows": "no rows"}


def test_too_many_rows_or_errors() -> None:
    many = "\n".join(json.dumps(onboarding_body(f"m-{i}")) for i in range(SETTINGS.batch_max_rows + 1))
    assert "at most 50 rows" in refused(many, "application/x-ndjson").detail.message
    wide = Settings(_env_file=None, batch_max_rows=MAX_LISTED_ERRORS + 10)
    bad = "\n".join(
        json.dumps(onboarding_body(f"b-{i}", numbers={"country": "IN", "count": 0}))
        for i in range(MAX_LISTED_ERRORS + 5)
    )
    with pytest.raises(ApiError) as caught:
        parse_batch(bad.encode(), "application/x-ndjson", wide)
    assert len(caught.value.detail.fields) == MAX_LISTED_ERRORS
    assert f"{MAX_LISTED_ERRORS + 5} problem(s)" in caught.value.detail.message
