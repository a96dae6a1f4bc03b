"""Reports from the database: aggregate in SQL, hand plain frames to ``reports``."""
