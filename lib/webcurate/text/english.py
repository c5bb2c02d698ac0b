# ruff: noqa: RUF001  (curly apostrophes on purpose)
"""English tokenizer exceptions, restating the behaviour of spaCy's English tokenizer.

Used by ``webcurate.text.words``. Each entry maps a whitespace-free string to the words it is
split into (or kept as): contractions (``don't`` -> ``do`` ``n't``, either apostrophe), clock
times (``3pm`` -> ``3`` ``pm``), abbreviations that keep their period, a few odd words and the
common emoticons. Left out: spaCy's rarer entries (dialect spellings like ``lovin'``,
``'d've`` chains, the long tail of emoticons); each changes a word count by one at most.
"""

from __future__ import annotations


def _contractions() -> dict[str, tuple[str, ...]]:
    """English contractions spaCy splits, with straight and curly apostrophes."""
    verbs = ("ca", "could", "did", "does", "do", "had", "has", "have", "is", "are", "was", "were",
             "might", "must", "need", "should", "sha", "wo", "would", "ai", "may", "ought")
    tails = {"i": ("m", "ll", "d", "ve"), "you": ("re", "ll", "d", "ve"), "he": ("ll", "d"),
             "she": ("ll", "d"), "it": ("ll", "d"), "we": ("re", "ll", "d", "ve"),
             "they": ("re", "ll", "d", "ve")}
    parts = [(verb, "n't") for verb in verbs] + [(verb, "nt") for verb in verbs]
    for head, ends in tails.items():
        parts += [(head, "'" + end) for end in ends] + [(head, end) for end in ends]
    parts += [(w, "'" + end) for w in ("who", "what", "where", "when", "why", "how", "there")
              for end in ("ll", "ve", "re", "d")]
    parts += [(modal, "'ve") for modal in ("could", "might", "must", "should", "would")]
    parts += [("can", "not"), ("i", "m", "a"), ("i", "'m", "a"), ("y'", "all"), ("c'm", "on"),
              ("gon", "na"), ("got", "ta")]
    not_contractions = {"ill", "its", "hell", "shell", "shed", "were", "well", "whore"}
    table: dict[str, tuple[str, ...]] = {}
    for words in parts:
        for cased in (words, (words[0][:1].upper() + words[0][1:], *words[1:])):
            if "".join(cased).lower() in not_contractions:
                continue
            for apostrophe in ("'", "’"):
                split = tuple(w.replace("'", apostrophe) for w in cased)
                table["".join(split)] = split
    for hour in range(1, 13):
        for suffix in ("a.m.", "p.m.", "am", "pm"):
            table[f"{hour}{suffix}"] = (str(hour), suffix)
    return table

_KEPT_WHOLE = (
    # abbreviations that keep their period
    "a.m. p.m. Adm. Bros. co. Co. Corp. D.C. Dr. e.g. E.g. E.G. Gen. Gov. i.e. I.e. I.E. Inc. Jr. "
    "Ltd. Md. Messrs. Mo. Mont. Mr. Mrs. Ms. Ph.D. Prof. Rep. Rev. Sen. St. vs. v.s. Mt. Jan. Feb. "
    "Mar. Apr. Jun. Jul. Aug. Sep. Sept. Oct. Nov. Dec. Ala. Ariz. Ark. Calif. Colo. Conn. Del. "
    "Fla. Ga. Ia. Id. Ill. Ind. Kan. Kans. Ky. La. Mass. Mich. Minn. Miss. Neb. Nebr. Nev. Okla. "
    "Ore. Pa. Tenn. Va. Wash. Wis. "
    # odd words, and emoticons
    "' '' ’’ 's 'S ’s ’S 'em ’em C++ and/or w/o 'cause 'cos 'coz 'cuz 'bout ma'am o'clock "
    ":) :-) :)) :-)) :))) (: (-: =) (= :] :-] [: [-: [= =] :o) (o: :} :-} 8) 8-) (-8 ;) ;-) (; "
    "(-; :( :-( :(( :-(( ): )-: =( >:( :') :'-) :'( :/ :-/ =/ =| :| :-| ]= =[ :P :-P :p :-p :O "
    ":-O :o :-o :0 :() :* :-* :3 =3 :> :-> :X :-X :x :-x :D :-D ;D ;-D =D xD XD 8D ^_^ >.< "
    "-_- o_O O_o O_O o.O O.o o.o <3 <33 </3 ¯\\(ツ)/¯"
).split()
EXCEPTIONS: dict[str, tuple[str, ...]] = {
    **_contractions(),
    **{word: (word,) for word in _KEPT_WHOLE},
    **{f"{c}.": (f"{c}.",) for c in "abcdefghijklmnopqrstuvwxyzäöü"},
    **{f"°{u}.": ("°", u, ".") for u in "cfkCFK"},
}
