"""The one exception every service raises for a broken rule."""


class DomainError(Exception):
    """A rule said no: `code` is stable for tests and clients, `message` is for people."""

    status = 400

    def __init__(self, code: str, message: str = "", *, status: int | None = None, **details) -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or code
        self.details = details
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return str(self.message)


class NotFound(DomainError):
    """The thing does not exist, or the signed-in person may not see it (same answer)."""

    status = 404

    def __init__(self, message: str = "") -> None:
        super().__init__("not_found", message or "not found")


class Forbidden(DomainError):
    """The signed-in person lacks the role for this."""

    status = 403

    def __init__(self, message: str = "") -> None:
        super().__init__("forbidden", message or "forbidden")
