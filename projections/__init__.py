"""Read models: caseloads, dropout risk, outcome, fidelity and capacity reports.

Facts follow the notification log into SQLAlchemy tables (`projections.facts`, kept up to
date by `engine.read_models`); caseloads, risk and reports are computed from them as of a date.
"""
