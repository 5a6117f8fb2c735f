"""The base class of every typed config section: unknown keys are errors, not silently ignored."""

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A block of a YAML config. `extra="forbid"` turns a typo (`optim.lrr`) into an error naming the key."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
