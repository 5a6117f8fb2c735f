"""Toxicity scorers for the ``toxicity`` stage: the built-in offline one and fastText plug-ins."""
