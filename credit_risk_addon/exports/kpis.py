"""The credit KPIs as an Excel workbook: one row per month and the whole period, a chart, parameters.

:func:`build_workbook` takes the months (dicts or a DataFrame), the whole-period
figures and translated labels, and returns the bytes of an .xlsx file. It checks
every row first (an unknown or missing column, or a figure that is not a number,
raises ``ValueError`` naming the row and the column), holds the rows in a pandas
DataFrame and writes the cells with XlsxWriter directly.

Conventions of the workbook:

* one row per month, oldest first as given, the month an Excel date shown
  ``yyyy-mm``; then the whole-period row, in bold below a rule, outside the
  autofilter (sorting the months leaves it at the bottom);
* amounts are numbers in the company currency's number format; days are
  numbers with one decimal; the shares (CEI, current, over 90 days, bad-debt
  ratio) come in percent, as the screen shows them (``84.0``), and are written
  as Excel percentages (``0.84`` shown ``84.0%``);
* a figure that is not defined (``None`` or NaN: no sales in the month, nothing
  collectible) is an empty cell, never 0, and a gap in the chart;
* a line chart of the DSO, the best possible DSO and the countback DSO by
  month sits below the table.

Shared with the aged receivables workbook (imported, not copied): the checks of
the currency and the parameters, the currency number format, the sheet names,
the cell formats, the column widths, the print setup and the parameters sheet.
"""

import datetime
import io
import math
from collections.abc import Mapping

import pandas as pd
import xlsxwriter

from .aged_receivables import (
    FILTER_BUTTON,
    _amount_width,
    _check_currency,
    _check_parameters,
    _fit,
    _Formats,
    _get,
    _mapping,
    _number,
    _print_setup,
    _sheet_name,
    _text_width,
    _write_parameters,
    currency_number_format,
)

# The KPI columns after the month, in order, with the kind of figure each holds.
AMOUNT = "amount"
DAYS = "days"
PERCENT = "percent"
FINE_PERCENT = "fine_percent"
COLUMNS = (
    ("receivable", AMOUNT),
    ("current", AMOUNT),
    ("over_90", AMOUNT),
    ("credit_sales", AMOUNT),
    ("written_off", AMOUNT),
    ("dso", DAYS),
    ("dso_countback", DAYS),
    ("best_dso", DAYS),
    ("add", DAYS),
    ("cei", PERCENT),
    ("share_current", PERCENT),
    ("share_over_90", PERCENT),
    ("days_to_pay", DAYS),
    ("days_beyond_terms", DAYS),
    ("bad_debt_ratio", FINE_PERCENT),
)
COLUMN_KEYS = tuple(key for key, _kind in COLUMNS)
KINDS = dict(COLUMNS)
MONTH = "month"
# The chart's lines, in the order of the legend.
CHART_SERIES = ("dso", "best_dso", "dso_countback")
LABEL_KEYS = ("kpis", "parameters", MONTH, "period", *COLUMN_KEYS, "chart", "days")

MONTH_FORMAT = "yyyy-mm"
DAYS_FORMAT = "0.0"
PERCENT_FORMATS = {PERCENT: "0.0%", FINE_PERCENT: "0.00%"}
# The chart: its size in pixels and the blank rows between the table and it.
CHART_SIZE = {"width": 960, "height": 400}
CHART_GAP = 2


# ---------------------------------------------------------------------------
# Checking the input
# ---------------------------------------------------------------------------


def _figure(value, where, key):
    """A finite float, or None for an undefined figure (None, NaN, pandas' NA)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    number = _number(value, where, key)
    return number / 100 if KINDS[key] in PERCENT_FORMATS else number


def _month(value, where):
    if value is None or value is pd.NaT or not isinstance(value, datetime.date):
        raise ValueError(f"{where}: {MONTH!r} must be a date, got {value!r:.80}")
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None)
    return value


def _unknown(row, allowed, where):
    unknown = sorted(str(key) for key in row if key not in allowed)
    if unknown:
        raise ValueError(f"{where}: unknown column(s) {', '.join(map(repr, unknown))}")


def _records(months):
    """The month rows as dicts: a DataFrame's records, or the given dicts."""
    if months is None:
        return []
    if isinstance(months, pd.DataFrame):
        _unknown(months.columns, {MONTH, *COLUMN_KEYS}, "months")
        return months.to_dict("records")
    if isinstance(months, str | bytes | Mapping):
        raise ValueError(f"months: expected a list of dicts or a DataFrame, got {months!r:.80}")
    return months


def _month_frame(months):
    """The months as a DataFrame: ``month`` (a date) then every KPI column (floats or None)."""
    records = []
    for index, row in enumerate(_records(months), start=1):
        where = f"month row {index}"
        _mapping(row, where)
        _unknown(row, {MONTH, *COLUMN_KEYS}, where)
        month = _month(_get(row, MONTH, where), where)
        where = f"month row {index} ({month:%Y-%m})"
        records.append([month, *(_figure(_get(row, key, where), where, key) for key in COLUMN_KEYS)])
    return pd.DataFrame(records, columns=[MONTH, *COLUMN_KEYS], dtype=object)


def _period_figures(period):
    """The whole-period figures by column: the ones given (None: an empty cell), the others empty."""
    if period is None:
        return None
    _mapping(period, "period")
    _unknown(period, set(COLUMN_KEYS), "period")
    return {key: _figure(period.get(key), "period", key) for key in COLUMN_KEYS}


def _check_labels(labels):
    _mapping(labels, "labels")
    _unknown(labels, set(LABEL_KEYS), "labels")
    checked = {}
    for key in LABEL_KEYS:
        value = _get(labels, key, "labels")
        if not isinstance(value, str):
            raise ValueError(f"labels: {key!r} must be a text, got {value!r:.80}")
        checked[key] = str(value)
    return checked


# ---------------------------------------------------------------------------
# The KPIs sheet
# ---------------------------------------------------------------------------


class _KpiFormats:
    """The number format of each kind of figure, plain (months) and bold below a rule (period)."""

    def __init__(self, workbook, currency):
        patterns = {AMOUNT: currency_number_format(currency), DAYS: DAYS_FORMAT, **PERCENT_FORMATS}
        self.cells = {
            kind: workbook.add_format({"num_format": pattern}) for kind, pattern in patterns.items()
        }
        self.period = {
            kind: workbook.add_format({"num_format": pattern, "bold": True, "top": 1})
            for kind, pattern in patterns.items()
        }
        self.month = workbook.add_format({"num_format": MONTH_FORMAT, "align": "left"})
        self.period_label = workbook.add_format({"bold": True, "top": 1})


def _write_figures(sheet, row, figures, formats):
    for col, key in enumerate(COLUMN_KEYS, start=1):
        value = figures[key]
        cell_format = formats[KINDS[key]]
        if value is None:
            sheet.write_blank(row, col, None, cell_format)
        else:
            sheet.write_number(row, col, value, cell_format)


def _widths(frame, period, headers, currency):
    """The width of each column: its header (and filter button), its largest figure, the period row."""
    label = period["label"] if period is not None else ""
    widths = [_fit(_text_width(headers[0]) + FILTER_BUTTON, len(MONTH_FORMAT), _text_width(label))]
    for col, key in enumerate(COLUMN_KEYS, start=1):
        values = [value for value in frame[key] if value is not None]
        if period is not None and period["figures"][key] is not None:
            values.append(period["figures"][key])
        largest = max((abs(value) for value in values), default=0.0)
        kind = KINDS[key]
        if kind == AMOUNT:
            width = _amount_width(largest, currency)
        elif kind == DAYS:
            width = len(f"{largest:,.1f}") + 1
        else:
            width = len(f"{largest * 100:,.2f}%") + 1
        widths.append(_fit(_text_width(headers[col]) + FILTER_BUTTON, width))
    return widths


def _add_chart(workbook, sheet, count, labels):
    """A line chart of the DSO figures by month, below the table."""
    name = sheet.get_name()
    chart = workbook.add_chart({"type": "line"})
    for key in CHART_SERIES:
        col = COLUMN_KEYS.index(key) + 1
        chart.add_series(
            {
                "name": [name, 0, col],
                "categories": [name, 1, 0, count, 0],
                "values": [name, 1, col, count, col],
                "marker": {"type": "circle", "size": 5},
            }
        )
    chart.set_title({"name": labels["chart"]})
    chart.set_x_axis(
        {"date_axis": True, "num_format": MONTH_FORMAT, "major_unit": 1, "major_unit_type": "months"}
    )
    chart.set_y_axis({"name": labels["days"], "num_format": "0", "min": 0})
    chart.set_legend({"position": "bottom"})
    chart.show_blanks_as("gap")
    chart.set_size(CHART_SIZE)
    sheet.insert_chart(count + 2 + CHART_GAP, 0, chart)


def _write_kpis(workbook, sheet, formats, frame, period, labels, currency):
    headers = [labels[MONTH], *(labels[key] for key in COLUMN_KEYS)]
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, formats.header)
    kpi_formats = _KpiFormats(workbook, currency)

    count = len(frame)
    for row, record in enumerate(frame.to_dict("records"), start=1):
        sheet.write_datetime(row, 0, record[MONTH], kpi_formats.month)
        _write_figures(sheet, row, record, kpi_formats.cells)
    if period is not None:
        sheet.write_string(count + 1, 0, period["label"], kpi_formats.period_label)
        _write_figures(sheet, count + 1, period["figures"], kpi_formats.period)

    for col, width in enumerate(_widths(frame, period, headers, currency)):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, count, len(COLUMN_KEYS))
    _print_setup(sheet)
    if count:
        _add_chart(workbook, sheet, count, labels)


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def build_workbook(months, period, parameters, labels, currency):
    """The credit KPIs as the bytes of an .xlsx workbook: a KPIs sheet and a parameters sheet.

    :param months: one row per month, oldest first: a list of dicts or a
        DataFrame with ``month`` (a date: any day of the month) and every key of
        ``COLUMN_KEYS``: amounts in the company currency (``receivable``,
        ``current``, ``over_90``, ``credit_sales``, ``written_off``), days
        (``dso``, ``dso_countback``, ``best_dso``, ``add``, ``days_to_pay``,
        ``days_beyond_terms``) and percentages (``cei``, ``share_current``,
        ``share_over_90``, ``bad_debt_ratio``: ``84.0`` for 84 %). A figure
        may be None (or NaN): an empty cell.
    :param period: the whole-period figures, a dict with some of the keys of
        ``COLUMN_KEYS`` (the others are empty cells), or None for no period row.
    :param parameters: ``(label, value)`` pairs; values are texts, dates,
        datetimes or numbers (as in the aged receivables workbook).
    :param labels: translated sheet names (``kpis``, ``parameters``), column
        headers (``month`` and each of ``COLUMN_KEYS``), the label of the
        whole-period row (``period``), the chart title (``chart``) and its
        axis title (``days``); see ``LABEL_KEYS``.
    :param currency: the company currency ``{"symbol", "position": "before" |
        "after", "decimals"}``.
    :raises ValueError: on an unknown or missing column or label, or a value
        of the wrong type, naming the row and the column.
    """
    labels = _check_labels(labels)
    currency = _check_currency(currency, "currency")
    parameters = _check_parameters(parameters)
    frame = _month_frame(months)
    figures = _period_figures(period)
    period_row = None if figures is None else {"label": labels["period"], "figures": figures}

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True, "remove_timezone": True})
    try:
        formats = _Formats(workbook)
        used = set()
        kpis_sheet = workbook.add_worksheet(_sheet_name(labels["kpis"], used))
        parameters_sheet = workbook.add_worksheet(_sheet_name(labels["parameters"], used))
        _write_kpis(workbook, kpis_sheet, formats, frame, period_row, labels, currency)
        _write_parameters(parameters_sheet, formats, parameters)
    finally:
        workbook.close()
    return output.getvalue()
