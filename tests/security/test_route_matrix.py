"""Who gets what on every route of the app, from its URL map.

``MATRIX`` lists every endpoint: its kind (who may open it) and its URL built from
objects of family 16122 (the *owner*: DUPONT, LENA). Each row is tried, for every
method of its rule, as the anonymous visitor, the owner, another family (16123),
an agent and the administrateur; ``EXPECTED`` says what each must get. Another
family gets a 404 and none of the object's bytes (``secret``: text the owner's
answer shows). A route of the app that the matrix does not list fails
``test_every_route_is_in_the_matrix``.

When you add a route: add its row to ``MATRIX`` (kind, URL with ``{placeholders}`` of
``objects()``, and for an object of a family the ``secret`` its answer shows); an
object it needs goes in ``objects()``. Staff routes: ``STAFF`` (anonymous -> sign-in
page, family -> 404, agent and administrateur -> 200) or ``ADMIN`` for
``staff.admin.*`` (the agent gets 403).
"""
import datetime
from dataclasses import dataclass

import pytest

import models
from domain.billing import regies
from domain.email_prefs import unsubscribe_token
from domain.family.record import make_email_change_token
from domain.files import store_bytes
from domain.pdf import simple_document
from models import (
    CalendarFeed,
    Child,
    ChildDeclaration,
    Commune,
    DayOverride,
    DebitCollection,
    DebitItem,
    Document,
    DossierValidation,
    Family,
    Invoice,
    Mandate,
    Message,
    MessageAttachment,
    MessageThread,
    News,
    Payment,
    PendingChange,
    PickupPerson,
    QFDeclaration,
    SchoolYear,
    User,
    Vaccination,
)
from tests.planning_support import CL, JANUARY, SANS, activity, enrol, modalite, sign_in

# --- Who gets what -------------------------------------------------------------------

PUBLIC = "public"          # anyone, signed in or not
SIGNED_IN = "signed in"    # any signed-in user (families and staff)
FAMILY = "family"          # family tabs: each family sees its own data there
FAMILY_OWN = "family own"  # one family's object: only that family
STAFF = "staff"            # back office: agents and administrateurs
ADMIN = "admin"            # staff.admin.*: the administrateur only

ROLES = ("anonymous", "other", "agent", "admin", "owner")  # the owner last: POSTs change things
OK, SIGN_IN, NOT_FOUND, FORBIDDEN = "ok", "sign-in page", 404, 403

#: kind -> role -> what that role gets.
EXPECTED = {
    PUBLIC:     {"anonymous": OK, "other": OK, "agent": OK, "admin": OK, "owner": OK},
    SIGNED_IN:  {"anonymous": SIGN_IN, "other": OK, "agent": OK, "admin": OK, "owner": OK},
    FAMILY:     {"anonymous": SIGN_IN, "other": OK, "agent": NOT_FOUND, "admin": NOT_FOUND,
                 "owner": OK},
    FAMILY_OWN: {"anonymous": SIGN_IN, "other": NOT_FOUND, "agent": NOT_FOUND,
                 "admin": NOT_FOUND, "owner": OK},
    STAFF:      {"anonymous": SIGN_IN, "other": NOT_FOUND, "agent": OK, "admin": OK,
                 "owner": NOT_FOUND},
    ADMIN:      {"anonymous": SIGN_IN, "other": NOT_FOUND, "agent": FORBIDDEN, "admin": OK,
                 "owner": NOT_FOUND},
}


@dataclass
class Row:
    kind: str
    url: str
    secret: str = ""        # shown to whoever may see the object, never to anyone else
    other_status: int = 0   # what another family gets when it is not a 404 (a token: 400)
    form: dict = None       # the fields a POST sends (with {placeholders}), besides CSRF
    also_ok: tuple = ()     # statuses that count as "ok" here, e.g. 404 when the request
                            # names no object (a payment return without its idOp)
    consumes: bool = False  # a staff POST that removes its object: after the agent's
                            # success, the administrateur's try is a 404


#: endpoint -> (kind, URL, secret). Keep it sorted by endpoint.
MATRIX = {
    "accueil.index": Row(FAMILY, "/"),
    "actualites.index": Row(FAMILY, "/actualites/"),
    "agenda.feed": Row(PUBLIC, "/agenda/{feed_token}.ics"),
    "auth.change_password": Row(SIGNED_IN, "/mot-de-passe"),
    "desabonnement.unsubscribe": Row(PUBLIC, "/desabonnement/{unsubscribe_token}"),
    "auth.forgot_password": Row(PUBLIC, "/mot-de-passe-oublie"),
    "auth.login": Row(PUBLIC, "/connexion"),
    "auth.logout": Row(SIGNED_IN, "/deconnexion"),
    "auth.reset_password": Row(PUBLIC, "/reinitialiser/{bad_token}"),
    "dossier.actualisation": Row(FAMILY, "/mon-dossier/actualisation"),
    "dossier.add_vaccine": Row(FAMILY_OWN, "/mon-dossier/enfants/{child}/vaccins"),
    "dossier.change_email": Row(FAMILY, "/mon-dossier/coordonnees/email"),
    "dossier.child": Row(FAMILY_OWN, "/mon-dossier/enfants/{child}", "LENA"),
    "dossier.children": Row(FAMILY, "/mon-dossier/enfants/"),
    "dossier.confirm_email": Row(FAMILY_OWN, "/mon-dossier/coordonnees/email/confirmer/"
                                 "{email_token}", "nouvelle.adresse@example.org",
                                 other_status=400),
    "dossier.coordonnees": Row(FAMILY, "/mon-dossier/coordonnees"),
    "dossier.declare": Row(FAMILY, "/mon-dossier/enfants/declarer"),
    "dossier.declare_second_guardian": Row(FAMILY, "/mon-dossier/coordonnees/"
                                                   "second-responsable"),
    "dossier.documents": Row(FAMILY, "/mon-dossier/documents"),
    "dossier.download_document": Row(FAMILY_OWN, "/mon-dossier/documents/{document}",
                                     "DOCUMENT-SECRET-16122"),
    "dossier.health": Row(FAMILY_OWN, "/mon-dossier/enfants/{child}/fiche-sanitaire", "LENA"),
    "dossier.give_guardian_access": Row(FAMILY_OWN, "/mon-dossier/responsables/{guardian}/acces"),
    "dossier.index": Row(FAMILY, "/mon-dossier/"),
    "dossier.photo_consent": Row(FAMILY_OWN, "/mon-dossier/enfants/{child}/droit-image",
                                 "LENA"),
    "dossier.my_data_page": Row(FAMILY, "/mon-dossier/mes-donnees"),
    "dossier.notifications": Row(FAMILY, "/mon-dossier/notifications",
                                 form={"reponses": "y", "rappels": "y"}),
    "dossier.pickup_people": Row(FAMILY, "/mon-dossier/personnes-autorisees"),
    "dossier.quotient": Row(FAMILY, "/mon-dossier/quotient"),
    "dossier.quotient_attestation": Row(FAMILY_OWN,
                                        "/mon-dossier/quotient/{declaration}/attestation",
                                        "ATTESTATION-SECRET-16122"),
    "dossier.remove_pickup": Row(FAMILY_OWN,
                                 "/mon-dossier/personnes-autorisees/{pickup}/supprimer"),
    "dossier.remove_vaccine": Row(FAMILY_OWN,
                                  "/mon-dossier/enfants/{child}/vaccins/{vaccine}/supprimer"),
    "dossier.toggle_section": Row(FAMILY, "/mon-dossier/actualisation/rubriques/famille"),
    "facturation.index": Row(FAMILY, "/facturation/"),
    "inscription.close": Row(FAMILY_OWN, "/inscription/ligne/{enrolment}/desinscrire"),
    "inscription.enrol": Row(FAMILY_OWN, "/inscription/enfant/{child}"),
    "inscription.switch": Row(FAMILY_OWN, "/inscription/ligne/{enrolment}/changer"),
    "inscription.index": Row(FAMILY, "/inscription/"),
    "messagerie.attachment": Row(FAMILY_OWN, "/messagerie/piece-jointe/{attachment}",
                                 "PIECE-JOINTE-SECRET-16122"),
    "messagerie.index": Row(FAMILY, "/messagerie/"),
    "messagerie.new_message": Row(FAMILY, "/messagerie/envoyer"),
    "messagerie.reply": Row(FAMILY_OWN, "/messagerie/fil/{thread}/repondre"),
    "messagerie.sent": Row(FAMILY, "/messagerie/envoyes"),
    "messagerie.theme_field": Row(FAMILY, "/messagerie/envoyer/themes"),
    "messagerie.thread": Row(FAMILY_OWN, "/messagerie/fil/{thread}", "SUJET-SECRET-16122"),
    "ops.health": Row(PUBLIC, "/sante"),
    # The demo sets no logo: 404 for everyone (tests/staff/test_commune_settings.py sets one).
    "ops.commune_logo": Row(PUBLIC, "/commune/logo", also_ok=(404,)),
    "planning.agenda": Row(FAMILY, "/planning/agenda"),
    "planning.agenda_renew": Row(FAMILY, "/planning/agenda/renouveler"),
    "planning.agenda_revoke": Row(FAMILY, "/planning/agenda/retirer"),
    "planning.done": Row(FAMILY, "/planning/terminee"),
    "planning.drop_all": Row(FAMILY, "/planning/tout-supprimer"),
    "planning.drop_one": Row(FAMILY_OWN, "/planning/retirer/{pending}"),
    "planning.finish": Row(FAMILY, "/planning/terminer"),
    "planning.illness_certificate": Row(FAMILY, "/planning/malade/certificat"),
    "planning.illness_declare": Row(FAMILY, "/planning/malade"),
    "planning.index": Row(FAMILY, "/planning/"),
    "planning.join_waiting_list": Row(FAMILY_OWN, "/planning/liste-attente",
                                      form={"ligne": "{line}", "attente": "{waiting_choice}"},
                                      also_ok=(422,)),
    "planning.leave_waiting_list": Row(FAMILY_OWN, "/planning/liste-attente/{waiting}/quitter"),
    "planning.recap": Row(FAMILY, "/planning/recapitulatif"),
    "planning.waiting_list_page": Row(FAMILY, "/planning/liste-attente"),
    "planning.tick_all": Row(FAMILY_OWN, "/planning/cocher", form={"ligne": "{line}"}),
    "planning.toggle": Row(FAMILY_OWN, "/planning/basculer", form={"ligne": "{line}"}),
    "planning.validate_month": Row(FAMILY_OWN, "/planning/valider", form={"ligne": "{line}"}),
    "static": Row(PUBLIC, "/static/css/portail.css"),
    "auth.accept_invitation": Row(PUBLIC, "/invitation/{bad_token}"),
    # The second factor is the staff's: a family signed in gets 404 there.
    "auth.enrol_totp": Row(PUBLIC, "/connexion/double-authentification", also_ok=(404,)),
    "auth.recovery_codes": Row(PUBLIC, "/connexion/codes-de-secours"),
    "auth.second_factor": Row(PUBLIC, "/connexion/code"),
    "facturation.direct_debit": Row(FAMILY, "/facturation/prelevement"),
    "facturation.history": Row(FAMILY, "/facturation/historique"),
    "facturation.mandate_pdf": Row(FAMILY_OWN, "/facturation/prelevement/mandat/{mandate}.pdf",
                                   "PF-16122-1"),
    "facturation.revoke_mandate": Row(FAMILY, "/facturation/prelevement/revoquer"),
    "facturation.sign_mandate": Row(FAMILY, "/facturation/prelevement"),
    "facturation.invoice_pdf": Row(FAMILY_OWN, "/facturation/factures/{invoice}.pdf",
                                   "{invoice_number}"),
    "facturation.invoices": Row(FAMILY, "/facturation/factures"),
    "facturation.pay": Row(FAMILY_OWN, "/facturation/paiement/{invoice}"),
    "facturation.payment": Row(FAMILY, "/facturation/paiement"),
    "facturation.payment_result": Row(FAMILY_OWN, "/facturation/paiement/{payment}/resultat"),
    "facturation.payment_return": Row(PUBLIC, "/facturation/paiement/retour", also_ok=(404,)),
    "paiement.payfip_notification": Row(PUBLIC, "/paiement/payfip/notification",
                                        also_ok=(404,)),
    "payfip_simulator.pay": Row(PUBLIC, "/simulateur-payfip/paiementws.web", also_ok=(404,)),
    "payfip_simulator.payment_page": Row(PUBLIC, "/simulateur-payfip/paiementws.web",
                                         also_ok=(404,)),
    # A SOAP fault is an HTTP 500, as PayFiP's own service answers.
    "payfip_simulator.soap": Row(PUBLIC, "/simulateur-payfip/services/securite", also_ok=(500,)),
    "staff.account_invite": Row(STAFF, "/agents/comptes/{owner_user}/invitation"),
    "staff.account_new_family": Row(STAFF, "/agents/comptes/nouvelle-famille"),
    "staff.account_reset_link": Row(STAFF, "/agents/comptes/{owner_user}/lien-mot-de-passe"),
    "staff.accounts": Row(STAFF, "/agents/comptes/"),
    "staff.admin.moving_up_review": Row(ADMIN, "/agents/admin/catalogue/{year}/passage"),
    "staff.admin.account_activation": Row(ADMIN, "/agents/admin/comptes/{agent_user}/activation"),
    "staff.admin.add_modalite": Row(ADMIN, "/agents/admin/catalogue/activite/{activity}/modalite"),
    "staff.admin.archive_school": Row(ADMIN, "/agents/admin/ecoles/{school}/archiver"),
    "staff.admin.edit_school": Row(ADMIN, "/agents/admin/ecoles/{school}/modifier"),
    "staff.admin.new_school": Row(ADMIN, "/agents/admin/ecoles/nouvelle"),
    "staff.admin.schools_page": Row(ADMIN, "/agents/admin/ecoles/"),
    "staff.admin.regies_page": Row(ADMIN, "/agents/admin/facturation/regies/"),
    "staff.admin.new_regie": Row(ADMIN, "/agents/admin/facturation/regies/nouvelle"),
    "staff.admin.edit_regie": Row(ADMIN, "/agents/admin/facturation/regies/{regie}/modifier"),
    "staff.add_child": Row(STAFF, "/agents/familles/{family}/enfants/nouveau"),
    "staff.archive_child": Row(STAFF, "/agents/familles/{family}/enfants/{child}/archiver"),
    "staff.child_declaration_document": Row(STAFF, "/agents/validations/enfants/"
                                                   "{child_declaration}/document",
                                            "DECLARATION-SECRET-16122"),
    "staff.child_declarations_page": Row(STAFF, "/agents/validations/enfants"),
    "staff.edit_second_guardian": Row(STAFF, "/agents/familles/{family}/second-responsable"),
    # A kept file belongs to the staff member who uploaded it: anyone else's token is a 404.
    "staff.import_check": Row(STAFF, "/agents/familles/importer/{import_token}",
                              also_ok=(404,)),
    "staff.import_families": Row(STAFF, "/agents/familles/importer"),
    "staff.import_template": Row(STAFF, "/agents/familles/importer/modele.csv"),
    "staff.invitations_page": Row(STAFF, "/agents/familles/invitations"),
    "staff.invite_families": Row(STAFF, "/agents/familles/invitations/inviter"),
    "staff.invite_guardian": Row(STAFF, "/agents/familles/{family}/responsables/{guardian}/acces"),
    "staff.refuse_child_declaration": Row(STAFF, "/agents/validations/enfants/"
                                                 "{child_declaration}/refuser"),
    "staff.refuse_guardian_declaration": Row(STAFF, "/agents/validations/responsables/"
                                                    "{guardian_declaration}/refuser"),
    "staff.validate_guardian_declaration": Row(STAFF, "/agents/validations/responsables/"
                                                      "{guardian_declaration}/valider"),
    "staff.remind_families": Row(STAFF, "/agents/familles/invitations/relancer",
                                 form={"days": "7"}),
    "staff.remove_second_guardian": Row(STAFF, "/agents/familles/{family}/"
                                               "second-responsable/retirer"),
    "staff.validate_child_declaration": Row(STAFF, "/agents/validations/enfants/"
                                                   "{child_declaration}/valider"),
    "staff.admin.catalogue_year": Row(ADMIN, "/agents/admin/catalogue/{year}"),
    "staff.admin.commune_settings_page": Row(ADMIN, "/agents/admin/commune"),
    "staff.admin.create_year": Row(ADMIN, "/agents/admin/catalogue/creer"),
    "staff.admin.catalogue_years": Row(ADMIN, "/agents/admin/catalogue/"),
    "staff.admin.edit_activity": Row(ADMIN, "/agents/admin/catalogue/activite/{activity}"),
    "staff.admin.prepare_year": Row(ADMIN, "/agents/admin/catalogue/{year}/preparer"),
    "staff.admin.publish_year": Row(ADMIN, "/agents/admin/catalogue/{year}/publier"),
    "staff.admin.save_brackets": Row(ADMIN, "/agents/admin/catalogue/{year}/tranches"),
    "staff.admin.save_tariffs": Row(ADMIN, "/agents/admin/catalogue/{year}/tarifs"),
    "staff.admin.save_windows": Row(ADMIN, "/agents/admin/catalogue/{year}/fenetres"),
    # Without its activity and day in the query the register has nothing to export: 404.
    "staff.attendance_csv": Row(STAFF, "/agents/presences/export.csv", also_ok=(404,)),
    "staff.attendance_add": Row(STAFF, "/agents/presences/ajouter"),
    "staff.attendance_illness": Row(STAFF, "/agents/presences/maladie/{illness_mark}",
                                    form={"decision": "refuser"}),
    "staff.attendance_illness_certificate": Row(
        STAFF, "/agents/presences/maladie/{illness_mark}/certificat", "CERTIFICAT-SECRET-16122"),
    "staff.attendance_mark": Row(STAFF, "/agents/presences/pointer"),
    "staff.attendance_print": Row(STAFF, "/agents/presences/imprimer"),
    "staff.attendance_register": Row(STAFF, "/agents/presences/"),
    "staff.close_day": Row(STAFF, "/agents/fermetures/fermer"),
    "staff.closures_index": Row(STAFF, "/agents/fermetures/"),
    "staff.edit_child": Row(STAFF, "/agents/familles/{family}/enfants/{child}/modifier", "LENA"),
    "staff.export_bookings": Row(STAFF, "/agents/exports/reservations.csv"),
    "staff.export_enrolments": Row(STAFF, "/agents/exports/inscriptions.csv"),
    "staff.export_families": Row(STAFF, "/agents/exports/familles.csv"),
    "staff.exports_index": Row(STAFF, "/agents/exports/"),
    "staff.meal_counts": Row(STAFF, "/agents/repas/"),
    "staff.meal_counts_csv": Row(STAFF, "/agents/repas/export.csv"),
    "staff.occupancy": Row(STAFF, "/agents/occupation/"),
    "staff.reopen_day": Row(STAFF, "/agents/fermetures/{closure}/rouvrir", consumes=True),
    "staff.set_places": Row(STAFF, "/agents/fermetures/places"),
    "staff.write_to_families": Row(STAFF, "/agents/messages/ecrire"),
    "staff.admin.billing_credit_note": Row(ADMIN, "/agents/admin/facturation/factures/"
                                                  "{invoice}/avoir"),
    "staff.admin.billing_excused_setting": Row(ADMIN,
                                               "/agents/admin/facturation/absences-excusees"),
    "staff.admin.billing_run": Row(ADMIN, "/agents/admin/facturation/emission"),
    "staff.admin.direct_debit_build": Row(ADMIN, "/agents/admin/facturation/prelevements/"),
    # The administrateur's « Annuler ce prélèvement »: once done, the page sends back (303).
    "staff.admin.direct_debit_cancel": Row(ADMIN, "/agents/admin/facturation/prelevements/"
                                                  "{collection}/annuler"),
    "staff.admin.billing_settings": Row(ADMIN,
                                             "/agents/admin/facturation/parametres"),
    "staff.admin.service_mailbox": Row(ADMIN, "/agents/admin/services/1"),
    "staff.admin.service_mailboxes": Row(ADMIN, "/agents/admin/services"),
    "staff.admin.service_add": Row(ADMIN, "/agents/admin/services/ajouter"),
    "staff.admin.staff_invite": Row(ADMIN, "/agents/admin/comptes/{agent_user}/invitation"),
    "staff.admin.staff_list": Row(ADMIN, "/agents/admin/comptes/"),
    "staff.admin.staff_new": Row(ADMIN, "/agents/admin/comptes/nouveau"),
    "staff.admin.staff_reset_link": Row(ADMIN, "/agents/admin/comptes/{agent_user}/"
                                               "lien-mot-de-passe"),
    "staff.admin.staff_reset_second_factor": Row(ADMIN, "/agents/admin/comptes/{agent_user}/"
                                                        "double-authentification"),
    "staff.admin.staff_role": Row(ADMIN, "/agents/admin/comptes/{agent_user}/role"),
    "staff.audit_log": Row(STAFF, "/agents/journal/"),
    "staff.billing": Row(STAFF, "/agents/facturation/"),
    "staff.billing_counter_payment": Row(STAFF, "/agents/facturation/factures/{invoice}/paiement"),
    "staff.billing_export_invoices": Row(STAFF, "/agents/facturation/export/factures.csv"),
    "staff.billing_export_payments": Row(STAFF, "/agents/facturation/export/paiements.csv"),
    "staff.billing_invoice": Row(STAFF, "/agents/facturation/factures/{invoice}",
                                 "{invoice_number}"),
    "staff.billing_invoice_pdf": Row(STAFF, "/agents/facturation/factures/{invoice}.pdf",
                                     "{invoice_number}"),
    "staff.billing_reminders": Row(STAFF, "/agents/facturation/relances"),
    "staff.recovery_csv": Row(STAFF, "/agents/facturation/restes-a-recouvrer.csv"),
    "staff.recovery_list": Row(STAFF, "/agents/facturation/restes-a-recouvrer"),
    "staff.recovery_pdf": Row(STAFF, "/agents/facturation/restes-a-recouvrer.pdf"),
    "staff.direct_debit_collection": Row(STAFF, "/agents/facturation/prelevements/{collection}",
                                         "PF-16122-1"),
    "staff.direct_debit_collections": Row(STAFF, "/agents/facturation/prelevements/"),
    "staff.direct_debit_file": Row(STAFF, "/agents/facturation/prelevements/{collection}/"
                                          "pain008.xml", "PF-16122-1"),
    "staff.direct_debit_reject": Row(STAFF, "/agents/facturation/prelevements/debits/{debit}/"
                                            "rejet"),
    # The bank's return file: kept for the staff member who uploaded it (anyone else: 404).
    "staff.direct_debit_return": Row(STAFF, "/agents/facturation/prelevements/{collection}/"
                                            "retour/{import_token}", also_ok=(404,)),
    "staff.direct_debit_return_upload": Row(STAFF, "/agents/facturation/prelevements/"
                                                   "{collection}/retour"),
    "staff.family_paper_mandate": Row(STAFF, "/agents/familles/{family}/mandat", "PF-16122-1"),
    "staff.child_health": Row(STAFF, "/agents/familles/{family}/enfants/{child}/fiche-sanitaire",
                              "LENA"),
    "staff.document_add_commune": Row(STAFF, "/agents/documents/commune"),
    "staff.document_add_family": Row(STAFF, "/agents/documents/famille"),
    "staff.document_file": Row(STAFF, "/agents/documents/{document}/fichier",
                               "DOCUMENT-SECRET-16122"),
    "staff.document_remove": Row(STAFF, "/agents/documents/{document}/retirer", consumes=True),
    "staff.documents": Row(STAFF, "/agents/documents/"),
    "staff.dossiers_page": Row(STAFF, "/agents/validations/dossiers"),
    "staff.edit_child_health": Row(STAFF, "/agents/familles/{family}/enfants/{child}/"
                                          "fiche-sanitaire/modifier", "LENA"),
    "staff.edit_coordonnees": Row(STAFF, "/agents/familles/{family}/coordonnees"),
    "staff.edit_pickup_people": Row(STAFF, "/agents/familles/{family}/personnes-autorisees",
                                    "PERSONNE-SECRETE"),
    "staff.families": Row(STAFF, "/agents/familles/"),
    "staff.close_line": Row(STAFF, "/agents/familles/{family}/inscriptions/{enrolment}/fermer",
                            "LENA"),
    "staff.family": Row(STAFF, "/agents/familles/{family}", "LENA"),
    "staff.message_treated": Row(STAFF, "/agents/messages/{thread}/traite"),
    "staff.news": Row(STAFF, "/agents/actualites/"),
    "staff.news_edit": Row(STAFF, "/agents/actualites/{news}"),
    "staff.news_new": Row(STAFF, "/agents/actualites/nouvelle"),
    "staff.news_publish": Row(STAFF, "/agents/actualites/{news}/publier"),
    "staff.news_withdraw": Row(STAFF, "/agents/actualites/{news}/retirer"),
    "staff.quotient_attestation": Row(STAFF, "/agents/validations/quotients/{declaration}/"
                                             "attestation", "ATTESTATION-SECRET-16122"),
    "staff.quotient_attestation_preview": Row(STAFF, "/agents/validations/quotients/"
                                                     "{declaration}/attestation/apercu"),
    "staff.quotients_page": Row(STAFF, "/agents/validations/quotients"),
    "staff.refuse_dossier": Row(STAFF, "/agents/validations/dossiers/{validation}/refuser"),
    "staff.correct_quotient": Row(STAFF, "/agents/validations/quotients/{declaration}/corriger"),
    "staff.refuse_quotient": Row(STAFF, "/agents/validations/quotients/{declaration}/refuser"),
    "staff.remove_pickup_person": Row(STAFF, "/agents/familles/{family}/personnes-autorisees/"
                                             "{pickup}/retirer", consumes=True),
    "staff.remove_guardian_access": Row(STAFF, "/agents/familles/{family}/responsables/"
                                               "{guardian}/acces/retirer", form={"motif": ""}),
    "staff.security": Row(STAFF, "/agents/securite"),
    "staff.validate_dossier": Row(STAFF, "/agents/validations/dossiers/{validation}/valider"),
    "staff.validate_quotient": Row(STAFF, "/agents/validations/quotients/{declaration}/valider"),
    "staff_planning.drop_all": Row(STAFF, "/agents/familles/{family}/planning/tout-supprimer"),
    "staff_planning.drop_one": Row(STAFF, "/agents/familles/{family}/planning/retirer/{pending}",
                                   consumes=True),
    "staff_planning.finish": Row(STAFF, "/agents/familles/{family}/planning/terminer"),
    "staff_planning.index": Row(STAFF, "/agents/familles/{family}/planning/"),
    "staff_planning.recap": Row(STAFF, "/agents/familles/{family}/planning/recapitulatif"),
    "staff_planning.tick_all": Row(STAFF, "/agents/familles/{family}/planning/cocher",
                                   form={"ligne": "{line}"}),
    "staff_planning.toggle": Row(STAFF, "/agents/familles/{family}/planning/basculer",
                                 form={"ligne": "{line}"}),
    "staff_planning.validate_month": Row(STAFF, "/agents/familles/{family}/planning/valider",
                                         form={"ligne": "{line}"}),
    "staff.index": Row(STAFF, "/agents/"),
    "staff.message_attachment": Row(STAFF, "/agents/messages/piece-jointe/{attachment}",
                                    "PIECE-JOINTE-SECRET-16122"),
    "staff.message_reply": Row(STAFF, "/agents/messages/{thread}/repondre"),
    "staff.message_thread": Row(STAFF, "/agents/messages/{thread}", "SUJET-SECRET-16122"),
    "staff.messages": Row(STAFF, "/agents/messages/"),
}


def rules():
    """(endpoint, method) of every rule of the app (HEAD and OPTIONS are Flask's own)."""
    from app import create_app
    from tests.conftest import make_app  # noqa: F401  (the app's URL map is the same for all)
    application = create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://",
                              "UPLOAD_DIR": "/tmp/portail-matrix-uploads"})
    return sorted({(rule.endpoint, method) for rule in application.url_map.iter_rules()
                   for method in rule.methods - {"HEAD", "OPTIONS"}})


RULES = rules()


def test_every_route_is_in_the_matrix():
    endpoints = {endpoint for endpoint, _ in RULES}
    missing = sorted(endpoints - MATRIX.keys())
    assert missing == [], f"add these routes to MATRIX in {__file__}: {missing}"
    assert sorted(MATRIX.keys() - endpoints) == [], "MATRIX lists routes that are gone"
    for endpoint in endpoints:  # the administrateur's pages, and only they, are staff.admin.*
        assert (MATRIX[endpoint].kind == ADMIN) == endpoint.startswith("staff.admin."), endpoint


# --- The objects of the owner ------------------------------------------------------------


def objects(app):
    """Family 16122's objects, one of each kind a URL names; ids for the URLs."""
    owner = Family.get(Family.account_number == 16122)
    user = User.get(User.family == owner)
    lena = Child.get((Child.family == owner) & (Child.first_name == "LENA"))
    with app.app_context():
        def stored(secret, name):
            return store_bytes(simple_document(secret, [secret]), name, "application/pdf",
                               family=owner, user=user)
        document = Document.create(family=owner, category="facture",
                                   title="DOCUMENT-SECRET-16122",
                                   file=stored("DOCUMENT-SECRET-16122", "facture.pdf"))
        declaration = QFDeclaration.create(
            family=owner, quotient=640,
            attestation=stored("ATTESTATION-SECRET-16122", "attestation.pdf"))
        thread = MessageThread.create(family=owner, service="Centres de Loisirs",
                                      theme="Modifications", subject="SUJET-SECRET-16122")
        message = Message.create(thread=thread, author=user, body="CORPS-SECRET-16122")
        attachment = MessageAttachment.create(
            message=message, file=stored("PIECE-JOINTE-SECRET-16122", "piece.pdf"))
        child_declaration = ChildDeclaration.create(
            family=owner, first_name="ROSE", last_name="DUPONT",
            birth_date=datetime.date(2023, 2, 11), class_level="PS",
            document=stored("DECLARATION-SECRET-16122", "livret.pdf"))
        guardian_declaration = models.GuardianDeclaration.create(
            family=owner, last_name="DUPONT", first_name="MARC", phone_mobile="0601020304")
        email_token = make_email_change_token(app.config["SECRET_KEY"], user,
                                              "nouvelle.adresse@example.org")
    vaccine = Vaccination.create(child=lena, name="VACCIN-SECRET", date=datetime.date(2024, 1, 5))
    pickup = PickupPerson.create(family=owner, last_name="PERSONNE-SECRETE", first_name="ZOE",
                                 phone="0612345678")
    line = enrol(lena, CL)
    pending = PendingChange.create(family=owner, child=lena, activity=activity(CL),
                                   modalite=modalite(CL, SANS), date=JANUARY[0],
                                   action=PendingChange.BOOK)
    # The demo bills family 16123: its first invoice (and its payment) become the owner's.
    invoice = Invoice.select().order_by(Invoice.id).first()
    Invoice.update(family=owner).where(Invoice.id == invoice.id).execute()
    payment = Payment.select().where(Payment.invoice == invoice).first()
    validation = DossierValidation.select().where(DossierValidation.family == owner).first()
    Commune.update(sepa_creditor_id="FR72ZZZ123456", sepa_creditor_iban="FR7630001007941234567890185",
                   sepa_creditor_bic="BDFEFRPPXXX").execute()
    mandate = Mandate.create(family=owner, rum="PF-16122-1", holder="DUPONT Julie",
                             iban="FR7630006000011234567890189", bic="AGRIFRPPXXX",
                             signed_on=datetime.date(2026, 11, 2))
    collection = DebitCollection.create(period_year=invoice.period_year,
                                        period_month=invoice.period_month,
                                        collection_date=datetime.date(2026, 12, 15),
                                        message_id="PF-MATRICE-1", total_cents=100, count=1)
    debit = DebitItem.create(collection=collection, invoice=invoice, mandate=mandate,
                             amount_cents=100, sequence="FRST", end_to_end_id="MATRICE-1")
    return {"year": SchoolYear.select().order_by(SchoolYear.id).first().id,
            "activity": activity(CL).id, "override": DayOverride.select().first().id,
            "closure": models.Closure.create(activity=activity(CL), first_day=JANUARY[1],
                                             last_day=JANUARY[1], reason="Grève").id,
            "family": owner.id, "owner_user": user.id, "invoice": invoice.id,
            "invoice_number": invoice.number, "payment": payment.id if payment else 0,
            "validation": validation.id, "news": News.select().first().id,
            "agent_user": User.get(User.email == "agent@mairie.example.org").id,
            "child": lena.id, "document": document.id, "declaration": declaration.id,
            "thread": thread.id, "attachment": attachment.id, "vaccine": vaccine.id,
            "pickup": pickup.id, "pending": pending.id,
            "guardian": models.Guardian.get((models.Guardian.family == owner)
                                            & (models.Guardian.position == 2)).id,
            "waiting": models.WaitingListEntry.create(
                family=owner, child=lena, activity=activity(CL), modalite=modalite(CL, SANS),
                date=JANUARY[3]).id,
            "waiting_choice": f"{JANUARY[2].isoformat()}:{modalite(CL, SANS).id}", "email_token": email_token,
            "bad_token": "pas-un-jeton", "import_token": "0" * 32,
            "school": models.School.select().order_by(models.School.id).first().id,
            "regie": regies.main_regie().id,
            "child_declaration": child_declaration.id,
            "guardian_declaration": guardian_declaration.id, "line": f"{lena.id}-{activity(CL).id}",
            "enrolment": line.id,
            "illness_mark": models.Attendance.create(
                child=lena, activity=activity(CL), date=JANUARY[0],
                status=models.Attendance.EXCUSED, illness=models.Attendance.ILLNESS_PENDING,
                justification="Maladie",
                certificate=stored("CERTIFICAT-SECRET-16122", "certificat.pdf")).id,
            "feed_token": CalendarFeed.create(family=owner, token="jeton-agenda-16122").token,
            "mandate": mandate.id, "collection": collection.id, "debit": debit.id,
            "unsubscribe_token": unsubscribe_token(app.config["SECRET_KEY"], user.id,
                                                   "rappels")}


USERS = {"owner": ("family", 16122), "other": ("family", 16123),
         "agent": ("email", "agent@mairie.example.org"),
         "admin": ("email", "admin@mairie.example.org")}


def client_as(app, role):
    client = app.test_client()
    if role != "anonymous":
        how, key = USERS[role]
        user = (User.get(User.family == Family.get(Family.account_number == key))
                if how == "family" else User.get(User.email == key))
        sign_in(client, user)
    return client


def csrf_token(client):
    """A CSRF token of this client's session (what every form of the app carries)."""
    from flask_wtf.csrf import generate_csrf
    with client.application.test_request_context():
        from flask import session
        with client.session_transaction() as stored:
            session.update(stored)
            token = generate_csrf()
            stored.update(session)
    return token


def check(role, expected, row, response, method):
    body = response.get_data()
    status = response.status_code
    where = f"{method} {row.url} as {role}: {status}"
    if expected == OK and status in row.also_ok:
        return
    if role == "admin" and row.consumes and method == "POST" and status == 404:
        return
    assert status < 500, where
    if role == "other" and row.other_status:
        expected = row.other_status
    if expected == OK:
        assert status not in (401, 403, 404, 405), where
        if method == "GET" and row.kind != PUBLIC:
            assert status in (200, 302, 303), where
            if status != 200:
                assert not response.headers["Location"].startswith("/connexion"), where
        if row.secret and method == "GET":
            assert row.secret.encode() in body or row.secret.encode() in _pdf_text(body), where
    elif expected == SIGN_IN:
        assert status == 302 and response.headers["Location"].startswith("/connexion"), where
    else:
        assert status == expected, where
    if expected != OK and row.secret:
        assert row.secret.encode() not in body and row.secret.encode() not in _pdf_text(body), \
            f"{where}: the object's bytes leaked"


def _pdf_text(body):
    """The text a PDF body draws (its font's glyphs mapped back to text), else b''."""
    if not body.startswith(b"%PDF"):
        return b""
    import io

    import pypdf
    reader = pypdf.PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages).encode()


@pytest.mark.parametrize("endpoint, method", RULES, ids=[f"{e}-{m}" for e, m in RULES])
def test_route_answers_each_role_as_the_matrix_says(app, db, endpoint, method):
    row = MATRIX.get(endpoint)
    if row is None:
        pytest.fail(f"{endpoint} is not in MATRIX (see the module's docstring)")
    ids = objects(app)
    url = row.url.format(**ids)
    row = Row(row.kind, url, row.secret.format(**ids), row.other_status, row.form,
              row.also_ok, row.consumes)
    for role in ROLES:
        client = client_as(app, role)
        if method == "GET":
            response = client.get(url)
        else:
            form = {name: value.format(**ids) for name, value in (row.form or {}).items()}
            response = client.post(url, data={"csrf_token": csrf_token(client), **form})
        check(role, EXPECTED[row.kind][role], row, response, method)


def test_the_secrets_are_really_shown_to_the_owner(app, db):
    """The matrix's secrets are what the owner's pages show: the 404 elsewhere is meaningful."""
    ids = objects(app)
    client = client_as(app, "owner")
    for endpoint, row in MATRIX.items():
        if row.secret and row.kind == FAMILY_OWN:
            body = client.get(row.url.format(**ids)).get_data()
            secret = row.secret.format(**ids).encode()
            assert secret in body or secret in _pdf_text(body), endpoint


# --- CSRF on every POST, from the URL map ------------------------------------------------

#: POSTs verified another way than a CSRF token: endpoint -> how. Nothing else may be exempt.
CSRF_EXEMPT = {
    "paiement.payfip_notification": "PayFiP's notification: the payment is asked back to "
                                    "PayFiP by its idOp, nothing is taken from the request",
    "facturation.payment_return": "PayFiP posts the payer back: only the idOp is read, and "
                                  "the result is asked back to PayFiP",
    "payfip_simulator.pay": "the simulator stands for PayFiP's own site (never in production)",
    "payfip_simulator.soap": "the simulator stands for PayFiP's own web service",
    "desabonnement.unsubscribe": "RFC 8058's one-click POST comes from a mail client, "
                                 "outside any session: the signed token is checked instead",
}

#: Who may send each kind of POST (the CSRF refusal must come even for them).
POSTER = {PUBLIC: "anonymous", SIGNED_IN: "owner", FAMILY: "owner", FAMILY_OWN: "owner",
          STAFF: "agent", ADMIN: "admin"}

POSTS = [(endpoint, method) for endpoint, method in RULES
         if method == "POST" and endpoint not in CSRF_EXEMPT]


def table_sizes():
    return {model.__name__: model.select().count() for model in models.ALL_MODELS}


@pytest.mark.parametrize("endpoint", [e for e, _ in POSTS])
def test_every_post_refuses_a_missing_or_foreign_csrf_token(app, db, endpoint):
    row = MATRIX[endpoint]
    ids = objects(app)
    url = row.url.format(**ids)
    form = {name: value.format(**ids) for name, value in (row.form or {}).items()}
    client = client_as(app, POSTER[row.kind])
    csrf_token(client)  # the session has a token of its own
    foreign = csrf_token(client_as(app, "other"))  # a token of another session
    before = table_sizes()
    attempts = {
        "no token": client.post(url, data=form),
        "another session's token": client.post(url, data={"csrf_token": foreign, **form}),
        "another session's token in the htmx header": client.post(
            url, data=form, headers={"X-CSRFToken": foreign, "HX-Request": "true"}),
        "an empty token": client.post(url, data={"csrf_token": "", **form}),
    }
    for name, response in attempts.items():
        assert response.status_code == 400, f"{endpoint} with {name}: {response.status_code}"
        if "htmx" in name:  # htmx is told to reload the page, which says why
            assert response.headers.get("HX-Refresh") == "true", f"{endpoint}: {name}"
        else:
            assert "Formulaire expiré" in response.get_data(as_text=True), f"{endpoint}: {name}"
    assert table_sizes() == before, f"{endpoint}: a refused POST wrote something"
