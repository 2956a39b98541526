"""Command-line tasks: ``flask --app app migrate|demo|invoice|payfip-check|send-mail|backup|restore``."""
import click
from flask import current_app

import migrations
import models
from domain import clock, commune


def register(app):
    @app.cli.command("migrate")
    def migrate_command():
        """Create or upgrade the database schema."""
        with models.db.connection_context():
            version = migrations.upgrade(models.db.obj)
            commune.seed(current_app.config["COMMUNE_NAME"], current_app.config["HOLIDAY_ZONE"])
        click.echo(f"Schéma de la base à la version {version}.")

    @app.cli.command("demo")
    def demo_command():
        """Create the demo commune and families (does nothing if they exist)."""
        from demo import create_demo
        with models.db.connection_context():
            migrations.upgrade(models.db.obj)
            created = create_demo(clock.today(), current_app.config["HOLIDAY_ZONE"],
                                  current_app.config["COMMUNE_NAME"])
        click.echo("Commune de démonstration créée." if created
                   else "La commune de démonstration existe déjà.")

    @app.cli.command("invoice")
    @click.argument("month")
    def invoice_command(month):
        """Issue the invoices of MONTH (YYYY-MM) and email the families."""
        from domain.billing.notices import send_invoice_emails
        from domain.billing.run import issue_month, parse_month, preview_month
        from domain.formats import euros, month_fr
        parsed = parse_month(month)
        if parsed is None:
            raise click.BadParameter("le mois s'écrit AAAA-MM, par exemple 2027-01.",
                                     param_hint="MONTH")
        with models.db.connection_context():
            zone = commune.holiday_zone()
            preview = preview_month(*parsed, zone)
            ids = issue_month(*parsed, zone, clock.now())
            from blueprints.common import public_base
            mails = send_invoice_emails(ids, public_base())
        label = month_fr(*parsed).lower()
        if not ids:
            click.echo(f"Rien à facturer pour {label} : tout est déjà facturé.")
            return
        click.echo(f"{len(ids)} facture(s) émise(s) pour {label}, total "
                   f"{euros(preview['total_cents'])} ; {mails} email(s) envoyé(s).")

    @app.cli.command("remind")
    def remind_command():
        """Send the reminder levels due on unpaid invoices (cron, daily): each level once per
        invoice; after the last, the invoice goes to the Trésor public."""
        from blueprints.common import public_base
        from domain.billing.notices import remind_unpaid
        with models.db.connection_context():
            days = commune.billing_settings().reminder_days
            invoices, mails = remind_unpaid(None, clock.today(), clock.utc_now(),
                                            public_base(), days)
        handed = sum(1 for invoice in invoices if invoice.handed_over)
        click.echo(f"{len(invoices)} relance(s), {mails} email(s) mis en file d'envoi ; "
                   f"{handed} facture(s) transmise(s) au Trésor public.")

    @app.cli.command("payfip-check")
    def payfip_check_command():
        """Read back from PayFiP the online payments still pending; expire abandoned ones."""
        from domain.billing.payments import check_pending
        from domain.billing.payfip import client_from_config
        with models.db.connection_context():
            outcomes = check_pending(client_from_config(current_app.config), clock.now())
        click.echo(f"{len(outcomes)} paiement(s) en attente vérifié(s) : "
                   + (", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())) or "aucun"))

    @app.cli.command("send-mail")
    def send_mail_command():
        """Retry the emails that could not be sent; forget the bodies of those done."""
        from domain.mail import deliver_pending, redact_done
        with models.db.connection_context():
            sent = deliver_pending()
            redact_done()
        click.echo(f"{sent} email(s) envoyé(s).")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def backup_command(path):
        """Save the database and the uploaded files into the archive PATH (.tar.gz)."""
        from domain.backup import BackupError, backup
        with models.db.connection_context():
            version = migrations.current_version(models.db.obj)
        try:
            manifest = backup(current_app.config["DATABASE_URL"],
                              current_app.config["UPLOAD_DIR"], path, schema_version=version)
        except BackupError as error:
            raise click.ClickException(str(error))
        click.echo(f"Sauvegarde écrite dans {path} (base {manifest['engine']}, "
                   f"{manifest['files']} fichier(s)).")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.confirmation_option(prompt="La base et les fichiers actuels seront remplacés par "
                                      "ceux de la sauvegarde. Continuer ?")
    def restore_command(path):
        """Replace the database and the uploaded files by those of the archive PATH."""
        from domain.backup import BackupError, restore
        if not models.db.is_closed():
            models.db.close()
        try:
            manifest = restore(current_app.config["DATABASE_URL"],
                               current_app.config["UPLOAD_DIR"], path)
        except BackupError as error:
            raise click.ClickException(str(error))
        with models.db.connection_context():
            migrations.upgrade(models.db.obj)  # a backup of an older version is brought up
        click.echo(f"Sauvegarde du {manifest['created_at'][:10]} restaurée "
                   f"({manifest['files']} fichier(s)).")
