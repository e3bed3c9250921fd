"""Text that is safe to print on a terminal: control characters and lone surrogates made visible.

A job name or run id may hold an ESC (which would let a ledger rewrite the user's terminal) or a
newline (which would forge table rows); tables and reports print them escaped, the way Python's
``repr`` writes them (``\\x1b``, ``\\n``), and leave every printable character, non-ASCII included, alone.
"""

from __future__ import annotations

__all__ = ["printable"]

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` with C0 and C1 control characters, DEL, lone surrogates and other unprintable code points
    escaped; backslashes are doubled only when something was escaped, so plain paths read as they are."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() and ch != "\\":
            out.append(ch)
        elif ch == "\\":
            out.append("\\\\")
        else:
            out.append(_escape(ch))
    return "".join(out)
