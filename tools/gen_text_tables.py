#!/usr/bin/env python3
"""Generates common/text_tables.h, the Unicode tables of common/text.c.

Usage: python3 tools/gen_text_tables.py [OUTPUT]   (default: common/text_tables.h)

Sources: Python's unicodedata (categories, NFKD/NFKC, lower case) and the
Extended_Pictographic ranges of Unicode's emoji-data.txt, copied below because
unicodedata does not carry emoji properties. The rules the tables encode are
documented in docs/text-normalisation.md; this script is their single source.

Output:
  - a class for every code point (two-stage table, 128 code points a page);
  - fold mappings (case + diacritics for Latin, lower case for Greek and
    Cyrillic, fullwidth ASCII to ASCII), direct-indexed per block, pointing
    into one pool of UTF-8 bytes;
  - canonical compositions (lower-case base, combining mark) -> composed letter
    for Greek and Cyrillic, so that NFD input yields the same key as NFC input.
The script checks that every mapping is a fixed point of the fold, which is
what makes mm_text_normalize idempotent.
"""
import os
import sys
import unicodedata

PAGE_BITS = 7
PAGE = 1 << PAGE_BITS
MAX_CP = 0x110000

# Class numbers, emitted as an enum; text.c dispatches on them.
CLASSES = [
    ("TC_WORD", "letter, digit or other kept code point (maybe folded)"),
    ("TC_SEP", "punctuation, symbol, white space, control: a word boundary"),
    ("TC_DROP", "format character or selector outside an emoji: removed"),
    ("TC_MARK", "combining diacritic: composes (Greek, Cyrillic) or removed"),
    ("TC_APOS", "apostrophe: removed between word characters, else a boundary"),
    ("TC_AMP", "ampersand: the word \"and\""),
    ("TC_PICT", "Extended_Pictographic: starts an emoji sequence"),
    ("TC_RI", "regional indicator: flags are pairs of them"),
    ("TC_EMOD", "emoji skin-tone modifier"),
    ("TC_ZWJ", "zero width joiner"),
    ("TC_VS", "variation selector 15 or 16"),
    ("TC_TAG", "tag character (subdivision flags)"),
    ("TC_KEYCAP", "combining enclosing keycap"),
    ("TC_KEYBASE", "0-9 # *: may start a keycap sequence"),
]
C = {name: i for i, (name, _) in enumerate(CLASSES)}

# emoji-data.txt (Unicode 14.0, unchanged through 15.1), Extended_Pictographic.
EXT_PICT = [
    (0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049),
    (0x2122, 0x2122), (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA),
    (0x231A, 0x231B), (0x2328, 0x2328), (0x2388, 0x2388), (0x23CF, 0x23CF),
    (0x23E9, 0x23F3), (0x23F8, 0x23FA), (0x24C2, 0x24C2), (0x25AA, 0x25AB),
    (0x25B6, 0x25B6), (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x2605),
    (0x2607, 0x2612), (0x2614, 0x2685), (0x2690, 0x2705), (0x2708, 0x2712),
    (0x2714, 0x2714), (0x2716, 0x2716), (0x271D, 0x271D), (0x2721, 0x2721),
    (0x2728, 0x2728), (0x2733, 0x2734), (0x2744, 0x2744), (0x2747, 0x2747),
    (0x274C, 0x274C), (0x274E, 0x274E), (0x2753, 0x2755), (0x2757, 0x2757),
    (0x2763, 0x2767), (0x2795, 0x2797), (0x27A1, 0x27A1), (0x27B0, 0x27B0),
    (0x27BF, 0x27BF), (0x2934, 0x2935), (0x2B05, 0x2B07), (0x2B1B, 0x2B1C),
    (0x2B50, 0x2B50), (0x2B55, 0x2B55), (0x3030, 0x3030), (0x303D, 0x303D),
    (0x3297, 0x3297), (0x3299, 0x3299), (0x1F000, 0x1F0FF), (0x1F10D, 0x1F10F),
    (0x1F12F, 0x1F12F), (0x1F16C, 0x1F171), (0x1F17E, 0x1F17F),
    (0x1F18E, 0x1F18E), (0x1F191, 0x1F19A), (0x1F1AD, 0x1F1E5),
    (0x1F201, 0x1F20F), (0x1F21A, 0x1F21A), (0x1F22F, 0x1F22F),
    (0x1F232, 0x1F23A), (0x1F23C, 0x1F23F), (0x1F249, 0x1F3FA),
    (0x1F400, 0x1F53D), (0x1F546, 0x1F64F), (0x1F680, 0x1F6FF),
    (0x1F774, 0x1F77F), (0x1F7D5, 0x1F7FF), (0x1F80C, 0x1F80F),
    (0x1F848, 0x1F84F), (0x1F85A, 0x1F85F), (0x1F888, 0x1F88F),
    (0x1F8AE, 0x1F8FF), (0x1F90C, 0x1F93A), (0x1F93C, 0x1F945),
    (0x1F947, 0x1FAFF), (0x1FC00, 0x1FFFD),
]
# © ® ™ are Extended_Pictographic but in titles and names they are legal
# marks far more often than emoji: treated as symbols (docs, rule 6).
LEGAL_MARKS = {0x00A9, 0x00AE, 0x2122}

APOSTROPHES = {0x0027, 0x0060, 0x00B4, 0x02BC, 0x2018, 0x2019, 0xFF07}
AMPERSANDS = {0x0026, 0xFF06}
# Combining diacritical blocks; other combining marks (Indic vowel signs,
# Hebrew points, ...) are part of their script's words and kept.
DIACRITIC_BLOCKS = [(0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF),
                    (0x20D0, 0x20FF), (0xFE20, 0xFE2F)]

# Latin letters without a decomposition that readers still see as a base
# letter plus a mark, or as a ligature (lower case keys).
LATIN_SPECIAL = {
    "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d",
    "þ": "th", "ð": "d", "ı": "i", "ħ": "h", "ŧ": "t", "ƀ": "b", "ɨ": "i",
    "ƶ": "z", "ǥ": "g", "ȼ": "c", "ɇ": "e", "ɉ": "j", "ɍ": "r", "ɏ": "y",
}

# Fold blocks: [lo, hi) and the fold applied to their word code points.
FOLD_BLOCKS = [
    (0x0000, 0x0300, "latin"),
    (0x0370, 0x0400, "greek"),
    (0x0400, 0x0530, "cyrillic"),
    (0x1E00, 0x1F00, "latin"),
    (0x1F00, 0x2000, "greek"),
    (0xFB00, 0xFB07, "latin"),
    (0xFF00, 0xFF5F, "latin"),
]
COMPOSE_BLOCKS = [(0x0370, 0x0530), (0x1F00, 0x2000)]


def range_set(ranges):
    marks = bytearray(MAX_CP)
    for lo, hi in ranges:
        marks[lo:hi + 1] = b"\x01" * (hi + 1 - lo)
    return marks


IS_PICT = range_set(EXT_PICT)
IS_DIACRITIC = range_set(DIACRITIC_BLOCKS)


def base_class(cp):
    """Class from properties alone, before folding is considered."""
    if 0x1F1E6 <= cp <= 0x1F1FF:
        return C["TC_RI"]
    if 0x1F3FB <= cp <= 0x1F3FF:
        return C["TC_EMOD"]
    if IS_PICT[cp] and cp not in LEGAL_MARKS:
        return C["TC_PICT"]
    if cp == 0x200D:
        return C["TC_ZWJ"]
    if cp in (0xFE0E, 0xFE0F):
        return C["TC_VS"]
    if 0xE0020 <= cp <= 0xE007F:
        return C["TC_TAG"]
    if cp == 0x20E3:
        return C["TC_KEYCAP"]
    if chr(cp) in "0123456789#*":
        return C["TC_KEYBASE"]
    if cp in APOSTROPHES:
        return C["TC_APOS"]
    if cp in AMPERSANDS:
        return C["TC_AMP"]
    if cp == 0x200B:
        return C["TC_SEP"]
    if 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:
        return C["TC_DROP"]
    cat = unicodedata.category(chr(cp))
    if IS_DIACRITIC[cp] and cat[0] == "M":
        return C["TC_MARK"]
    if cat == "Cf":
        return C["TC_DROP"]
    if cat[0] in "PSZ" or cat in ("Cc", "Cs"):
        return C["TC_SEP"]
    return C["TC_WORD"]


def is_word_char(ch):
    return base_class(ord(ch)) in (C["TC_WORD"], C["TC_KEYBASE"]) and not (
        ch in "#*")


def clean(chars):
    """Keeps word characters, turns anything else into single spaces, trims."""
    out = "".join(ch if is_word_char(ch) else " " for ch in chars)
    return " ".join(out.split())


def fold_latin(ch):
    out = []
    for d in unicodedata.normalize("NFKD", ch):
        if unicodedata.category(d) == "Mn":
            continue
        for low in d.lower():
            out.append(LATIN_SPECIAL.get(low, low))
    return clean("".join(out))


def fold_greek(ch):
    s = unicodedata.normalize("NFKC", ch.lower()).lower()
    s = unicodedata.normalize("NFC", s).replace("ς", "σ")
    return clean(s)


def fold_cyrillic(ch):
    return clean(unicodedata.normalize("NFC", ch.lower()))


FOLDS = {"latin": fold_latin, "greek": fold_greek, "cyrillic": fold_cyrillic}


def fold_of(cp):
    """Folded text of a word code point ("" = no word left), None outside the blocks."""
    for lo, hi, kind in FOLD_BLOCKS:
        if lo <= cp < hi:
            return FOLDS[kind](chr(cp))
    return None


def build():
    classes = bytearray(MAX_CP)
    folds = {}
    for cp in range(MAX_CP):
        cls = base_class(cp)
        if cls == C["TC_WORD"]:
            f = fold_of(cp)
            if f == "":
                cls = C["TC_SEP"]
            elif f is not None and f != chr(cp):
                folds[cp] = f
        classes[cp] = cls
    for cp, f in folds.items():
        for ch in f.replace(" ", ""):
            again = fold_of(ord(ch))
            if classes[ord(ch)] not in (C["TC_WORD"], C["TC_KEYBASE"]) or \
                    (again is not None and again != ch):
                sys.exit("fold of U+%04X is not a fixed point: %r" % (cp, f))
    return classes, folds


def build_compose(classes, folds):
    def fold1(cp):
        return folds.get(cp, chr(cp))

    pairs = {}
    for lo, hi in COMPOSE_BLOCKS:
        for cp in range(lo, hi):
            d = unicodedata.decomposition(chr(cp)).split()
            if len(d) != 2 or d[0].startswith("<"):
                continue
            base, mark = int(d[0], 16), int(d[1], 16)
            b, r = fold1(base), fold1(cp)
            if len(b) != 1 or len(r) != 1 or base_class(mark) != C["TC_MARK"] or \
                    classes[cp] != C["TC_WORD"] or classes[base] != C["TC_WORD"]:
                continue
            key = (ord(b) << 16) | mark
            if pairs.get(key, r) != r:
                sys.exit("conflicting composition for U+%04X" % cp)
            pairs[key] = r
    for key, r in pairs.items():
        if (key >> 16) > 0xFFFF or ord(r) > 0xFFFF:
            sys.exit("composition outside the BMP")
    return sorted(pairs.items())


def hex_rows(values, fmt, per_row, indent="    "):
    rows = []
    for i in range(0, len(values), per_row):
        rows.append(indent + ",".join(fmt % v for v in values[i:i + per_row]) + ",")
    return "\n".join(rows)


def c_string(b):
    return "".join("\\x%02x" % x for x in b)


def emit_classes(classes):
    pages, index, seen = [], [], {}
    for base in range(0, MAX_CP, PAGE):
        page = bytes(classes[base:base + PAGE])
        if page not in seen:
            seen[page] = len(pages)
            pages.append(page)
        index.append(seen[page])
    if len(pages) > 256:
        sys.exit("too many class pages: %d" % len(pages))
    out = ["/* Class of code point cp: class_pages[class_index[cp >> %d]][cp & %d]. */"
           % (PAGE_BITS, PAGE - 1),
           "#define TEXT_PAGE_BITS %d" % PAGE_BITS,
           "static const uint8_t class_index[%d] = {" % len(index),
           hex_rows(index, "%d", 24),
           "};\n",
           "static const uint8_t class_pages[%d][%d] = {" % (len(pages), PAGE)]
    for page in pages:
        out.append("    {")
        out.append(hex_rows(list(page), "%d", 32, "        "))
        out.append("    },")
    out.append("};\n")
    return out


def emit_folds(folds):
    pool, pool_at, blocks = bytearray(), {}, []
    for lo, hi, _ in FOLD_BLOCKS:
        entries = []
        for cp in range(lo, hi):
            f = folds.get(cp)
            if f is None:
                entries.append(0)
                continue
            b = f.encode("utf-8")
            if b not in pool_at:
                pool_at[b] = len(pool)
                pool += b
            if len(b) > 7 or pool_at[b] >= 1 << 13:
                sys.exit("fold entry does not fit 13+3 bits at U+%04X" % cp)
            entries.append((pool_at[b] << 3) | len(b))
        blocks.append((lo, hi, entries))
    out = ["/* Fold entries: 0 = unchanged, else (offset into fold_pool << 3) | length. */",
           "static const char fold_pool[] ="]
    for i in range(0, len(pool), 24):
        out.append('    "%s"' % c_string(pool[i:i + 24]))
    out.append("    ;\n")
    for lo, hi, entries in blocks:
        out.append("static const uint16_t fold_%04x[%d] = {" % (lo, hi - lo))
        out.append(hex_rows(entries, "%d", 16))
        out.append("};")
    out.append("\nstatic const struct fold_block {\n    uint32_t lo, hi;\n"
               "    const uint16_t *map;\n} fold_blocks[] = {")
    for lo, hi, _ in blocks:
        out.append("    {0x%04x, 0x%04x, fold_%04x}," % (lo, hi, lo))
    out.append("};\n")
    return out


def emit_compose(compose):
    out = ["/* Canonical compositions of Greek and Cyrillic, sorted by key =\n"
           " * (lower-case base << 16) | combining mark. */",
           "static const struct compose_pair {\n    uint32_t key;\n    uint16_t to;\n"
           "} compose_pairs[%d] = {" % len(compose)]
    for i in range(0, len(compose), 3):
        out.append("    " + " ".join("{0x%08x, 0x%04x}," % (k, ord(r))
                                       for k, r in compose[i:i + 3]))
    out.append("};\n")
    return out


def emit(classes, folds, compose):
    version = unicodedata.unidata_version
    out = ["/* Generated by tools/gen_text_tables.py from Python unicodedata %s; "
           "do not edit. */" % version,
           "/*\n * text_tables.h — Unicode tables of common/text.c (included there only).\n"
           " * Rules: docs/text-normalisation.md. Regenerate: "
           "python3 tools/gen_text_tables.py\n */",
           "#ifndef MM_TEXT_TABLES_H\n#define MM_TEXT_TABLES_H\n",
           "#include <stdint.h>\n",
           '#define TEXT_UNICODE_VERSION "%s"\n' % version,
           "enum text_class {"]
    out += ["    %s, /* %s */" % (name, what) for name, what in CLASSES]
    out.append("};\n")
    out += emit_classes(classes) + emit_folds(folds) + emit_compose(compose)
    out.append("#endif")
    return "\n".join(out) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.normpath(os.path.join(here, "..", "common", "text_tables.h"))
    classes, folds = build()
    compose = build_compose(classes, folds)
    text = emit(classes, folds, compose)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s (%d bytes, %d folds, %d compositions)"
          % (path, len(text), len(folds), len(compose)))


if __name__ == "__main__":
    main()
