"""Booking: inscription lines, the calendar, pending changes and TERMINER."""
