"""A sent email forgets its body (its reset or invitation link, the
copy of a family's message): the outbox and every backup keep only who, what subject,
when."""
import re

from domain.mail import MAX_ATTEMPTS, REDACTED, redact_done
from models import OutgoingEmail
from tests.conftest import csrf_from


def test_a_sent_reset_link_does_not_stay_in_the_outbox(client, mailbox, db):
    token = csrf_from(client.get("/mot-de-passe-oublie").get_data(as_text=True))
    client.post("/mot-de-passe-oublie", data={"identifier": "16122", "csrf_token": token})
    [mail] = mailbox.to("famille.dupont@example.org")
    assert re.search(r"/reinitialiser/\S+", mailbox.text(mail))  # the family got it
    [row] = OutgoingEmail.select()
    assert row.sent_at is not None
    assert row.body_text == REDACTED and row.body_html is None
    assert "reinitialiser" not in row.body_text
    assert row.recipient == "famille.dupont@example.org" and row.subject  # for the audit


def test_older_sent_or_abandoned_mails_are_redacted_by_send_mail(app, db, runner):
    OutgoingEmail.create(recipient="a@example.org", subject="Invitation",
                         body_text="https://x/invitation/secret", body_html="<a>secret</a>",
                         sent_at=OutgoingEmail.created_at.default())
    OutgoingEmail.create(recipient="b@example.org", subject="Lien", body_text="secret",
                         attempts=MAX_ATTEMPTS)
    waiting = OutgoingEmail.create(recipient="c@example.org", subject="À envoyer",
                                   body_text="à envoyer", attempts=1,
                                   claimed_until=OutgoingEmail.created_at.default()
                                   .replace(year=2999))
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert [row.body_text for row in OutgoingEmail.select().order_by(OutgoingEmail.id)] == [
        REDACTED, REDACTED, "à envoyer"]
    assert OutgoingEmail.get_by_id(waiting.id).body_text == "à envoyer"  # still to go
    assert redact_done() == 0  # nothing left
