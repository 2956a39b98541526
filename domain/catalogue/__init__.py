"""The catalogue of a school year: years, the school calendar, opening days."""
