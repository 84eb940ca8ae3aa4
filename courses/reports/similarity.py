"""How alike two texts are: Chinese-aware shingles and MinHash signatures. Pure functions.

Chinese has no spaces between words, so texts are compared by overlapping runs of
`SHINGLE_CHARS` characters after normalisation (NFKC, case folded, only letters and digits
kept). A MinHash signature of `PERMUTATIONS` values estimates the Jaccard similarity of two
shingle sets; signatures are stored, so comparing a new report with thousands of earlier ones
never reads their texts again.

Every hash is derived from BLAKE2b, never from Python's `hash()`, which is salted per process:
a signature computed today must still match one computed by another server next year.
"""

import operator
import unicodedata
from collections.abc import Sequence
from hashlib import blake2b
from itertools import groupby
from operator import itemgetter

SHINGLE_CHARS = 5
PERMUTATIONS = 128
# A Mersenne prime above every 61-bit shingle hash: (a·x + b) mod P is a universal hash family.
_PRIME = (1 << 61) - 1
_SIGNATURE_MASK = (1 << 32) - 1  # 32-bit values keep stored signatures small


def _hash64(data: bytes) -> int:
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "big")


def _permutation(i: int) -> tuple[int, int]:
    seed = _hash64(f"partyschool-minhash-a-{i}".encode())
    a = seed % (_PRIME - 1) + 1  # never 0, or the permutation would be constant
    return a, _hash64(f"partyschool-minhash-b-{i}".encode()) % _PRIME


_PERMUTATIONS = tuple(_permutation(i) for i in range(PERMUTATIONS))


def _is_kept(char: str) -> bool:
    # Letters (including every CJK ideograph) and digits carry meaning; whitespace,
    # punctuation (ASCII and full-width alike), symbols and control characters do not.
    return unicodedata.category(char)[0] in "LN"


def _normalised_chars(text: str) -> list[tuple[str, int]]:
    """Each kept normalised character, with its index in NFC(text)."""
    chars = []
    # Per character, so every normalised character maps back to where it was written.
    for index, char in enumerate(unicodedata.normalize("NFC", text)):
        for folded in unicodedata.normalize("NFKC", char).casefold():
            if _is_kept(folded):
                chars.append((folded, index))
    return chars


def normalise(text: str) -> str:
    """The text reduced to what is compared: NFKC, case folded, no spaces or punctuation."""
    return "".join(char for char, _ in _normalised_chars(text))


def shingles(text: str, k: int = SHINGLE_CHARS) -> set[str]:
    """The set of runs of `k` consecutive characters of the normalised text."""
    chars = normalise(text)
    if len(chars) <= k:
        return {chars} if chars else set()
    return {chars[i : i + k] for i in range(len(chars) - k + 1)}


def signature(text: str) -> list[int]:
    """The MinHash signature of a text; empty for a text with nothing to compare."""
    hashes = [_hash64(s.encode()) % _PRIME for s in shingles(text)]
    if not hashes:
        return []
    return [min((a * x + b) % _PRIME for x in hashes) & _SIGNATURE_MASK for a, b in _PERMUTATIONS]


def estimate(sig_a: Sequence[int], sig_b: Sequence[int]) -> float:
    """The Jaccard similarity the two signatures estimate, from 0.0 to 1.0.

    Signatures of different lengths (an empty text, or another number of permutations) have
    nothing in common to count, so they estimate 0.0.
    """
    if not sig_a or len(sig_a) != len(sig_b):
        return 0.0
    return sum(map(operator.eq, sig_a, sig_b)) / len(sig_a)


def exact_jaccard(text_a: str, text_b: str) -> float:
    """The exact Jaccard similarity of the shingle sets, which `estimate` approximates."""
    a, b = shingles(text_a), shingles(text_b)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def most_similar(sig: Sequence[int], others: dict[int, Sequence[int]]) -> tuple[float, int | None]:
    """The highest estimate against `others` (by id) and its id; ties go to the lowest id."""
    best, best_id = 0.0, None
    for other_id in sorted(others):
        score = estimate(sig, others[other_id])
        if score > best:
            best, best_id = score, other_id
    return best, best_id


def shared_passages(text: str, other: str, k: int = SHINGLE_CHARS) -> list[tuple[str, bool]]:
    """NFC(text) cut into segments, each flagged True when it also occurs in `other`.

    A character is shared when it lies in a run of `k` normalised characters that `other`
    contains too; punctuation inside such a run is shared with it. Joining the segments gives
    back NFC(text).
    """
    shown = unicodedata.normalize("NFC", text)
    chars = _normalised_chars(text)
    common = shingles(other, k)
    marked = [False] * len(shown)
    runs = [chars] if len(chars) <= k else [chars[i : i + k] for i in range(len(chars) - k + 1)]
    for run in runs:
        if run and "".join(char for char, _ in run) in common:
            for index in range(run[0][1], run[-1][1] + 1):
                marked[index] = True
    return [
        ("".join(char for char, _ in group), is_shared)
        for is_shared, group in groupby(zip(shown, marked, strict=True), key=itemgetter(1))
    ]
