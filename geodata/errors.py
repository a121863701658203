"""One exception family for errors a user can cause.

The CLI prints these without a traceback and exits non-zero; the API maps them to 4xx.
"""


class LoftesplanError(Exception):
    """Base class: an error with a message a planner understands."""

    status_code = 400


class UnknownMunicipalityError(LoftesplanError, LookupError):
    """A municipality name or code that matches none of the 290 kommuner."""

    status_code = 404


class InvalidInputError(LoftesplanError, ValueError):
    """Input that is malformed or out of range (GeoJSON, coordinates, counts, radii)."""

    status_code = 422


class DataUnavailableError(LoftesplanError):
    """Data that cannot be had: offline with no file and no cache, or a file that fails to read."""

    status_code = 503


class AreaNotCoveredError(LoftesplanError):
    """A data file that does not cover the requested area."""

    status_code = 422


class InfeasibleError(LoftesplanError):
    """A planning request that cannot be satisfied (e.g. more sites than candidates)."""

    status_code = 422
