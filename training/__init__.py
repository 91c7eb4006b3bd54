"""stance: sentence-level assertion / denial / euphemism classification."""

__version__ = "0.1.0"
