"""The HTTP service (BentoML) on top of the training package's inference path."""
