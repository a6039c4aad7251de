"""OData bits shared by every Graph query crosstenant builds."""


def literal(value: str) -> str:
    """A string literal for `$filter` or a function parameter: quoted, inner quotes doubled (ENDPOINTS §4.5)."""
    return "'" + value.replace("'", "''") + "'"
