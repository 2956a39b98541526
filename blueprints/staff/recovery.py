"""Espace agents: FACTURATION › RESTES À RECOUVRER, the invoices handed over to the
Trésor public after the last reminder, on screen, in CSV and in PDF (each export audited)."""
from blueprints.common import commune_settings, download, render
from blueprints.htmx import current_actor
from blueprints.staff import bp
from domain import audit, clock
from domain.billing import recovery


@bp.route("/facturation/restes-a-recouvrer")
def recovery_list():
    """The état des restes à recouvrer."""
    invoices = recovery.handed_over_invoices()
    return render("staff/billing/recovery.html", invoices=invoices,
                  total=sum(invoice.due_cents for invoice in invoices))


def _audited(kind, invoices):
    audit.record(current_actor(), None, audit.EXPORT_DOWNLOADED,
                 summary=f"État des restes à recouvrer ({kind}, {len(invoices)} facture(s))")


@bp.route("/facturation/restes-a-recouvrer.csv")
def recovery_csv():
    """The état as CSV."""
    invoices = recovery.handed_over_invoices()
    _audited("CSV", invoices)
    today = clock.today()
    return download(recovery.recovery_csv(invoices).encode("utf-8"), "text/csv; charset=utf-8",
                    f"restes-a-recouvrer-{today.isoformat()}.csv")


@bp.route("/facturation/restes-a-recouvrer.pdf")
def recovery_pdf():
    """The état as PDF."""
    invoices = recovery.handed_over_invoices()
    _audited("PDF", invoices)
    today = clock.today()
    return download(recovery.recovery_pdf(invoices, commune_settings().name, today),
                    "application/pdf", f"restes-a-recouvrer-{today.isoformat()}.pdf")
