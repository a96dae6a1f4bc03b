"""Training: the module catalogue, assignments, completions, reminders and recommendations.

Assignments and completions are person-level records. Nothing here reads or writes survey
answers, and no page shows them beside a person's name.
"""
