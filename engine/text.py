"""Sentences for people that another layer may say in another language.

The domain and the read models speak English in code: a refusal's sentence, a risk reason, an
agenda item. Where such a sentence carries values, it is a `Text`: the English sentence as a
plain ``str`` (so JSON, logs and comparisons see exactly what they always saw), with its
template and values kept, so that the command line can look the template up in a catalogue and
fill in the values as a Danish reader writes them (dates, decimals, the guide's terms).

A code name shown to people (a state, an event) is a `Term`: the code itself in English, looked
up under its context in Danish. `N_` marks a constant sentence for the catalogue.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark `message` for the catalogue; it stays as it is until it is shown."""
    return message


class Term(str):
    """A code name people read (``taster_placement``): itself in English, the guide's word in a
    translation (context ``state``: "snusepraktik")."""

    context: str

    def __new__(cls, context: str, code: str) -> Term:
        made = super().__new__(cls, code)
        made.context = context
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (Term, (self.context, str(self)))


class Text(str):
    """An English sentence made from a template and values, which keeps both."""

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, /, **values: Any) -> Text:
        made = super().__new__(cls, template.format(**{k: english(v) for k, v in values.items()}))
        made.template = template
        made.values = values
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        # The sentence as made, not made again from the template: a list's answers come back
        # from `engine.parallel`'s children pickled, thousands of sentences at a time.
        return (_text, (self.template, self.values, str(self)))


def _text(template: str, values: dict[str, Any], sentence: str | None = None) -> Text:
    if sentence is None:  # pickled before the sentence was kept
        return Text(template, **values)
    made = str.__new__(Text, sentence)
    made.template = template
    made.values = values
    return made


def english(value: Any) -> Any:
    """A value as it reads in the English sentence: lists joined by commas, the rest as they are."""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return value
