"""The staff back office, guarded once per blueprint.

``bp`` (``/agents/…``) is for agents and administrateurs; ``admin_bp``, nested
in it (``/agents/admin/…``, endpoints ``staff.admin.*``), is for the
administrateur only: an agent gets 403 there. A module of the back office
registers its views on the one that fits its area, so no view can be left open
by forgetting a decorator. One module per area (messages, validations,
families, accounts, catalogue, attendance, billing, …), its templates in
``templates/staff/<area>/``.
"""
from flask import Blueprint

from blueprints.auth.second_factor import require_second_factor
from blueprints.common import require_admin, require_staff

bp = Blueprint("staff", __name__)
bp.before_request(require_staff)
bp.before_request(require_second_factor)

admin_bp = Blueprint("admin", __name__)
admin_bp.before_request(require_admin)


@bp.context_processor
def staff_badges():
    """The unread family messages, mirrored in the staff nav (one query per page)."""
    from domain.messaging.messages import staff_unread_by_service
    return {"staff_unread_total": sum(staff_unread_by_service().values())}


# The views register their routes on bp and admin_bp when imported.
from blueprints.staff import (  # noqa: E402,F401
    accounts,
    attendance,
    audit,
    billing,
    catalogue,
    child_declarations,
    closures,
    commune,
    direct_debit,
    documents,
    exports,
    families,
    family_access,
    family_children,
    family_import,
    messages,
    moving_up,
    news,
    outreach,
    recovery,
    regies,
    routes,
    schools,
    validations,
)

# Last: the nested blueprint's views must all be declared before it is registered.
bp.register_blueprint(admin_bp, url_prefix="/admin")
