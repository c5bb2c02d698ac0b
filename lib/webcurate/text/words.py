# ruff: noqa: RUF001  (the tables below spell out Unicode punctuation and quotes on purpose)
"""Word splitting for the heuristic filters, equivalent to what datatrove 0.10.1 uses for English.

Finding: ``datatrove.utils.word_tokenizers.load_word_tokenizer("en")`` returns
``SpaCyTokenizer("en")`` (row ``eng,en,...`` of its ``assets/tokenizer_assignment.csv``), i.e.
the rule-based tokenizer of ``spacy.blank("en")``; datatrove strips every token and drops empty
ones. It is not NLTK. spaCy needs no downloaded data for that, but it is a large dependency and
its tokenizer would cap our speed at datatrove's, so this module restates its rules:

1. split on Unicode whitespace (``str.split()``), which is what the stripped tokens amount to;
2. per chunk, repeatedly peel one *prefix* (opening punctuation, quotes, currency, symbols) and
   one *suffix* (closing punctuation, quotes, ``'s``, a unit or currency after a digit, a final
   period after a lowercase letter, digit, punctuation, quote or two capitals), stopping at an
   exception (``webcurate.text.english``: contractions such as ``don't`` -> ``do`` ``n't``,
   abbreviations such as ``Mr.``, emoticons);
3. keep what is left whole if it is an exception or a URL / host name, else split it at
   *infixes*: ``..``/``…``, symbols, a hyphen or ``~`` between letters (or digit, letter),
   ``:<>=/`` between a letter or digit and a letter, ``,`` between letters, ``.`` between a
   lowercase and an uppercase letter, ``+-*^`` between digits;
4. re-join runs of words that spell an exception the affix rules split (``)`` ``:`` -> ``):``).
Letters are spaCy's: Latin, Cyrillic and Greek with case, plus some scripts without case;
letters of other scripts (Armenian, Georgian, Thai...) are not letters to these rules.

Known differences from spaCy (2 of the 878 parity documents have a different word list, no
filter decision changed): a run of three apostrophes (spaCy re-joins the last two, we the first
two) and a period after a capital that follows CJK text (``、S.``); beyond the parity set, rarer
exceptions are missing (``'d've`` chains, the long tail of emoticons) and Latin case uses
Unicode categories instead of spaCy's ranges. ``language`` is accepted for the callers' sake:
datatrove's filters default to English for every document, and so do these rules.
"""

from __future__ import annotations

import regex

from webcurate.text.english import EXCEPTIONS

# Pairs (first, last) of the sentence-terminal characters datatrove's TERMINAL_PUNCTUATION holds
# (Unicode's Sentence_Terminal property of Unicode 14; later additions are not in it).
_TERMINAL_RANGES = (
    "\u0021\u0021\u002e\u002e\u003f\u003f\u0589\u0589\u061d\u061f\u06d4\u06d4\u0700\u0702"
    "\u07f9\u07f9\u0837\u0837\u0839\u0839\u083d\u083e\u0964\u0965\u104a\u104b\u1362\u1362"
    "\u1367\u1368\u166e\u166e\u1735\u1736\u17d4\u17d6\u17d9\u17da\u1803\u1803\u1809\u1809"
    "\u1944\u1945\u1aa8\u1aab\u1b5a\u1b5b\u1b5e\u1b5f\u1b7d\u1b7e\u1c3b\u1c3c\u1c7e\u1c7f"
    "\u203c\u203d\u2047\u2049\u2e2e\u2e2e\u2e3c\u2e3c\u2e53\u2e54\u3002\u3002\ua4ff\ua4ff"
    "\ua60e\ua60f\ua6f3\ua6f3\ua6f7\ua6f7\ua876\ua877\ua8ce\ua8cf\ua92f\ua92f\ua9c8\ua9c9"
    "\uaa5d\uaa5f\uaaf0\uaaf1\uabeb\uabeb\ufe52\ufe52\ufe56\ufe57\uff01\uff01\uff0e\uff0e"
    "\uff1f\uff1f\uff61\uff61\U00010a56\U00010a57\U00010f55\U00010f59\U00010f86\U00010f89"
    "\U00011047\U00011048\U000110be\U000110c1\U00011141\U00011143\U000111c5\U000111c6"
    "\U000111cd\U000111cd\U000111de\U000111df\U00011238\U00011239\U0001123b\U0001123c"
    "\U000112a9\U000112a9\U0001144b\U0001144c\U000115c2\U000115c3\U000115c9\U000115d7"
    "\U00011641\U00011642\U0001173c\U0001173e\U00011944\U00011944\U00011946\U00011946"
    "\U00011a42\U00011a43\U00011a9b\U00011a9c\U00011c41\U00011c42\U00011ef7\U00011ef8"
    "\U00011f43\U00011f44\U00016a6e\U00016a6f\U00016af5\U00016af5\U00016b37\U00016b38"
    "\U00016b44\U00016b44\U00016e98\U00016e98\U0001bc9f\U0001bc9f\U0001da88\U0001da88"
)
PUNCTUATION: frozenset[str] = frozenset(
    "!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_.\"}►»"
    + "".join(chr(c) for lo, hi in ((0, 9), (11, 32), (127, 160)) for c in range(lo, hi))
    + "".join(chr(c) for lo, hi in zip(_TERMINAL_RANGES[::2], _TERMINAL_RANGES[1::2], strict=True)
              for c in range(ord(lo), ord(hi) + 1))
)
"""datatrove's ``PUNCTUATION_SET``: ASCII and CJK punctuation, control characters other than
tab, newline and carriage return, and sentence terminals; a word made only of these is a symbol."""

_QUOTES = "'\"”“`‘´’‚,„»«「」『』（）〔〕【】《》〈〉〈〉⟦⟧"
_PUNCT = "…,:;!?¿؟¡()[]{}<>_#*&。？！，、；：～·।،۔؛٪"
_CURRENCY = "$£€¥฿₽﷼₴₠₡₢₣₤₥₦₧₨₩₪₫₭₮₯₰₱₲₳₵₶₷₸₹₺₻₼₾₿"
_UNITS = (
    "km km² km³ m m² m³ dm dm² dm³ cm cm² cm³ mm mm² mm³ ha µm nm yd in ft kg g mg µg t lb oz m/s "
    "km/h kmh mph hPa Pa mbar mb MB kb KB gb GB tb TB T G M K % км км² км³ м м² м³ дм дм² дм³ см "
    "см² см³ мм мм² мм³ нм кг г мг м/с км/ч кПа Па мбар Кб КБ кб Мб МБ мб Гб ГБ гб Тб ТБ тб"
).split()
_Q = regex.escape(_QUOTES)
_P = regex.escape(_PUNCT)
# spaCy's letters: Latin, Cyrillic and Greek with case, plus some scripts without case (which
# count as both lower and upper case); other scripts (Armenian, Georgian, Thai...) are not letters.
_UNCASED = (
    "\u1200-\u137f\u0980-\u09ff\u0591-\u05f4\ufb1d-\ufb4f\u0600-\u06ff\u0750-\u077f"
    "\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff\u0d80-\u0dff\u0900-\u097f\u0c80-\u0cff"
    "\u0b80-\u0bff\u0c00-\u0c7f\uac00-\ud7af\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf"
    "\u4e00-\u9fff\U00020000-\U0002fa1f"
)
_LOWER = rf"[\p{{Ll}}&&\p{{Latin}}]ёа-яәөүҗңһіїєґѓѕјљњќѐѝα-ωάέίόώήύ{_UNCASED}"
_UPPER = rf"[\p{{Lu}}&&\p{{Latin}}]ЁА-ЯӘӨҮҖҢҺІЇЄҐЃЅЈЉЊЌЀЍΑ-ΩΆΈΊΌΏΉΎ{_UNCASED}"
_ALPHA = rf"{_LOWER}{_UPPER}"
_UNIT = "|".join(regex.escape(u) for u in _UNITS)
# Closing or opening punctuation, ellipses, quotes and symbols (emoji, dingbats, degree sign).
_EDGE = rf"[{_P}]|\.\.+|[{_Q}]|\p{{So}}"

_PREFIX = regex.compile(
    rf"(?:[§%=—–]|\+(?![0-9])|{_EDGE}|US\$|C\$|A\$|[{_CURRENCY}])", regex.V1)
_SUFFIX = regex.compile(
    rf"(?:……|{_EDGE}|'s|'S|’s|’S|[—–]|(?<=[0-9])\+|(?<=°[FfCcKk])\.|(?<=[0-9])[{_CURRENCY}]"
    rf"|(?<=[0-9])(?:{_UNIT})|(?<=[0-9{_LOWER}%²\-+{_P}|(?:{_Q}])\.|(?<=[{_UPPER}][{_UPPER}])\.)$",
    regex.V1,
)
_INFIX = regex.compile(
    rf"\.\.+|…|\p{{So}}|(?<=[0-9])[+\-*^](?=[0-9-])|(?<=[{_LOWER}{_Q}])\.(?=[{_UPPER}{_Q}])"
    rf"|(?<=[{_ALPHA}]),(?=[{_ALPHA}])|(?<=[{_ALPHA}0-9])(?:---|--|——|-|–|—|~)(?=[{_ALPHA}])"
    rf"|(?<=[{_ALPHA}0-9])[:<>=/](?=[{_ALPHA}])",
    regex.V1,
)
# A URL or bare host name (lowercase top-level domain) stays one word.
_URL = regex.compile(
    r"(?:[\w+\-.]{2,}://)?(?:\S+(?::\S*)?@)?"
    r"(?:(?:[A-Za-z0-9\u00a1-\uffff][A-Za-z0-9\u00a1-\uffff_-]{0,62})?[A-Za-z0-9\u00a1-\uffff]\.)+"
    rf"[{_LOWER}]{{2,63}}(?::\d{{2,5}})?(?:[/?#]\S*)?",
    regex.V1,
)

def _peel(chunk: str, specials: dict) -> tuple[list[str], str, list[str]]:
    """Strip prefixes and suffixes until a fixed point or a special (exception) is reached."""
    prefixes: list[str] = []
    suffixes: list[str] = []
    last = -1
    while chunk and len(chunk) != last and chunk not in specials:
        last = len(chunk)
        pre = _PREFIX.match(chunk)
        pre_len = pre.end() if pre else 0
        if pre_len and chunk[pre_len:] in specials:
            prefixes.append(chunk[:pre_len])
            return prefixes, chunk[pre_len:], suffixes
        suf = _SUFFIX.search(chunk, pre_len)
        suf_len = suf.end() - suf.start() if suf else 0
        if suf_len and chunk[:-suf_len] in specials:
            suffixes.append(chunk[-suf_len:])
            return prefixes, chunk[:-suf_len], suffixes
        if pre_len and suf_len and pre_len + suf_len <= len(chunk):
            prefixes.append(chunk[:pre_len])
            suffixes.append(chunk[-suf_len:])
            chunk = chunk[pre_len:-suf_len]
        elif pre_len:
            prefixes.append(chunk[:pre_len])
            chunk = chunk[pre_len:]
        elif suf_len:
            suffixes.append(chunk[-suf_len:])
            chunk = chunk[:-suf_len]
    return prefixes, chunk, suffixes


def _split_infixes(core: str, specials: dict) -> list[str]:
    """Split what is left after peeling at its infixes (or keep it whole: special, URL)."""
    if core in specials:
        return list(specials[core])
    if _URL.fullmatch(core):
        return [core]
    parts: list[str] = []
    start = 0
    for match in _INFIX.finditer(core):
        if match.start() == 0 or match.start() == match.end():
            continue
        if match.start() > start:
            parts.append(core[start : match.start()])
        parts.append(match.group())
        start = match.end()
    if start < len(core):
        parts.append(core[start:])
    return parts


def _split_chunk(chunk: str, specials: dict) -> list[str]:
    """Words of one whitespace-free chunk, before re-joining affixed exceptions."""
    if chunk in specials:
        return list(specials[chunk])
    prefixes, core, suffixes = _peel(chunk, specials)
    words = prefixes
    if core:
        words.extend(_split_infixes(core, specials))
    words.extend(reversed(suffixes))
    return words


# Exceptions that the affix rules would split (``):``, ``''``, ``a.``), by how they would split:
# spaCy re-joins such a run of words after splitting, wherever it appears in a chunk.
_AFFIXED = {k: tuple(w) for k in EXCEPTIONS if len(w := _split_chunk(k, {})) > 1}
_AFFIX_STARTS = frozenset(words[0] for words in _AFFIXED.values())
_LONGEST_AFFIXED = max(map(len, _AFFIXED.values()))


def _merge_affixed(words: list[str]) -> list[str]:
    """Re-join runs of words that spell an affixed exception into that exception's words."""
    out: list[str] = []
    i = 0
    while i < len(words):
        for j in range(min(len(words), i + _LONGEST_AFFIXED), i + 1, -1):
            joined = "".join(words[i:j])
            if _AFFIXED.get(joined) == tuple(words[i:j]):
                out.extend(EXCEPTIONS[joined])
                i = j
                break
        else:
            out.append(words[i])
            i += 1
    return out


_SIMPLE_ENDS = frozenset(',;:!?)"')


def _word_then_mark(chunk: str) -> bool:
    """Letters then one closing mark (``word,`` ``word.``), which the rules split in two: a fast
    path giving the same words as ``_split_chunk`` (a period only after a lowercase a-z)."""
    end = chunk[-1]
    return ((end in _SIMPLE_ENDS or (end == "." and "a" <= chunk[-2:-1] <= "z"))
            and chunk[:-1].isalpha() and chunk[:-1] not in EXCEPTIONS
            and chunk not in EXCEPTIONS)


def split_words(text: str, language: str = "en") -> list[str]:
    """Words of ``text`` as datatrove's Gopher/C4/FineWeb filters see them (``language`` unused)."""
    words: list[str] = []
    for chunk in text.split():
        if chunk.isalpha() or chunk.isdigit():
            if chunk not in EXCEPTIONS:
                words.append(chunk)
                continue
        elif _word_then_mark(chunk):
            words += (chunk[:-1], chunk[-1])
            continue
        parts = _split_chunk(chunk, EXCEPTIONS)
        if len(parts) > 1 and not _AFFIX_STARTS.isdisjoint(parts):
            parts = _merge_affixed(parts)
        words.extend(parts)
    return words
