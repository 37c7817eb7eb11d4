"""Room codes, tokens and the refusal every poll function raises: pure Python, no database.

Everything a student's link can carry is checked here, before any database is touched.

Room codes
----------
Six characters from Crockford's base-32 alphabet (digits and capital letters without I, L, O and
U), shown in two halves as ``K7P-4QX``. Why this alphabet:

* it is easy to read aloud and to type from a projector: the letters that look like digits
  (I, L, O) are not in it, and when a student types them anyway they are read as the digit they
  look like (O -> 0, I and L -> 1), as Crockford's decoding rule says; case, spaces and dashes
  do not matter either;
* 32 symbols make 6 characters 30 bits: about 1.07e9 codes. With at most ``MAX_OPEN_ROOMS``
  rooms alive, one guess finds a live room with probability under 5e-7, and a found code only
  lets a stranger vote: running a room needs the host secret (192 random bits), which is never
  stored, only its SHA-256.

Tokens
------
Voter and creator tokens are opaque strings made by the app (for example
``secrets.token_urlsafe(16)`` kept in the student's link or a cookie): 8 to 64 characters of
``A-Z a-z 0-9 _ -``. The host secret is ``secrets.token_urlsafe(SECRET_BYTES)``.

>>> normalise_code(" k7p-4qx ")
'K7P4QX'
>>> normalise_code("k7p 4qo")  # O is read as zero
'K7P4Q0'
>>> format_code("K7P4QX")
'K7P-4QX'
"""

from __future__ import annotations

import re
import secrets
from enum import StrEnum

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "MAX_CODE_INPUT",
    "SECRET_BYTES",
    "TOKEN_MAX",
    "TOKEN_MIN",
    "PollError",
    "Reason",
    "check_secret",
    "check_token",
    "format_code",
    "new_code",
    "new_secret",
    "normalise_code",
]

#: Crockford's base 32: 0-9 and A-Z without I, L, O, U
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: characters in a room code (30 bits)
CODE_LENGTH = 6
#: longest text accepted as a typed room code before it is cleaned (spaces and dashes included)
MAX_CODE_INPUT = 16
#: what a student may type that means one of the alphabet's characters (Crockford's decoding)
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
#: separators a typed code may carry
_SEPARATORS = str.maketrans("", "", " -_.")

#: shortest and longest voter or creator token
TOKEN_MIN = 8
TOKEN_MAX = 64
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
#: random bytes in a host secret (``token_urlsafe`` writes 4 characters per 3 bytes: 32 here)
SECRET_BYTES = 24
_SECRET_LEN = (SECRET_BYTES * 4 + 2) // 3


class Reason(StrEnum):
    """Why a poll function refused: for the UI's logic (the message is for people)."""

    BAD_CODE = "bad code"
    BAD_TOKEN = "bad token"
    BAD_OPTION = "bad option"
    BAD_QUESTION = "bad question"
    NO_ROOM = "no room"
    NOT_HOST = "not host"
    CLOSED = "closed"
    NO_QUESTION = "no question"
    MOVED_ON = "moved on"
    REVEALED = "revealed"
    ALREADY_VOTED = "already voted"
    TOO_MANY_ROOMS = "too many rooms"
    ROOM_FULL = "room full"
    TOO_FAST = "too fast"
    UNAVAILABLE = "unavailable"


class PollError(Exception):
    """A refusal: ``str(err)`` is a sentence a student or a teacher can read on the page.

    Parameters
    ----------
    reason : Reason
        What kind of refusal (stable, for the UI's logic and the tests).
    message : str
        The sentence to show. It never repeats what the visitor typed.
    """

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def normalise_code(raw: object) -> str:
    """The canonical six-character code for what a student typed or a link carried.

    Case, spaces, dashes, underscores and dots are ignored; O reads as 0, I and L as 1.

    Parameters
    ----------
    raw : object
        Anything; only a ``str`` of at most ``MAX_CODE_INPUT`` ASCII characters can pass.

    Returns
    -------
    str
        ``CODE_LENGTH`` characters of ``CODE_ALPHABET``.

    Raises
    ------
    PollError
        ``Reason.BAD_CODE`` for anything else (too long, odd characters, wrong length).
    """
    bad = PollError(Reason.BAD_CODE, "That is not a room code: a code looks like K7P-4QX.")
    if not isinstance(raw, str) or len(raw) > MAX_CODE_INPUT or not raw.isascii():
        raise bad
    code = raw.translate(_SEPARATORS).upper().translate(_LOOKALIKES)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        raise bad
    return code


def format_code(code: str) -> str:
    """A canonical code as people read it: two halves joined by a dash (``K7P-4QX``)."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def new_code() -> str:
    """A random canonical room code (``secrets``, not ``random``)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_secret() -> str:
    """A random host secret: ``SECRET_BYTES`` bytes, URL-safe base 64."""
    return secrets.token_urlsafe(SECRET_BYTES)


def check_token(token: object, what: str = "voter") -> str:
    """A voter or creator token, checked: ``TOKEN_MIN``..``TOKEN_MAX`` of ``A-Za-z0-9_-``.

    Raises
    ------
    PollError
        ``Reason.BAD_TOKEN`` otherwise.
    """
    if (
        not isinstance(token, str)
        or not TOKEN_MIN <= len(token) <= TOKEN_MAX
        or not _TOKEN.fullmatch(token)
    ):
        raise PollError(
            Reason.BAD_TOKEN,
            f"The {what} id this page sent is not valid: open the poll link again.",
        )
    return token


def check_secret(secret: object) -> str:
    """A host secret, checked for shape (not for being right: the database knows that).

    Raises
    ------
    PollError
        ``Reason.NOT_HOST`` if it cannot be a secret this module made.
    """
    if not isinstance(secret, str) or len(secret) != _SECRET_LEN or not _TOKEN.fullmatch(secret):
        raise PollError(Reason.NOT_HOST, "Only the teacher who started this room can run it.")
    return secret
