"""FACTURATION: unpaid invoices, every invoice with its lines, payments and the balance."""
from blueprints.common import current_family, render
from blueprints.facturation import bp
from domain.billing.invoicing import account_summary, amount_due_cents, family_invoices, paid_cents


@bp.route("/")
def index():
    """"Payer mes factures" and "Consulter l'historique de mon compte"."""
    invoices = family_invoices(current_family())
    return render("facturation/index.html", invoices=invoices,
                  amount_due=amount_due_cents, paid=paid_cents, **account_summary(invoices))
