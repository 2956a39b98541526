"""Every cell of a back-office CSV, as a French spreadsheet must read it (domain.exports):
written for the mutants mutmut left alive in it (README, "Mutation testing")."""
import datetime

from domain import exports


def test_empty_booleans_and_amounts():
    assert exports.cell(None) == ""
    assert (exports.cell(True), exports.cell(False)) == ("oui", "non")
    assert exports.cell(exports.Cents(0)) == "0,00"
    assert exports.cell(exports.Cents(5)) == "0,05"
    assert exports.cell(exports.Cents(520)) == "5,20"
    assert exports.cell(exports.Cents(123456)) == "1234,56"
    assert exports.cell(exports.Cents(-1)) == "-0,01"
    assert exports.cell(exports.Cents(-10100)) == "-101,00"


def test_dates_and_numbers():
    assert exports.cell(datetime.date(2027, 1, 6)) == "06/01/2027"
    assert exports.cell(2.5) == "2,5"
    assert exports.cell(16122) == "16122"
    assert exports.cell("DUPONT") == "DUPONT"
    assert exports.cell("a-b") == "a-b"  # a dash inside is no formula


def test_a_whole_file():
    text = exports.csv_text(["Nom", "Montant"], [["DUPONT", exports.Cents(520)],
                                                  ["=1+1", None]])
    assert text == "\ufeffNom;Montant\r\nDUPONT;5,20\r\n'=1+1;\r\n"
    assert exports.csv_text(["A"], []) == "\ufeffA\r\n"
    assert exports.csv_text(["x;y"], []) == '\ufeff"x;y"\r\n'


def test_download_names():
    assert exports.filename("presences", datetime.date(2027, 1, 6)) == "presences-2027-01-06.csv"
    assert exports.filename("familles") == "familles.csv"
