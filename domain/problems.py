"""Bad input refused by a rule of the domain, said next to the form field it concerns."""


class FieldProblem(ValueError):
    """A value refused: ``str()`` (and ``message``) is the French reason, ``field`` the
    form field it goes next to. Each area names its own kind (SchoolProblem,
    ClosureError...), so a view catches only what its rule raises."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field, self.message = field, message
