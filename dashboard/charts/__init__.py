"""Charts by name for the screen, the exports and the report pack (see ``catalogue``)."""
