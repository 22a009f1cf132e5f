"""The ``svdash`` command line: one entry point over the ETL, the exports and the app."""
