"""Every page is valid HTML (RGAA criterion 8.2): the Nu Html Checker (vnu.jar)
over the pages each kind of user reaches, and the states no link leads to.

The pages: the crawler's (``tests.helpers.crawl``) as the anonymous visitor, three families,
an agent and the administrateur; every GET of the route matrix as the role that may open it;
PLANNING in edit mode, with changes pending, the recap and TERMINER; every form of
``FORMS`` sent empty (its errors, a 422 or a 400); the sign-in states (reset link,
invitation, second factor); and the htmx fragments. A fragment is not a document: it is
checked as htmx parses it (inside a ``<template>``: stray or unclosed tags), and again as
the content of a page (the checker does not look inside templates).

The checker runs once over all the pages (its JVM costs ~1-2 s). ``make test`` fetches
the jar into ``.cache/vnu/``; without it (or without Java) this test is skipped, unless
``REQUIRE_VNU=1`` (CI) makes it fail.
"""
import datetime
import glob
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pyotp
import pytest

from models import (
    Attendance,
    Booking,
    DayOverride,
    Guardian,
    GuardianDeclaration,
    Message,
    WaitingListEntry,
)
from tests.conftest import AuthActions
from tests.helpers import HTMX, crawl, csrf_from, staff_urls, unescaped
from tests.planning_support import CL, JANUARY, SANS, activity, modalite, token
from tests.security.test_fuzz_forms import FORMS, HTMX_GETS
from tests.security.test_route_matrix import MATRIX, POSTER, objects

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: One run is enough: the pages are the same HTML on PostgreSQL.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

#: The route matrix's roles, as the demo's logins.
WHO = {"anonymous": None, "owner": "famille 16122", "other": "famille 16123",
       "agent": "agent", "admin": "administrateur"}


def vnu_jar():
    """The checker's jar (``make test`` fetches it); skip without it, fail in CI."""
    jars = sorted(glob.glob(os.path.join(ROOT, ".cache", "vnu", "vnu-*.jar")))
    problem = None
    if not jars:
        problem = "vnu.jar is not in .cache/vnu/ (`make test` fetches it)"
    elif shutil.which("java") is None:
        problem = "java is not installed (the Nu Html Checker needs Java 11 or later)"
    if problem:
        if os.environ.get("REQUIRE_VNU"):
            pytest.fail(problem)
        pytest.skip(problem + ": HTML validity not checked.")
    return jars[-1]


class Pages:
    """The HTML answers to check, by label ("who METHOD path (status)"; the same label
    twice is the same page)."""

    def __init__(self):
        self.documents = {}

    def add(self, label, response):
        if "text/html" not in response.content_type or not response.data:
            return
        label = f"{label} ({response.status_code})"
        page = response.get_data(as_text=True)
        if re.match(r"\s*<!DOCTYPE html>", page, re.I):
            self.documents[label] = page
        else:  # an htmx fragment
            self.documents[label + ", as htmx parses it"] = fragment_document(
                f"<template>{page}</template>")
            self.documents[label] = fragment_document(as_content(page))

    def get(self, who, client, path, htmx=False, state=""):
        response = client.get(path, headers=HTMX if htmx else {})
        self.add(f"{who} GET{' htmx' if htmx else ''} {path}{state}", response)
        return response

    def post(self, who, client, path, data, htmx=False, state=""):
        response = client.post(path, data=data, headers=HTMX if htmx else {})
        self.add(f"{who} POST{' htmx' if htmx else ''} {path}{state}", response)
        return response

    def crawl(self, who, client, start):
        for path, response in crawl(client, start).items():
            self.add(f"{who} GET {path}", response)


def fragment_document(body):
    return ('<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
            f"<title>Fragment</title></head><body>\n{body}\n</body></html>")


#: What a fragment's top-level element needs around it to stand in a page.
CONTAINERS = {"li": ("<ul>", "</ul>"), "tr": ("<table>", "</table>"),
              "td": ("<table><tr>", "</tr></table>"), "th": ("<table><tr>", "</tr></table>")}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class TopLevel(HTMLParser):
    """Where each top-level element of a fragment starts: (offset, tag)."""

    def __init__(self, fragment):
        super().__init__(convert_charrefs=False)
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", fragment)]
        self.depth, self.starts = 0, []
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.handle_startendtag(tag, attrs)
        if tag not in VOID:
            self.depth += 1

    def handle_startendtag(self, tag, attrs):
        if self.depth == 0:
            line, column = self.getpos()
            self.starts.append((self.line_starts[line - 1] + column, tag))

    def handle_endtag(self, tag):
        self.depth = max(0, self.depth - 1)


def as_content(fragment):
    """A fragment as the content of a page: each top-level element where it can stand
    (a row in a table, an item in a list), as htmx puts it in the page."""
    starts = TopLevel(fragment).starts
    if not starts:
        return fragment
    parts = [fragment[:starts[0][0]]]
    for (offset, tag), (end, _) in zip(starts, starts[1:] + [(len(fragment), "")]):
        before, after = CONTAINERS.get(tag, ("", ""))
        parts.append(before + fragment[offset:end] + after)
    return "".join(parts)


def validate(jar, pages, directory):
    """The checker's errors over ``pages`` (label -> HTML), each written to ``directory``:
    (label and file, line, message, extract)."""
    names = {}
    for index, (label, html) in enumerate(sorted(pages.items())):
        name = f"page-{index:04d}.html"
        names[name] = f"{label} [{name}]"
        with open(os.path.join(directory, name), "w", encoding="utf-8") as out:
            out.write(html)
    run = subprocess.run(["java", "-jar", jar, "--errors-only", "--skip-non-html",
                          "--format", "json", "--exit-zero-always", str(directory)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    messages = json.loads(run.stderr or run.stdout)["messages"]
    return [(names.get(os.path.basename(m.get("url", "")), m.get("url")), m.get("lastLine"),
             m["message"], m.get("extract", "").strip()) for m in messages]


def sign_in(app, who):
    client = app.test_client()
    if who:
        response = AuthActions(client).login(who)
        assert response.status_code == 303, who
    return client


def link_in(mailbox, path_start):
    match = re.search(r"http://localhost(" + re.escape(path_start) + r"[^\s<\"]+)",
                      mailbox.text(mailbox.messages[-1]))
    assert match, mailbox.text(mailbox.messages[-1])
    return match.group(1)


def collect(app, mailbox):
    pages = Pages()
    clients = {role: sign_in(app, who) for role, who in WHO.items()}
    anonymous, owner, agent = clients["anonymous"], clients["owner"], clients["agent"]

    # What each one reaches by following links.
    pages.crawl("anonymous", anonymous, ["/connexion", "/mot-de-passe-oublie"])
    for role in ("owner", "other"):
        pages.crawl(role, clients[role], "/")
    pages.crawl("famille 16124", sign_in(app, "famille 16124"), "/")
    pages.crawl("agent", agent, "/agents/")
    pages.crawl("admin", clients["admin"], staff_urls(app))

    # Every GET of the route matrix, as the role that may open it (family 16122's objects).
    ids = objects(app)
    # A reply written at a real clock's time (microseconds: the fixed test clock has none).
    Message.create(thread=ids["thread"], from_staff=True, body="Bien reçu, merci.",
                   created_at=datetime.datetime(2026, 11, 26, 9, 30, 15, 123456))
    for row in MATRIX.values():
        role = POSTER[row.kind]
        pages.get(role, clients[role], row.url.format(**ids))

    # PLANNING: edit mode, a tick, pending changes, a refused VALIDER, the recap, TERMINER.
    key, sans = ids["line"], modalite(CL, SANS)
    month = {"ligne": key, "vue": "mensuel", "du": "2027-01-01"}
    edit = f"/planning/?vue=mensuel&du=2027-01-01&ligne={key}&modifier=1"
    csrf = csrf_from(pages.get("owner", owner, edit))
    pages.get("owner", owner, edit, htmx=True)
    ticked = pages.post("owner", owner, "/planning/basculer", htmx=True, data={
        **month, "jours": [token(day, sans) for day in JANUARY[:2]], "csrf_token": csrf})
    assert "(2 en attente)" in ticked.get_data(as_text=True)
    pages.post("owner", owner, "/planning/cocher", htmx=True, data={
        **month, "cocher": sans.id, "csrf_token": csrf})
    refused = pages.post("owner", owner, "/planning/valider", data={
        **month, "jours": ["2027-01-07"], "csrf_token": csrf})
    assert refused.status_code == 422
    pending = ", changes pending"
    pages.get("owner", owner, "/planning/?du=2027-01-01", state=pending)
    pages.get("owner", owner, edit, state=pending)
    pages.get("owner", owner, "/planning/recapitulatif", state=pending)
    assert owner.post("/planning/terminer", data={"csrf_token": csrf}).status_code == 303
    pages.get("owner", owner, "/planning/terminee", state=", after TERMINER")
    # A day declared ill, a full day offering its waiting list, a place on another's.
    lena = Booking.get((Booking.activity == activity(CL)) & (Booking.date == JANUARY[0])).child
    Attendance.delete().where((Attendance.child == lena) & (Attendance.date == JANUARY[0])
                              & (Attendance.activity == activity(CL))).execute()
    Attendance.create(child=lena, activity=activity(CL), date=JANUARY[0],
                      status=Attendance.EXCUSED, illness=Attendance.ILLNESS_PENDING)
    Booking.delete().where((Booking.activity == activity(CL))
                           & Booking.date.in_(JANUARY[2:])).execute()
    for day in JANUARY[2:]:
        DayOverride.create(activity=activity(CL), date=day, capacity=0)
    WaitingListEntry.get_or_create(child=lena, activity=activity(CL), date=JANUARY[3],
                                   defaults={"family": lena.family_id, "modalite": sans})
    waiting = ", an ill day, a full day and a waiting place"
    month_page = pages.get("owner", owner, "/planning/?du=2027-01-01",
                           state=waiting).get_data(as_text=True)
    assert all(f'class="{name}"' in month_page
               for name in ("pl-ill", "button pl-join", "button pl-leave", "pl-wait"))
    pages.get("owner", owner, edit, state=waiting)

    # The agent ticks LENA present on the register (htmx: the row comes back), on the day.
    register = f"/agents/presences/?date={JANUARY[0]}&activite={activity(CL).id}"
    pages.get("agent", agent, register, state=", a day to come")
    today = app.config["PORTAIL_TODAY"]
    app.config["PORTAIL_TODAY"] = f"{JANUARY[0].isoformat()}T10:00"
    csrf = csrf_from(pages.get("agent", agent, register))
    row = pages.post("agent", agent, "/agents/presences/pointer", htmx=True, data={
        "date": JANUARY[0].isoformat(), "activite": activity(CL).id, "enfant": ids["child"],
        "statut": "excuse", "justificatif": "Certificat médical", "csrf_token": csrf})
    assert row.status_code == 200
    # The monthly run's preview of January, per family, once January is over.
    app.config["PORTAIL_TODAY"] = "2027-02-01T09:00"
    pages.get("admin", clients["admin"], "/agents/admin/facturation/emission?mois=2027-01")
    app.config["PORTAIL_TODAY"] = today
    pages.get("admin", clients["admin"], "/agents/admin/facturation/emission?mois=2027-01",
              state=", a month not over")

    # The confirmation pages: a closure (and its Rouvrir), a group message.
    closure = {"date": "2027-01-06", "ecole": "commune", "activite": "toutes",
               "motif": "Grève", "csrf_token": csrf}
    assert pages.post("agent", agent, "/agents/fermetures/fermer", closure,
                      state=", to confirm").status_code == 200
    pages.post("agent", agent, "/agents/messages/ecrire", {
        "destinataires": "jour", "jour": "2027-01-06", "service": "Centres de Loisirs",
        "sujet": "Sortie", "message": "Voir https://example.org <b>x</b>", "csrf_token": csrf},
        state=", recipients")
    agent.post("/agents/fermetures/fermer", data={**closure, "confirmer": "1"})
    from models import Closure
    pages.get("agent", agent, "/agents/fermetures/", state=", a closure in force")
    pages.get("agent", agent, f"/agents/fermetures/{Closure.select().first().id}/rouvrir")

    # The family record's htmx answers.
    child = f"/mon-dossier/enfants/{ids['child']}"
    csrf = csrf_from(owner.get(child))
    pages.get("owner", owner, f"{child}/droit-image", htmx=True)
    pages.post("owner", owner, f"{child}/droit-image", htmx=True,
               data={"consent": "oui", "csrf_token": csrf})
    pages.post("owner", owner, f"{child}/vaccins", htmx=True,
               data={"name": "ROR", "date": "2024-03-01", "csrf_token": csrf})
    pages.post("owner", owner, "/mon-dossier/actualisation/rubriques/famille", htmx=True,
               data={"checked": "1", "csrf_token": csrf})
    for endpoint in HTMX_GETS:
        pages.get("owner", owner, MATRIX[endpoint].url, htmx=True)

    # Every form sent empty: its errors (plain, then under htmx).
    for endpoint, (role, _) in FORMS.items():
        client = clients[role]
        url = MATRIX[endpoint].url.format(**ids)
        form = {name: value.format(**ids)
                for name, value in (MATRIX[endpoint].form or {}).items()}
        csrf = csrf_from(client.get("/connexion" if role == "anonymous" else
                                    ("/" if role in ("owner", "other") else "/agents/")))
        for htmx in (False, True):
            pages.post(role, client, url, {**form, "csrf_token": csrf}, htmx=htmx,
                       state=", sent empty")

    # Whose are a guardian's new names (Karim BERNARD, 16123, has an account): the agent
    # is asked on « Modifier le second responsable » and on a declaration's « Valider ».
    karim = Guardian.get(Guardian.first_name == "Karim")
    path = f"/agents/familles/{karim.family_id}/second-responsable"
    csrf = csrf_from(agent.get(path))
    asked = pages.post("agent", agent, path, {
        "csrf_token": csrf, "civility": "M.", "last_name": "BERNARD", "first_name": "Karime",
        "email": karim.email, "phone_mobile": "", "phone_home": ""},
        state=", whose are the new names")
    assert asked.status_code == 422 and 'id="decision-error"' in asked.get_data(as_text=True)
    declared = GuardianDeclaration.create(family=karim.family_id, last_name="BERNART",
                                          first_name="Karim", phone_mobile="0601020304")
    pages.get("agent", agent, "/agents/validations/enfants", state=", whose are the names")
    asked = pages.post("agent", agent, f"/agents/validations/responsables/{declared.id}/valider",
                       {"csrf_token": csrf}, state=", whose are the declared names")
    assert asked.status_code == 422

    # Signing in: the reset link's form, an invitation, the staff's second factor.
    csrf = csrf_from(anonymous.get("/mot-de-passe-oublie"))
    anonymous.post("/mot-de-passe-oublie", data={"identifier": "16123", "csrf_token": csrf})
    reset = link_in(mailbox, "/reinitialiser/")
    assert pages.get("anonymous", anonymous, reset).status_code == 200
    pages.post("anonymous", anonymous, reset, {"password": "court", "confirm": "autre",
                                               "csrf_token": csrf})
    csrf = csrf_from(agent.get("/agents/comptes/nouvelle-famille"))
    agent.post("/agents/comptes/nouvelle-famille", data={
        "family_name": "Martin", "guardian_last_name": "Martin", "guardian_first_name": "Aïcha",
        "relationship": "Mère", "email": "aicha.martin@example.org", "csrf_token": csrf})
    invitation = link_in(mailbox, "/invitation/")
    assert pages.get("anonymous", app.test_client(), invitation).status_code == 200
    enrol = "/connexion/double-authentification"
    page = unescaped(pages.get("agent", agent, enrol))
    secret = re.search(r'<code id="totp-key">([A-Z2-7 ]+)</code>', page).group(1)
    pages.post("agent", agent, enrol, {"code": "000000", "csrf_token": csrf})
    agent.post(enrol, data={"code": pyotp.TOTP(secret.replace(" ", "")).now(),
                            "csrf_token": csrf})
    assert pages.get("agent", agent, "/connexion/codes-de-secours").status_code == 200
    second = app.test_client()
    assert AuthActions(second).login("agent").headers["Location"].startswith("/connexion/code")
    csrf = csrf_from(pages.get("agent", second, "/connexion/code"))
    pages.post("agent", second, "/connexion/code", {"code": "000000", "csrf_token": csrf})
    return pages.documents


def test_every_page_is_valid_html(app, db, mailbox, tmp_path):
    jar = vnu_jar()
    documents = collect(app, mailbox)
    fragments = [label for label in documents if label.endswith("as htmx parses it")]
    # The planning's, the family record's, the register's and the messagerie's fragments.
    assert len(documents) > 500 and len(fragments) >= 10, fragments
    directory = tmp_path / "pages"  # not tmp_path: the app's database and uploads are there
    directory.mkdir()
    errors = validate(jar, documents, directory)
    report = "\n".join(f"{label}, line {line}: {message}\n    {extract}"
                       for label, line, message, extract in errors)
    assert errors == [], f"{len(errors)} HTML errors:\n{report}"
