"""Generated input on every form and htmx endpoint: never a 500, never a
partial write.

Each form of ``FORMS`` (family and staff; add yours) gets ``max_examples`` generated submissions (200 by default;
``HYPOTHESIS_PROFILE=quick`` for 25 while developing): unicode, huge, empty, odd
digits, impossible dates, forged ids, repeated fields. A refused submission (a 4xx,
or the form again with its messages) must leave the data as it was; an accepted
one redirects. Database strategy: one fresh demo commune per endpoint (the ``app``
fixture), not per example: accepted submissions pile up, which is what a family's
real session does too, and the check holds per example.
"""
import hashlib
import os

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import models
from tests.security.test_route_matrix import MATRIX, client_as, csrf_token, objects

settings.register_profile("default", max_examples=200, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.register_profile("quick", parent=settings.get_profile("default"), max_examples=25)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

#: Text a probe would send: anything unicode, digits of every script, the classics.
ODD = ["", " ", "0", "-1", "00000", "9" * 309, "-" + "9" * 40, "1e9", "NaN", "inf", "²",
       "١٦١٢٢", "٢", "１２", "2027-02-30", "30/02/2027", "0000-00-00", "9999-12-31",
       "2027-01-06", "06/01/2027", "../../etc/passwd", "<script>alert(1)</script>", "\x00",
       "%00", "a\r\nBcc: x@example.org", "x" * 5000, "'; DROP TABLE family; --",
       "1-1", "999999999999999999999-1", "1:2027-01-06", "oui", "non", "y", "1"]
VALUES = st.one_of(
    st.sampled_from(ODD),
    st.text(max_size=40),
    st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=25),
    st.integers(min_value=-2**70, max_value=2**70).map(str),
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
)

#: endpoint -> who sends it, and the fields of its form (what its page's form holds).
FORMS = {
    "auth.login": ("anonymous", ["identifier", "password", "next"]),
    "auth.forgot_password": ("anonymous", ["identifier"]),
    "auth.change_password": ("owner", ["current", "password", "confirm"]),
    "dossier.change_email": ("owner", ["new_email", "password"]),
    "dossier.coordonnees": ("owner", [
        "address", "postal_code", "city", "guardians-0-phone_mobile", "guardians-0-phone_home",
        "guardians-0-phone_work", "guardians-0-profession", "guardians-0-employer",
        "guardians-1-phone_mobile", "guardians-7-phone_mobile"]),
    "dossier.health": ("owner", ["allergies", "diet", "doctor_name", "doctor_phone", "has_pai",
                                 "pai_details"]),
    "dossier.add_vaccine": ("owner", ["name", "date"]),
    "dossier.declare_second_guardian": ("owner", ["civility", "last_name", "first_name",
                                                  "email", "phone_mobile", "phone_home"]),
    "dossier.declare": ("owner", ["last_name", "first_name", "birth_date", "sex", "school_name",
                                  "class_level"]),
    "dossier.photo_consent": ("owner", ["consent"]),
    "dossier.pickup_people": ("owner", ["last_name", "first_name", "relationship", "phone"]),
    "dossier.notifications": ("owner", ["reponses", "rappels", "actualites"]),
    "dossier.my_data_page": ("owner", ["submit"]),
    "desabonnement.unsubscribe": ("anonymous", ["List-Unsubscribe"]),
    "dossier.quotient": ("owner", ["quotient"]),
    "dossier.toggle_section": ("owner", ["checked"]),
    "inscription.enrol": ("owner", ["enfant-{child}-activites", "activites"]),
    "inscription.close": ("owner", ["ligne-{enrolment}-closed_from"]),
    "inscription.switch": ("owner", ["changer-{enrolment}-target",
                                     "changer-{enrolment}-switch_from"]),
    "messagerie.new_message": ("owner", ["service", "theme", "subject", "body",
                                         "confirm_by_email", "choose_service"]),
    "messagerie.reply": ("owner", ["body"]),
    "planning.toggle": ("owner", ["ligne", "jours", "du", "vue"]),
    "planning.validate_month": ("owner", ["ligne", "jours", "du", "vue", "cocher"]),
    "planning.tick_all": ("owner", ["ligne", "cocher", "du", "vue"]),
    "planning.join_waiting_list": ("owner", ["ligne", "attente", "modalite", "date", "retour",
                                             "du", "vue"]),
    "planning.leave_waiting_list": ("owner", ["retour", "ligne", "du", "vue"]),
    "staff_planning.validate_month": ("agent", ["ligne", "jours", "du", "vue", "cocher"]),
    "staff_planning.finish": ("agent", ["motif"]),
    "planning.illness_declare": ("owner", ["jour", "certificat"]),
    "planning.illness_certificate": ("owner", ["absence", "certificat-suite"]),
    "facturation.sign_mandate": ("owner", ["holder", "iban", "bic", "consent"]),
    "staff.message_reply": ("agent", ["body"]),
    "staff.admin.direct_debit_build": ("admin", ["period", "collection_date"]),
    "staff.admin.direct_debit_cancel": ("admin", ["reason"]),
    "staff.admin.billing_settings": ("admin", ["sepa_creditor_id", "sepa_creditor_iban",
                                               "sepa_creditor_bic", "debit_day", "amount",
                                               "reminder_days"]),
    "staff.direct_debit_reject": ("agent", ["rejet-{debit}-reason"]),
    "staff.direct_debit_return_upload": ("agent", ["fichier"]),
    "staff.family_paper_mandate": ("agent", ["holder", "iban", "bic", "signed_on"]),
    "staff.message_treated": ("agent", ["traite"]),
    "staff.account_new_family": ("agent", ["email", "family_name", "guardian_first_name",
                                           "guardian_last_name", "relationship"]),
    "staff.news_new": ("agent", ["action", "body", "display_from", "display_until", "service",
                                 "title"]),
    "staff.news_edit": ("agent", ["action", "body", "display_from", "display_until", "service",
                                  "title"]),
    "staff.document_add_commune": ("agent", ["commune-category", "commune-display_from",
                                             "commune-display_until", "commune-title"]),
    "staff.document_add_family": ("agent", ["famille-account_number", "famille-category",
                                            "famille-title"]),
    "staff.edit_coordonnees": ("agent", ["address", "postal_code", "city",
                                         "guardians-0-phone_mobile", "guardians-0-profession",
                                         "guardians-0-email", "guardians-1-email",
                                         "guardians-5-phone_home"]),
    "staff.edit_child_health": ("agent", ["allergies", "diet", "doctor_name", "doctor_phone",
                                          "has_pai", "pai_details"]),
    "staff.edit_pickup_people": ("agent", ["last_name", "first_name", "relationship", "phone"]),
    "staff.close_line": ("agent", ["target", "closed_from", "reason"]),
    "staff.close_day": ("agent", ["date", "au", "ecole", "activite", "motif", "confirmer"]),
    "staff.reopen_day": ("agent", ["retablir"]),
    "staff.write_to_families": ("agent", ["destinataires", "famille", "jour", "du", "au",
                                          "activite", "ecole", "service", "sujet", "message",
                                          "confirmer", "modifier"]),
    "staff.refuse_quotient": ("agent", ["qf-{declaration}-refus-reason"]),
    "staff.correct_quotient": ("agent", ["qf-{declaration}-corr-quotient",
                                         "qf-{declaration}-corr-reason"]),
    "staff.validate_quotient": ("agent", ["qf-{declaration}-effective_from"]),
    "staff.admin.moving_up_review": ("admin", ["choix-{child}", "ecole-{child}"]),
    "staff.add_child": ("agent", ["last_name", "first_name", "birth_date", "sex", "school_name",
                                  "school_type", "class_level"]),
    "staff.edit_second_guardian": ("agent", ["civility", "last_name", "first_name", "email",
                                             "phone_mobile", "phone_home", "decision"]),
    "staff.remind_families": ("agent", ["days"]),
    "staff.remove_guardian_access": ("agent", ["motif"]),
    "staff.invite_guardian": ("agent", ["submit"]),
    "dossier.give_guardian_access": ("owner", ["submit"]),
    "staff.refuse_guardian_declaration": ("agent",
                                          ["refus-responsable-{guardian_declaration}-reason"]),
    "staff.refuse_child_declaration": ("agent", ["refus-enfant-{child_declaration}-reason"]),
    "staff.validate_guardian_declaration": ("agent", ["decision"]),
    "staff.admin.new_school": ("admin", ["name", "kind", "levels", "next_school"]),
    "staff.admin.edit_school": ("admin", ["name", "kind", "levels", "next_school"]),
    "staff.admin.new_regie": ("admin", ["name", "invoice_prefix", "credit_prefix",
                                        "payfip_client", "activities"]),
    "staff.admin.edit_regie": ("admin", ["name", "invoice_prefix", "credit_prefix",
                                         "payfip_client", "activities"]),
    "staff.admin.staff_new": ("admin", ["display_name", "email", "role"]),
    "staff.admin.staff_role": ("admin", ["role-{agent_user}-role"]),
    "staff.admin.billing_credit_note": ("admin", ["avoir-amount", "avoir-reason",
                                                  "avoir-confirm"]),
    "staff.admin.billing_run": ("admin", ["mois", "confirm", "force"]),
    "staff.admin.publish_year": ("admin", ["confirmer"]),
    "staff.admin.billing_excused_setting": ("admin", ["mois", "regle-billed"]),
    "staff.attendance_add": ("agent", ["date", "activite", "ajout-enfant", "ajout-modalite"]),
    "staff.attendance_illness": ("agent", ["decision", "date", "activite"]),
    "staff.admin.service_mailbox": ("admin", ["service-1-email", "service-1-active",
                                              "service-1-themes"]),
    "staff.admin.service_add": ("admin", ["nouveau-name", "nouveau-email", "nouveau-themes"]),
    "staff.admin.commune_settings_page": ("admin", [
        "name", "address", "contact_email", "phone", "regie_address", "regie_hours",
        "holiday_zone", "deadline_day", "main_period_opens", "main_period_closes",
        "remove_logo"]),
    "staff.admin.create_year": ("admin", ["start_year", "start_from"]),
}

#: htmx endpoints (GET, ``HX-Request``) and their query parameters.
HTMX_GETS = {
    "planning.index": ["ligne", "du", "vue", "modifier"],
    "planning.recap": ["du"],
    "messagerie.theme_field": ["service", "theme"],
    "messagerie.new_message": ["service", "theme", "subject"],
}

#: Staff pages (GET) and their query parameters: what a probe types in their filters.
STAFF_GETS = {
    "staff.families": ["q", "page"],
    "staff.family": ["du"],
    "staff.accounts": ["q"],
    "staff.audit_log": ["famille", "agent", "du", "au", "action", "page"],
    "staff.attendance_register": ["date", "activite", "ecole", "groupe"],
    "staff.attendance_print": ["date", "activite", "ecole", "groupe"],
    "staff.attendance_csv": ["date", "activite", "ecole", "groupe"],
    "staff.meal_counts": ["date", "periode"],
    "staff.meal_counts_csv": ["date", "periode"],
    "staff.occupancy": ["mois"],
    "staff.exports_index": ["du", "au"],
    "staff.export_bookings": ["du", "au"],
    "staff.billing": ["echues", "du", "au"],
    "staff.billing_export_invoices": ["du", "au", "regie"],
    "staff.billing_export_payments": ["du", "au", "regie"],
    "staff.messages": ["service", "etat"],
}

#: Rows whose writes are bookkeeping of a refusal itself (failed tries are counted).
BOOKKEEPING = {"LoginThrottle", "OutgoingEmail", "AuditLog"}


def fingerprint():
    """A hash of every row of every table but the bookkeeping ones (raw SQL: fast)."""
    digest = hashlib.sha256()
    for model in models.ALL_MODELS:
        if model.__name__ in BOOKKEEPING:
            continue
        table = model._meta.table_name
        cursor = models.db.execute_sql(f'SELECT * FROM "{table}" ORDER BY 1')
        digest.update(repr(cursor.fetchall()).encode())
    return digest.hexdigest()


class Fingerprints:
    """The data's fingerprint before each example: the one taken after the last."""

    def __init__(self):
        self.last = fingerprint()

    def unchanged(self):
        before, self.last = self.last, fingerprint()
        return before == self.last


def refused(response):
    """A submission the app refused: a 4xx, or the form shown again with its errors."""
    if 400 <= response.status_code < 500:
        return True
    return (response.status_code == 200 and response.mimetype == "text/html"
            and 'class="error"' in response.get_data(as_text=True))


def form_data(draw, fields, ids, line):
    data = {}
    for field in fields:
        name = field.format(**ids)
        if draw(st.booleans()) or name in ("ligne",):
            count = draw(st.integers(min_value=1, max_value=3))
            values = [draw(VALUES) for _ in range(count)]
            if name == "ligne" and draw(st.booleans()):
                values = [line]  # a real line, so that the other fields get read
            data[name] = values if len(values) > 1 else values[0]
    return data


@pytest.mark.parametrize("endpoint", sorted(FORMS))
def test_generated_form_input_is_never_a_500_nor_a_partial_write(app, db, endpoint):
    role, fields = FORMS[endpoint]
    ids = objects(app)
    url = MATRIX[endpoint].url.format(**ids)
    client = client_as(app, role)
    token = csrf_token(client)
    tried = []
    data_state = Fingerprints()

    @given(st.data())
    def submit(data):
        form = form_data(data.draw, fields, ids, ids["line"])
        htmx = data.draw(st.booleans())
        # A form with a prefix carries its token under its own name too.
        prefixes = {name.rsplit("-", 1)[0] for name in form if "-" in name}
        tokens = {f"{prefix}-csrf_token": token for prefix in prefixes}
        response = client.post(url, data={"csrf_token": token, **tokens, **form},
                               headers={"HX-Request": "true"} if htmx else {})
        tried.append(1)
        assert response.status_code < 500, (form, response.status_code)
        unchanged = data_state.unchanged()
        if refused(response):
            assert unchanged, f"refused yet written: {form}"

    submit()
    assert len(tried) >= settings().max_examples


@pytest.mark.parametrize("endpoint", sorted(HTMX_GETS))
def test_generated_htmx_queries_are_never_a_500(app, db, endpoint):
    ids = objects(app)
    url = MATRIX[endpoint].url.format(**ids)
    client = client_as(app, "owner")
    tried = []
    data_state = Fingerprints()

    @given(st.dictionaries(st.sampled_from(HTMX_GETS[endpoint]), VALUES, max_size=4),
           st.booleans())
    def fetch(query, htmx):
        response = client.get(url, query_string=query,
                              headers={"HX-Request": "true"} if htmx else {})
        tried.append(1)
        assert response.status_code < 500, (query, response.status_code)
        assert data_state.unchanged(), f"a GET wrote: {query}"

    fetch()
    assert len(tried) >= settings().max_examples


@pytest.mark.parametrize("endpoint", sorted(STAFF_GETS))
def test_generated_staff_queries_are_never_a_500(app, db, endpoint):
    """The back office's filters (search, dates, ids) with generated values: never a 500,
    and a GET writes nothing but its audit row."""
    ids = objects(app)
    url = MATRIX[endpoint].url.format(**ids)
    client = client_as(app, "agent")
    tried = []
    data_state = Fingerprints()

    @given(st.dictionaries(st.sampled_from(STAFF_GETS[endpoint]), VALUES, max_size=4))
    def fetch(query):
        response = client.get(url, query_string=query)
        tried.append(1)
        assert response.status_code < 500, (query, response.status_code)
        assert data_state.unchanged(), f"a GET wrote: {query}"

    fetch()
    assert len(tried) >= settings().max_examples
