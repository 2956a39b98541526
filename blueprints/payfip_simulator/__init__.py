"""A local PayFiP, for development and tests: mounted only outside production.

It answers the two SOAP operations eopayment's client calls
(``creerPaiementSecurise``, ``recupererDetailPaiementSecurise``) with PayFiP's
messages and faults (P1 unknown idOp, P5 no result yet), and shows a payment
page where the payer pays, refuses or cancels; then, like PayFiP, it notifies
``urlnotif`` (a POST of ``idOp``) and sends the payer back to ``urlredirect``.
Operations live in memory (one process: ``make run``, the tests).
"""
from flask import Blueprint

bp = Blueprint("payfip_simulator", __name__)

from blueprints.payfip_simulator import routes  # noqa: E402,F401
