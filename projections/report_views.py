"""Aggregate report views in the database, for an analyst's login: counts, never a person.

An analyst (`engine.access`) may read these and nothing else: no events, no facts naming a
case, a mentor or a birth date.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

# Each view: its name and the query behind it (over the read models' facts, `projections.facts`).
REPORT_VIEWS = {
    # How many pathways of each year's intake are in each state now (PostgreSQL: DISTINCT ON).
    "report_states_by_cohort": (
        "SELECT CAST(EXTRACT(YEAR FROM p.referred_on) AS integer) AS cohort, t.state, count(*) AS pathways"
        " FROM {schema}.rm_pathways p JOIN ("
        "  SELECT DISTINCT ON (stream) stream, state FROM {schema}.rm_transitions ORDER BY stream, seq DESC"
        " ) t ON t.stream = p.stream GROUP BY 1, 2"
    ),
}


def create_report_views(engine: Any, schema: str) -> list[str]:
    """Create (or replace) the views in `schema`; returns their names."""
    quoted = '"' + schema.replace('"', '""') + '"'
    with engine.begin() as conn:
        for name, query in REPORT_VIEWS.items():
            conn.execute(sa.text(f'CREATE OR REPLACE VIEW {quoted}."{name}" AS {query.format(schema=quoted)}'))
    return list(REPORT_VIEWS)
