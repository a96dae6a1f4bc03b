"""The pure statistics core: arrays and data frames in, frozen dataclasses out.

Nothing here imports the web layer or the database; the adapters in ``engage.reporting``
feed it aggregated frames.
"""
