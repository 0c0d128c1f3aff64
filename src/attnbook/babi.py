r"""Chapter 12's data: bAbI-style stories from a small simulated world, with questions, answers
and the sentences that support each answer.

A story is what happens in a house: four people walk between six places and pick up, carry and
drop three objects, one short sentence per event (*"mary went to the kitchen"*, *"john grabbed
the milk"*). At the end of the story comes a question. The simulator knows the true state of
the world at every sentence, so it knows the answer *and* which sentences an answer rests on —
the supporting facts a memory network should look at.

Four tasks, after Weston et al. (2015), "Towards AI-complete question answering":

======================== ================================================ ========= =========
task                     question (example)                               answers   supports
======================== ================================================ ========= =========
``single``               where is mary                                    6 places  1
``two``                  where is the milk                                6 places  2
``three``                where was the milk before the office             6 places  3
``yes_no``               is mary in the kitchen                           yes, no   1
======================== ================================================ ========= =========

* ``single`` (bAbI task 1): the person's last move.
* ``two`` (bAbI task 2): the object's last pick-up or drop, and the last move of the person
  who did it (up to the drop, if it was dropped).
* ``three`` (bAbI task 3): the object's location before the place it is in now, where the
  question's place occurs only once in the object's path. Supports: the move (or the holder's
  move at pick-up) that put the object in its previous place, the pick-up by the person who
  carried it on, and that person's move into the question's place.
* ``yes_no`` (bAbI task 6): the person's last move; the place asked about is the right one half
  of the time.

Datasheet
---------
* **How it is made.** :func:`generate` simulates a story of ``n`` events  then asks a question that the story answers (a story that answers none
  is drawn again); the generator is Python's ``random.Random`` seeded with a string naming the
  task and seed, so the stories are the same on every machine. In ``single`` and ``yes_no`` stories people only move (as in bAbI); in
  ``two`` and ``three`` an event is a pick-up (25 %) or a drop (15 %) when one is possible,
  and a move otherwise (one may only pick up a free object in one's own place; the first pick-up of an
  object places it). Every move goes to a different place. Verbs are drawn from
  :data:`MOVE_VERBS`, :data:`GRAB_VERBS` and :data:`DROP_VERBS`.
* **Sizes** (:func:`split`): per task 10,000 training, 1,000 validation and 1,000 test
  questions, from three different seeds, one question per story. Every possible story with its
  question falls in one of two halves by a hash of its text (:func:`held_out`): training draws
  only from one half, validation and test only from the other, so no test question was seen
  in training (short stories recur: there are only so many two-sentence stories). Story lengths: ``single``/``yes_no`` 2–10 sentences,
  ``two`` 4–16, ``three`` 6–20 (:data:`STORY_LENGTHS`).
* **Vocabulary.** 37 words (:func:`vocabulary`, after a padding symbol): 4 people, 6 places,
  3 objects, the verbs, *the*, *to*, *back*, *up*, *down*, the question words, *yes* and *no*.
  Lower case, no punctuation.
* **Label balance.** Places are drawn uniformly, so each of the 6 answers has about 1/6 of the
  questions; ``yes_no`` is balanced by construction (:func:`answer_counts` counts them).
* **Known differences from Weston et al.'s bAbI** (v1.2): one question per story, at its end
  (bAbI asks several questions during a story, and its tasks 2 and 3 have much longer stories,
  of which Sukhbaatar et al. keep the 50 most recent sentences in memory); a smaller
  world (bAbI has more places and objects, and task 1 stories mention only moves, as here);
  our task 3 avoids questions whose place the object visited twice, which bAbI does not; our
  supports are computed by one rule per task (bAbI's are its generator's). Our 10,000
  training questions match the size of bAbI's "10k" set, not the "1k" set of the paper's
  main table. Known biases: nobody is asked about before their first move, and no object
  before it is first picked up.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ._checks import positive_int

__all__ = [
    "TASKS",
    "TASK_NAMES",
    "PEOPLE",
    "PLACES",
    "OBJECTS",
    "MOVE_VERBS",
    "GRAB_VERBS",
    "DROP_VERBS",
    "STORY_LENGTHS",
    "Example",
    "generate",
    "held_out",
    "split",
    "vocabulary",
    "answer_words",
    "encode",
    "answer_counts",
    "to_babi_text",
    "parse_question",
    "PAD",
]

TASKS = ("single", "two", "three", "yes_no")
TASK_NAMES = {"single": "single supporting fact", "two": "two supporting facts",
              "three": "three supporting facts", "yes_no": "yes/no questions"}
PEOPLE = ("mary", "john", "sandra", "daniel")
PLACES = ("kitchen", "garden", "hallway", "bathroom", "office", "bedroom")
OBJECTS = ("apple", "football", "milk")
MOVE_VERBS = ("went to", "moved to", "journeyed to", "travelled to", "went back to")
GRAB_VERBS = ("picked up", "got", "grabbed", "took")
DROP_VERBS = ("dropped", "put down", "discarded", "left")
STORY_LENGTHS = {"single": (2, 10), "two": (4, 16), "three": (6, 20), "yes_no": (2, 10)}
SPLIT_SIZES = {"train": 10_000, "valid": 1_000, "test": 1_000}
SPLIT_SEEDS = {"train": 1, "valid": 2, "test": 3}
PAD = 0  # id of the padding word in :func:`encode`


@dataclass(frozen=True)
class Example:
    """One story, its question, the answer and the supporting sentences (0-based indices)."""

    task: str
    story: tuple[str, ...]
    question: str
    answer: str
    support: tuple[int, ...]

    def show(self) -> str:
        """The story as numbered lines, supporting sentences starred, then question and answer."""
        lines = [f"{i + 1:2d}{'*' if i in self.support else ' '} {s}"
                 for i, s in enumerate(self.story)]
        return "\n".join(lines + [f"    {self.question}?  {self.answer}"])


#: the places a move from ``here`` may go to (any place for a person not yet placed)
_ELSEWHERE = {here: tuple(p for p in PLACES if p != here)
              for here in PLACES + (None,)}


@dataclass
class _World:
    rng: random.Random
    where: dict = field(default_factory=dict)        # person -> place
    last_move: dict = field(default_factory=dict)    # person -> sentence index
    holder: dict = field(default_factory=dict)       # object -> person (absent: free)
    place_of: dict = field(default_factory=dict)     # free object -> place (absent: unknown)
    last_touch: dict = field(default_factory=dict)   # object -> (sentence, person, "grab"/"drop")
    mover_at_touch: dict = field(default_factory=dict)  # object -> move index of the toucher
    visits: dict = field(default_factory=dict)       # object -> [(place, evidence index)]
    grabs: dict = field(default_factory=dict)        # object -> [grab sentence indices]
    story: list = field(default_factory=list)

    def __post_init__(self):
        self.pick = self.rng.choice  # options[randrange(len(options))], same draws

    def move(self, person):
        place = self.pick(_ELSEWHERE[self.where.get(person)])
        i = len(self.story)
        self.story.append(f"{person} {self.pick(MOVE_VERBS)} the {place}")
        self.where[person], self.last_move[person] = place, i
        if self.holder:
            for obj, who in self.holder.items():
                if who == person:
                    self.visits[obj].append((place, i))

    def grab(self, person, obj):
        i = len(self.story)
        self.story.append(f"{person} {self.pick(GRAB_VERBS)} the {obj}")
        self.holder[obj] = person
        self.place_of.pop(obj, None)
        self.last_touch[obj] = (i, person, "grab")
        self.mover_at_touch[obj] = self.last_move[person]
        self.grabs.setdefault(obj, []).append(i)
        path = self.visits.setdefault(obj, [])
        if not path or path[-1][0] != self.where[person]:
            path.append((self.where[person], self.last_move[person]))

    def drop(self, person, obj):
        i = len(self.story)
        self.story.append(f"{person} {self.pick(DROP_VERBS)} the {obj}")
        del self.holder[obj]
        self.place_of[obj] = self.where[person]
        self.last_touch[obj] = (i, person, "drop")
        self.mover_at_touch[obj] = self.last_move[person]

    def step(self, objects: bool):
        r = self.rng.random()
        if objects and r < 0.40:  # list the grabs or drops only when one may happen
            where, holder, place_of = self.where, self.holder, self.place_of
            if r < 0.25:
                grabs = [(p, o) for p in PEOPLE if p in where for o in OBJECTS
                         if o not in holder
                         and place_of.get(o, where[p]) == where[p]]
                if grabs:
                    return self.grab(*self.pick(grabs))
            elif holder:
                return self.drop(*self.pick([(p, o) for o, p in holder.items()]))
        self.move(self.pick(PEOPLE))


def _question(world: _World, task: str) -> tuple[str, str, tuple[int, ...]] | None:
    rng = world.rng
    if task in ("single", "yes_no"):
        people = [p for p in PEOPLE if p in world.where]
        if not people:
            return None
        person = world.pick(people)
        here, support = world.where[person], (world.last_move[person],)
        if task == "single":
            return f"where is {person}", here, support
        if rng.random() < 0.5:
            return f"is {person} in the {here}", "yes", support
        other = world.pick([p for p in PLACES if p != here])
        return f"is {person} in the {other}", "no", support
    if task == "two":
        touched = [o for o in OBJECTS if o in world.last_touch]
        if not touched:
            return None
        obj = world.pick(touched)
        i, person, kind = world.last_touch[obj]
        if kind == "grab":
            place, move = world.where[person], world.last_move[person]
        else:
            place, move = world.place_of[obj], world.mover_at_touch[obj]
        return f"where is the {obj}", place, tuple(sorted({i, move}))
    # three
    candidates = []
    for obj, path in world.visits.items():
        if len(path) < 2:
            continue
        (before, ev_before), (now, ev_now) = path[-2], path[-1]
        if [p for p, _ in path].count(now) != 1:
            continue
        grab = max(g for g in world.grabs[obj] if g < ev_now)
        candidates.append((obj, now, before, tuple(sorted({ev_before, grab, ev_now}))))
    if not candidates:
        return None
    obj, now, before, support = world.pick(candidates)
    return f"where was the {obj} before the {now}", before, support


def held_out(example: Example) -> bool:
    """Whether a story and its question belong to the held-out half of all possible examples
    (a CRC-32 of their text is even): validation and test draw only from that half, training
    only from the other, so no test question is ever a training question."""
    text = "|".join(example.story + (example.question,))
    return zlib.crc32(text.encode()) % 2 == 0


def generate(task: str, n: int, seed: int = 0, held: bool | None = None) -> list[Example]:
    """``n`` examples of ``task`` (one of :data:`TASKS`), reproducibly from ``seed``; with
    ``held=True`` (``False``) only examples that are (are not) :func:`held_out`."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    n = positive_int(n, "n")
    rng = random.Random(f"attnbook.babi:{task}:{int(seed)}")  # seeded from a string: stable
    low, high = STORY_LENGTHS[task]
    objects = task in ("two", "three")
    out = []
    while len(out) < n:
        world = _World(rng)
        for _ in range(rng.randint(low, high)):
            world.step(objects)
        q = _question(world, task)
        if q is None:
            continue
        example = Example(task, tuple(world.story), *q)
        if held is None or held_out(example) == held:
            out.append(example)
    return out


@lru_cache(maxsize=None)
def split(task: str, name: str) -> tuple[Example, ...]:
    """The fixed ``"train"``, ``"valid"`` or ``"test"`` examples of ``task`` (see the datasheet
    above). Validation and test questions are :func:`held_out`, training ones are not."""
    if name not in SPLIT_SIZES:
        raise ValueError(f"name must be one of {tuple(SPLIT_SIZES)}, got {name!r}")
    return tuple(generate(task, SPLIT_SIZES[name], SPLIT_SEEDS[name], held=name != "train"))


@lru_cache(maxsize=None)
def vocabulary() -> tuple[str, ...]:
    """Every word the simulator can write, sorted, after the padding symbol ``<pad>`` (id 0)."""
    words = set(PEOPLE) | set(PLACES) | set(OBJECTS) | {"the", "yes", "no"}
    for phrase in MOVE_VERBS + GRAB_VERBS + DROP_VERBS:
        words.update(phrase.split())
    words.update("where is was before in".split())
    return ("<pad>",) + tuple(sorted(words))


def answer_words(task: str) -> tuple[str, ...]:
    """The possible answers of ``task``."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    return ("yes", "no") if task == "yes_no" else PLACES


@lru_cache(maxsize=None)
def _index() -> dict[str, int]:
    """Word -> id in :func:`vocabulary` (built once; do not modify)."""
    return {w: i for i, w in enumerate(vocabulary())}


@lru_cache(maxsize=4096)
def _sentence_ids(text: str) -> tuple[int, ...]:
    """:func:`_ids` of a sentence at :data:`WORDS_PER_SENTENCE` words, kept: the
    stories repeat the same few hundred sentences."""
    return tuple(_ids(text, WORDS_PER_SENTENCE, _index()))


def _ids(text: str, width: int, index: dict) -> list[int]:
    words = text.split()
    unknown = [w for w in words if w not in index]
    if unknown:
        raise ValueError(f"unknown word(s) {unknown} in {text!r}; the vocabulary is "
                         f"{', '.join(vocabulary()[1:])}")
    if len(words) > width:
        raise ValueError(f"{text!r} has {len(words)} words, more than {width}")
    return [index[w] for w in words] + [PAD] * (width - len(words))


WORDS_PER_SENTENCE = 7


def encode(examples, memory_size: int | None = None):
    """Word ids of a list of examples.

    Returns
    -------
    stories : int ``(B, M, W)``, sentence ``i`` of story ``b`` in row ``[b, i]``, padded with
        :data:`PAD` (``M`` = ``memory_size`` or the longest story, ``W`` = 7 words)
    questions : int ``(B, W)``
    lengths : int ``(B,)``, number of sentences of each story
    answers : int ``(B,)``, the answer's id in :func:`vocabulary`
    """
    examples = list(examples)
    if not examples:
        raise ValueError("no examples to encode")
    index = _index()
    longest = max(len(e.story) for e in examples)
    m = longest if memory_size is None else positive_int(memory_size, "memory_size")
    if longest > m:
        raise ValueError(f"a story has {longest} sentences, more than memory_size={m}")
    w = WORDS_PER_SENTENCE
    stories = np.zeros((len(examples), m, w), dtype=np.int64)
    rows = [_sentence_ids(s) for e in examples for s in e.story]
    lengths = np.array([len(e.story) for e in examples], dtype=np.int64)
    if rows:                     # sentence i of story b, in story order
        stories[np.arange(m) < lengths[:, None]] = rows
    questions = np.array([_sentence_ids(e.question) for e in examples],
                         dtype=np.int64)
    answers = np.array([index.get(e.answer, PAD) for e in examples], dtype=np.int64)
    return stories, questions, lengths, answers


def parse_question(text: str) -> str:
    """A reader's question, lower-cased and stripped of punctuation, checked against the
    vocabulary (a ``ValueError`` names any unknown word)."""
    if not isinstance(text, str):
        raise TypeError(f"the question must be a string, got {type(text).__name__}")
    return _parse(text)


@lru_cache(maxsize=4096)
def _parse(text: str) -> str:
    """:func:`parse_question` of a string, kept: a model parses every sentence it
    reads."""
    cleaned = " ".join(text.lower().replace("?", " ").replace(",", " ").replace(".", " ").split())
    if not cleaned:
        raise ValueError("the question is empty")
    _sentence_ids(cleaned)
    return cleaned


def answer_counts(examples) -> dict[str, int]:
    """How many examples have each answer."""
    counts: dict[str, int] = {}
    for e in examples:
        counts[e.answer] = counts.get(e.answer, 0) + 1
    return dict(sorted(counts.items()))


def to_babi_text(examples) -> str:
    """The examples in bAbI's file format: numbered lines, the question line ending in
    ``<tab>answer<tab>supporting line numbers``; a new story restarts at 1."""
    lines = []
    for e in examples:
        for i, s in enumerate(e.story):
            lines.append(f"{i + 1} {s[0].upper()}{s[1:]}.")
        support = " ".join(str(i + 1) for i in e.support)
        q = e.question
        lines.append(f"{len(e.story) + 1} {q[0].upper()}{q[1:]}?\t{e.answer}\t{support}")
    return "\n".join(lines) + "\n"
