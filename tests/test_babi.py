"""Tests of attnbook.babi: the simulator's stories, answers and supporting facts, the held-out
split and the encoding. (The module has no backward pass; the model's gradients are checked in
test_memnet.py.)"""

import zlib

import numpy as np
import pytest

from attnbook import babi as B


@pytest.fixture(scope="module")
def samples():
    return {task: B.generate(task, 300, seed=5) for task in B.TASKS}


def test_generation_is_seeded(samples):
    for task in B.TASKS:
        assert B.generate(task, 300, seed=5) == samples[task]
        assert B.generate(task, 300, seed=6) != samples[task]


def test_every_word_is_in_the_vocabulary(samples):
    vocab = set(B.vocabulary())
    for examples in samples.values():
        for e in examples:
            for text in e.story + (e.question, e.answer):
                assert set(text.split()) <= vocab, text
            assert len(e.question.split()) <= B.WORDS_PER_SENTENCE
            assert max(len(s.split()) for s in e.story) <= B.WORDS_PER_SENTENCE


def _mover(sentence):
    words = sentence.split()
    return (words[0], words[-1]) if words[-1] in B.PLACES else None


def test_single_and_yes_no_support_is_the_last_move(samples):
    for task in ("single", "yes_no"):
        for e in samples[task]:
            person = e.question.split()[-1] if task == "single" else e.question.split()[1]
            moves = [i for i, s in enumerate(e.story) if _mover(s) and _mover(s)[0] == person]
            assert e.support == (moves[-1],)
            here = _mover(e.story[moves[-1]])[1]
            if task == "single":
                assert e.answer == here
            else:
                assert e.answer == ("yes" if e.question.split()[-1] == here else "no")
    assert 0.4 < np.mean([e.answer == "yes" for e in samples["yes_no"]]) < 0.6


def test_two_supporting_facts(samples):
    for e in samples["two"]:
        obj = e.question.split()[-1]
        assert len(e.support) == 2
        touch, move = sorted(e.support, key=lambda i: obj not in e.story[i])
        assert obj in e.story[touch] and e.story[touch].split()[-1] == obj
        person, place = _mover(e.story[move])
        assert e.story[touch].startswith(person) and place == e.answer
        # nothing later touches the object, and its carrier does not move again while holding it
        assert not any(s.endswith(" " + obj) for s in e.story[touch + 1:])
        if any(v in e.story[touch] for v in ("dropped", "put down", "discarded", "left")):
            assert move < touch
        else:
            assert not any(_mover(s) and _mover(s)[0] == person for s in e.story[move + 1:])


def test_three_supporting_facts(samples):
    for e in samples["three"]:
        words = e.question.split()
        obj, now = words[3], words[-1]
        assert len(e.support) == 3 and e.answer != now
        first, grab, last = e.support[0], None, e.support[-1]
        assert _mover(e.story[last])[1] == now
        carrier = _mover(e.story[last])[0]
        grabs = [i for i in e.support if e.story[i].endswith(" " + obj)]
        assert len(grabs) == 1 and e.story[grabs[0]].startswith(carrier)
        places = [_mover(e.story[i])[1] for i in e.support if _mover(e.story[i])]
        assert e.answer in places


def test_held_out_halves_are_disjoint():
    train = B.generate("single", 2000, seed=1, held=False)
    test = B.generate("single", 500, seed=3, held=True)
    assert not any(B.held_out(e) for e in train) and all(B.held_out(e) for e in test)
    assert not {(e.story, e.question) for e in train} & {(e.story, e.question) for e in test}


def test_fixed_test_split():
    test = B.split("yes_no", "test")
    assert len(test) == 1000 and all(B.held_out(e) for e in test)
    assert B.split("yes_no", "test") is test  # cached
    with pytest.raises(ValueError, match="name must be one of"):
        B.split("yes_no", "dev")


def test_test_split_is_pinned():
    # the stories the book's stored outputs were made from (CRC-32 of their bAbI text):
    # a faster simulator must draw the same random numbers in the same order
    crc = {task: zlib.crc32(B.to_babi_text(B.split(task, "test")).encode())
           for task in B.TASKS}
    assert crc == {"single": 2762333186, "two": 1959434927, "three": 2412859323,
                   "yes_no": 4048113552}


def test_encode_shapes_and_padding(samples):
    examples = samples["three"][:5]
    stories, questions, lengths, answers = B.encode(examples, memory_size=24)
    assert stories.shape == (5, 24, B.WORDS_PER_SENTENCE) and questions.shape == (5, 7)
    vocab = B.vocabulary()
    for b, e in enumerate(examples):
        assert lengths[b] == len(e.story) and vocab[answers[b]] == e.answer
        for i, sentence in enumerate(e.story):
            assert " ".join(vocab[w] for w in stories[b, i] if w) == sentence
        assert " ".join(vocab[w] for w in questions[b] if w) == e.question
        assert (stories[b, lengths[b]:] == B.PAD).all()
    with pytest.raises(ValueError, match="more than memory_size"):
        B.encode(examples, memory_size=3)
    with pytest.raises(ValueError, match="no examples"):
        B.encode([])


def test_parse_question():
    assert B.parse_question("Where is Mary?") == "where is mary"
    with pytest.raises(ValueError, match="unknown word"):
        B.parse_question("where is bob")
    with pytest.raises(ValueError, match="empty"):
        B.parse_question(" ? ")
    with pytest.raises(TypeError):
        B.parse_question(3)


def test_bad_task():
    with pytest.raises(ValueError, match="task must be one of"):
        B.generate("four", 3)
    with pytest.raises(ValueError):
        B.generate("single", 0)


def test_babi_text_format():
    e = B.Example("single", ("mary went to the kitchen", "john moved to the office"),
                  "where is mary", "kitchen", (0,))
    assert B.to_babi_text([e]) == ("1 Mary went to the kitchen.\n2 John moved to the office.\n"
                                   "3 Where is mary?\tkitchen\t1\n")
    assert "1* mary went to the kitchen" in e.show()
