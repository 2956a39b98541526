"""School years as data: which one is current."""
from models import SchoolYear


def current_school_year(today):
    """The school year ``today`` falls in; in the summer, the coming one; else the latest."""
    containing = (SchoolYear.select()
                  .where((SchoolYear.start_date <= today) & (SchoolYear.end_date >= today))
                  .first())
    if containing:
        return containing
    coming = (SchoolYear.select().where(SchoolYear.start_date > today)
              .order_by(SchoolYear.start_date).first())
    return coming or SchoolYear.select().order_by(SchoolYear.start_date.desc()).first()
