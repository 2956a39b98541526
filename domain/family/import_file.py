"""Reading a families' file as communes have it: CSV or XLSX, into numbered rows.

CSV: UTF-8 with or without BOM, else Windows-1252 (what French Excel saves);
the separator (``;`` or ``,``) is the one the header line holds most of. XLSX:
the first sheet, read with openpyxl. Empty lines are skipped (their numbers
still count, so errors name the line a spreadsheet shows), cells are stripped.
"""
import csv
import datetime
import io
import zipfile

from openpyxl import load_workbook

#: The file's columns, in the template's order, each with what it holds.
COLUMNS = (
    ("numero_compte", "Numéro de compte de la famille : gardé s'il est donné, sinon attribué "
                      "(le suivant du plus grand)."),
    ("r1_civilite", "Responsable 1 : civilité (Mme ou M.)."),
    ("r1_nom", "Responsable 1 : nom (obligatoire)."),
    ("r1_prenom", "Responsable 1 : prénom (obligatoire)."),
    ("r1_email", "Responsable 1 : adresse email (celle du compte et de l'invitation)."),
    ("r1_tel_portable", "Responsable 1 : téléphone portable."),
    ("r1_tel_domicile", "Responsable 1 : téléphone du domicile."),
    ("r2_civilite", "Responsable 2 (facultatif) : civilité."),
    ("r2_nom", "Responsable 2 : nom."),
    ("r2_prenom", "Responsable 2 : prénom."),
    ("r2_email", "Responsable 2 : adresse email."),
    ("r2_tel_portable", "Responsable 2 : téléphone portable."),
    ("r2_tel_domicile", "Responsable 2 : téléphone du domicile."),
    ("adresse", "Adresse de la famille (numéro et rue)."),
    ("code_postal", "Code postal."),
    ("ville", "Ville."),
    ("enfant_nom", "Enfant : nom (par défaut celui du responsable 1)."),
    ("enfant_prenom", "Enfant : prénom ; une ligne par enfant, les colonnes de la famille "
                      "répétées (vide : une famille sans enfant)."),
    ("enfant_naissance", "Enfant : date de naissance, JJ/MM/AAAA."),
    ("enfant_sexe", "Enfant : F (fille) ou M (garçon)."),
    ("enfant_ecole", "Enfant : école, telle qu'écrite dans la liste des écoles."),
    ("enfant_classe", "Enfant : classe (TPS, PS, MS, GS, CP, CE1, CE2, CM1, CM2)."),
    ("qf", "Quotient familial CAF (nombre entier d'euros)."),
    ("qf_date", "Date d'effet du quotient, JJ/MM/AAAA (vide : dès l'import)."),
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)

#: The template's two example rows: a family of two children, a family with two guardians.
EXAMPLE_ROWS = (
    ("", "Mme", "MARTIN", "Hélène", "helene.martin@example.org", "06 12 34 56 78", "",
     "", "", "", "", "", "", "3 rue des Écoles", "31000", "Saint-Exemple",
     "MARTIN", "Léa", "14/05/2019", "F", "École maternelle Jules Ferry", "GS", "620",
     "01/09/2026"),
    ("", "M.", "DURAND", "François", "francois.durand@example.org", "", "05 61 00 00 00",
     "Mme", "DURAND", "Chloé", "chloe.durand@example.org", "06 98 76 54 32", "",
     "8 avenue du Parc", "31000", "Saint-Exemple", "DURAND", "Noé", "02/02/2017", "M",
     "École élémentaire Jean Jaurès", "CE1", "", ""),
)


class FileProblem(ValueError):
    """A file that cannot be read at all (not a CSV/XLSX, no header): French message."""


def _decode(data):
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv_rows(data):
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _cell(value):
    """An XLSX cell as the text a CSV would hold (dates dd/mm/yyyy, whole numbers bare)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(data):
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise FileProblem("Ce fichier XLSX n'a pas pu être lu.") from error
    try:
        sheet = book.worksheets[0]
        return [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def read_rows(data, filename):
    """``(header, rows)``: the header's column names (lower case, stripped) and the
    non-empty rows as ``(line number, {column: stripped text})``."""
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        raw = _xlsx_rows(data)
    else:
        raw = _csv_rows(data)
    numbered = [(number, [cell.strip() for cell in row])
                for number, row in enumerate(raw, 1)]
    numbered = [(number, row) for number, row in numbered if any(row)]
    if not numbered:
        raise FileProblem("Le fichier est vide.")
    header = [name.lower().lstrip("\ufeff") for name in numbered[0][1]]
    if not set(header) & {"r1_nom", "enfant_prenom"}:
        raise FileProblem("La première ligne doit nommer les colonnes, comme le modèle "
                          "(numero_compte;r1_civilite;r1_nom;…).")
    rows = [(number, {name: (row[i] if i < len(row) else "") for i, name in enumerate(header)
                      if name})
            for number, row in numbered[1:]]
    return header, rows


def template_csv():
    """The downloadable template: UTF-8 with BOM (Excel opens it right), ``;``, the header,
    the two example rows, then a line per column saying what it holds."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMN_NAMES)
    writer.writerows(EXAMPLE_ROWS)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def column_letter(header, name):
    """The spreadsheet letter of column ``name`` (A, B, … AA), or "" when absent."""
    if name not in header:
        return ""
    index, letters = header.index(name) + 1, ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
