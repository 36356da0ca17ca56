"""Generic event-sourced state machines.

Nothing in this package knows about mentors, schools or young people: it offers a
workflow definition on `transitions`, an aggregate base on `eventsourcing`, rule
evaluation that reports every unmet rule, an injectable clock, the store chosen by
one URL, and tracked read models that follow the notification log.
"""
