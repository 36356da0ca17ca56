"""Read models: caseloads, dropout risk, outcome, fidelity and capacity reports.

Facts follow the notification log into SQLAlchemy tables (`projections.facts`, kept by
`engine.views`); the views are computed from them as of a date.
"""
