"""A workflow definition: one unbound `transitions.Machine`, and the guards around it.

Aggregates are never bound to the machine (binding costs kilobytes and microseconds per
object and leaks). Instead the machine's events give a ``(state, trigger) -> target``
table, and the engine evaluates the guards itself so it can report *every* unmet rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from transitions import Machine

from brobyg.engine.rules import Violation
from brobyg.engine.text import Term, Text

S = TypeVar("S")

# A guard looks at the subject (an aggregate) and the command's arguments and returns
# what is wrong. It checks only the arguments it is given: a preview of what is possible
# (before anyone has typed the arguments) passes only what is known, such as the date.
Guard = Callable[[S, Mapping[str, Any]], Iterable[Violation]]


@dataclass(frozen=True)
class Transition:
    """An edge of the graph, and the event class that records it (so the application that
    writes and the tests that check share one mapping)."""

    trigger: str
    source: Sequence[str]
    dest: str
    event: type | None = None


@dataclass(frozen=True)
class TriggerCheck:
    trigger: str
    target: str | None
    violations: list[Violation]

    @property
    def allowed(self) -> bool:
        return not self.violations


@dataclass
class Workflow(Generic[S]):
    """States, transitions and guards of one kind of aggregate.

    `order_rules` names the rule (and, optionally, why) that refuses a trigger given from a
    state it has no edge from (e.g. starting the main course before completing the basic
    course); others are refused by `workflow_rule`.
    """

    name: str
    states: Sequence[str]
    initial: str
    transitions: Sequence[Transition]
    workflow_rule: str  # the rule id that refuses a trigger from a state it has no edge from
    guards: Mapping[str, Sequence[Guard[S]]] = field(default_factory=dict)
    order_rules: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # transitions accepts a state it was not told about and adds it: a typo would become a new state.
        named = {self.initial, *(s for t in self.transitions for s in (*t.source, t.dest))}
        unknown_states = named - set(self.states)
        if unknown_states:
            raise ValueError(f"workflow {self.name} names unknown states: {sorted(unknown_states)}")
        self.machine = Machine(
            model=None,
            states=list(self.states),
            transitions=[self._as_dict(t) for t in self.transitions],
            initial=self.initial,
            auto_transitions=False,
            name=self.name,
        )
        self._table: dict[tuple[str, str], str] = {}
        for trigger, event in self.machine.events.items():
            for source, transitions in event.transitions.items():
                (only,) = transitions  # one edge per (state, trigger): no conditional branching here
                self._table[(source, trigger)] = only.dest
        unknown = (set(self.guards) | set(self.order_rules)) - set(self.triggers)
        if unknown:
            raise ValueError(f"guards or order rules for unknown triggers: {sorted(unknown)}")
        self._events: dict[str, type] = {}
        for t in self.transitions:
            if t.event is not None and self._events.setdefault(t.trigger, t.event) is not t.event:
                raise ValueError(f"trigger {t.trigger} records two event classes")

    @staticmethod
    def _as_dict(t: Transition) -> dict[str, Any]:
        return {"trigger": t.trigger, "source": list(t.source), "dest": t.dest}

    @property
    def triggers(self) -> list[str]:
        return list(self.machine.events)

    @property
    def edges(self) -> set[tuple[str, str, str]]:
        """Every ``(source, trigger, dest)`` of the graph."""
        return {(s, t, d) for (s, t), d in self._table.items()}

    def event(self, trigger: str) -> type:
        """The event class that records `trigger`."""
        try:
            return self._events[trigger]
        except KeyError:
            raise KeyError(f"trigger {trigger} of workflow {self.name} names no event class") from None

    def dest_of(self, event: type, state: str) -> str | None:
        """Where an event of class `event` recorded in `state` leads, or None if no edge from
        `state` is recorded by it (a stored or imported event is checked against the graph)."""
        for t in self.transitions:
            if t.event is event and state in t.source:
                return t.dest
        return None

    def target(self, state: str, trigger: str) -> str | None:
        return self._table.get((state, trigger))

    def sources(self, trigger: str) -> list[str]:
        return [s for (s, t) in self._table if t == trigger]

    def triggers_from(self, state: str) -> list[str]:
        return [t for t in self.triggers if (state, t) in self._table]

    def check(self, subject: S, state: str, trigger: str, args: Mapping[str, Any]) -> TriggerCheck:
        """Every violation that stands in the way of `trigger` from `state`."""
        if trigger not in self.machine.events:
            raise KeyError(trigger)
        target = self.target(state, trigger)
        if target is None:
            rule, why = self.order_rules.get(trigger, (self.workflow_rule, ""))
            command, here = trigger.replace("_", "-"), Term("state", state)
            possible = [Term("state", s) for s in self.sources(trigger)]
            message = (
                Text(
                    "{command} is not possible from {state} (only from {possible}): {why}",
                    command=command,
                    state=here,
                    possible=possible,
                    why=why,
                )
                if why
                else Text(
                    "{command} is not possible from {state} (only from {possible})",
                    command=command,
                    state=here,
                    possible=possible,
                )
            )
            return TriggerCheck(trigger, None, [Violation(rule, message)])
        found = [v for guard in self.guards.get(trigger, ()) for v in guard(subject, args)]
        return TriggerCheck(trigger, target, found)

    def diagram(self, fmt: str = "mermaid") -> str:
        """The workflow as Mermaid text or DOT source, from the same definition."""
        # Imported here: diagrams are documentation, not part of any command's hot path.
        from transitions.extensions import GraphMachine

        engines = {"mermaid": "mermaid", "dot": "graphviz"}
        if fmt not in engines:
            raise ValueError(f"unknown diagram format {fmt!r}")

        class _Diagram:
            """A throwaway model: GraphMachine draws for a model, and aggregates are never bound."""

        model = _Diagram()
        GraphMachine(
            model=model,
            states=list(self.states),
            transitions=[self._as_dict(t) for t in self.transitions],
            initial=self.initial,
            auto_transitions=False,
            graph_engine=engines[fmt],
            title=self.name,
        )
        graph = model.get_graph()  # type: ignore[attr-defined]
        return str(graph.source if fmt == "dot" else graph.draw(None))
