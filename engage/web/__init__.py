"""HTTP: controllers, templates and the security wiring."""
