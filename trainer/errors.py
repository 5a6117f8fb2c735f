"""Errors the user can fix. The CLI prints them as one line (`error: ...`) and exits with status 2."""


class ConfigError(Exception):
    """A mistake in a config file, a command-line argument or the packed data: the message names the file or
    field and says what to do next. Never raised for a bug in the trainer itself."""
