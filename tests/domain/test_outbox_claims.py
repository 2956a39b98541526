"""Any number of processes sending the outbox at once send each
email exactly once (the rush on PostgreSQL sent recaps up to four times)."""
import os
import subprocess
import sys
import time

import pytest

from models import OutgoingEmail

WORKER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "outbox_worker.py")


def queue(count):
    OutgoingEmail.insert_many([
        {"recipient": f"famille{n}@example.org", "subject": f"Récapitulatif {n}",
         "body_text": f"Votre réservation {n}", "body_html": f"<p>Votre réservation {n}</p>"}
        for n in range(count)]).execute()


@pytest.mark.parametrize("workers", [4])
def test_several_processes_send_each_email_exactly_once(app, db, mailbox, database_url,
                                                        tmp_path, workers):
    queue(80)
    go = tmp_path / "go"
    processes = []
    for n in range(workers):
        ready = tmp_path / f"ready-{n}"
        processes.append((ready, subprocess.Popen(
            [sys.executable, WORKER, database_url, str(mailbox.port), str(tmp_path / "up"),
             str(ready), str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    deadline = time.monotonic() + 60
    while not all(ready.exists() for ready, _ in processes) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # every worker starts sending at the same moment
    sent = []
    for _, process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        sent.append(int(out.strip().splitlines()[-1]))
    assert sum(sent) == 80, sent
    received = sorted(m.envelope_rcpt[0] for m in mailbox.messages)
    assert received == sorted(f"famille{n}@example.org" for n in range(80))
    assert OutgoingEmail.select().where(OutgoingEmail.sent_at.is_null()).count() == 0


def test_a_row_another_process_holds_is_not_sent_again(app, db, mailbox):
    """A row claimed by another process (not yet sent) is left to it; a claim that ran
    out (its process died mid-send) is taken over."""
    import datetime
    from domain.mail import deliver_pending
    queue(2)
    first, second = OutgoingEmail.select().order_by(OutgoingEmail.id)
    future = datetime.datetime.utcnow() + datetime.timedelta(minutes=5)
    past = datetime.datetime.utcnow() - datetime.timedelta(minutes=5)
    OutgoingEmail.update(claimed_until=future).where(OutgoingEmail.id == first.id).execute()
    OutgoingEmail.update(claimed_until=past).where(OutgoingEmail.id == second.id).execute()
    with app.app_context():
        assert deliver_pending() == 1
    assert [m.envelope_rcpt[0] for m in mailbox.messages] == [second.recipient]


def test_send_mail_command_sends_what_is_left(app, db, mailbox, runner):
    queue(3)
    result = runner.invoke(args=["send-mail"])
    assert "3 email(s) envoyé(s)." in result.output
    assert len(mailbox.messages) == 3
    assert "0 email(s)" in runner.invoke(args=["send-mail"]).output


def test_migration_2_adds_the_claim_column_and_keeps_the_outbox(db):
    from playhouse.migrate import SchemaMigrator, migrate
    import migrations
    import models
    queue(2)
    migrator = SchemaMigrator.from_database(db.obj)  # a version-1 schema: steps 2 and 3 undone
    migrate(migrator.drop_column("outgoing_email", "claimed_until"),
            migrator.drop_column("qf_declaration", "effective_from"))
    models.SchemaVersion.update(version=1).execute()
    assert migrations.upgrade(db.obj) == models.SCHEMA_VERSION
    assert "claimed_until" in [c.name for c in db.get_columns("outgoing_email")]
    assert OutgoingEmail.select().where(OutgoingEmail.claimed_until.is_null()).count() == 2
