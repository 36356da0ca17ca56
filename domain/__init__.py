"""The guide as code: the pathway workflow, rules R1–R15, events, aggregates and the
application service that is the only writer."""
