"""Client metrics per unit and month: ``outcomes.csv`` as given, ``visits.csv`` derived."""
