"""Error classes that encode what happens next (after dolma's): the CLI prints them as one line."""


class UserError(Exception):
    """A mistake the user can fix (bad config, missing file, changed stage): one line, exit code 2."""


class ShardError(Exception):
    """One shard of a stage failed; the message names the stage, the shard and its input.

    The run stops; finished shards stay, so rerunning the same command resumes after the fix.
    """
