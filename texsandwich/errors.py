"""Error types with the exit codes the CLI maps them to.

Every failure a user can cause is one of these, so the CLI can print a single line and exit
without a traceback: 2 for a wrong invocation (usage), 1 for bad or unreadable data.
"""


class TexsandwichError(Exception):
    """Base class: a problem with the user's data (exit code 1)."""

    exit_code = 1


class UsageError(TexsandwichError):
    """A wrong option or combination of options (exit code 2)."""

    exit_code = 2


class InputError(TexsandwichError):
    """An input file that is missing, unreadable or of a kind the recipe cannot take."""


class CodecError(TexsandwichError):
    """A codec refused the planes or the bitstream."""
