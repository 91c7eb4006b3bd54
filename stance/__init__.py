"""stance's runtime: what a serving process needs and nothing more.

Labels, configuration, reading and checking labelled files, the model registry, the files of a
saved version, sentence splitting, the one inference path (`StanceClassifier`) and the labelling
of whole documents. `training/` (making and judging models), `service/` (HTTP) and `cli/` (the
`stance` command) build on it; it imports none of them.
"""

__version__ = "0.1.0"
