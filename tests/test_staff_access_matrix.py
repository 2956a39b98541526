"""The back office's access matrix, built from the app's URL map: every staff route sends
an anonymous visitor to the sign-in page, answers 404 to a family and, when it is the
administrateur's, 403 to an agent. A staff route missing from the matrix fails the test,
so a new page cannot be left unclassified."""
import pytest

from tests.conftest import AuthActions, csrf_from

STAFF, ADMIN = "agents", "administrateur"

#: Every staff endpoint and who may open it.
MATRIX = {
    "staff.index": STAFF, "staff.messages": STAFF, "staff.message_thread": STAFF,
    "staff.message_reply": STAFF, "staff.message_treated": STAFF,
    "staff.message_attachment": STAFF,
    "staff.accounts": STAFF, "staff.account_new_family": STAFF, "staff.account_invite": STAFF,
    "staff.account_reset_link": STAFF, "staff.security": STAFF,
    "staff.news": STAFF, "staff.news_new": STAFF, "staff.news_edit": STAFF,
    "staff.news_publish": STAFF, "staff.news_withdraw": STAFF,
    "staff.documents": STAFF, "staff.document_add_commune": STAFF,
    "staff.document_add_family": STAFF, "staff.document_file": STAFF,
    "staff.document_remove": STAFF,
    "staff.dossiers_page": STAFF, "staff.validate_dossier": STAFF,
    "staff.refuse_dossier": STAFF, "staff.quotients_page": STAFF,
    "staff.validate_quotient": STAFF, "staff.refuse_quotient": STAFF,
    "staff.quotient_attestation": STAFF, "staff.quotient_attestation_preview": STAFF,
    "staff.families": STAFF, "staff.family": STAFF, "staff.child_health": STAFF,
    "staff.edit_child_health": STAFF, "staff.edit_coordonnees": STAFF,
    "staff.edit_pickup_people": STAFF, "staff.edit_child": STAFF, "staff.remove_pickup_person": STAFF,
    "staff.on_behalf": STAFF, "staff.audit_log": STAFF,
    "staff.billing": STAFF, "staff.billing_invoice": STAFF, "staff.billing_invoice_pdf": STAFF,
    "staff.billing_counter_payment": STAFF, "staff.billing_reminders": STAFF,
    "staff.billing_export_invoices": STAFF, "staff.billing_export_payments": STAFF,
    "staff.admin.billing_run": ADMIN, "staff.admin.billing_credit_note": ADMIN,
    "staff.admin.staff_list": ADMIN, "staff.admin.staff_new": ADMIN,
    "staff.admin.staff_role": ADMIN, "staff.admin.staff_invite": ADMIN,
    "staff.admin.staff_reset_link": ADMIN, "staff.admin.staff_reset_second_factor": ADMIN,
    "staff.admin.account_activation": ADMIN, "staff.admin.service_mailboxes": ADMIN,
    "staff.admin.service_mailbox": ADMIN,
    "staff.attendance_register": STAFF, "staff.attendance_mark": STAFF,
    "staff.attendance_print": STAFF, "staff.attendance_csv": STAFF,
    "staff.meal_counts": STAFF, "staff.meal_counts_csv": STAFF, "staff.occupancy": STAFF,
    "staff.closures_index": STAFF, "staff.close_day": STAFF, "staff.reopen_day": STAFF,
    "staff.set_places": STAFF,
    "staff.exports_index": STAFF, "staff.export_families": STAFF,
    "staff.export_enrolments": STAFF, "staff.export_bookings": STAFF,
    "staff.admin.catalogue_years": ADMIN, "staff.admin.catalogue_year": ADMIN,
    "staff.admin.prepare_year": ADMIN, "staff.admin.publish_year": ADMIN,
    "staff.admin.save_tariffs": ADMIN, "staff.admin.save_brackets": ADMIN,
    "staff.admin.save_windows": ADMIN, "staff.admin.edit_activity": ADMIN,
    "staff.admin.add_modalite": ADMIN,
}


def staff_routes(app):
    """[(endpoint, url with every id 1, method)] of the back office."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff."):
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, url, method))
    return routes


def call(client, url, method, page):
    """GET, or POST with a valid CSRF token of this session (read on ``page``), so that
    the answer is the guard's, not the CSRF check's."""
    if method == "GET":
        return client.get(url)
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url, headers={"X-CSRFToken": token})


def test_every_staff_route_is_in_the_matrix_and_every_matrix_entry_exists(app):
    endpoints = {endpoint for endpoint, _, _ in staff_routes(app)}
    assert endpoints - set(MATRIX) == set(), "staff routes missing from the access matrix"
    assert set(MATRIX) - endpoints == set(), "matrix entries without a route"
    for endpoint in endpoints:  # the administrateur's pages live under /agents/admin/
        assert (MATRIX[endpoint] == ADMIN) == endpoint.startswith("staff.admin."), endpoint


def test_anonymous_visitors_go_to_the_sign_in_page(app, client):
    for endpoint, url, method in staff_routes(app):
        response = call(client, url, method, "/connexion")
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert response.headers["Location"].startswith("/connexion"), endpoint


def test_families_get_404(app, client):
    AuthActions(client).login("famille 16122")
    for endpoint, url, method in staff_routes(app):
        response = call(client, url, method, "/")
        assert response.status_code == 404, (endpoint, method, response.status_code)


def test_agents_get_403_on_the_administrateurs_routes_only(app, client):
    AuthActions(client).login("agent")
    for endpoint, url, method in staff_routes(app):
        if MATRIX[endpoint] == ADMIN:
            response = call(client, url, method, "/agents/")
            assert response.status_code == 403, (endpoint, method, response.status_code)
        elif method == "GET":  # (POSTs would change data: their own tests cover them)
            response = client.get(url)
            assert response.status_code in (200, 404) or (  # or back to a staff page
                response.status_code == 303
                and response.headers["Location"].startswith("/agents/")), \
                (endpoint, response.status_code)


@pytest.mark.parametrize("path", ["/agents/admin/comptes/", "/agents/admin/services"])
def test_the_administrateur_opens_the_administrateurs_pages(client, path):
    AuthActions(client).login("administrateur")
    assert client.get(path).status_code == 200
