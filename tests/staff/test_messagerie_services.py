"""The services of the MESSAGERIE as the administrateur sets them (SERVICES page): an
inactive service is no longer offered to families (nor accepted from a forged form),
its themes are the ones set, a service can be added; the dossier's service stays
active with its fixed themes; every change is audited with before and after."""
import json

from domain.messaging.messages import SERVICES
from models import AuditLog, MessageThread
from tests.family.test_messagerie import post_message
from tests.helpers import error_of, text_of

PAGE = "/agents/admin/services"


def index_of(name):
    return list(SERVICES).index(name) + 1


def save_service(client, auth, name, **fields):
    index = index_of(name)
    data = {f"service-{index}-csrf_token": auth.csrf(PAGE)}
    data.update({f"service-{index}-{key}": value for key, value in fields.items()})
    return client.post(f"{PAGE}/{index}", data=data)


def test_an_inactive_service_is_not_offered_and_a_forged_one_is_refused(client, auth):
    auth.login("administrateur")
    assert save_service(client, auth, "Crèche - Petite Enfance", email="").status_code == 303
    entry = AuditLog.get(AuditLog.action == "service.mailbox_set")
    details = json.loads(entry.details)
    assert details["before"]["actif"] is True and details["after"]["actif"] is False
    assert "inactif" in text_of(client.get(PAGE))
    auth.logout()
    auth.login("famille 16122")
    assert "Crèche - Petite Enfance" not in client.get("/messagerie/envoyer").get_data(
        as_text=True)
    forged = post_message(client, auth, service="Crèche - Petite Enfance",
                          theme="Informations", subject="Place", body="Bonjour")
    assert forged.status_code == 422
    assert "Ce service n'existe pas" in error_of(forged, "service")
    assert not MessageThread.select().where(MessageThread.subject == "Place").exists()


def test_the_themes_set_are_the_ones_families_choose(client, auth):
    auth.login("administrateur")
    answer = save_service(client, auth, "Scolarité", active="y",
                          themes="Inscription scolaire\n  Dérogation  \n\nInscription scolaire")
    assert answer.status_code == 303
    auth.logout()
    auth.login("famille 16122")
    fragment = client.get("/messagerie/envoyer/themes?service=Scolarit%C3%A9",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Dérogation" in fragment and "Réclamations" not in fragment
    refused = post_message(client, auth, service="Scolarité", theme="Réclamations",
                           subject="Ecole", body="Bonjour")
    assert refused.status_code == 422
    assert post_message(client, auth, service="Scolarité", theme="Dérogation",
                        subject="Ecole", body="Bonjour").status_code == 303


def test_too_many_themes_are_refused_next_to_the_field(client, auth):
    auth.login("administrateur")
    answer = save_service(client, auth, "Scolarité", active="y",
                          themes="\n".join(f"Thème {n}" for n in range(13)))
    assert answer.status_code == 422
    index = index_of("Scolarité")
    assert "12 thèmes au plus." in error_of(answer, f"service-{index}-themes")


def test_a_service_is_added_and_offered_to_families(client, auth):
    auth.login("administrateur")
    data = {"nouveau-csrf_token": auth.csrf(PAGE), "nouveau-name": "Transport scolaire",
            "nouveau-email": "transport@mairie.example.org", "nouveau-themes": "Horaires\nArrêts"}
    assert client.post(f"{PAGE}/ajouter", data=data).status_code == 303
    again = client.post(f"{PAGE}/ajouter", data=dict(data, **{
        "nouveau-csrf_token": auth.csrf(PAGE), "nouveau-name": "transport SCOLAIRE"}))
    assert again.status_code == 422
    assert "Un service porte déjà ce nom." in error_of(again, "nouveau-name")
    auth.logout()
    auth.login("famille 16122")
    assert post_message(client, auth, service="Transport scolaire", theme="Arrêts",
                        subject="Arrêt", body="Bonjour").status_code == 303


def test_the_dossier_service_stays_active_with_its_themes(client, auth):
    from domain.family.dossier import ACTUALISATION_SERVICE
    from domain.messaging.messages import services
    auth.login("administrateur")
    assert save_service(client, auth, ACTUALISATION_SERVICE,
                        email="dossiers@mairie.example.org", themes="Autre").status_code == 303
    assert services()[ACTUALISATION_SERVICE] == SERVICES[ACTUALISATION_SERVICE]
