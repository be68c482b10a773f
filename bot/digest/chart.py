"""Habit health as a picture: a participation bar chart as PNG bytes, and a text sparkline fallback.

Pure and dependency-free: the PNG is drawn into an RGB buffer and encoded with the standard library
(zlib, struct, binascii), colour type 2, bit depth 8, filter type 0 on every row, no ancillary
chunks, so the same input always gives the same bytes. Text is drawn with the small bitmap font
below (5x7 glyphs in a 5x8 cell, so that g, j, p, q and y have descenders), scaled 2x when there is
room and 1x, or on every other bar, when the chart is crowded.

The chart: one bar per week, oldest on the left; earlier weeks light blue, the current (last) week
dark blue; weeks flagged `warn` light amber (dark amber when the current week is flagged); each
bar's value above it and its week label under it; a grey baseline; and, when `average` is given, a
dashed line at that value. A legend on top names what is shown. Bars are scaled to the largest
value, or to `average` when that is larger, so the line always stays inside the chart.
"""

from __future__ import annotations

import binascii
import math
import struct
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

Colour = tuple[int, int, int]

BACKGROUND: Colour = (255, 255, 255)
BAR: Colour = (147, 197, 253)  # earlier weeks
CURRENT: Colour = (29, 78, 216)  # the last (current) week
WARN: Colour = (252, 191, 73)  # a week 30% or more below the 4-week average
CURRENT_WARN: Colour = (217, 119, 6)  # the current week, when it is such a week
AVERAGE: Colour = (15, 23, 42)  # the dashed 4-week average line
AXIS: Colour = (100, 116, 139)
TEXT: Colour = (51, 65, 85)
WARN_TEXT: Colour = (180, 83, 9)

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

MIN_WIDTH = 120
MIN_HEIGHT = 100
MAX_BAR_WIDTH = 72
_DASH_ON, _DASH_OFF = 8, 5


@dataclass(frozen=True)
class WeekPoint:
    label: str  # e.g. "W07" or "17 Feb"
    value: int  # distinct people who took part that week
    warn: bool = False  # the week is below the warning threshold


def sparkline(values: Sequence[int]) -> str:
    """`values` as ▁▂▃▄▅▆▇█, scaled from zero to the largest value (all zeros: all "▁")."""
    _check_counts(values)
    top = max(values, default=0)
    if top == 0:
        return SPARK_BLOCKS[0] * len(values)
    steps = len(SPARK_BLOCKS) - 1
    # round half up, in integers: value/top of the way from the lowest block to the highest
    return "".join(SPARK_BLOCKS[(2 * steps * value + top) // (2 * top)] for value in values)


def participation_png(
    points: Sequence[WeekPoint],
    *,
    width: int = 720,
    height: int = 300,
    average: float | None = None,
) -> bytes:
    """A bar chart of weekly participation as PNG bytes (RGB, 8 bits a channel)."""
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise ValueError(f"the chart needs at least {MIN_WIDTH}x{MIN_HEIGHT} pixels, not {width}x{height}")
    _check_counts([point.value for point in points])
    if average is not None and not (math.isfinite(average) and average >= 0):
        raise ValueError(f"the average must be a finite number >= 0, not {average!r}")
    canvas = _Canvas(width, height)
    _draw_chart(canvas, points, average)
    return canvas.png()


def stages_png(points: Sequence[WeekPoint], *, title: str, width: int = 720, height: int = 300) -> bytes:
    """A bar chart of sorries by stage of the customer journey as PNG bytes, the stages in the journey's order;
    a point flagged `warn` (sorries and no open action item against the stage) in amber. The same drawing as
    `participation_png`, with its own legend: `title`, and what amber means when a bar is amber."""
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise ValueError(f"the chart needs at least {MIN_WIDTH}x{MIN_HEIGHT} pixels, not {width}x{height}")
    _check_counts([point.value for point in points])
    canvas = _Canvas(width, height)
    scale = 2 if width >= 400 and height >= 200 else 1
    line_h = _GLYPH_H * scale
    pad = 4 * scale + 2
    left, right = 2 * pad, width - 2 * pad
    label_y = height - pad - line_h
    base_y = label_y - 4 * scale - 2
    plot_top = pad + line_h + 6 * scale + line_h + 2 * scale
    bar_room = max(base_y - plot_top, 1)

    legend = [(title, BAR)] + ([("no open action", WARN)] if any(point.warn for point in points) else [])
    legend_scale = scale if sum(_text_width(t, scale) + 19 * scale for t, _ in legend) <= right - left else 1
    x = left
    for text, colour in legend:
        canvas.fill(x, pad, x + 7 * legend_scale, pad + 7 * legend_scale, colour)
        canvas.text(x + 11 * legend_scale, pad, text, legend_scale, TEXT)
        x += _text_width(text, legend_scale) + 19 * legend_scale

    canvas.fill(left, base_y, right, base_y + 2, AXIS)
    if not points:
        return canvas.png()
    values = [point.value for point in points]
    top = max(values)
    slot = (right - left) / len(points)
    bar_w = max(1, min(MAX_BAR_WIDTH, round(slot * 0.68)))
    value_texts, value_scale, value_stride = _value_texts(values, slot, scale)
    label_scale, label_stride = _fit([p.label for p in points], slot, scale, skip_before_shrinking=True)
    for i, point in enumerate(points):
        centre = left + (i + 0.5) * slot
        bar_h = 0 if top == 0 else max(round(point.value / top * bar_room), 1 if point.value else 0)
        x0 = round(centre - bar_w / 2)
        canvas.fill(x0, base_y - bar_h, x0 + bar_w, base_y, WARN if point.warn else BAR)
        if i % value_stride == 0:
            y = base_y - bar_h - 2 * scale - _GLYPH_H * value_scale
            colour = WARN_TEXT if point.warn else TEXT
            canvas.text(_centred(value_texts[i], centre, value_scale, width), y, value_texts[i], value_scale, colour)
        if i % label_stride == 0:
            y = label_y + (line_h - _GLYPH_H * label_scale) // 2
            canvas.text(_centred(point.label, centre, label_scale, width), y, point.label, label_scale, TEXT)
    return canvas.png()


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; ValueError when `data` does not start like a PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG: no signature followed by an IHDR chunk")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _check_counts(values: Sequence[int]) -> None:
    for value in values:
        if value < 0:
            raise ValueError(f"participation counts cannot be negative: {value}")


# --- layout -----------------------------------------------------------------------------------


def _draw_chart(canvas: _Canvas, points: Sequence[WeekPoint], average: float | None) -> None:
    width, height = canvas.width, canvas.height
    scale = 2 if width >= 400 and height >= 200 else 1
    line_h = _GLYPH_H * scale
    pad = 4 * scale + 2

    left, right = 2 * pad, width - 2 * pad
    legend_y = pad
    label_y = height - pad - line_h
    base_y = label_y - 4 * scale - 2  # the axis takes rows base_y and base_y + 1
    plot_top = legend_y + line_h + 6 * scale + line_h + 2 * scale  # legend, a gap, a value label above the bar
    bar_room = max(base_y - plot_top, 1)

    _draw_legend(canvas, points, average, left, right, legend_y, scale)

    if not points:
        canvas.fill(left, base_y, right, base_y + 2, AXIS)
        message = "No data yet"
        x = (left + right - _text_width(message, scale)) // 2
        canvas.text(x, (plot_top + base_y - line_h) // 2, message, scale, TEXT)
        return

    values = [point.value for point in points]
    top = max(max(values), average or 0.0)
    slot = (right - left) / len(points)
    bar_w = max(1, min(MAX_BAR_WIDTH, round(slot * 0.68)))
    last = len(points) - 1

    value_texts, value_scale, value_stride = _value_texts(values, slot, scale)
    label_scale, label_stride = _fit([p.label for p in points], slot, scale, skip_before_shrinking=True)

    texts: list[tuple[int, int, str, int, Colour]] = []  # x, y, text, scale, colour: drawn last
    for i, point in enumerate(points):
        centre = left + (i + 0.5) * slot
        x0 = round(centre - bar_w / 2)
        bar_h = 0 if top == 0 else round(point.value / top * bar_room)
        if point.value > 0:
            bar_h = max(bar_h, 1)
        colour = (CURRENT_WARN if point.warn else CURRENT) if i == last else (WARN if point.warn else BAR)
        canvas.fill(x0, base_y - bar_h, x0 + bar_w, base_y, colour)

        if (last - i) % value_stride == 0:
            text = value_texts[i]
            y = base_y - bar_h - 2 * scale - _GLYPH_H * value_scale
            text_colour = WARN_TEXT if point.warn else (CURRENT if i == last else TEXT)
            texts.append((_centred(text, centre, value_scale, width), y, text, value_scale, text_colour))
        if (last - i) % label_stride == 0:
            x = _centred(point.label, centre, label_scale, width)
            y = label_y + (line_h - _GLYPH_H * label_scale) // 2
            texts.append((x, y, point.label, label_scale, CURRENT if i == last else TEXT))

    if average is not None:
        y = base_y - (0 if top == 0 else round(average / top * bar_room))
        for x in range(left, right, _DASH_ON + _DASH_OFF):
            canvas.fill(x, y - 1, min(x + _DASH_ON, right), y + 1, AVERAGE)

    canvas.fill(left, base_y, right, base_y + 2, AXIS)
    for x, y, text, text_scale, text_colour in texts:
        # the average line stops short of the text instead of running through it
        margin = 3 * text_scale
        text_w = _text_width(text, text_scale)
        bottom = y + (_GLYPH_H + 1) * text_scale
        canvas.replace(x - margin, y - text_scale, x + text_w + margin, bottom, AVERAGE, BACKGROUND)
        canvas.text(x, y, text, text_scale, text_colour)


def _draw_legend(
    canvas: _Canvas,
    points: Sequence[WeekPoint],
    average: float | None,
    left: int,
    right: int,
    y: int,
    scale: int,
) -> None:
    items: list[tuple[str, Colour, bool]] = []  # text, swatch colour, dashed swatch
    if any(point.warn for point in points):
        items.append(("30%+ below avg", WARN, False))
    if average is not None:
        items.append((f"4-wk avg {_number(average)}", AVERAGE, True))
    if points:  # the least needed (the current week's label is in its colour too): left out first
        items.insert(0, ("this week", CURRENT_WARN if points[-1].warn else CURRENT, False))
    gap = 8

    def item_width(text: str, dashed: bool, s: int) -> int:
        return _swatch_width(dashed, s) + _text_width(text, s)

    def total_width(items: list[tuple[str, Colour, bool]], s: int) -> int:
        return sum(item_width(t, d, s) + gap * s for t, _, d in items) - gap * s

    choices = [(items, scale), (items[1:], scale), (items, 1), (items[1:], 1)] if points else [(items, scale)]
    items, s = next(((i, s) for i, s in choices if total_width(i, s) <= right - left), (items, 1))
    y_text = y + (_GLYPH_H * scale - _GLYPH_H * s) // 2
    x = left
    for text, colour, dashed in items:
        if x + item_width(text, dashed, s) > right:
            break  # a very narrow chart: the items that do not fit are left out
        if dashed:  # two dashes, as on the line itself
            mid = y_text + 3 * s
            canvas.fill(x, mid, x + 6 * s, mid + s, colour)
            canvas.fill(x + 8 * s, mid, x + 14 * s, mid + s, colour)
        else:
            canvas.fill(x, y_text, x + 7 * s, y_text + 7 * s, colour)
        canvas.text(x + _swatch_width(dashed, s), y_text, text, s, TEXT)
        x += item_width(text, dashed, s) + gap * s


def _swatch_width(dashed: bool, scale: int) -> int:
    """A legend swatch and the space after it."""
    return (14 if dashed else 7) * scale + 4 * scale


def _fit(texts: Sequence[str], slot: float, scale: int, *, skip_before_shrinking: bool) -> tuple[int, int]:
    """The text scale and the stride (text on every n-th bar, counted back from the last) that fit.

    Week labels rather skip every other bar than shrink (the sequence is easy to follow); values
    shrink first, as a value left out is information lost.
    """
    widest = max((len(text) for text in texts), default=0)
    if skip_before_shrinking:
        candidates = [(scale, 1), (scale, 2)] + [(1, stride) for stride in range(1, len(texts) + 1)]
    else:
        candidates = [(s, stride) for stride in range(1, len(texts) + 1) for s in range(scale, 0, -1)]
    for s, stride in candidates:
        if _text_width("x" * widest, s) + _ADVANCE * s <= slot * stride:  # a blank character between texts
            return s, stride
    return 1, max(len(texts), 1)


def _value_texts(values: Sequence[int], slot: float, scale: int) -> tuple[list[str], int, int]:
    """The values as text, shortened (12k, 3M) when they would not fit over every bar otherwise."""
    plain = [str(value) for value in values]
    text_scale, stride = _fit(plain, slot, scale, skip_before_shrinking=False)
    if stride == 1:
        return plain, text_scale, stride
    short = [_compact(value) for value in values]
    text_scale, stride = _fit(short, slot, scale, skip_before_shrinking=False)
    return short, text_scale, stride


def _compact(value: int) -> str:
    if value < 1_000:
        return str(value)
    thousands = round(value / 1_000)
    return f"{thousands}k" if thousands < 1_000 else f"{round(value / 1_000_000)}M"


def _centred(text: str, centre: float, scale: int, width: int) -> int:
    """The x at which `text` is centred on `centre`, moved inside the image when it would not fit."""
    text_w = _text_width(text, scale)
    return max(2, min(width - 2 - text_w, round(centre - text_w / 2)))


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"


# --- drawing and encoding ---------------------------------------------------------------------


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray(bytes(BACKGROUND) * (width * height))

    def fill(self, x0: int, y0: int, x1: int, y1: int, colour: Colour) -> None:
        """Fill the rectangle [x0, x1) x [y0, y1), clipped to the canvas."""
        x0, x1 = max(x0, 0), min(x1, self.width)
        y0, y1 = max(y0, 0), min(y1, self.height)
        if x0 >= x1 or y0 >= y1:
            return
        run = bytes(colour) * (x1 - x0)
        for y in range(y0, y1):
            start = (y * self.width + x0) * 3
            self.pixels[start : start + len(run)] = run

    def replace(self, x0: int, y0: int, x1: int, y1: int, old: Colour, new: Colour) -> None:
        """Repaint the pixels of colour `old` in the rectangle [x0, x1) x [y0, y1) with `new`."""
        old_bytes, new_bytes = bytes(old), bytes(new)
        for y in range(max(y0, 0), min(y1, self.height)):
            for x in range(max(x0, 0), min(x1, self.width)):
                at = (y * self.width + x) * 3
                if self.pixels[at : at + 3] == old_bytes:
                    self.pixels[at : at + 3] = new_bytes

    def text(self, x: int, y: int, text: str, scale: int, colour: Colour) -> None:
        for char in text:
            for gx, gy in _glyph(char):
                self.fill(x + gx * scale, y + gy * scale, x + (gx + 1) * scale, y + (gy + 1) * scale, colour)
            x += _ADVANCE * scale

    def png(self) -> bytes:
        row = self.width * 3
        raw = b"".join(b"\x00" + self.pixels[y * row : (y + 1) * row] for y in range(self.height))
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", binascii.crc32(kind + data) & 0xFFFFFFFF)


# --- the font ---------------------------------------------------------------------------------

_GLYPH_W, _GLYPH_H = 5, 8
_ADVANCE = _GLYPH_W + 1

# Each glyph: rows top to bottom, separated by spaces; "#" is ink. Row 8 (optional) is for descenders.
_FONT_ROWS: dict[str, str] = {
    " ": "..... ..... ..... ..... ..... ..... .....",
    "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
    "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####",
    "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
    "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": "..##. .#... #.... ####. #...# #...# .###.",
    "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.",
    "9": ".###. #...# #...# .#### ....# ...#. .##..",
    "A": ".###. #...# #...# ##### #...# #...# #...#",
    "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.",
    "D": "###.. #..#. #...# #...# #...# #..#. ###..",
    "E": "##### #.... #.... ####. #.... #.... #####",
    "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####",
    "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
    "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#",
    "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.",
    "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#",
    "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.",
    "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.",
    "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
    "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# #...# .#.#. ..#.. ..#.. ..#..",
    "Z": "##### ....# ...#. ..#.. .#... #.... #####",
    "a": "..... ..... .###. ....# .#### #...# .####",
    "b": "#.... #.... #.##. ##..# #...# #...# ####.",
    "c": "..... ..... .###. #.... #.... #...# .###.",
    "d": "....# ....# .##.# #..## #...# #...# .####",
    "e": "..... ..... .###. #...# ##### #.... .###.",
    "f": "..##. .#..# .#... ###.. .#... .#... .#...",
    "g": "..... ..... .#### #...# #...# .#### ....# .###.",
    "h": "#.... #.... #.##. ##..# #...# #...# #...#",
    "i": "..#.. ..... .##.. ..#.. ..#.. ..#.. .###.",
    "j": "...#. ..... ..##. ...#. ...#. ...#. #..#. .##..",
    "k": "#.... #.... #..#. #.#.. ##... #.#.. #..#.",
    "l": ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "m": "..... ..... ##.#. #.#.# #.#.# #...# #...#",
    "n": "..... ..... #.##. ##..# #...# #...# #...#",
    "o": "..... ..... .###. #...# #...# #...# .###.",
    "p": "..... ..... ####. #...# #...# ####. #.... #....",
    "q": "..... ..... .#### #...# #...# .#### ....# ....#",
    "r": "..... ..... #.##. ##..# #.... #.... #....",
    "s": "..... ..... .#### #.... .###. ....# ####.",
    "t": ".#... .#... ###.. .#... .#... .#..# ..##.",
    "u": "..... ..... #...# #...# #...# #..## .##.#",
    "v": "..... ..... #...# #...# #...# .#.#. ..#..",
    "w": "..... ..... #...# #...# #.#.# #.#.# .#.#.",
    "x": "..... ..... #...# .#.#. ..#.. .#.#. #...#",
    "y": "..... ..... #...# #...# #...# .#### ....# .###.",
    "z": "..... ..... ##### ...#. ..#.. .#... #####",
    ".": "..... ..... ..... ..... ..... .##.. .##..",
    ",": "..... ..... ..... ..... .##.. ..#.. .#...",
    ":": "..... .##.. .##.. ..... .##.. .##.. .....",
    ";": "..... .##.. .##.. ..... .##.. ..#.. .#...",
    "-": "..... ..... ..... ##### ..... ..... .....",
    "+": "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
    "=": "..... ..... ##### ..... ##### ..... .....",
    "/": "..... ....# ...#. ..#.. .#... #.... .....",
    "%": "##... ##..# ...#. ..#.. .#... #..## ...##",
    "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.",
    ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
    "'": "..#.. ..#.. .#... ..... ..... ..... .....",
    '"': ".#.#. .#.#. ..... ..... ..... ..... .....",
    "#": ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.",
    "!": "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..",
    "?": ".###. #...# ....# ...#. ..#.. ..... ..#..",
    "&": ".##.. #..#. #.#.. .#... #.#.# #..#. .##.#",
    "_": "..... ..... ..... ..... ..... ..... #####",
    "<": "...#. ..#.. .#... #.... .#... ..#.. ...#.",
    ">": ".#... ..#.. ...#. ....# ...#. ..#.. .#...",
    "*": "..... ..#.. #.#.# .###. #.#.# ..#.. .....",
}
_BOX = "##### #...# #...# #...# #...# #...# #####"  # drawn for a character the font does not have
_ALIASES = {"–": "-", "—": "-", "−": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " "}


def _parse(rows: str) -> tuple[tuple[int, int], ...]:
    return tuple((x, y) for y, row in enumerate(rows.split()) for x, cell in enumerate(row) if cell == "#")


_FONT = {char: _parse(rows) for char, rows in _FONT_ROWS.items()}
_BOX_GLYPH = _parse(_BOX)


def _glyph(char: str) -> tuple[tuple[int, int], ...]:
    """The pixels of `char`; an accented letter is drawn without its accent (é as e), others as a box."""
    char = _ALIASES.get(char, char)
    if char not in _FONT:
        char = unicodedata.normalize("NFKD", char)[:1]
    return _FONT.get(char, _BOX_GLYPH)


def _text_width(text: str, scale: int) -> int:
    return max(len(text) * _ADVANCE - 1, 0) * scale
