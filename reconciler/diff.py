"""The declared-fields diff: what differs between a desired body and a live one.

Only the paths the desired body declares are compared (kopf's `DiffScope`, DESIGN "fields left
out are unmanaged"), so unknown or undeclared live properties can never show up as changes.

Plain recursion rather than deepdiff: the scoping is the whole job here, and it needs rules
deepdiff does not have out of the box — an absent live property (`MISSING`) is not Graph's
`null`, a declared `inherit` (None) matches both, and `False`/`0`/`null` never compare equal.
Expressing that through deepdiff's include-paths and type options would be longer and harder to
read than the thirty lines below.
"""

from __future__ import annotations

from typing import Any

from reconciler.plan import MISSING, FieldChange

Path = tuple[str, ...]


def diff_declared(desired: dict[str, Any], live: dict[str, Any] | None) -> tuple[FieldChange, ...]:
    """The changes needed to make `live` match every declared leaf of `desired`, sorted by path.

    - A declared dict descends; under a live parent that is `null` each leaf's `before` is
      `None` (Graph's null: inherit), under an absent parent or a missing object it is `MISSING`.
    - Lists and scalars are leaves, compared whole (handlers sort lists before this).
    - A declared `None` matches a live `None` or an absent property.
    """
    changes: list[FieldChange] = []
    _diff_mapping(desired, MISSING if live is None else live, (), changes)
    return tuple(sorted(changes, key=lambda c: c.path))


def declared_leaves(desired: dict[str, Any]) -> tuple[FieldChange, ...]:
    """Every declared leaf as a change from absent, sorted by path: the fields of a create."""
    leaves: list[FieldChange] = []
    _collect_leaves(desired, (), leaves)
    return tuple(sorted(leaves, key=lambda c: c.path))


def values_equal(a: Any, b: Any) -> bool:
    """Equality as JSON means it: `True` is not `1`, `False` is not `0`, `1` equals `1.0`."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _diff_mapping(desired: dict[str, Any], live: Any, prefix: Path, out: list[FieldChange]) -> None:
    for key, want in desired.items():
        path = (*prefix, key)
        if isinstance(live, dict):
            have = live.get(key, MISSING)
        else:  # the live parent is absent (MISSING) or Graph's null: every leaf below inherits it
            have = live
        if isinstance(want, dict) and (have is MISSING or have is None or isinstance(have, dict)):
            _diff_mapping(want, have, path, out)
        elif not _leaf_matches(want, have):
            out.append(FieldChange(path=path, before=have, after=want))


def _leaf_matches(want: Any, have: Any) -> bool:
    if want is None:
        return have is None or have is MISSING
    return have is not MISSING and values_equal(want, have)


def _collect_leaves(desired: dict[str, Any], prefix: Path, out: list[FieldChange]) -> None:
    for key, want in desired.items():
        path = (*prefix, key)
        if isinstance(want, dict):  # an empty declared dict declares no leaf, as in the diff
            _collect_leaves(want, path, out)
        else:
            out.append(FieldChange(path=path, before=MISSING, after=want))
