"""Command-line tasks: ``flask --app app migrate|create-admin|demo|invoice|remind|
deadline-reminders|start-year|payfip-check|send-mail|backup|restore``."""
import click
from flask import current_app, url_for

import migrations
import models
from blueprints.common import public_base
from domain import clock, commune


def register(app):
    @app.cli.command("migrate")
    def migrate_command():
        """Create or upgrade the database schema."""
        with models.db.connection_context():
            version = migrations.upgrade(models.db.obj)
            commune.seed(current_app.config["COMMUNE_NAME"], current_app.config["HOLIDAY_ZONE"])
        click.echo(f"Schéma de la base à la version {version}.")

    @app.cli.command("create-admin")
    @click.argument("email")
    @click.option("--name", default="", help="Le nom affiché (par défaut : l'adresse).")
    @click.option("--password", "ask_password", is_flag=True,
                  help="Demander le mot de passe ici (saisie masquée, deux fois) au lieu "
                       "d'imprimer un lien d'invitation.")
    def create_admin_command(email, name, ask_password):
        """Create an administrateur EMAIL: prints a single-use link to choose a password,
        or with --password asks for it on the terminal."""
        from domain.family.accounts import INVITATION_SALT, AccountProblem, make_reset_token
        from domain.staff.accounts import create_administrateur
        password = None
        if ask_password:
            password = click.prompt("Mot de passe", hide_input=True,
                                    confirmation_prompt="Le même mot de passe, encore une fois")
        with models.db.connection_context():
            migrations.upgrade(models.db.obj)
            try:
                user = create_administrateur(email, name, password)
            except AccountProblem as problem:
                raise click.ClickException(str(problem))
            if password is not None:
                click.echo(f"Compte administrateur {user.email} créé, avec le mot de passe "
                           "saisi. Connectez-vous sur " + public_base() + "/connexion")
                return
            token = make_reset_token(current_app.config["SECRET_KEY"], user,
                                     salt=INVITATION_SALT)
        with current_app.test_request_context():
            path = url_for("auth.accept_invitation", token=token)
        days = max(1, current_app.config["INVITATION_MAX_AGE"] // 86400)
        click.echo(f"Compte administrateur {user.email} créé, sans mot de passe.\n"
                   f"Lien pour choisir le mot de passe (une seule fois, valable {days} jour(s)) :"
                   f"\n{public_base()}{path}")

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
    @click.option("--force", is_flag=True,
                  help="Émettre un mois qui n'est pas terminé (une correction).")
    def invoice_command(month, force):
        """Issue the invoices of MONTH (YYYY-MM), once it is over, and queue the families'
        emails (the outbox sends them; ``send-mail`` retries those that fail)."""
        from domain.billing.notices import send_invoice_emails
        from domain.billing.run import MonthNotOver, issue_month, parse_month, preview_month
        from domain.formats import euros, month_fr
        parsed = parse_month(month)
        if parsed is None:
            raise click.BadParameter("le mois s'écrit AAAA-MM, par exemple 2027-01.",
                                     param_hint="MONTH")
        with models.db.connection_context():
            zone = commune.holiday_zone()
            preview = preview_month(*parsed, zone)
            try:
                ids = issue_month(*parsed, zone, clock.now(), force=force)
            except MonthNotOver as refused:
                raise click.ClickException(f"{refused} (option --force)") from None
            from blueprints.common import public_base
            mails = send_invoice_emails(ids, public_base())
        label = month_fr(*parsed).lower()
        if not ids:
            click.echo(f"Rien à facturer pour {label} : tout est déjà facturé.")
            return
        click.echo(f"{len(ids)} facture(s) émise(s) pour {label}, total "
                   f"{euros(preview['total_cents'])} ; {mails} email(s) mis en file d'envoi "
                   "(la file les remet au serveur de mail ; « flask --app app send-mail » "
                   "réessaie ceux qu'il refuse).")

    @app.cli.command("start-year")
    def start_year_command():
        """Once a school year has begun, its children's reviewed levels become current."""
        from domain.catalogue.moving_up import start_begun_years
        with models.db.connection_context():
            moved = start_begun_years(clock.today())
        if not moved:
            click.echo("Aucun passage de classe à appliquer aujourd'hui.")
        for label, count in moved.items():
            click.echo(f"Année {label} commencée : {count} enfant(s) passent dans leur "
                       "nouvelle classe.")
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

    @app.cli.command("deadline-reminders")
    def deadline_reminders_command():
        """Email each family a few days before a booking deadline it has not booked for
        (cron, daily): each reminder once."""
        from domain.booking.deadline_reminders import send_due
        link = public_base() + "/planning/"
        with models.db.connection_context():
            sent = send_due(clock.today(), link, current_app.config["DEADLINE_REMINDER_DAYS"])
        click.echo(f"{sent} rappel(s) envoyé(s).")

    @app.cli.command("payfip-check")
    def payfip_check_command():
        """Read back from PayFiP the online payments still pending; expire abandoned ones."""
        from domain.billing.payfip import client_from_config
        from domain.billing.payments import check_pending
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
