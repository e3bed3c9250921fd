"""Showing text that came from users (job names, key names, paths) on one line of a terminal.

A job name may hold any character but NUL (docs/derivation.md, "Text"), ESC and line breaks included.
Printed raw, ``\\x1b[2J`` clears the screen and a newline splits a table row or an error line in two, so
every table cell and message goes through one of these functions first. Names themselves never change.
"""

from __future__ import annotations

__all__ = ["one_line", "printable"]

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def one_line(text: str) -> str:
    """``text`` with every character that is not printable (controls, line and paragraph separators,
    format characters such as U+202E, spaces other than the ASCII one, lone surrogates) as a backslash
    escape; printable text is unchanged."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def printable(text: str) -> str:
    """A name for a table cell: as it is when every character is printable and it does not start with a
    double quote; otherwise in double quotes with escapes (``"a\\x1b[31m"``), so a quoted cell can never
    be mistaken for a name shown as it is."""
    if text.isprintable() and not text.startswith('"'):
        return text
    inner = "".join('\\"' if c == '"' else "\\\\" if c == "\\" else c if c.isprintable() else _escape(c)
                    for c in text)
    return f'"{inner}"'
