"""One blueprint per tab, plus ``auth`` and ``staff``."""


def register_blueprints(app):
    from blueprints.accueil import bp as accueil
    from blueprints.actualites import bp as actualites
    from blueprints.agenda import bp as agenda
    from blueprints.auth import bp as auth
    from blueprints.common import STAFF_PREFIX
    from blueprints.dossier import bp as dossier
    from blueprints.facturation import bp as facturation
    from blueprints.inscription import bp as inscription
    from blueprints.messagerie import bp as messagerie
    from blueprints.ops import bp as ops
    from blueprints.planning import bp as planning, staff_bp as staff_planning
    from blueprints.staff import bp as staff

    app.register_blueprint(ops)
    app.register_blueprint(auth)
    app.register_blueprint(agenda)
    from blueprints.desabonnement import bp as desabonnement
    app.register_blueprint(desabonnement)
    app.register_blueprint(accueil)
    app.register_blueprint(dossier, url_prefix="/mon-dossier")
    app.register_blueprint(inscription, url_prefix="/inscription")
    app.register_blueprint(planning, url_prefix="/planning")
    # Staff open a family's own calendar (booking on its behalf): the same views.
    app.register_blueprint(staff_planning,
                           url_prefix=STAFF_PREFIX + "/familles/<int:family_id>/planning")
    app.register_blueprint(facturation, url_prefix="/facturation")
    app.register_blueprint(messagerie, url_prefix="/messagerie")
    app.register_blueprint(actualites, url_prefix="/actualites")
    app.register_blueprint(staff, url_prefix=STAFF_PREFIX)

    from blueprints.paiement import bp as paiement
    app.register_blueprint(paiement, url_prefix="/paiement")
    if app.config.get("PAYFIP_SIMULATOR") and app.config["ENV_NAME"] != "production":
        from blueprints.payfip_simulator import bp as payfip_simulator
        from extensions import csrf
        csrf.exempt(payfip_simulator)  # it stands for a foreign site
        app.register_blueprint(payfip_simulator, url_prefix="/simulateur-payfip")
