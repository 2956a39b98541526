"""« Mon enfant est malade »: a family declares its children absent for illness.

From today and for :data:`HORIZON_DAYS` days, even past the booking deadline, a
parent picks booked days of one child or several; each becomes an excused
attendance mark ("absent (malade)") with the medical certificate sent now or
within the commune's delay (``Commune.certificate_delay_days``). Staff accept or
refuse the certificate (audited). The monthly run never bills a day whose
certificate was accepted; any other declared day is billed as usual
(``domain.billing.run``). The canteen's meal counts leave declared days out
(``domain.booking.attendance.meal_counts``).
"""
import datetime
from dataclasses import dataclass

from domain import audit, clock, commune
from domain.clock import utc_now
from domain.files import store_bytes
from domain.transactions import write_transaction
from models import Activity, Attendance, Booking, Child, parse_id

#: How many days ahead a family may declare (today included).
HORIZON_DAYS = 14
#: What the family and staff read on a declared day.
LABEL = "absent (malade)"
REVIEW_LABELS = {Attendance.ILLNESS_PENDING: "justificatif à examiner",
                 Attendance.ILLNESS_ACCEPTED: "justificatif accepté",
                 Attendance.ILLNESS_REFUSED: "justificatif refusé"}
#: The justification kept on the mark, so the register says why the child is excused.
WITH_CERTIFICATE = "Maladie : certificat médical"
WITHOUT_CERTIFICATE = "Maladie : certificat attendu"


class IllnessError(ValueError):
    """A declaration or review refused; the French reason is the message."""


@dataclass
class DeclarableDay:
    """A booked day a family may declare, with its mark if already declared."""

    booking: Booking
    mark: Attendance | None

    @property
    def declared(self):
        return bool(self.mark and self.mark.illness)


def _window(today=None):
    today = today or clock.today()
    return today, today + datetime.timedelta(days=HORIZON_DAYS - 1)


def certificate_deadline(mark):
    """The last day the family may send the certificate of a declared day."""
    declared = (mark.declared_at or utc_now()).date()
    return declared + datetime.timedelta(days=commune.certificate_delay_days())


def status_text(mark):
    """What the family reads next to a declared day."""
    if mark.illness == Attendance.ILLNESS_PENDING and mark.certificate_id is None:
        return (f"{LABEL}, certificat à envoyer avant le "
                f"{certificate_deadline(mark).strftime('%d/%m/%Y')}")
    return f"{LABEL}, {REVIEW_LABELS.get(mark.illness, '')}"


def declarable_days(family):
    """[DeclarableDay] of the family's children's bookings from today for
    :data:`HORIZON_DAYS` days, by day and child. Two queries."""
    first, last = _window()
    bookings = list(Booking.select(Booking, Child, Activity).join(Child)
                    .switch(Booking).join(Activity)
                    .where((Child.family == family) & Child.archived_at.is_null()
                           & (Booking.date >= first) & (Booking.date <= last))
                    .order_by(Booking.date, Child.first_name, Child.id, Activity.position))
    if not bookings:
        return []
    marks = {(m.child_id, m.activity_id, m.date): m for m in Attendance.select().where(
        Attendance.child.in_({b.child_id for b in bookings})
        & (Attendance.date >= first) & (Attendance.date <= last))}
    return [DeclarableDay(b, marks.get((b.child_id, b.activity_id, b.date)))
            for b in bookings]


def declared_marks(family):
    """The family's declared days from today on, by day: what PLANNING shows."""
    return list(Attendance.select(Attendance, Child, Activity).join(Child)
                .switch(Attendance).join(Activity)
                .where((Child.family == family) & (Attendance.illness != "")
                       & (Attendance.date >= clock.today() - datetime.timedelta(days=31)))
                .order_by(Attendance.date, Child.first_name, Activity.position))


def declare(family, booking_ids, certificate, actor):
    """Declare the bookings ``booking_ids`` of ``family`` absent for illness, with the
    :class:`domain.uploads.CheckedUpload` ``certificate`` or None (to send later).
    Audited; returns the number of days declared. Raises :class:`IllnessError`."""
    ids = {parse_id(str(i)) for i in booking_ids}
    if None in ids:  # not an id (or past the column's range): the view says so
        raise ValueError(booking_ids)
    if not ids:
        raise IllnessError("Cochez au moins un jour d'absence.")
    first, last = _window()
    with write_transaction():
        bookings = list(Booking.select(Booking, Child, Activity).join(Child)
                        .switch(Booking).join(Activity)
                        .where(Booking.id.in_(ids) & (Child.family == family)
                               & (Booking.date >= first) & (Booking.date <= last)))
        if len(bookings) != len(ids):
            raise IllnessError("Un des jours cochés ne peut pas être déclaré : seuls les jours "
                               f"réservés d'aujourd'hui aux {HORIZON_DAYS} prochains jours "
                               "le peuvent.")
        marks = {booking.id: Attendance.get_or_none(
            (Attendance.child == booking.child_id) & (Attendance.activity == booking.activity_id)
            & (Attendance.date == booking.date)) for booking in bookings}
        # Declared already (its review, a refusal say, must stand) or seen present by
        # staff (the child came): the page offers neither, a forged POST gets neither.
        if any(mark is not None and (mark.illness or mark.status == Attendance.PRESENT)
               for mark in marks.values()):
            raise IllnessError("Un des jours cochés est déjà déclaré malade ou pointé présent "
                               "par le service : il ne peut pas l'être de nouveau.")
        stored = (store_bytes(certificate.data, certificate.filename,
                              certificate.content_type, family=family, user=actor)
                  if certificate else None)
        now = utc_now()
        for booking in bookings:
            mark = marks[booking.id]
            if mark is None:
                mark = Attendance(child=booking.child_id, activity=booking.activity_id,
                                  date=booking.date)
            mark.status, mark.marked_by, mark.marked_at = Attendance.EXCUSED, actor, now
            mark.illness, mark.declared_at = Attendance.ILLNESS_PENDING, now
            if stored is not None:
                mark.certificate = stored
            mark.justification = WITH_CERTIFICATE if mark.certificate_id else WITHOUT_CERTIFICATE
            mark.save()
        days = ", ".join(f"{b.child.first_name} {b.activity.name} {b.date.strftime('%d/%m/%Y')}"
                         for b in sorted(bookings, key=lambda b: (b.date, b.child.first_name)))
        audit.record(actor, family, audit.ILLNESS_DECLARED,
                     f"Absence pour maladie : {days}"
                     + (" (certificat joint)" if stored else " (certificat à envoyer)"))
    return len(bookings)


def add_certificate(family, mark_ids, certificate, actor):
    """Attach the certificate sent later to the family's declared days ``mark_ids``
    still waiting for one, within the commune's delay. Audited. Raises
    :class:`IllnessError`."""
    ids = {parse_id(str(i)) for i in mark_ids}
    if None in ids:
        raise ValueError(mark_ids)
    if not ids:
        raise IllnessError("Cochez les jours que ce certificat justifie.")
    with write_transaction():
        marks = list(Attendance.select(Attendance, Child).join(Child)
                     .where(Attendance.id.in_(ids) & (Child.family == family)
                            & (Attendance.illness == Attendance.ILLNESS_PENDING)))
        if len(marks) != len(ids):
            raise IllnessError("Un des jours cochés n'attend pas de certificat.")
        today = clock.today()
        for mark in marks:
            if today > certificate_deadline(mark):
                raise IllnessError(f"Le délai de {commune.certificate_delay_days()} jours pour "
                                   "envoyer le certificat est dépassé : ces jours sont facturés.")
        stored = store_bytes(certificate.data, certificate.filename, certificate.content_type,
                             family=family, user=actor)
        for mark in marks:
            mark.certificate, mark.justification = stored, WITH_CERTIFICATE
            mark.save()
        audit.record(actor, family, audit.ILLNESS_DECLARED,
                     "Certificat médical envoyé pour "
                     + ", ".join(f"{m.child.first_name} {m.date.strftime('%d/%m/%Y')}"
                                 for m in marks))


def review(mark_id, accepted, actor):
    """Staff accept or refuse the certificate of a declared day (audited); an accepted
    one keeps the day off the invoice. Raises :class:`IllnessError`."""
    with write_transaction():
        mark = (Attendance.select(Attendance, Child, Activity).join(Child)
                .switch(Attendance).join(Activity)
                .where((Attendance.id == mark_id) & (Attendance.illness != "")).first())
        if mark is None:
            raise IllnessError("Cette absence pour maladie n'existe pas.")
        if accepted and mark.certificate_id is None:
            raise IllnessError("Aucun certificat médical n'a été envoyé : il ne peut pas être "
                               "accepté.")
        before = mark.illness
        mark.illness = Attendance.ILLNESS_ACCEPTED if accepted else Attendance.ILLNESS_REFUSED
        mark.save()
        if before != mark.illness:
            audit.record(actor, mark.child.family_id, audit.ILLNESS_REVIEWED,
                         f"{mark.child.first_name} {mark.child.last_name}, {mark.activity.name}, "
                         f"{mark.date.strftime('%d/%m/%Y')} : {REVIEW_LABELS[mark.illness]}",
                         before=before, after=mark.illness)
    return mark
