"""Command-line tasks: ``flask --app app migrate|demo|send-mail``."""
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

    @app.cli.command("send-mail")
    def send_mail_command():
        """Retry the emails that could not be sent."""
        from domain.mail import deliver_pending
        with models.db.connection_context():
            sent = deliver_pending()
        click.echo(f"{sent} email(s) envoyé(s).")
