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


class OutputError(TexsandwichError):
    """An output that cannot be written: a read-only or full disk, a missing permission, a bad path."""


def environment_failure(e: BaseException) -> str | None:
    """One line for a failure of the machine rather than of texsandwich (a path the system refuses, a full
    disk, memory running out), or None for anything else, which stays a traceback because it is a bug.

    Why here: such errors can come from any library call that touches a file or allocates (pathlib's
    mkdir, shutil's copies, OpenEXR, torch), so the CLI turns them into its one-line errors at the two
    places everything passes through (one asset of a batch, and the command), not at each call.
    """
    if isinstance(e, OSError) and not isinstance(e, BrokenPipeError):
        where = f"{e.filename}: " if e.filename else ""
        return f"{where}{e.strerror or e}"
    if isinstance(e, MemoryError) or (isinstance(e, RuntimeError) and "can't allocate memory" in str(e)):
        return "out of memory (a smaller image, or fewer --jobs, needs less)"
    return None
