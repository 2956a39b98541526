"""The bank's return file, rule by rule: what staff read when a file is refused, which
amount of a camt.054 is compared with the debit, which amounts are not read as one,
the reason code, the end-to-end id missing or twice, and what the import records and
audits (also when another agent recorded a rejection between the dry run and the import)."""
import datetime
import json

import pytest

from domain import commune
from domain.billing import bank_returns, direct_debit
from models import AuditLog, DebitItem
from tests.billing.test_bank_returns import (
    FEB_1,
    admin,
    camt054,
    january_collection,
    pain002,
    sent_debits,
)
from tests.billing.test_debit_collection_rules import two_families_debited

REFUSED_XML = ("Ce fichier n'est pas un fichier XML lisible : choisissez le fichier de retour "
               "(pain.002 ou camt.054) donné par la banque.")
NOT_A_RETURN = ("Ce fichier XML n'est pas un retour de prélèvement : la banque en donne un au "
                "format pain.002 (rapport de statut) ou camt.054 (avis de débit).")
NOTHING_REJECTED = ("Ce fichier de la banque ne signale aucun prélèvement rejeté : il n'y a "
                    "rien à enregistrer.")
NO_REFERENCE = "La banque ne donne pas la référence du débit (EndToEndId)."


def refusal(collection, data):
    with pytest.raises(bank_returns.ReturnFileError) as refused:
        bank_returns.check(collection, data)
    return str(refused.value)


def pain002_of(transactions, group_status="PART"):
    return ('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
            "<OrgnlGrpInfAndSts><OrgnlMsgId>PF-X</OrgnlMsgId>"
            f"<GrpSts>{group_status}</GrpSts></OrgnlGrpInfAndSts>"
            f"<OrgnlPmtInfAndSts>{transactions}</OrgnlPmtInfAndSts>"
            "</CstmrPmtStsRpt></Document>").encode()


def camt054_of(entries):
    return ('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">'
            f"<BkToCstmrDbtCdtNtfctn><Ntfctn>{entries}</Ntfctn></BkToCstmrDbtCdtNtfctn>"
            "</Document>").encode()


def returned_tx(e2e, inside="", reason="<Rsn><Cd>AM04</Cd></Rsn>"):
    return (f"<TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>{inside}"
            f"<RtrInf>{reason}</RtrInf></TxDtls>")


def entry(amount, *transactions):
    return (f'<Ntry><Amt Ccy="EUR">{amount}</Amt><NtryDtls>{"".join(transactions)}'
            "</NtryDtls></Ntry>")


@pytest.fixture
def collection(db):
    return direct_debit.DebitCollection.create(
        period_year=2027, period_month=1, collection_date=datetime.date(2027, 2, 15),
        message_id="PF-X", total_cents=0, count=0)


@pytest.mark.parametrize("data, message", [
    (b"", "Le fichier est vide."),
    (b"  \n\t ", "Le fichier est vide."),
    (b"pas du XML", REFUSED_XML),
    (b"<Document><Autre/></Document>", NOT_A_RETURN),
    (b"<Autre><CstmrPmtStsRpt/></Autre>", NOT_A_RETURN),
    (pain002_of("", group_status="ACCP"), NOTHING_REJECTED),
])
def test_each_refused_file_says_why_in_full(collection, data, message):
    assert refusal(collection, data) == message


def test_a_file_the_bank_refused_whole_says_so(collection):
    data = pain002_of("", group_status="RJCT").replace(
        b"</GrpSts>", b"</GrpSts><StsRsnInf><Rsn><Cd>ff01</Cd></Rsn></StsRsnInf>")
    assert refusal(collection, data) == (
        "La banque a refusé le fichier entier (motif FF01) : aucun prélèvement n'a eu lieu. "
        "Ce n'est pas un rejet de débits : l'administrateur annule ce prélèvement "
        "(« Annuler ce prélèvement », sur cette page), les factures sont de nouveau à "
        "payer ; voyez avec la banque avant d'en préparer un nouveau.")


def test_a_declared_document_type_is_refused_even_without_entities(db, mailbox, in_app):
    collection = january_collection()
    e2e, amount = sent_debits(collection)[16123]
    data = pain002(collection, [(e2e, amount, "AM04")])
    assert len(bank_returns.check(collection, data).to_record) == 1
    with_dtd = data.replace(b"<Document", b"<!DOCTYPE Document><Document", 1)
    assert refusal(collection, with_dtd) == REFUSED_XML


def test_a_file_of_5_mo_is_read_and_one_byte_more_is_refused(db, mailbox, in_app):
    collection = january_collection()
    e2e, amount = sent_debits(collection)[16123]
    data = pain002(collection, [(e2e, amount, "AM04")])
    padded = data + b" " * (bank_returns.MAX_FILE_BYTES - len(data))
    assert len(bank_returns.check(collection, padded).to_record) == 1
    assert refusal(collection, padded + b" ") == (
        "Le fichier dépasse 5 Mo : ce n'est pas un retour de prélèvement.")


def test_the_pain002_reads_rejections_after_accepted_ones(collection):
    accepted = "<TxInfAndSts><OrgnlEndToEndId>OK-1</OrgnlEndToEndId><TxSts>ACSC</TxSts></TxInfAndSts>"
    rejected = ("<TxInfAndSts><OrgnlEndToEndId>KO-1</OrgnlEndToEndId><TxSts>RJCT</TxSts>"
                "<StsRsnInf><Rsn><Prtry>am04</Prtry></Rsn></StsRsnInf></TxInfAndSts>")
    kind, message_id, returned = bank_returns.parse(pain002_of(accepted + rejected))
    assert (kind, message_id) == ("pain.002", "PF-X")
    assert [(r.end_to_end_id, r.reason_code, r.amount_cents) for r in returned] == \
        [("KO-1", "AM04", None)]


@pytest.mark.parametrize("reason, code", [
    ("<Rsn><Prtry>md01</Prtry></Rsn>", "MD01"),  # a proprietary code, in capitals
    ("<Rsn><Cd>AM04XXXXYZ</Cd></Rsn>", "AM04XXXX"),  # 8 characters at most
    ("", "MS03"),  # no reason given
    ("<Rsn><Cd/></Rsn>", "MS03"),
])
def test_the_reason_code_of_a_camt054(reason, code):
    _, message_id, [returned] = bank_returns.parse(
        camt054_of(entry("1.00", returned_tx("E-1", reason=reason))))
    assert message_id == "" and returned.reason_code == code


def test_an_unknown_or_long_reason_is_left_out_by_its_code(db, mailbox, in_app):
    collection = january_collection()
    e2e, amount = sent_debits(collection)[16123]
    [line] = bank_returns.check(collection, pain002(collection, [(e2e, amount, "AM04TOOLONG")]
                                                    )).lines
    assert line.problem == ("Motif AM04TOOL inconnu : enregistrez ce rejet à la main avec le "
                            "motif le plus proche.")
    assert line.reason_label == "motif inconnu"


@pytest.mark.parametrize("e2e_element", ["", "<Refs><EndToEndId/></Refs>",
                                         "<Refs><EndToEndId>  </EndToEndId></Refs>"])
def test_a_return_without_its_end_to_end_id_is_left_out(db, mailbox, in_app, e2e_element):
    collection = january_collection()
    tx = f'<TxDtls>{e2e_element}<RtrInf><Rsn><Cd>AM04</Cd></Rsn></RtrInf></TxDtls>'
    report = bank_returns.check(collection, camt054_of(entry("57.40", tx)))
    assert [line.problem for line in report.lines] == [NO_REFERENCE]
    assert report.warning == "" and report.message_id == ""


def test_a_debit_twice_in_the_file_is_counted_once(db, mailbox, in_app):
    collection = january_collection()
    e2e, amount = sent_debits(collection)[16123]
    report = bank_returns.check(collection, pain002(collection, [(e2e, amount, "AM04"),
                                                                 (e2e, amount, "AM04")]))
    assert report.message_id == collection.message_id
    assert [line.problem for line in report.lines] == [
        "", "Ce débit figure deux fois dans le fichier : il n'est compté qu'une fois."]


def amount_report(collection, data):
    [line] = [line for line in bank_returns.check(collection, data).lines
              if line.item is not None]
    return line.problem


@pytest.mark.parametrize("inside, entry_amount", [
    # The instructed amount comes first, then the transaction amount, then the TxDtls's
    # own amount, and the entry's amount only when the entry holds one transaction.
    ('<AmtDtls><InstdAmt><Amt Ccy="EUR">1.00</Amt></InstdAmt>'
     '<TxAmt><Amt Ccy="EUR">57.40</Amt></TxAmt></AmtDtls><Amt Ccy="EUR">57.40</Amt>', "57.40"),
    ('<AmtDtls><TxAmt><Amt Ccy="EUR">1.00</Amt></TxAmt></AmtDtls>', "57.40"),
    ('<Amt Ccy="EUR">1.00</Amt>', "57.40"),
    ("", "1.00"),
])
def test_the_camt054_amount_compared_with_the_debit(db, mailbox, in_app, inside, entry_amount):
    collection = january_collection()
    e2e, amount = sent_debits(collection)[16123]
    assert amount == "57.40"
    problem = amount_report(collection, camt054_of(entry(entry_amount,
                                                         returned_tx(e2e, inside))))
    assert problem == ("La banque indique 1,00\xa0€, le débit était de 57,40\xa0€ : vérifiez "
                       "avec la banque, puis enregistrez le rejet à la main.")


def test_the_camt054_right_amount_wins_over_the_others(db, mailbox, in_app):
    collection = january_collection()
    e2e, _ = sent_debits(collection)[16123]
    inside = ('<AmtDtls><InstdAmt><Amt Ccy="EUR">57.40</Amt></InstdAmt>'
              '<TxAmt><Amt Ccy="EUR">1.00</Amt></TxAmt></AmtDtls><Amt Ccy="EUR">1.00</Amt>')
    assert amount_report(collection, camt054_of(entry("1.00", returned_tx(e2e, inside)))) == ""


def test_an_entry_of_two_transactions_gives_neither_its_amount(db, mailbox, in_app):
    collection = january_collection()
    e2e, _ = sent_debits(collection)[16123]
    not_returned = "<TxDtls><Refs><EndToEndId>PAYE-1</EndToEndId></Refs></TxDtls>"
    data = camt054_of(entry("114.80", not_returned, returned_tx(e2e)))
    report = bank_returns.check(collection, data)
    assert [line.item.end_to_end_id for line in report.to_record] == [e2e]
    assert report.left_out == []  # the transaction not returned is no line


@pytest.mark.parametrize("text, problem", [
    ("0.00", "La banque indique 0,00\xa0€"),
    ("0.50", "La banque indique 0,50\xa0€"),
    ("100.00", "La banque indique 100,00\xa0€"),
    ("1000000000", "La banque indique 1\u202f000\u202f000\u202f000,00\xa0€"),
    # Not an amount: the line is left out, to be checked and recorded by hand.
    ("-57.40", "La banque indique un montant illisible (« -57.40 »)"),
    ("NaN", "La banque indique un montant illisible (« NaN »)"),
    ("Infinity", "La banque indique un montant illisible (« Infinity »)"),
    ("abc", "La banque indique un montant illisible (« abc »)"),
    ("1000000000.01", "La banque indique un montant illisible (« 1000000000.01 »)"),
])
def test_which_amounts_of_the_file_are_compared(db, mailbox, in_app, text, problem):
    collection = january_collection()
    e2e, _ = sent_debits(collection)[16123]
    found = amount_report(collection, pain002(collection, [(e2e, text, "AM04")]))
    assert found.startswith(problem) and bool(found) == bool(problem)


def test_staff_read_where_a_debit_of_another_collection_belongs(db, mailbox, in_app):
    collection = january_collection()
    e2e, amount = sent_debits(collection)[16123]
    other = direct_debit.DebitCollection.create(
        period_year=2027, period_month=2, collection_date=datetime.date(2027, 3, 15),
        created_at=collection.created_at, message_id="PF-AUTRE", total_cents=0, count=0)
    report = bank_returns.check(other, pain002(collection, [(e2e, amount, "AM04")]))
    assert report.warning == (
        f"Ce fichier répond au message {collection.message_id}, et non à ce prélèvement "
        "(PF-AUTRE) : seuls les débits de ce prélèvement peuvent y être enregistrés.")
    assert report.left_out[0].problem == (
        "Ce débit appartient au prélèvement de janvier 2027 du 15/02/2027 : importez le "
        "fichier sur sa page.")


def test_a_debit_already_rejected_says_on_which_day(db, mailbox, in_app):
    collection = january_collection()
    e2e, amount = sent_debits(collection)[16123]
    data = pain002(collection, [(e2e, amount, "AM04")])
    bank_returns.record(collection, data, commune.billing_settings(), admin(), FEB_1)
    assert bank_returns.check(collection, data).lines[0].problem == \
        "Déjà enregistré comme rejeté le 01/02/2027."


def imports(action):
    return [(row.user_id, json.loads(row.details))
            for row in AuditLog.select().where(AuditLog.action == action).order_by(AuditLog.id)]


def test_the_import_records_each_rejection_by_its_agent_and_is_audited(db, mailbox, in_app):
    collection, mine, theirs = two_families_debited()
    data = camt054([(mine.end_to_end_id, "57.40", "AM04"),
                    (theirs.end_to_end_id, "57.40", "MS02"), ("INCONNU", "1.00", "AM04")])
    assert bank_returns.record(collection, data, commune.billing_settings(), admin(),
                               FEB_1) == (2, 1)
    assert [user for user, _ in imports("debit.rejected")] == [admin().id, admin().id]
    [(user, details)] = imports("debit.return_imported")
    assert user == admin().id
    assert details == {
        "summary": f"Retour de la banque (camt.054) importé sur le prélèvement "
                   f"{collection.message_id} : 2 rejet(s) enregistré(s), 1 ignoré(s)",
        "after": {"collection": collection.id, "recorded": 2, "left_out": 1}}


def test_a_rejection_recorded_by_another_agent_meanwhile_is_skipped(db, mailbox, in_app,
                                                                     monkeypatch):
    collection, mine, theirs = two_families_debited()
    data = pain002(collection, [(mine.end_to_end_id, "57.40", "AM04"),
                                (theirs.end_to_end_id, "57.40", "AM04")])
    dry_run = bank_returns.check(collection, data)
    assert len(dry_run.to_record) == 2
    # Between the dry run and the import, another agent records the first by hand.
    direct_debit.record_debit_rejection(mine.id, "AM04", commune.billing_settings(), admin(),
                                        FEB_1)
    monkeypatch.setattr(bank_returns, "check", lambda *args: dry_run)
    assert bank_returns.record(collection, data, commune.billing_settings(), admin(),
                               FEB_1) == (1, 1)
    assert DebitItem.get_by_id(theirs.id).status == DebitItem.REJECTED
    assert imports("debit.return_imported")[0][1]["after"]["recorded"] == 1


def test_the_kept_file_keeps_its_name_or_a_default(db, in_app):
    agent = admin()
    token = bank_returns.keep_file(b"<Document/>", "", agent)
    assert bank_returns.kept_file(token, agent) == (b"<Document/>", "retour.xml")
    long_name = "r" * 240 + ".xml"
    token = bank_returns.keep_file(b"<Document/>", long_name, agent)
    assert bank_returns.kept_file(token, agent) == (b"<Document/>", long_name[:200])


def test_an_empty_amount_is_no_amount_and_an_unreadable_one_is_shown_cut(db, mailbox, in_app):
    """A return without its amount's text compares none (the rejection is recorded); an
    unreadable one is shown to staff, its first 40 characters, with what to do."""
    collection = january_collection()
    e2e, _ = sent_debits(collection)[16123]
    assert amount_report(collection, pain002(collection, [(e2e, "", "AM04")])) == ""
    garbled = "x" * 39 + "yz"
    assert amount_report(collection, pain002(collection, [(e2e, garbled, "AM04")])) == (
        f"La banque indique un montant illisible (« {'x' * 39}y ») : vérifiez avec la "
        "banque, puis enregistrez le rejet à la main.")


def test_a_debit_of_a_cancelled_collection_is_not_recorded_from_a_return(db, mailbox,
                                                                          in_app):
    collection = january_collection()
    e2e, amount = sent_debits(collection)[16123]
    DebitItem.update(status=DebitItem.CANCELLED).where(
        DebitItem.collection == collection.id).execute()
    assert amount_report(collection, pain002(collection, [(e2e, amount, "AM04")])) == \
        "Ce prélèvement est annulé : ce débit n'a pas eu lieu."


def test_a_file_of_more_rejections_than_the_limit_is_refused_in_full(db, mailbox, in_app,
                                                                    monkeypatch):
    collection = january_collection()
    rejections = [(f"PF-{n}", "1.00", "AM04") for n in range(3)]
    monkeypatch.setattr(bank_returns, "MAX_LINES", 3)
    assert len(bank_returns.check(collection, pain002(collection, rejections)).lines) == 3
    monkeypatch.undo()
    many = [(f"PF-{n}", "1.00", "AM04") for n in range(bank_returns.MAX_LINES + 1)]
    assert refusal(collection, pain002(collection, many)) == (
        "Ce fichier signale plus de 10 000 rejets : ce n'est pas le retour d'un prélèvement "
        "de la commune.")
