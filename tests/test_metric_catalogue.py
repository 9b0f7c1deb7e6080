"""gait.metric_catalogue: one definition per metric, and every list of metrics agrees
with it (the engine's stride table, strides.csv, the database, the app, the report)."""

from __future__ import annotations

from gait.metric_catalogue import (
    BY_KEY,
    CATALOGUE,
    COMPARED,
    PER_STRIDE,
    STRIDE_METRICS,
    STRIDE_TIMES,
    STRIDES_CSV_METRICS,
    TABLE_COLUMNS,
)
from gait.outputs import STRIDES_CSV_COLUMNS
from gait.report import render_html_report
from gait.store.schema import STRIDE_COLUMNS
from tests.store_writers import small_report
from ui.text import comparison_table, stride_table

UNIT_OF_SUFFIX = {"_deg": "°", "_s": "s", "_spm": "steps/min"}


def test_each_metric_once_with_its_unit_in_its_key_and_a_definition():
    keys = [m.key for m in CATALOGUE]
    assert len(keys) == len(set(keys)) == len(BY_KEY)
    for metric in CATALOGUE:
        suffix = next((s for s in UNIT_OF_SUFFIX if metric.key.endswith(s)), None)
        assert metric.key == "confidence" or UNIT_OF_SUFFIX[suffix] == metric.unit, metric.key
        assert metric.name and metric.definition.endswith(".")
        assert metric.short or not metric.in_table


def test_strides_csv_keeps_its_contract_order_and_holds_every_stride_metric():
    assert sorted(STRIDES_CSV_METRICS) == sorted(PER_STRIDE)
    assert STRIDES_CSV_COLUMNS[:5] == ("side", "stride", *STRIDE_TIMES)
    assert set(STRIDE_COLUMNS) == {*STRIDE_TIMES, *PER_STRIDE}


def test_the_engine_computes_exactly_the_catalogued_stride_metrics():
    report = small_report()
    measured = {c for c in report.strides.columns if c.endswith(("_deg", "_s"))
                or c == "confidence"}
    assert measured - set(STRIDE_TIMES) == set(PER_STRIDE)
    assert set(STRIDE_METRICS) <= set(report.summary.near.metrics)


def test_the_app_and_the_report_compare_and_tabulate_the_same_metrics():
    report = small_report()
    app_rows = comparison_table(report.summary)["measure"].tolist()
    assert app_rows == [f"{BY_KEY[k].name} ({BY_KEY[k].unit})" for k in ("cadence_spm",
                                                                          *COMPARED)]
    html = render_html_report(report)
    medians = html[html.index('<table id="medians">'):]
    medians = medians[:medians.index("</table>")]
    assert medians.count("<tr>") - 1 == len(COMPARED)  # minus the header row
    for key in COMPARED:
        assert f"{BY_KEY[key].name} ({BY_KEY[key].unit})" in medians.replace("&#x27;", "'")
    app_table = stride_table(report.strides)
    assert list(app_table.columns[3:]) == [BY_KEY[k].short for k in TABLE_COLUMNS]
    stride_html = html[html.index('<table id="stride-table">'):]
    for key in TABLE_COLUMNS:
        assert f">{BY_KEY[key].short}</th>" in stride_html
