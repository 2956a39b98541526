"""Data a test needs explicitly, on top of the demo commune.

Each factory creates rows through the models (inside the test's database connection: use
the ``db`` fixture) and returns them; arguments are named in the domain's words and have
plain defaults, so that a test shows only what matters to it::

    family = factories.family(16200, quotient=640)
    tom = factories.child(family, "TOM", class_level="CP")
    factories.enrolment(tom, "Restauration Élémentaire")
    agent = factories.staff_user("agent2@mairie.example.org")

For the demo's own rows use the lookups of ``tests.helpers`` (``demo_family(16122)``,
``demo_child("LENA")``, ``activity("ALAE Matin")``).
"""
import datetime

from domain import clock
from domain.catalogue.years import current_school_year
from domain.family.accounts import new_session_token
from domain.family.passwords import hash_password
from models import (Activity, Booking, Child, DossierValidation, Enrolment, Family, Guardian,
                    Modalite, QFDeclaration, SchoolYear, User)
from tests.helpers import activity as activity_named


def family(account_number, name=None, *, quotient=850, email=None, password=None, **fields):
    """A family ``account_number`` with a validated quotient (None: no declaration) and its
    family user (``email`` defaults to ``f<account>@example.org``; without ``password`` the
    user cannot sign in through the form: use ``helpers.sign_in``)."""
    row = Family.create(account_number=account_number, name=name or f"FAMILLE{account_number}",
                        **fields)
    family_user(row, email or f"f{account_number}@example.org", password)
    if quotient is not None:
        QFDeclaration.create(family=row, quotient=quotient, status=QFDeclaration.VALIDATED,
                             reviewed_at=clock.utc_now())
    return row


def family_user(family_row, email, password=None):
    """A user who signs in for ``family_row``."""
    return User.create(email=email, family=family_row, session_token=new_session_token(),
                       password_hash=hash_password(password) if password else "x")


def staff_user(email, role=User.ROLE_AGENT, *, password=None, name="Agent Test"):
    """An agent (or, with ``role=User.ROLE_ADMIN``, an administrateur)."""
    return User.create(email=email, role=role, display_name=name,
                       session_token=new_session_token(),
                       password_hash=hash_password(password) if password else "x")


def guardian(family_row, first_name="Camille", last_name=None, **fields):
    """A responsable légal of ``family_row`` (after the ones it has)."""
    position = family_row.guardians.count() + 1
    return Guardian.create(family=family_row, first_name=first_name,
                           last_name=last_name or family_row.name, position=position, **fields)


def child(family_row, first_name="ENFANT", last_name=None, *, class_level="MS", **fields):
    """A child of ``family_row`` (maternelle by default: ``class_level="CP"`` and above for
    élémentaire; ``school_type=Child.SCHOOL_PRIVATE`` for a private school)."""
    return Child.create(family=family_row, first_name=first_name,
                        last_name=last_name or family_row.name, class_level=class_level,
                        **fields)


def enrolment(kid, activity_name):
    """``activity_name``'s line opened for ``kid`` (the row INSCRIPTION writes; no bookings)."""
    row, _ = Enrolment.get_or_create(child=kid, activity=activity_named(activity_name))
    return row


def booking(kid, activity_name, date, *, modalite=None, price_cents=100):
    """A booked day of ``kid`` (the first modalité of the activity unless named)."""
    act = activity_named(activity_name)
    modalites = act.modalites.order_by(Modalite.position)
    chosen = modalites.where(Modalite.name == modalite).get() if modalite else modalites.first()
    return Booking.create(child=kid, activity=act, modalite=chosen, date=date,
                          price_cents=price_cents)


def dossier_validation(family_row, status=DossierValidation.VALIDATED, school_year=None):
    """The family's dossier of ``school_year`` (the current one) with ``status``."""
    return DossierValidation.create(
        family=family_row, school_year=school_year or current_school_year(clock.today()),
        status=status)


def school_year(start_year, **fields):
    """Another school year ``start_year/start_year+1`` (1 September to early July)."""
    return SchoolYear.create(label=f"{start_year}/{start_year + 1}",
                             start_date=datetime.date(start_year, 9, 1),
                             end_date=datetime.date(start_year + 1, 7, 3), **fields)


def activity(year, name, category=Activity.CL_MERCREDI, *, audience=Activity.FOR_ALL,
             weekdays="3", **fields):
    """An activity of ``year``'s catalogue (no modalité, no tariff)."""
    fields.setdefault("open_to_other_schools", True)
    return Activity.create(school_year=year, name=name, category=category, audience=audience,
                           weekdays=weekdays, **fields)
