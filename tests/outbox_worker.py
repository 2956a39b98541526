"""A separate process that sends the outbox (as a gunicorn worker or ``flask send-mail``
would), started by tests/domain/test_outbox_claims.py: it says it is ready, waits for the
go file so that every worker starts sending at the same moment, then prints how
many emails it sent."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import models  # noqa: E402
from app import create_app  # noqa: E402


def main(database_url, smtp_port, upload_dir, ready_file, go_file):
    app = create_app({"SECRET_KEY": "outbox-worker", "DATABASE_URL": database_url,
                      "UPLOAD_DIR": upload_dir, "MAIL_SERVER": "127.0.0.1",
                      "MAIL_PORT": int(smtp_port), "MAIL_SUPPRESS_SEND": False,
                      "TESTING": True, "MAIL_ASYNC": False})
    from domain.mail import deliver_pending
    with app.app_context(), models.db.connection_context():
        open(ready_file, "w").close()
        deadline = time.monotonic() + 60
        while not os.path.exists(go_file) and time.monotonic() < deadline:
            time.sleep(0.005)
        print(deliver_pending())


if __name__ == "__main__":
    main(*sys.argv[1:])
