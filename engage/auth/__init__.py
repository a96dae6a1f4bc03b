"""Logins, sessions and roles."""
