"""CSV files that French spreadsheets (Excel, LibreOffice) open right.

UTF-8 with a byte-order mark (so Excel reads "é" and "ç"), ``;`` between cells,
dates ``dd/mm/yyyy``, amounts ``5,20`` (cents in, no currency sign), and every
text cell that a spreadsheet would read as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) prefixed with an apostrophe.
Quoting is the standard :mod:`csv` module's.

Usage::

    text = exports.csv_text(["Nom", "Date", "Montant"],
                            [["DUPONT", date(2027, 1, 6), exports.Cents(520)]])
"""
import csv
import datetime
import io

from domain.formats import datetime_fr

BOM = "\ufeff"
SEPARATOR = ";"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Cents(int):
    """An amount in cents, written ``5,20`` in a cell."""


def cell(value):
    """One value as the text of a cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, Cents):
        sign = "-" if value < 0 else ""
        return f"{sign}{abs(value) // 100},{abs(value) % 100:02d}"
    if isinstance(value, datetime.datetime):  # stored in UTC, written in Paris time
        return datetime_fr(value)
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, (int, float)):
        return str(value).replace(".", ",")
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(header, rows):
    """The whole file as text (BOM first): ``header`` then ``rows``, each a sequence."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=SEPARATOR, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


def filename(stem, day=None):
    """A safe download name: ``presences-2027-01-06.csv``."""
    suffix = f"-{day.isoformat()}" if day else ""
    return f"{stem}{suffix}.csv"
