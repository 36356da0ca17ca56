"""brobyg replaces a few of eventsourcing's internals (`engine.overrides`): an upgrade of the
library must be noticed here, not found later as a silent change of behaviour."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import re

import pytest

from brobyg.engine import overrides
from brobyg.engine.overrides import OVERRIDES, RELIED_ON, WRITTEN_AGAINST


def resolve(target: str) -> object:
    module, _, qualname = target.partition(":")
    found: object = importlib.import_module(module)
    for name in qualname.split("."):
        found = getattr(found, name)  # AttributeError: the library no longer has it
    return found


def signature(target: str) -> str:
    return re.sub(r" at 0x[0-9a-f]+", "", str(inspect.signature(resolve(target))))  # type: ignore[arg-type]


def test_the_installed_eventsourcing_is_the_one_the_overrides_were_written_against() -> None:
    assert importlib.metadata.version("eventsourcing") == WRITTEN_AGAINST, (
        "eventsourcing was upgraded: review every override in brobyg/engine/overrides.py against the new "
        "version's code, then update each recorded signature and WRITTEN_AGAINST"
    )


@pytest.mark.parametrize("override", OVERRIDES, ids=lambda o: o.replaces)
def test_each_replaced_library_function_is_still_there_as_it_was(override: overrides.Override) -> None:
    assert signature(override.replaces) == override.signature
    assert override.replaces in (overrides.__doc__ or "")  # the docstring lists every override
    assert callable(resolve(f"brobyg.engine.overrides:{override.ours}"))


@pytest.mark.parametrize("reliance", RELIED_ON, ids=lambda r: r.target)
def test_each_library_internal_the_overrides_use_is_still_there_as_it_was(reliance: overrides.Reliance) -> None:
    assert signature(reliance.target) == reliance.signature


def test_the_processing_event_our_save_fills_still_has_its_parts() -> None:
    from eventsourcing.application import ProcessingEvent

    event = ProcessingEvent()
    assert (event.events, event.aggregates, event.saved_kwargs) == ([], {}, {})


def test_the_recorders_use_the_overrides() -> None:
    from brobyg.engine.claims import SQLiteClaimingRecorder
    from brobyg.engine.claims_postgres import PostgresClaimingRecorder

    assert SQLiteClaimingRecorder._insert_events is overrides.SQLiteRecorderOverrides._insert_events
    for name in ("insert_events", "select_events", "max_notification_id", "select_notifications"):
        assert getattr(PostgresClaimingRecorder, name) is getattr(overrides.PostgresRecorderOverrides, name)


def test_the_postgresql_factory_uses_the_overrides() -> None:
    from brobyg.engine.claims_postgres import LibpqFactory
    from brobyg.engine.store import parse_store_url

    assert LibpqFactory.env_create_table is overrides.PostgresFactoryOverrides.env_create_table
    assert LibpqFactory.__init__ is overrides.PostgresFactoryOverrides.__init__
    env = parse_store_url("postgresql://ann@db/cases").eventsourcing_env
    assert env["PERSISTENCE_MODULE"] == "brobyg.engine.claims_postgres:LibpqFactory"
