"""The survey domain: item bank, waves, invitations, anonymous answers.

Its pure parts carry no web or database imports (see tests/unit/test_layering.py).
"""
