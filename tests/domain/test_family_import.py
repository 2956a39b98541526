"""Families imported from a file: files as communes have them, a dry run that names the
wrong line and column, one transaction, and a second import that updates."""
import io

import pytest
from openpyxl import Workbook

from domain.family import imports
from domain.family.import_file import COLUMN_NAMES, EXAMPLE_ROWS, FileProblem, template_csv
from models import AuditLog, Child, Family, Guardian, QFDeclaration, User

HEADER = ";".join(COLUMN_NAMES)
ROWS = [
    ";Mme;LEBLANC;Hélène;helene.leblanc@example.org;06 11 22 33 44;;;;;;;;1 rue Haute;31000;"
    "Saint-Exemple;LEBLANC;Zoé;03/04/2019;F;École maternelle Jules Ferry;GS;540;01/09/2026",
    ";Mme;LEBLANC;Hélène;helene.leblanc@example.org;06 11 22 33 44;;;;;;;;1 rue Haute;31000;"
    "Saint-Exemple;LEBLANC;Théo;12/10/2016;M;École élémentaire Jean Jaurès;CE2;540;01/09/2026",
    "20001;M.;GARÇON;François;francois.garcon@example.org;;05 61 11 11 11;Mme;GARÇON;Agnès;"
    "agnes.garcon@example.org;;;2 place Basse;31000;Saint-Exemple;;Anaïs;01/02/2018;F;"
    "École élémentaire Jean Jaurès;CP;;",
]


@pytest.fixture
def staff(db):
    return User.get(User.email == "admin@mairie.example.org")


def csv_bytes(rows=ROWS, encoding="cp1252", separator=";", bom=False):
    text = "\r\n".join([HEADER] + rows + ["", "  "]) + "\r\n"
    if separator != ";":
        text = text.replace(";", separator)
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows=ROWS):
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMN_NAMES))
    for row in rows:
        sheet.append(row.split(";"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def snapshot():
    """The imported families as a user would read them."""
    return sorted(
        (f.account_number, f.name, f.address,
         tuple((g.civility, g.first_name, g.last_name, g.email) for g in
               Guardian.select().where(Guardian.family == f).order_by(Guardian.position)),
         tuple((c.first_name, c.birth_date, c.sex, c.school_name, c.class_level) for c in
               Child.select().where(Child.family == f).order_by(Child.first_name)))
        for f in Family.select().where(Family.imported_at.is_null(False)))


def test_a_windows_1252_csv_with_semicolons_keeps_its_accents(db, staff):
    report = imports.check(csv_bytes(), "familles.csv")
    assert report.errors == []
    assert report.summary == "2 familles, 3 enfants, 0 erreur"
    imports.apply(staff, report)
    helene = Guardian.get(Guardian.email == "helene.leblanc@example.org")
    assert (helene.first_name, helene.civility) == ("Hélène", "Mme")
    francois = Family.get(Family.account_number == 20001)
    assert francois.name == "GARÇON"
    assert [g.first_name for g in francois.guardians.order_by(Guardian.position)] == \
        ["François", "Agnès"]
    anais = Child.get(Child.first_name == "ANAÏS")
    assert (anais.last_name, anais.class_level, anais.sex) == ("GARÇON", "CP", "F")
    # An account without a password (the invitation sets it), a new number for the other.
    user = User.get(User.email == "helene.leblanc@example.org")
    assert user.password_hash == "" and user.family.account_number > 16124
    assert QFDeclaration.get(QFDeclaration.family == user.family).quotient == 540


def test_an_xlsx_of_the_same_rows_gives_the_same_families(db, staff):
    imports.apply(staff, imports.check(csv_bytes(), "familles.csv"))
    from_csv = snapshot()
    Family.delete().where(Family.imported_at.is_null(False)).execute()
    report = imports.check(xlsx_bytes(), "familles.xlsx")
    assert report.summary == "2 familles, 3 enfants, 0 erreur"
    imports.apply(staff, report)
    assert [row[1:] for row in snapshot()] == [row[1:] for row in from_csv]


@pytest.mark.parametrize("encoding,separator,bom", [("utf-8", ",", True), ("utf-8", ";", False)])
def test_utf8_with_or_without_bom_and_commas_read_the_same(db, encoding, separator, bom):
    report = imports.check(csv_bytes(encoding=encoding, separator=separator, bom=bom), "f.csv")
    assert report.errors == []
    assert report.families[0].guardians[0].first_name == "Hélène"


def test_the_same_file_twice_gives_the_same_counts_and_no_duplicate(db, staff):
    imports.apply(staff, imports.check(csv_bytes(), "familles.csv"))
    counts = (Family.select().count(), Child.select().count(), Guardian.select().count(),
              User.select().count(), QFDeclaration.select().count())
    before = snapshot()
    outcome = imports.apply(staff, imports.check(csv_bytes(), "familles.csv"))
    assert (outcome.created, outcome.updated) == (0, 2)
    assert (outcome.children_created, outcome.children_updated) == (0, 3)
    assert (Family.select().count(), Child.select().count(), Guardian.select().count(),
            User.select().count(), QFDeclaration.select().count()) == counts
    assert snapshot() == before
    trail = AuditLog.select().where(AuditLog.action == "families.imported")
    assert trail.count() == 2
    assert "familles.csv" in trail.first().details and trail.first().user_id == staff.id


def test_the_dry_run_names_the_wrong_line_and_column_and_writes_nothing(db):
    rows = list(ROWS)
    rows[1] = rows[1].replace("12/10/2016", "31/02/2016").replace(";CE2;", ";CE7;")
    rows[2] = rows[2].replace("francois.garcon@example.org;;05 61 11 11 11",
                              "helene.leblanc@example.org;;05 61 11 11 11")
    rows.append(";;ROUX;Paul;;;;;;;;;;;;;;Lou;01/01/2020;F;École Inconnue;MS;;")
    families = Family.select().count()
    report = imports.check(csv_bytes(rows), "familles.csv")
    found = {(e.line, e.column): e.message for e in report.errors}
    assert found[(3, "enfant_naissance")] == "« 31/02/2016 » n'est pas une date (JJ/MM/AAAA)."
    assert found[(3, "enfant_classe")].startswith("Classe inconnue « CE7 »")
    assert "déjà celle d'une autre famille du fichier" in found[(4, "r1_email")]
    assert found[(5, "r1_email")].startswith("Le responsable 1 n'a ni email ni téléphone")
    assert found[(5, "enfant_ecole")].startswith("École inconnue « École Inconnue »")
    assert report.summary.endswith(f"{len(report.errors)} erreurs")
    assert [e.letter for e in report.errors if e.column == "enfant_naissance"] == ["S"]
    with pytest.raises(ValueError):
        imports.apply(None, report)
    assert Family.select().count() == families


def test_an_email_of_another_family_s_account_is_refused(db):
    rows = [ROWS[2].replace("francois.garcon@example.org", "famille.dupont@example.org")]
    report = imports.check(csv_bytes(rows), "f.csv")
    assert [(e.line, e.column) for e in report.errors] == [(2, "r1_email")]


def test_a_file_that_is_not_a_table_is_refused_with_a_message(db):
    with pytest.raises(FileProblem):
        imports.check(b"bonjour\r\n", "f.csv")
    with pytest.raises(FileProblem):
        imports.check(b"PK\x03\x04garbage", "f.xlsx")


def test_the_template_is_read_back_without_error(db):
    report = imports.check(template_csv(), "modele.csv")
    assert report.errors == [] and len(report.families) == len(EXAMPLE_ROWS)


def test_importing_again_updates_what_changed_in_the_file(db, staff):
    imports.apply(staff, imports.check(csv_bytes(), "familles.csv"))
    rows = [row.replace(";CE2;", ";CM1;").replace("1 rue Haute", "5 rue Neuve") for row in ROWS]
    outcome = imports.apply(staff, imports.check(csv_bytes(rows), "familles-2.csv"))
    assert outcome.created == 0 and outcome.children_created == 0
    assert Child.get(Child.first_name == "THÉO").class_level == "CM1"
    assert Family.get(Family.name == "LEBLANC").address == "5 rue Neuve"
