"""``POST /paiement/payfip/notification``: PayFiP says an operation has a result."""
from flask import current_app, request

from blueprints.common import public_base
from blueprints.paiement import bp
from domain import clock
from domain.billing.payfip import client_from_config
from domain.billing.payments import attempt_by_idop, check_payment


@bp.route("/payfip/notification", methods=["POST"])
def payfip_notification():
    """Read the operation's result back from PayFiP and apply it (once); an unknown
    idOp is ignored. PayFiP only needs a 200."""
    payment = attempt_by_idop(request.form.get("idOp") or request.form.get("idop"))
    if payment is None:
        return "", 404
    check_payment(client_from_config(current_app.config, public_base()), payment.id, clock.now())
    return "", 200
