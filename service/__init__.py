"""The HTTP service (BentoML) on the runtime's inference path; it never imports `training/`."""
