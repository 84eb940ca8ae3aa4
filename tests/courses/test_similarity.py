"""Shingles and MinHash: what the reviewer's similarity figure rests on."""

import os
import random
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courses.reports import similarity
from courses.reports.similarity import (
    estimate,
    exact_jaccard,
    most_similar,
    normalise,
    shared_passages,
    shingles,
    signature,
)

COMMON_HANZI = (0x4E00, 0x9FA5)


def sentence(rng: random.Random) -> str:
    """A sentence of random common hanzi, ending in Chinese punctuation."""
    body = "".join(chr(rng.randint(*COMMON_HANZI)) for _ in range(rng.randint(12, 30)))
    return body + rng.choice("。，；！")


def essay(seed: int, sentences: int = 60) -> list[str]:
    """A text of random sentences, deterministic for a seed (about 20 characters each)."""
    rng = random.Random(seed)
    return [sentence(rng) for _ in range(sentences)]


def rewrite(sentences: list[str], changed: int, seed: int = 0) -> list[str]:
    """The same text with `changed` sentences, spread out, replaced by new ones."""
    rng = random.Random(seed)
    copy = list(sentences)
    for index in rng.sample(range(len(copy)), changed):
        copy[index] = sentence(rng)
    return copy


def test_identical_texts_estimate_one():
    text = "".join(essay(1))
    assert estimate(signature(text), signature(text)) == 1.0
    assert exact_jaccard(text, text) == 1.0


def test_spacing_punctuation_and_full_width_forms_do_not_matter():
    written = "学习　党章，\n牢记使命！ＡＢＣ１２３。“不忘初心”"
    plain = "学习党章牢记使命abc123不忘初心"
    assert normalise(written) == plain
    assert signature(written) == signature(plain)


def test_unrelated_texts_estimate_near_zero():
    a, b = "".join(essay(1)), "".join(essay(2))
    assert exact_jaccard(a, b) < 0.01
    assert estimate(signature(a), signature(b)) < 0.05


def test_a_copy_with_a_few_sentences_changed_scores_high():
    original = essay(3)
    copy = "".join(rewrite(original, changed=6))
    exact = exact_jaccard("".join(original), copy)
    estimated = estimate(signature("".join(original)), signature(copy))
    assert 0.6 < exact < 0.95
    assert estimated > 0.6
    assert abs(estimated - exact) < 0.12


@pytest.mark.parametrize("changed", [3, 15, 30, 45])
def test_the_estimate_follows_the_exact_jaccard(changed):
    # 128 permutations: a standard error of at most 0.044, so 0.15 is over three of them.
    original = essay(10 + changed)
    copy = rewrite(original, changed, seed=changed)
    a, b = "".join(original), "".join(copy)
    assert abs(estimate(signature(a), signature(b)) - exact_jaccard(a, b)) < 0.15


def test_signature_has_the_configured_length_and_32_bit_values():
    sig = signature("".join(essay(4)))
    assert len(sig) == similarity.PERMUTATIONS
    assert all(0 <= value < 2**32 for value in sig)


def test_signature_does_not_change_between_processes():
    # Python's hash() is salted per process; stored signatures must outlive the process.
    text = "不忘初心、牢记使命，坚定理想信念。"
    code = f"from courses.reports.similarity import signature; print(signature({text!r}))"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ | {"PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert outputs == {str(signature(text))}


def test_signature_values_are_pinned():
    # Stored signatures are compared with new ones: changing the hashing invalidates them all.
    assert signature("中国共产党党员")[:4] == [3550074515, 633372044, 166353218, 2283928078]


def test_empty_and_short_texts():
    assert signature("") == [] and signature("，。 \n") == []
    assert estimate([], []) == 0.0 and exact_jaccard("", "") == 0.0
    assert shingles("党章") == {"党章"}
    assert estimate(signature("党章"), signature("党章")) == 1.0
    assert estimate(signature("党章"), [1, 2, 3]) == 0.0  # another length compares as nothing


def test_most_similar_prefers_the_earliest_of_equal_matches():
    text = "".join(essay(5))
    sig = signature(text)
    others = {7: sig, 3: sig, 9: signature("".join(essay(6)))}
    assert most_similar(sig, others) == (1.0, 3)
    assert most_similar(sig, {}) == (0.0, None)
    assert most_similar(sig, {4: signature("".join(essay(7)))})[1] is None


def test_shared_passages_mark_the_copied_sentence():
    copied = "坚持以马克思列宁主义为指导思想"
    text = f"我的体会很深。{copied}，这是根本。"
    other = f"另外一篇心得写道：{copied}！"
    segments = shared_passages(text, other)
    assert "".join(part for part, _ in segments) == text
    assert [part for part, shared in segments if shared] == [copied]


hanzi_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x4E40),
        st.sampled_from("，。 ！\nＡa1１"),
    ),
    max_size=120,
)


@settings(max_examples=60, deadline=None)
@given(hanzi_text, hanzi_text)
def test_estimate_is_symmetric_and_between_zero_and_one(a, b):
    sig_a, sig_b = signature(a), signature(b)
    assert estimate(sig_a, sig_b) == estimate(sig_b, sig_a)
    assert 0.0 <= estimate(sig_a, sig_b) <= 1.0
    assert 0.0 <= exact_jaccard(a, b) <= 1.0


@settings(max_examples=60, deadline=None)
@given(hanzi_text)
def test_signature_is_deterministic_and_matches_itself(text):
    assert signature(text) == signature(text)
    assert estimate(signature(text), signature(text)) == (1.0 if shingles(text) else 0.0)


@settings(max_examples=60, deadline=None)
@given(hanzi_text, hanzi_text)
def test_shared_passages_give_back_the_text(text, other):
    segments = shared_passages(text, other)
    assert "".join(part for part, _ in segments) == unicodedata.normalize("NFC", text)
