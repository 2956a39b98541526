"""The audit trail: who changed what, when, with the values before and after.

Every staff write to a family's data (and a few family writes that staff need
to see, such as opening a line) goes through :func:`record`, with an action
from the constants below: one naming style, ``area.verb``. ``AuditLog.details``
holds a JSON object ``{"summary", "before", "after", "reason"}`` (and, for an action
that needs it, a value read back by the portal: TERMINER's ``"listed"`` changes, which
its confirmation page shows); nothing edits or deletes a row once written.
"""
import datetime
import json
import re
from typing import Any

from peewee import JOIN

from domain import clock
from models import AuditLog, Family, Guardian, User

#: Rows written per bulk insert by :func:`record_each` (5 bound values each).
BATCH = 500

# Actions, in the domain's words (``area.verb``).
INSCRIPTION_OPENED = "inscription.opened"
INSCRIPTION_CLOSED = "inscription.closed"
BOOKINGS_REPRICED = "booking.repriced"
CLASSES_MOVED_UP = "child.moved_up"
MESSAGE_REPLIED = "message.replied"
MESSAGE_TREATED = "message.treated"
MESSAGE_SENT = "message.sent"
NEWS_EMAILED = "news.emailed"
DOSSIER_VALIDATED = "dossier.validated"
DOSSIER_REFUSED = "dossier.refused"
QUOTIENT_VALIDATED = "quotient.validated"
QUOTIENT_REFUSED = "quotient.refused"
QUOTIENT_CORRECTED = "quotient.corrected"
FAMILY_EDITED = "family.edited"
CHILD_EDITED = "child.edited"
HEALTH_EDITED = "health.edited"
HEALTH_VIEWED = "health.viewed"
REGISTER_VIEWED = "health.register_viewed"
PICKUP_EDITED = "pickup.edited"
BOOKING_ON_BEHALF = "booking.on_behalf"
BOOKING_COMMITTED = "booking.committed"
ACCOUNT_CREATED = "account.created"
ACCOUNT_INVITED = "account.invited"
ACCOUNT_DEACTIVATED = "account.deactivated"
ACCOUNT_REACTIVATED = "account.reactivated"
SECOND_FACTOR_RESET = "account.second_factor_reset"
ACCOUNT_ROLE_SET = "account.role_set"
PASSWORD_RESET_SENT = "account.reset_sent"
NEWS_EDITED = "news.edited"
NEWS_PUBLISHED = "news.published"
NEWS_WITHDRAWN = "news.withdrawn"
DOCUMENT_EDITED = "document.edited"
DOCUMENT_ADDED = "document.added"
DOCUMENT_REMOVED = "document.removed"
SERVICE_MAILBOX_SET = "service.mailbox_set"
COMMUNE_SETTINGS_SET = "commune.settings_set"
CATALOGUE_EDITED = "catalogue.edited"
DAY_CLOSED = "day.closed"
DAY_REOPENED = "day.reopened"
CAPACITY_SET = "day.capacity_set"
ATTENDANCE_MARKED = "attendance.marked"
ATTENDANCE_ADDED = "attendance.added"
ILLNESS_DECLARED = "illness.declared"
ILLNESS_REVIEWED = "illness.reviewed"
COMMUNE_BILLING_SET = "commune.billing_set"
EXPORT_DOWNLOADED = "export.downloaded"
INVOICE_ISSUED = "invoice.issued"
CREDIT_NOTE_ISSUED = "invoice.credit_note"
PAYMENT_RECORDED = "payment.recorded"
INVOICE_REMINDED = "invoice.reminded"
FAMILIES_IMPORTED = "families.imported"
FAMILIES_INVITED = "families.invited"
CHILD_ADDED = "child.added"
CHILD_ARCHIVED = "child.archived"
CHILD_DECLARED = "child.declared"
CHILD_DECLARATION_VALIDATED = "child.declaration_validated"
CHILD_DECLARATION_REFUSED = "child.declaration_refused"
GUARDIAN_EDITED = "guardian.edited"
GUARDIAN_DECLARED = "guardian.declared"
GUARDIAN_ACCESS_GIVEN = "guardian.access_given"
GUARDIAN_ACCESS_REMOVED = "guardian.access_removed"
GUARDIAN_SIGN_IN_EMAIL_FOLLOWED = "guardian.sign_in_email_followed"
SCHOOL_EDITED = "school.edited"
MANDATE_SIGNED = "mandate.signed"
MANDATE_REVOKED = "mandate.revoked"
DEBIT_COLLECTION_BUILT = "debit.collection_built"
DEBIT_COLLECTION_CANCELLED = "debit.collection_cancelled"
DEBIT_REJECTED = "debit.rejected"
DEBIT_RETURN_IMPORTED = "debit.return_imported"
DEBIT_SETTINGS_SET = "debit.settings_set"
REGIE_CREATED = "regie.created"
REGIE_UPDATED = "regie.updated"
MY_DATA_DOWNLOADED = "family.data_downloaded"
EMAIL_CHOICES_SET = "family.email_choices_set"

#: How each action reads in the audit-log page.
ACTION_LABELS = {
    INSCRIPTION_OPENED: "Inscription",
    INSCRIPTION_CLOSED: "Désinscription",
    BOOKINGS_REPRICED: "Réservations au tarif du nouveau quotient",
    CLASSES_MOVED_UP: "Passage de classe",
    MESSAGE_REPLIED: "Réponse à un message",
    MESSAGE_TREATED: "Message traité",
    MESSAGE_SENT: "Message envoyé par le service",
    NEWS_EMAILED: "Actualité envoyée par email",
    DOSSIER_VALIDATED: "Dossier validé",
    DOSSIER_REFUSED: "Dossier refusé",
    QUOTIENT_VALIDATED: "Quotient validé",
    QUOTIENT_REFUSED: "Quotient refusé",
    QUOTIENT_CORRECTED: "Quotient corrigé",
    FAMILY_EDITED: "Coordonnées modifiées",
    CHILD_EDITED: "Enfant modifié",
    HEALTH_EDITED: "Fiche sanitaire modifiée",
    HEALTH_VIEWED: "Fiche sanitaire consultée",
    REGISTER_VIEWED: "Registre de présence consulté (données de santé)",
    PICKUP_EDITED: "Personnes autorisées modifiées",
    BOOKING_ON_BEHALF: "Réservation pour la famille",
    BOOKING_COMMITTED: "Réservations de la famille",
    ACCOUNT_CREATED: "Compte créé",
    ACCOUNT_INVITED: "Invitation envoyée",
    ACCOUNT_DEACTIVATED: "Compte désactivé",
    ACCOUNT_REACTIVATED: "Compte réactivé",
    SECOND_FACTOR_RESET: "Double authentification réinitialisée",
    ACCOUNT_ROLE_SET: "Rôle modifié",
    PASSWORD_RESET_SENT: "Lien de mot de passe envoyé",
    NEWS_EDITED: "Actualité modifiée",
    NEWS_PUBLISHED: "Actualité publiée",
    NEWS_WITHDRAWN: "Actualité retirée",
    DOCUMENT_EDITED: "Document modifié",
    DOCUMENT_ADDED: "Document ajouté",
    DOCUMENT_REMOVED: "Document retiré",
    SERVICE_MAILBOX_SET: "Adresse d'un service modifiée",
    COMMUNE_SETTINGS_SET: "Paramètres de la commune modifiés",
    CATALOGUE_EDITED: "Catalogue modifié",
    DAY_CLOSED: "Journée fermée",
    DAY_REOPENED: "Journée rouverte",
    CAPACITY_SET: "Capacité du jour modifiée",
    ATTENDANCE_MARKED: "Présence pointée",
    ATTENDANCE_ADDED: "Enfant présent ajouté",
    ILLNESS_DECLARED: "Absence pour maladie déclarée",
    ILLNESS_REVIEWED: "Justificatif de maladie examiné",
    COMMUNE_BILLING_SET: "Règle de facturation des absences",
    EXPORT_DOWNLOADED: "Export téléchargé",
    INVOICE_ISSUED: "Facture émise",
    CREDIT_NOTE_ISSUED: "Avoir émis",
    PAYMENT_RECORDED: "Paiement enregistré",
    INVOICE_REMINDED: "Relance envoyée",
    FAMILIES_IMPORTED: "Familles importées",
    FAMILIES_INVITED: "Familles invitées",
    CHILD_ADDED: "Enfant ajouté",
    CHILD_ARCHIVED: "Enfant archivé",
    CHILD_DECLARED: "Enfant déclaré par la famille",
    CHILD_DECLARATION_VALIDATED: "Enfant déclaré validé",
    CHILD_DECLARATION_REFUSED: "Enfant déclaré refusé",
    GUARDIAN_EDITED: "Responsable légal modifié",
    GUARDIAN_DECLARED: "Second responsable déclaré par la famille",
    GUARDIAN_ACCESS_GIVEN: "Accès au portail donné à un responsable",
    GUARDIAN_ACCESS_REMOVED: "Accès au portail retiré à un responsable",
    GUARDIAN_SIGN_IN_EMAIL_FOLLOWED: "Adresse de connexion d'un responsable modifiée",
    SCHOOL_EDITED: "École modifiée",
    MANDATE_SIGNED: "Mandat de prélèvement signé",
    MANDATE_REVOKED: "Mandat de prélèvement révoqué",
    DEBIT_COLLECTION_BUILT: "Prélèvement préparé",
    DEBIT_COLLECTION_CANCELLED: "Prélèvement annulé",
    DEBIT_REJECTED: "Prélèvement rejeté",
    DEBIT_RETURN_IMPORTED: "Retour de la banque importé",
    DEBIT_SETTINGS_SET: "Paramètres de la facturation modifiés",
    REGIE_CREATED: "Régie créée",
    REGIE_UPDATED: "Régie modifiée",
    MY_DATA_DOWNLOADED: "Données téléchargées par la famille",
    EMAIL_CHOICES_SET: "Choix des emails modifiés",
}


def record(actor: User | int | None, family: Family | int | None, action: str,
           summary: str = "", before: Any = None, after: Any = None,
           reason: str = "", at: datetime.datetime | None = None,
           listed: Any = None) -> AuditLog:
    """Write one audit row. ``before``/``after`` are plain values (dicts, strings,
    numbers, dates) of what changed; ``at`` defaults to the portal's clock; ``listed``:
    plain values the portal reads back from the row (not shown in the audit log)."""
    _known(action)
    return AuditLog.create(user=actor, family=family, action=action,
                           at=at or clock.utc_now(),
                           details=_details(summary, before, after, reason, listed))


def record_each(actor: User | int | None, action: str, by_family: dict,
                reason: str = "", at: datetime.datetime | None = None) -> int:
    """One audit row per family of ``by_family`` (``{family id: (summary, before,
    after)}``), as :func:`record` writes it, in bulk inserts: an action on many families
    at once (a direct debit collection built or cancelled) is in each family's journal.
    Returns the number of rows written."""
    _known(action)
    user = actor.id if isinstance(actor, User) else actor
    at = at or clock.utc_now()
    rows = [(user, family_id, action, at, _details(summary, before, after, reason))
            for family_id, (summary, before, after) in by_family.items()]
    for start in range(0, len(rows), BATCH):
        AuditLog.insert_many(rows[start:start + BATCH],
                             fields=[AuditLog.user, AuditLog.family, AuditLog.action,
                                     AuditLog.at, AuditLog.details]).execute()
    return len(rows)


def _known(action: str) -> None:
    if action not in ACTION_LABELS:
        raise ValueError(f"Unknown audit action {action!r}")


def _details(summary: str, before: Any, after: Any, reason: str, listed: Any = None) -> str:
    """The JSON of a row's details (see the module)."""
    details = {"summary": summary}
    if before is not None:
        details["before"] = before
    if after is not None:
        details["after"] = after
    if reason:
        details["reason"] = reason
    if listed is not None:
        details["listed"] = listed
    return json.dumps(details, ensure_ascii=False, default=str, sort_keys=True)


def entries(family=None, user=None, since=None, until=None, action=None):
    """Audit rows, newest first, with their author (and the author's guardian, which
    ``author.person_name`` names) and family, filtered by family, by
    staff member, by action and by the naive-UTC bounds ``since`` (included) and
    ``until`` (excluded)."""
    author = User.alias()
    query = (AuditLog.select(AuditLog, author, Guardian, Family)
             .join(author, JOIN.LEFT_OUTER, on=(AuditLog.user == author.id), attr="author")
             .join(Guardian, JOIN.LEFT_OUTER, on=(author.guardian == Guardian.id),
                   attr="guardian")
             .switch(AuditLog).join(Family, JOIN.LEFT_OUTER, attr="family_row")
             .order_by(AuditLog.at.desc(), AuditLog.id.desc()))
    if family is not None:
        query = query.where(AuditLog.family == family)
    if user is not None:
        query = query.where(AuditLog.user == user)
    if action:
        query = query.where(AuditLog.action == action)
    if since is not None:
        query = query.where(AuditLog.at >= since)
    if until is not None:
        query = query.where(AuditLog.at < until)
    return query


def label_of(action: str) -> str:
    """How ``action`` reads in the audit-log page (older rows: the raw action)."""
    return ACTION_LABELS.get(action, action)


def details_of(row: AuditLog) -> dict:
    """The details of an audit row as a dict (older rows held plain text)."""
    try:
        value = json.loads(row.details or "{}")
    except ValueError:
        return {"summary": row.details}
    return value if isinstance(value, dict) else {"summary": str(value)}


def changes_of(details: dict) -> list:
    """[(key, before, after)] of the values that differ in an audit row's details."""
    before, after = details.get("before"), details.get("after")
    if not isinstance(before, dict) and not isinstance(after, dict):
        return []
    return [(key, old, new) for key, (old, new) in
            changed_fields(before if isinstance(before, dict) else {},
                           after if isinstance(after, dict) else {}).items()]


def changed_fields(before: dict, after: dict) -> dict:
    """Only the keys whose value differs: ``{key: (before, after)}``."""
    return {key: (before.get(key), after.get(key))
            for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)}


#: How the keys of ``before``/``after`` read in the audit-log page.
FIELD_LABELS = {
    "statut": "Statut", "status": "Statut", "quotient": "Quotient familial",
    "effective_from": "Applicable à partir du", "published": "Publiée", "publiee": "Publiée",
    "title": "Titre", "body": "Texte", "service": "Service", "category": "Catégorie",
    "display_from": "Affichée à partir du", "display_until": "Affichée jusqu'au",
    "file": "Fichier", "email": "Email", "role": "Rôle", "name": "Nom",
    "is_active": "Compte actif", "traité": "Traité", "adresse": "Adresse",
    "code_postal": "Code postal", "ville": "Ville", "phone_mobile": "Téléphone portable",
    "phone_home": "Téléphone domicile", "phone_work": "Téléphone travail",
    "profession": "Profession", "employer": "Employeur", "doctor_name": "Médecin",
    "doctor_phone": "Téléphone du médecin", "allergies": "Allergies",
    "has_pai": "PAI", "pai_details": "Détail du PAI", "diet": "Régime alimentaire",
    "ferme": "Fermée", "capacity": "Places", "places": "Places", "nom": "Nom",
    "prenom": "Prénom", "enfant": "Enfant", "date": "Date", "debut": "Début", "fin": "Fin",
    "du": "Du", "au": "Au", "annee": "Année", "activite": "Activité", "ecole": "École",
    "annulees": "Réservations annulées", "retablies": "Réservations rétablies",
    "emails": "Emails envoyés", "message": "Message", "fil": "Fil", "tarifs": "Tarifs",
    "reservees": "Réservations", "annulations": "Annulations",
    "décision": "Nom modifié",
}
#: How stored codes read ("en_attente" -> "en attente").
VALUE_LABELS = {
    "en_attente": "en attente", "validee": "validée", "refusee": "refusée",
    "en_cours": "en cours", "present": "présent", "absent": "absent", "excuse": "excusé",
    "agent": "agent", "administrateur": "administrateur", "family": "famille",
    # A guardian's names changed by staff (domain.family.guardian_access.take_over).
    "correction": "orthographe corrigée (même personne)",
    "autre-personne": "une autre personne remplace le responsable",
}


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def field_label(key: str) -> str:
    """``statut`` -> ``Statut``; a guardian's ``Marie DUPONT : phone_mobile`` ->
    ``Marie DUPONT : Téléphone portable``; an unknown key, spaced and capitalised."""
    prefix, _, name = key.rpartition(" : ")
    label = FIELD_LABELS.get(name) or name.replace("_", " ").capitalize()
    return f"{prefix} : {label}" if prefix else label


def value_label(value: Any) -> str:
    """A stored value as a reader says it: codes labelled, booleans oui/non, ISO
    dates DD/MM/YYYY, nothing as "—"."""
    if value is None or value == "":
        return "—"
    if value is True:
        return "oui"
    if value is False:
        return "non"
    if isinstance(value, str):
        if value in VALUE_LABELS:
            return VALUE_LABELS[value]
        if _ISO_DAY.fullmatch(value):
            try:
                return datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
            except ValueError:
                pass
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(value_label(v) for v in value) or "—"
    return str(value)


def change_sentences(details: dict) -> list:
    """The changes of an audit row as sentences: ``Statut : en attente → validée``."""
    return [f"{field_label(key)} : {value_label(old)} → {value_label(new)}"
            for key, old, new in changes_of(details)]
