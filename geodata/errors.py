"""One exception family for errors a user can cause.

The CLI prints these without a traceback and exits non-zero; the API maps them to 4xx.
"""


class LoftesplanError(Exception):
    """Base class: an error with a message a planner understands.

    The message describes the problem in a planner's Swedish and names no command-line flag
    (API users see it too). ``field`` names the request field the problem concerns (``count``,
    ``osm_file``, ...); the CLI turns it into its flag hint, the API may show it beside the form.
    """

    status_code = 400

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownMunicipalityError(LoftesplanError, LookupError):
    """A municipality name or code that matches none of the 290 kommuner."""

    status_code = 404


class InvalidInputError(LoftesplanError, ValueError):
    """Input that is malformed or out of range (GeoJSON, coordinates, counts, radii)."""

    status_code = 422


class DataUnavailableError(LoftesplanError):
    """Data that cannot be had: offline with no file and no cache, or a file that fails to read.

    ``field`` names where the data would come from (``osm_file``, ``archive``, ``boundary``);
    the CLI adds its flag and import command, the API its own advice.
    """

    status_code = 503


class AreaNotCoveredError(LoftesplanError):
    """A data file that does not cover the requested area."""

    status_code = 422


class InfeasibleError(LoftesplanError):
    """A planning request that cannot be satisfied (e.g. more sites than candidates)."""

    status_code = 422
