"""The administrateur's edits of a year's catalogue: activities, modalités, tariffs and
QF brackets. Every change is audited (``catalogue.edited``).

A tariff change applies to bookings made after it: a booking stores its price when
committed (``Booking.price_cents``), so existing bookings keep theirs.
"""
from domain import audit
from domain.transactions import write_transaction
from models import Activity, Modalite, QFBracket, Tariff

CATEGORY_LABELS = {
    Activity.ALAE: "ALAE", Activity.RESTAURATION: "Restauration",
    Activity.GARDERIE: "Garderie", Activity.CL_MERCREDI: "Centre de loisirs du mercredi",
    Activity.CLV: "Centre de loisirs des vacances", Activity.BUS_MERCREDI: "Bus du mercredi",
    Activity.BUS_VACANCES: "Bus des vacances",
}
AUDIENCE_LABELS = {Activity.FOR_ALL: "Maternelle et élémentaire",
                   Activity.FOR_MATERNEL: "Maternelle", Activity.FOR_ELEMENTAIRE: "Élémentaire"}
WEEKDAY_LABELS = {1: "Lundi", 2: "Mardi", 3: "Mercredi", 4: "Jeudi", 5: "Vendredi"}
PERIODS = ("Automne", "Noël", "Hiver", "Printemps", "Été")


class CatalogueError(ValueError):
    """Bad input: {field: French message}."""

    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def parse_euros(raw):
    """``5,20`` / ``5.20`` / ``5`` -> 520 cents; None when not an amount in 0–999,99 €."""
    text = (raw or "").strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    text = text.replace(",", ".")
    if not text or not text.isascii():
        return None
    whole, _, fraction = text.partition(".")
    if not whole.isdigit() or (fraction and (not fraction.isdigit() or len(fraction) > 2)):
        return None
    cents = int(whole) * 100 + int((fraction + "00")[:2] if fraction else 0)
    return cents if cents <= 99999 else None


def euros_input(cents):
    """520 -> ``5,20`` (the value of a price field)."""
    return f"{cents // 100},{cents % 100:02d}"


def tariff_grid(year):
    """(brackets, [(activity, modalite, {bracket id: Tariff})]) of a year, in 3 queries."""
    brackets = list(year.qf_brackets.order_by(QFBracket.position))
    modalites = list(Modalite.select(Modalite, Activity).join(Activity)
                     .where(Activity.school_year == year)
                     .order_by(Activity.position, Activity.id, Modalite.position, Modalite.id))
    tariffs = {}
    for tariff in Tariff.select().where(Tariff.modalite.in_([m.id for m in modalites])):
        tariffs.setdefault(tariff.modalite_id, {})[tariff.bracket_id] = tariff
    return brackets, [(m.activity, m, tariffs.get(m.id, {})) for m in modalites]


def save_tariffs(year, raw_prices, actor):
    """Save the grid: ``raw_prices`` {(modalite id, bracket id): typed amount}. All or
    nothing; returns the number of prices changed."""
    brackets, rows = tariff_grid(year)
    errors, changes = {}, []
    for activity, modalite, by_bracket in rows:
        for bracket in brackets:
            raw = raw_prices.get((modalite.id, bracket.id))
            if raw is None:
                continue
            cents = parse_euros(raw)
            name = f"tarif-{modalite.id}-{bracket.id}"
            if cents is None:
                errors[name] = "Saisissez un montant en euros, par exemple 5,20."
                continue
            tariff = by_bracket.get(bracket.id)
            if tariff is None or tariff.price_cents != cents:
                changes.append((activity, modalite, bracket, tariff, cents))
    if errors:
        raise CatalogueError(errors)
    with write_transaction():
        for activity, modalite, bracket, tariff, cents in changes:
            before = tariff.price_cents if tariff else None
            if tariff is None:
                Tariff.create(modalite=modalite, bracket=bracket, price_cents=cents)
            else:
                tariff.price_cents = cents
                tariff.save()
            audit.record(actor, None, audit.CATALOGUE_EDITED,
                         f"Tarif {year.label} – {activity.name} – {modalite.name} – "
                         f"{bracket.label}", before=before, after=cents)
    return len(changes)


def save_activity(activity, form, actor):
    """Save an activity from typed values (dict of strings / lists). Raises
    :class:`CatalogueError`."""
    errors = {}
    name = (form.get("name") or "").strip()
    if not name:
        errors["name"] = "Indiquez le nom de l'activité."
    elif len(name) > 120:
        errors["name"] = "120 caractères au plus."
    category = form.get("category")
    if category not in CATEGORY_LABELS:
        errors["category"] = "Choisissez une catégorie."
    audience = form.get("audience")
    if audience not in AUDIENCE_LABELS:
        errors["audience"] = "Choisissez un public."
    days = sorted({int(d) for d in form.get("weekdays", []) if d in ("1", "2", "3", "4", "5")})
    if not days:
        errors["weekdays"] = "Cochez au moins un jour."
    period = form.get("holiday_period") or None
    if period is not None and period not in PERIODS:
        errors["holiday_period"] = "Choisissez une période de vacances."
    raw_capacity = (form.get("capacity") or "").strip()
    capacity = None
    if raw_capacity:
        if raw_capacity.isascii() and raw_capacity.isdigit() and 0 < int(raw_capacity) <= 999:
            capacity = int(raw_capacity)
        else:
            errors["capacity"] = "Indiquez un nombre de places entre 1 et 999, ou laissez vide."
    exclusive_group = " ".join((form.get("exclusive_group") or "").split())
    if len(exclusive_group) > 60:
        errors["exclusive_group"] = "60 caractères au plus."
    if errors:
        raise CatalogueError(errors)
    fields = {"name": name, "category": category, "audience": audience,
              "open_to_other_schools": bool(form.get("open_to_other_schools")),
              "weekdays": ",".join(str(d) for d in days), "holiday_period": period,
              "capacity": capacity, "exclusive_group": exclusive_group}
    before = {key: getattr(activity, key) for key in fields}
    with write_transaction():
        for key, value in fields.items():
            setattr(activity, key, value)
        activity.save()
        changed = audit.changed_fields(before, fields)
        if changed:
            audit.record(actor, None, audit.CATALOGUE_EDITED, f"Activité {activity.full_label}",
                         before={k: v[0] for k, v in changed.items()},
                         after={k: v[1] for k, v in changed.items()})
    return activity


def add_modalite(activity, name, raw_prices, actor):
    """A new modalité (its hours in its name, e.g. ``Garderie 11h00-12h30``) with a
    price for every QF bracket of the year: ``raw_prices`` {bracket id: typed amount}."""
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["modalite"] = "Indiquez le nom de la modalité, avec ses horaires."
    elif activity.modalites.where(Modalite.name == name).exists():
        errors["modalite"] = "Cette modalité existe déjà pour cette activité."
    brackets = list(activity.school_year.qf_brackets.order_by(QFBracket.position))
    prices = {}
    for bracket in brackets:
        cents = parse_euros(raw_prices.get(bracket.id))
        if cents is None:
            errors[f"prix-{bracket.id}"] = "Saisissez un montant en euros, par exemple 5,20."
        prices[bracket.id] = cents
    if errors:
        raise CatalogueError(errors)
    with write_transaction():
        position = (activity.modalites.order_by(Modalite.position.desc()).first())
        modalite = Modalite.create(activity=activity, name=name,
                                   position=(position.position + 1) if position else 1)
        for bracket in brackets:
            Tariff.create(modalite=modalite, bracket=bracket, price_cents=prices[bracket.id])
        audit.record(actor, None, audit.CATALOGUE_EDITED,
                     f"Modalité « {name} » ajoutée à {activity.full_label}",
                     after={"modalite": name, "tarifs": list(prices.values())})
    return modalite


def save_brackets(year, raw, actor):
    """Save the QF brackets' labels and bounds: ``raw`` {bracket id: (label, min, max)};
    the last bracket may have no upper bound. Bounds must follow each other."""
    brackets = list(year.qf_brackets.order_by(QFBracket.position))
    errors, values = {}, []
    for index, bracket in enumerate(brackets):
        label, low, high = raw.get(bracket.id, (bracket.label, str(bracket.min_qf),
                                                str(bracket.max_qf or "")))
        label, low, high = (label or "").strip(), (low or "").strip(), (high or "").strip()
        if not label:
            errors[f"qf-label-{bracket.id}"] = "Indiquez le libellé de la tranche."
        if not (low.isascii() and low.isdigit()):
            errors[f"qf-min-{bracket.id}"] = "Indiquez un quotient (nombre entier)."
            continue
        if high and not (high.isascii() and high.isdigit()):
            errors[f"qf-max-{bracket.id}"] = "Indiquez un quotient (nombre entier) ou laissez vide."
            continue
        if not high and index < len(brackets) - 1:
            errors[f"qf-max-{bracket.id}"] = "Seule la dernière tranche peut être sans plafond."
            continue
        low_value, high_value = int(low), int(high) if high else None
        if high_value is not None and high_value < low_value:
            errors[f"qf-max-{bracket.id}"] = "Le plafond doit être au moins égal au plancher."
        if values and values[-1][3] is not None and low_value != values[-1][3] + 1:
            errors[f"qf-min-{bracket.id}"] = (f"La tranche doit commencer à "
                                              f"{values[-1][3] + 1} (plafond précédent + 1).")
        values.append((bracket, label, low_value, high_value))
    if errors:
        raise CatalogueError(errors)
    with write_transaction():
        for bracket, label, low, high in values:
            before = (bracket.label, bracket.min_qf, bracket.max_qf)
            if before != (label, low, high):
                bracket.label, bracket.min_qf, bracket.max_qf = label, low, high
                bracket.save()
                audit.record(actor, None, audit.CATALOGUE_EDITED,
                             f"Tranche QF {year.label} : {label}", before=list(before),
                             after=[label, low, high])
