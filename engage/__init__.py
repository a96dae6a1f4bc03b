"""engage: anonymous staff pulse surveys linked to client outcomes."""

__version__ = "0.1.0"
