"""The aged receivables as an Excel workbook: summary per customer, open items, parameters.

:func:`build_workbook` takes plain rows (dicts) and returns the bytes of an
.xlsx file. It checks every row first (a missing key or an amount that is not
a number raises ``ValueError`` naming the row and the key), shapes the summary
with pandas (the totals row) and writes the cells with XlsxWriter directly.

Conventions of the workbook:

* amounts are numbers with a number format built from their currency (symbol
  before or after, its decimals, a thousands separator); a missing credit
  limit or available credit is an empty cell;
* dates are Excel dates (``yyyy-mm-dd``), days are whole numbers;
* the totals row holds ``SUM`` formulas with their value cached, so that
  readers without a calculation engine show the figures too;
* the overdue columns of the summary (every bucket but ``not_due``) get a fill
  when positive, stronger for the older buckets.
"""

import datetime
import io
import math
import numbers
import unicodedata
from collections.abc import Mapping
from decimal import Decimal

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

NOT_DUE = "not_due"
# Summary columns after the buckets; the optional ones may be None (no limit).
SUMMARY_TAIL = ("total", "credit_limit", "exposure", "available")
OPTIONAL_AMOUNTS = frozenset({"credit_limit", "available"})
SUMMED_TAIL = ("total", "exposure")
DETAIL_COLUMNS = (
    "partner",
    "document",
    "invoice_date",
    "due_date",
    "days_overdue",
    "bucket",
    "residual_currency",
    "currency",
    "residual",
)
LABEL_KEYS = (
    "summary",
    "detail",
    "parameters",
    "partner",
    "total",
    "credit_limit",
    "exposure",
    "available",
    "document",
    "invoice_date",
    "due_date",
    "days_overdue",
    "bucket",
    "residual_currency",
    "currency",
    "residual",
    "totals",
)

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DAYS_FORMAT = "0"
MAX_DECIMALS = 15
# Column widths in characters: a cap for long names, room for the autofilter button.
MAX_WIDTH = 60
MIN_WIDTH = 6
FILTER_BUTTON = 3
# Fills of the overdue columns, from the first period to the oldest one.
OVERDUE_FILLS = ("#FFF2CC", "#FFE699", "#F8CBAD", "#F4B084", "#EA9999", "#E06666")
HEADER_FILL = "#DDEBF7"

# Excel's serial day numbers (1900 date system): days since 1899-12-30, exact
# from 1900-03-01 on (earlier dates go through XlsxWriter's own conversion).
_EXCEL_EPOCH = datetime.date(1899, 12, 30).toordinal()
_FIRST_PLAIN_SERIAL = datetime.date(1900, 3, 1)
_SHEET_NAME_MAX = 31
_SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


# ---------------------------------------------------------------------------
# Checking the input
# ---------------------------------------------------------------------------


def _get(row, key, where):
    try:
        return row[key]
    except KeyError:
        raise ValueError(f"{where}: missing key {key!r}") from None


def _mapping(row, where):
    if not isinstance(row, Mapping):
        raise ValueError(f"{where}: expected a dict, got {type(row).__name__} {row!r:.80}")
    return row


def _number(value, where, key):
    """A finite float from an int, float or Decimal (never a bool or a string)."""
    if type(value) is float and math.isfinite(value):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        raise ValueError(f"{where}: {key!r} must be a number, got {value!r:.80}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{where}: {key!r} must be a finite number, got {value!r}")
    return number


def _optional_number(value, where, key):
    return None if value is None else _number(value, where, key)


def _integer(value, where, key):
    if type(value) is int:
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError(f"{where}: {key!r} must be a whole number, got {value!r:.80}")


def _text(value, where, key):
    """A string; None is an empty cell."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, str):
        return str(value)
    raise ValueError(f"{where}: {key!r} must be a text, got {value!r:.80}")


def _date(value, where, key):
    """A date (or datetime) or None; strings are refused (they would not sort as dates)."""
    if value is None or isinstance(value, datetime.date):
        return value
    raise ValueError(f"{where}: {key!r} must be a date or None, got {value!r:.80}")


def _check_buckets(buckets):
    if isinstance(buckets, str | bytes | Mapping):
        raise ValueError(f"buckets: expected a list of (key, label) pairs, got {buckets!r:.80}")
    checked = []
    for index, pair in enumerate(buckets, start=1):
        if isinstance(pair, str | bytes) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise ValueError(f"buckets item {index}: expected a (key, label) pair, got {pair!r:.80}")
        key, label = pair
        if not isinstance(key, str) or not key:
            raise ValueError(f"buckets item {index}: the key must be a non-empty text, got {key!r}")
        if key in SUMMARY_TAIL or key == "partner":
            raise ValueError(f"buckets item {index}: the key {key!r} is a summary column")
        if any(key == seen for seen, _label in checked):
            raise ValueError(f"buckets item {index}: duplicate key {key!r}")
        checked.append((key, _text(label, f"buckets item {index}", "label")))
    if not checked:
        raise ValueError("buckets: at least one (key, label) pair is needed")
    return checked


def _check_labels(labels):
    if not isinstance(labels, Mapping):
        raise ValueError(f"labels: expected a dict, got {type(labels).__name__}")
    checked = {}
    for key in LABEL_KEYS:
        value = _get(labels, key, "labels")
        if not isinstance(value, str):
            raise ValueError(f"labels: {key!r} must be a text, got {value!r:.80}")
        checked[key] = value
    return checked


def _check_currency(spec, where):
    """``{"symbol", "position", "decimals"}`` with defaults: no symbol, before, 2 decimals."""
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where}: expected a dict with symbol, position and decimals, got {spec!r:.80}")
    symbol = spec.get("symbol") or ""
    if not isinstance(symbol, str):
        raise ValueError(f"{where}: 'symbol' must be a text, got {symbol!r}")
    position = spec.get("position") or "before"
    if position not in ("before", "after"):
        raise ValueError(f"{where}: 'position' must be 'before' or 'after', got {position!r}")
    decimals = spec.get("decimals", 2)
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= MAX_DECIMALS:
        raise ValueError(
            f"{where}: 'decimals' must be a whole number from 0 to {MAX_DECIMALS}, got {decimals!r}"
        )
    return {"symbol": symbol, "position": position, "decimals": decimals}


def _summary_frame(summary, buckets):
    """The summary rows as a DataFrame (partner, buckets, total, limit, exposure, available)."""
    amount_keys = [key for key, _label in buckets] + list(SUMMARY_TAIL)
    records = []
    for index, row in enumerate(summary if summary is not None else (), start=1):
        where = f"summary row {index}"
        _mapping(row, where)
        partner = _text(_get(row, "partner", where), where, "partner")
        where = f"summary row {index} (partner {partner!r})"
        record = [partner]
        for key in amount_keys:
            value = _get(row, key, where)
            if key in OPTIONAL_AMOUNTS:
                record.append(_optional_number(value, where, key))
            else:
                record.append(_number(value, where, key))
        records.append(record)
    frame = pd.DataFrame(records, columns=["partner", *amount_keys], dtype=object)
    return frame


def _detail_rows(detail, bucket_labels):
    """The open items as tuples in the order of DETAIL_COLUMNS (bucket keys become their labels)."""
    rows = []
    append = rows.append
    for index, row in enumerate(detail if detail is not None else (), start=1):
        where = f"detail row {index}"
        if not isinstance(row, Mapping):
            _mapping(row, where)
        try:
            values = (
                row["partner"],
                row["document"],
                row["invoice_date"],
                row["due_date"],
                row["days_overdue"],
                row["bucket"],
                row["residual_currency"],
                row["currency"],
                row["residual"],
            )
        except KeyError as error:
            raise ValueError(f"{where}: missing key {error.args[0]!r}") from None
        partner, document, invoice_date, due_date, days, bucket, amount, currency, residual = values
        if type(partner) is not str:
            partner = _text(partner, where, "partner")
        if type(document) is not str:
            document = _text(document, where, "document")
        if invoice_date is not None and type(invoice_date) is not datetime.date:
            invoice_date = _date(invoice_date, where, "invoice_date")
        if due_date is not None and type(due_date) is not datetime.date:
            due_date = _date(due_date, where, "due_date")
        if type(days) is not int:
            days = _integer(days, where, "days_overdue")
        if type(bucket) is not str:
            bucket = _text(bucket, where, "bucket")
        bucket = bucket_labels.get(bucket, bucket)
        if type(amount) is not float or not math.isfinite(amount):
            amount = _number(amount, where, "residual_currency")
        if type(currency) is not str:
            currency = _text(currency, where, "currency")
        if type(residual) is not float or not math.isfinite(residual):
            residual = _number(residual, where, "residual")
        append((partner, document, invoice_date, due_date, days, bucket, amount, currency, residual))
    return rows


def _document_currencies(rows, currencies):
    """The format of each document currency of the open items: given, else the code after 2 decimals."""
    if currencies is not None and not isinstance(currencies, Mapping):
        raise ValueError(f"currencies: expected a dict of currency code to format, got {currencies!r:.80}")
    specs = {}
    for code in sorted({row[7] for row in rows}):
        spec = currencies.get(code) if currencies else None
        if spec is None:
            spec = {"symbol": code, "position": "after", "decimals": 2}
        specs[code] = _check_currency(spec, f"currencies[{code!r}]")
    return specs


def _check_parameters(parameters):
    checked = []
    for index, pair in enumerate(parameters if parameters is not None else (), start=1):
        where = f"parameters row {index}"
        if isinstance(pair, str | bytes) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise ValueError(f"{where}: expected a (label, value) pair, got {pair!r:.80}")
        label, value = pair
        label = _text(label, where, "label")
        supported = value is None or isinstance(value, str | datetime.date | numbers.Real | Decimal)
        if not supported or isinstance(value, bool):
            raise ValueError(
                f"{where} ({label!r}): the value must be a text, a date, a datetime or a number,"
                f" got {value!r:.80}"
            )
        checked.append((label, value))
    return checked


# ---------------------------------------------------------------------------
# Formats and widths
# ---------------------------------------------------------------------------


def _quoted(literal):
    """A literal text in a number format: in double quotes, a double quote escaped."""
    return '"' + literal.replace('"', '"\\""') + '"'


def currency_number_format(spec):
    """The Excel number format of a currency ``{"symbol", "position", "decimals"}``.

    ``#,##0.00`` with the symbol before (``"$"#,##0.00``) or after
    (``#,##0.00" €"``); a symbol that ends with a letter is spaced
    (``"CHF "#,##0.00``). Negative amounts get Excel's leading minus sign.
    """
    spec = _check_currency(spec, "currency")
    pattern = "#,##0"
    if spec["decimals"]:
        pattern += "." + "0" * spec["decimals"]
    symbol = spec["symbol"]
    if not symbol:
        return pattern
    if spec["position"] == "after":
        return pattern + _quoted(" " + symbol)
    return _quoted(symbol + " " if symbol[-1].isalpha() else symbol) + pattern


def _text_width(text):
    """Characters on screen: East Asian wide and full-width characters count twice."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _amount_width(largest, spec):
    """Width of the largest absolute amount written in the currency's format."""
    digits = f"{abs(largest):,.{spec['decimals']}f}"
    symbol = spec["symbol"]
    extra = _text_width(symbol) + (
        1 if symbol and (spec["position"] == "after" or symbol[-1].isalpha()) else 0
    )
    return len(digits) + extra + 1  # the minus sign


def _fit(*widths):
    return min(max(MIN_WIDTH, *widths) + 1, MAX_WIDTH)


def _sheet_name(label, used):
    """A valid, unique sheet name: no []:*?/\\, no quote at the ends, 31 characters at most."""
    name = label.translate(_SHEET_NAME_FORBIDDEN).strip().strip("'").strip()[:_SHEET_NAME_MAX]
    name = name or "Sheet"
    candidate, number = name, 1
    while candidate.casefold() in used:
        number += 1
        suffix = f" ({number})"
        candidate = name[: _SHEET_NAME_MAX - len(suffix)] + suffix
    used.add(candidate.casefold())
    return candidate


class _Formats:
    """The workbook's cell formats, the amount formats cached by number format."""

    def __init__(self, workbook):
        self.workbook = workbook
        self.header = workbook.add_format(
            {"bold": True, "bg_color": HEADER_FILL, "bottom": 1, "valign": "vcenter"}
        )
        self.totals = workbook.add_format({"bold": True, "top": 1})
        self.date = workbook.add_format({"num_format": DATE_FORMAT})
        self.datetime = workbook.add_format({"num_format": DATETIME_FORMAT})
        self.days = workbook.add_format({"num_format": DAYS_FORMAT})
        self.label = workbook.add_format({"bold": True})
        self._amounts = {}
        self._totals = {}

    def amount(self, spec):
        pattern = currency_number_format(spec)
        if pattern not in self._amounts:
            self._amounts[pattern] = self.workbook.add_format({"num_format": pattern})
        return self._amounts[pattern]

    def total_amount(self, spec):
        pattern = currency_number_format(spec)
        if pattern not in self._totals:
            self._totals[pattern] = self.workbook.add_format({"num_format": pattern, "bold": True, "top": 1})
        return self._totals[pattern]

    def overdue_fills(self, count):
        """``count`` fills, from the lightest (first period) to the strongest (oldest)."""
        last = len(OVERDUE_FILLS) - 1
        fills = []
        for index in range(count):
            step = last if count == 1 else round(index * last / (count - 1))
            fills.append(self.workbook.add_format({"bg_color": OVERDUE_FILLS[step]}))
        return fills


def _print_setup(sheet, header_rows=1):
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0, header_rows - 1)
    sheet.set_footer("&C&P / &N")


# ---------------------------------------------------------------------------
# Sheets
# ---------------------------------------------------------------------------


def _write_summary(sheet, formats, frame, buckets, labels, currency):
    bucket_keys = [key for key, _label in buckets]
    columns = ["partner", *bucket_keys, *SUMMARY_TAIL]
    headers = [labels["partner"], *(label for _key, label in buckets)]
    headers += [labels[key] for key in SUMMARY_TAIL]
    sheet.write_row(0, 0, headers, formats.header)

    amount = formats.amount(currency)
    records = frame.itertuples(index=False, name=None)
    count = len(frame)
    for row, record in enumerate(records, start=1):
        sheet.write_string(row, 0, record[0])
        for col, value in enumerate(record[1:], start=1):
            if value is None:
                sheet.write_blank(row, col, None, amount)
            else:
                sheet.write_number(row, col, value, amount)

    # Totals row: SUM over the data rows, the value cached for readers without a calculation engine.
    totals_row = count + 1
    summed = [*bucket_keys, *SUMMED_TAIL]
    sums = frame[summed].astype(float).sum() if count else pd.Series(0.0, index=summed)
    total_amount = formats.total_amount(currency)
    sheet.write_string(totals_row, 0, labels["totals"], formats.totals)
    for col, key in enumerate(columns[1:], start=1):
        if key not in summed:
            sheet.write_blank(totals_row, col, None, total_amount)
            continue
        value = float(sums[key])
        if count:
            first, last = xl_rowcol_to_cell(1, col), xl_rowcol_to_cell(count, col)
            sheet.write_formula(totals_row, col, f"=SUM({first}:{last})", total_amount, value)
        else:
            sheet.write_number(totals_row, col, value, total_amount)

    # Overdue columns: a fill when positive, stronger for the older buckets.
    overdue = [col for col, key in enumerate(bucket_keys, start=1) if key != NOT_DUE]
    if count:
        for col, fill in zip(overdue, formats.overdue_fills(len(overdue)), strict=True):
            sheet.conditional_format(
                1, col, count, col, {"type": "cell", "criteria": ">", "value": 0, "format": fill}
            )

    partners = {_text_width(name) for name in frame["partner"]} if count else set()
    sheet.set_column(
        0, 0, _fit(_text_width(headers[0]) + FILTER_BUTTON, _text_width(labels["totals"]), *partners)
    )
    for col, key in enumerate(columns[1:], start=1):
        values = frame[key].dropna().astype(float).abs() if count else pd.Series(dtype=float)
        largest = max(values.max() if len(values) else 0.0, abs(float(sums[key])) if key in summed else 0.0)
        width = _fit(_text_width(headers[col]) + FILTER_BUTTON, _amount_width(largest, currency))
        sheet.set_column(col, col, width)

    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, count, len(columns) - 1)
    _print_setup(sheet)


def _write_dates(sheet, formats, row, col, value):
    """A datetime, or a date before 1900-03-01, through XlsxWriter's own conversion (date format)."""
    if type(value) is datetime.date and value >= _FIRST_PLAIN_SERIAL:
        sheet.write_number(row, col, value.toordinal() - _EXCEL_EPOCH, formats.date)
    else:
        sheet.write_datetime(row, col, value, formats.date)


def _write_detail(sheet, formats, rows, labels, currency, specs):
    headers = [labels[key] for key in DETAIL_COLUMNS]
    sheet.write_row(0, 0, headers, formats.header)

    company = formats.amount(currency)
    document_formats = {code: formats.amount(spec) for code, spec in specs.items()}

    write_string, write_number = sheet.write_string, sheet.write_number
    date_format, days_format = formats.date, formats.days
    epoch, first_plain = _EXCEL_EPOCH, _FIRST_PLAIN_SERIAL
    plain_date = datetime.date
    for row, item in enumerate(rows, start=1):
        partner, document, invoice_date, due_date, days, bucket, amount, code, residual = item
        if partner:
            write_string(row, 0, partner)
        if document:
            write_string(row, 1, document)
        if invoice_date is not None:
            if type(invoice_date) is plain_date and invoice_date >= first_plain:
                write_number(row, 2, invoice_date.toordinal() - epoch, date_format)
            else:
                _write_dates(sheet, formats, row, 2, invoice_date)
        if due_date is not None:
            if type(due_date) is plain_date and due_date >= first_plain:
                write_number(row, 3, due_date.toordinal() - epoch, date_format)
            else:
                _write_dates(sheet, formats, row, 3, due_date)
        write_number(row, 4, days, days_format)
        if bucket:
            write_string(row, 5, bucket)
        write_number(row, 6, amount, document_formats[code])
        if code:
            write_string(row, 7, code)
        write_number(row, 8, residual, company)

    widths = [_text_width(header) + FILTER_BUTTON for header in headers]
    if rows:
        widths[0] = max(widths[0], *(_text_width(name) for name in {row[0] for row in rows}))
        widths[1] = max(widths[1], *(_text_width(name) for name in {row[1] for row in rows}))
        widths[2] = max(widths[2], len(DATE_FORMAT))
        widths[3] = max(widths[3], len(DATE_FORMAT))
        days = [row[4] for row in rows]
        widths[4] = max(widths[4], len(str(min(days))), len(str(max(days))))
        widths[5] = max(widths[5], *(_text_width(name) for name in {row[5] for row in rows}))
        largest = {}
        for _partner, _doc, _inv, _due, _days, _bucket, amount, code, _residual in rows:
            if abs(amount) > largest.get(code, -1.0):
                largest[code] = abs(amount)
        widths[6] = max(widths[6], *(_amount_width(value, specs[code]) for code, value in largest.items()))
        widths[7] = max(widths[7], *(_text_width(code) for code in specs))
        widths[8] = max(widths[8], _amount_width(max(abs(row[8]) for row in rows), currency))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, _fit(width))

    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, len(rows), len(DETAIL_COLUMNS) - 1)
    _print_setup(sheet)


def _write_parameters(sheet, formats, parameters):
    label_width, value_width = 0, 0
    for row, (label, value) in enumerate(parameters):
        sheet.write_string(row, 0, label, formats.label)
        label_width = max(label_width, _text_width(label))
        if value is None:
            continue
        if isinstance(value, str):
            sheet.write_string(row, 1, value)
            width = _text_width(value)
        elif isinstance(value, datetime.datetime):
            sheet.write_datetime(row, 1, value, formats.datetime)
            width = len(DATETIME_FORMAT)
        elif isinstance(value, datetime.date):
            sheet.write_datetime(row, 1, value, formats.date)
            width = len(DATE_FORMAT)
        else:
            number = _number(value, f"parameters row {row + 1} ({label!r})", "value")
            sheet.write_number(row, 1, number)
            width = len(str(value))
        value_width = max(value_width, width)
    sheet.set_column(0, 0, _fit(label_width))
    sheet.set_column(1, 1, _fit(value_width))


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def build_workbook(summary, detail, parameters, buckets, labels, currency, currencies=None):
    """The aged receivables as the bytes of an .xlsx workbook.

    :param summary: one dict per customer: ``partner`` (text), one amount per
        bucket key, ``total``, ``credit_limit`` (None: no limit), ``exposure``,
        ``available`` (None: no limit).
    :param detail: one dict per open item: ``partner``, ``document``,
        ``invoice_date`` and ``due_date`` (dates or None), ``days_overdue``
        (whole number), ``bucket`` (its label; a bucket key is shown as its
        label), ``residual_currency`` (in the document's currency),
        ``currency`` (ISO code), ``residual`` (company currency).
    :param parameters: ``(label, value)`` pairs; values are texts, dates,
        datetimes (naive; an aware one is written at its own wall-clock time)
        or numbers.
    :param buckets: ordered ``(key, label)`` pairs, ``not_due`` first when there.
    :param labels: translated sheet names, column headers and ``totals``
        (see ``LABEL_KEYS``).
    :param currency: the company currency ``{"symbol", "position": "before" |
        "after", "decimals"}``.
    :param currencies: ``{ISO code: same dict}`` for the documents' currencies;
        a code not there is written after the amount with 2 decimals.
    :raises ValueError: on a missing key or a value of the wrong type, naming
        the row and the key.
    """
    buckets = _check_buckets(buckets)
    labels = _check_labels(labels)
    currency = _check_currency(currency, "currency")
    parameters = _check_parameters(parameters)
    frame = _summary_frame(summary, buckets)
    rows = _detail_rows(detail, dict(buckets))
    specs = _document_currencies(rows, currencies)

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True, "remove_timezone": True})
    try:
        formats = _Formats(workbook)
        used = set()
        summary_sheet = workbook.add_worksheet(_sheet_name(labels["summary"], used))
        detail_sheet = workbook.add_worksheet(_sheet_name(labels["detail"], used))
        parameters_sheet = workbook.add_worksheet(_sheet_name(labels["parameters"], used))
        _write_summary(summary_sheet, formats, frame, buckets, labels, currency)
        _write_detail(detail_sheet, formats, rows, labels, currency, specs)
        _write_parameters(parameters_sheet, formats, parameters)
    finally:
        workbook.close()
    return output.getvalue()
