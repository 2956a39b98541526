"""The commune's régies: which activities each collects for, its numbering, its PayFiP number.

A commune often collects through several régies (restauration scolaire, périscolaire,
extrascolaire). Each activity belongs to one (``Activity.regie``; none said: the
first régie, the commune's main one), and the monthly run makes one invoice per
family and régie, numbered in that régie's own series: ``{prefix}{year}-{n}``, the
counter ``{prefix}-{year}`` (prefixes are unique, so each counter is one régie's).
A commune with one régie sees nothing of this: its régie keeps the numbers ``F…``
and ``A…`` and the portal's PayFiP number.
"""
import re

from peewee import IntegrityError

from domain import audit
from domain.transactions import lock_rows, write_transaction
from models import MAIN_REGIE_NAME, Activity, Invoice, NumberSequence, Regie, SchoolYear, db

PREFIX = re.compile(r"[A-Z]{1,4}")
PAYFIP_CLIENT = re.compile(r"[0-9]{6}")  # not \d: it takes "١٢٣٤٥٦" too
TAKEN = "Ce nom ou ces préfixes viennent d'être pris par une autre régie : réessayez."


class RegieError(ValueError):
    """A refused régie, with the field the French message belongs to."""

    def __init__(self, message, field):
        super().__init__(message)
        self.field = field


def main_regie():
    """The first régie, made (numbers ``F``/``A``) if the commune has none yet."""
    regie = Regie.select().order_by(Regie.id).first()
    if regie is None:
        # Two first runs racing: the unique prefix lets one insert win, the other read it.
        Regie.insert(name=MAIN_REGIE_NAME, invoice_prefix="F",
                     credit_prefix="A").on_conflict_ignore().execute()
        regie = Regie.select().order_by(Regie.id).first()
    return regie


def all_regies():
    """Every régie, the main one first."""
    main_regie()
    return list(Regie.select().order_by(Regie.id))


def regie_names():
    """{régie id: name} when the commune bills through several régies (each invoice then
    says which one it is from), else {} (one régie, or none made yet: nothing to tell
    apart). One query: FACTURATION's pages ask on every visit."""
    names = dict(Regie.select(Regie.id, Regie.name).order_by(Regie.id).tuples())
    return names if len(names) > 1 else {}


def regie_of(regie_id):
    """The régie ``regie_id`` (None: the main one)."""
    return Regie.get_or_none(Regie.id == regie_id) if regie_id else main_regie()


def payfip_client(invoice, default):
    """The PayFiP client number online payment of ``invoice`` uses: its régie's, or
    ``default`` (the portal's) when the régie gives none."""
    return regie_of(invoice.regie_id).payfip_client or default


def of_regie(regie):
    """The condition "invoice billed by ``regie``" (the main one also has those made
    before there were régies)."""
    if regie.id == main_regie().id:
        return (Invoice.regie == regie.id) | Invoice.regie.is_null()
    return Invoice.regie == regie.id


def activities_by_regie(main_id):
    """{régie id: [activities]} of every school year, newest year first."""
    grouped = {}
    query = (Activity.select(Activity, SchoolYear).join(SchoolYear)
             .order_by(SchoolYear.start_date.desc(), Activity.position, Activity.id))
    for activity in query:
        grouped.setdefault(activity.regie_id or main_id, []).append(activity)
    return grouped


def every_activity():
    """Every activity with its school year, newest year first (the page's checkboxes)."""
    return list(Activity.select(Activity, SchoolYear).join(SchoolYear)
                .order_by(SchoolYear.start_date.desc(), Activity.position, Activity.id))


def _checked(name, invoice_prefix, credit_prefix, payfip, regie_id):
    """The cleaned values, or RegieError by the field."""
    name = " ".join((name or "").split())
    invoice_prefix = (invoice_prefix or "").strip().upper()
    credit_prefix = (credit_prefix or "").strip().upper()
    payfip = (payfip or "").strip()
    if not name:
        raise RegieError("Indiquez le nom de la régie.", "name")
    if len(name) > 120:
        raise RegieError("Le nom tient en 120 caractères.", "name")
    for value, field in ((invoice_prefix, "invoice_prefix"), (credit_prefix, "credit_prefix")):
        if not PREFIX.fullmatch(value):
            raise RegieError("De 1 à 4 lettres majuscules sans accent (par exemple F ou FCL).",
                             field)
    if invoice_prefix == credit_prefix:
        raise RegieError("Les factures et les avoirs ont chacun leur préfixe.", "credit_prefix")
    if payfip and not PAYFIP_CLIENT.fullmatch(payfip):
        raise RegieError("Le numéro client PayFiP compte 6 chiffres.", "payfip_client")
    others = Regie.select().where(Regie.id != (regie_id or 0))
    for other in others:
        if other.name.lower() == name.lower():
            raise RegieError(f"Une régie s'appelle déjà « {name} ».", "name")
        for value, field in ((invoice_prefix, "invoice_prefix"), (credit_prefix, "credit_prefix")):
            if value in (other.invoice_prefix, other.credit_prefix):
                raise RegieError(f"Le préfixe {value} est celui de la régie « {other.name} ».",
                                 field)
    return name, invoice_prefix, credit_prefix, payfip


def _serialised():
    """The main régie's id, its row locked until the transaction ends (PostgreSQL): régie
    writes go one at a time, so each checks prefixes against the others' saved ones (no
    unique index spans "one's invoices" and "another's credit notes")."""
    main_id = main_regie().id
    lock_rows(Regie, [main_id])
    return main_id


def _has_invoices(regie, main_id):
    query = Invoice.select(Invoice.id)
    if regie.id == main_id:
        return query.where((Invoice.regie == regie.id) | Invoice.regie.is_null()).exists()
    return query.where(Invoice.regie == regie.id).exists()


def _prefix_used(prefix):
    """Whether numbers were already given with ``prefix`` (by any régie, ever)."""
    return NumberSequence.select().where(NumberSequence.name.startswith(prefix + "-")).exists()


def _assign(regie, activity_ids, main_id):
    """Give ``regie`` the activities ``activity_ids``; those it had and loses go back to
    the main régie. Returns the names moved in and out."""
    activity_ids = set(activity_ids)
    known = {a.id: a for a in Activity.select()}
    mine = {i for i, a in known.items() if (a.regie_id or main_id) == regie.id}
    wanted = activity_ids & set(known)
    added, removed = sorted(wanted - mine), sorted(mine - wanted)
    if added:
        Activity.update(regie=regie.id).where(Activity.id.in_(added)).execute()
    if removed and regie.id != main_id:
        Activity.update(regie=main_id).where(Activity.id.in_(removed)).execute()
    elif removed:
        removed = []  # the main régie keeps what no other régie takes
    return [known[i].name for i in added], [known[i].name for i in removed]


def create_regie(actor, name, invoice_prefix, credit_prefix, payfip, activity_ids):
    """A new régie with these activities (audited); RegieError by the field."""
    with write_transaction():
        main_id = _serialised()
        name, invoice_prefix, credit_prefix, payfip = _checked(
            name, invoice_prefix, credit_prefix, payfip, None)
        for value, field in ((invoice_prefix, "invoice_prefix"), (credit_prefix, "credit_prefix")):
            if _prefix_used(value):
                raise RegieError(f"Des numéros {value}… ont déjà été donnés : choisissez un "
                                 "autre préfixe.", field)
        try:
            with db.atomic():
                regie = Regie.create(name=name, invoice_prefix=invoice_prefix,
                                     credit_prefix=credit_prefix, payfip_client=payfip)
        except IntegrityError:  # the same name or prefix saved meanwhile by another agent
            raise RegieError(TAKEN, "name") from None
        added, _ = _assign(regie, activity_ids, main_id)
        audit.record(actor, None, audit.REGIE_CREATED, summary=f"Régie « {name} » créée",
                     after=_described(regie, added))
    return regie


def update_regie(actor, regie_id, name, invoice_prefix, credit_prefix, payfip, activity_ids):
    """Change a régie and its activities (audited). Its prefixes stay once it has issued
    an invoice: its numbers must keep running without gaps."""
    with write_transaction():
        main_id = _serialised()
        regie = Regie.get_by_id(regie_id)
        before = _described(regie, [a.name for a in activities_by_regie(main_id)
                                    .get(regie.id, [])])
        name, invoice_prefix, credit_prefix, payfip = _checked(
            name, invoice_prefix, credit_prefix, payfip, regie.id)
        changed = [(value, field) for value, old, field in (
            (invoice_prefix, regie.invoice_prefix, "invoice_prefix"),
            (credit_prefix, regie.credit_prefix, "credit_prefix")) if value != old]
        if changed and _has_invoices(regie, main_id):
            raise RegieError("La régie a déjà émis des factures : ses préfixes ne changent "
                             "plus (sa numérotation doit rester continue).", changed[0][1])
        for value, field in changed:
            if _prefix_used(value):
                raise RegieError(f"Des numéros {value}… ont déjà été donnés : choisissez un "
                                 "autre préfixe.", field)
        try:
            with db.atomic():
                Regie.update(name=name, invoice_prefix=invoice_prefix,
                             credit_prefix=credit_prefix, payfip_client=payfip).where(
                    Regie.id == regie.id).execute()
        except IntegrityError:  # the same name or prefix saved meanwhile by another agent
            raise RegieError(TAKEN, "name") from None
        regie = Regie.get_by_id(regie.id)
        _assign(regie, activity_ids, main_id)
        after = _described(regie, [a.name for a in activities_by_regie(main_id)
                                   .get(regie.id, [])])
        audit.record(actor, None, audit.REGIE_UPDATED, summary=f"Régie « {name} » modifiée",
                     before=before, after=after)
    return regie


def _described(regie, activity_names):
    return {"nom": regie.name, "factures": regie.invoice_prefix, "avoirs": regie.credit_prefix,
            "payfip": regie.payfip_client, "activités": sorted(set(activity_names))}


def regie_ids_of_activities(activity_ids, main_id):
    """{activity id: its régie id} (one query)."""
    if not activity_ids:
        return {}
    return {activity_id: regie_id or main_id for activity_id, regie_id in
            Activity.select(Activity.id, Activity.regie)
            .where(Activity.id.in_(list(activity_ids))).tuples()}

