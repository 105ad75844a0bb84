"""The catalogue importer: national-portal data (three public datasets) → ``Procedure`` seed file.

Pure parsing functions, one module per dataset (``national`` = A, ``details`` = B, ``popularity`` = C),
``merge`` joins them by code and writes the seed, ``cli`` is the ``dvc-catalog-import`` command.
See ``docs/catalog-sources.md`` (the datasets) and ``cli.py`` (the parsing choices).
"""
