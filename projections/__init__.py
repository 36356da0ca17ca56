"""Read models (caseload, dropout risk, outcome, fidelity and capacity reports).

They follow the notification log with `engine.views`; the one lookup the rules need
today (the person register for R1) lives with the rules in `domain.register`.
"""
