"""The organisation: units as a tree, the roster of people, and their import."""
