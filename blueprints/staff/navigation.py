"""The back office's corridor: its pages grouped by the work they serve.

The top row names four groups (au quotidien, l'année scolaire, facturation,
administration) so that it fits one row on a 768 px tablet; the current group's
pages are listed below it. A page belongs to the group of its view module
(``active_tab`` is ``staff_<module>``, see ``app._active_tab``).
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One page of the back office's navigation."""

    label: str
    endpoint: str
    tab: str
    admin_only: bool = False
    unread_badge: bool = False


@dataclass(frozen=True)
class Group:
    """A group of pages, named by the work they serve."""

    label: str
    pages: tuple


GROUPS = (
    Group("Au quotidien", (
        Page("ESPACE AGENTS", "staff.index", "staff"),
        Page("FAMILLES", "staff.families", "staff_families"),
        Page("VALIDATIONS", "staff.dossiers_page", "staff_validations"),
        Page("MESSAGES", "staff.messages", "staff_messages", unread_badge=True),
        Page("PRÉSENCES", "staff.attendance_register", "staff_attendance"),
    )),
    Group("L'année scolaire", (
        Page("CATALOGUE", "staff.admin.catalogue_years", "staff_catalogue", admin_only=True),
        Page("ÉCOLES", "staff.admin.schools_page", "staff_schools", admin_only=True),
        Page("FERMETURES", "staff.closures_index", "staff_closures"),
        Page("ACTUALITÉS", "staff.news", "staff_news"),
        Page("DOCUMENTS", "staff.documents", "staff_documents"),
    )),
    Group("Facturation", (
        Page("FACTURATION", "staff.billing", "staff_billing"),
        Page("PRÉLÈVEMENTS", "staff.direct_debit_collections", "staff_direct_debit"),
        Page("RESTES À RECOUVRER", "staff.recovery_list", "staff_recovery"),
        Page("EXPORTS", "staff.exports_index", "staff_exports"),
        Page("RÉGIES", "staff.admin.regies_page", "staff_regies", admin_only=True),
    )),
    Group("Administration", (
        Page("COMPTES", "staff.accounts", "staff_accounts"),
        Page("COMMUNE", "staff.admin.commune_settings_page", "staff_commune", admin_only=True),
        Page("SERVICES", "staff.admin.service_mailboxes", "staff_services", admin_only=True),
        Page("SÉCURITÉ", "staff.security", "staff_security"),
        Page("JOURNAL", "staff.audit_log", "staff_audit"),
    )),
)


@dataclass(frozen=True)
class ShownGroup:
    """A group as one user sees it: only the pages they may open, and whether it is current."""

    label: str
    pages: tuple
    current: bool


def navigation(active_tab, is_admin):
    """The groups ``is_admin`` (or an agent) sees, the one holding ``active_tab`` current."""
    shown = []
    for group in GROUPS:
        pages = tuple(page for page in group.pages if is_admin or not page.admin_only)
        if pages:
            shown.append(ShownGroup(group.label, pages,
                                    any(page.tab == active_tab for page in pages)))
    return shown
