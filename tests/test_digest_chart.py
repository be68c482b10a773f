"""The habit-health chart: a valid PNG built with the standard library, bars, colours, the average line."""

from __future__ import annotations

import binascii
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.digest.chart import (
    AVERAGE,
    AXIS,
    BAR,
    CURRENT,
    CURRENT_WARN,
    TEXT,
    WARN,
    WeekPoint,
    participation_png,
    png_size,
    sparkline,
)

Pixel = tuple[int, int, int]
BAR_COLOURS = {BAR, CURRENT, WARN, CURRENT_WARN}


@dataclass
class Image:
    width: int
    height: int
    rows: list[list[Pixel]]

    def count(self, colour: Pixel) -> int:
        return sum(row.count(colour) for row in self.rows)

    def axis_row(self) -> int:
        """The baseline: the row with the most axis-coloured pixels (its upper row, as it is 2 px thick)."""
        counts = [row.count(AXIS) for row in self.rows]
        best = max(counts)
        assert best > self.width // 2, "no baseline axis"
        return counts.index(best)

    def bars(self) -> list[tuple[int, int, Pixel, int]]:
        """(x0, x1, colour, height) of each bar, left to right, found on the row just above the axis."""
        y = self.axis_row() - 1
        row = self.rows[y]
        found: list[tuple[int, int, Pixel, int]] = []
        x = 0
        while x < self.width:
            colour = row[x]
            if colour in BAR_COLOURS:
                x0 = x
                while x < self.width and row[x] == colour:
                    x += 1
                found.append((x0, x, colour, self._column_height(y, (x0 + x) // 2, colour)))
            else:
                x += 1
        return found

    def _column_height(self, bottom: int, x: int, colour: Pixel) -> int:
        """Pixels from `bottom` up to the highest one of `colour` in column x; the average line may
        cross the bar, so gaps of up to 3 rows are stepped over."""
        top, y = bottom, bottom
        while y >= 0 and y >= top - 3:
            if self.rows[y][x] == colour:
                top = y
            y -= 1
        return bottom - top + 1

    def rows_with(self, colour: Pixel, at_least: int) -> list[int]:
        return [y for y, row in enumerate(self.rows) if row.count(colour) >= at_least]


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Every chunk as (type, data), checking lengths and CRCs on the way."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    found = []
    at = 8
    while at < len(data):
        assert at + 12 <= len(data), "truncated chunk"
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        body = data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert len(body) == length
        assert crc == binascii.crc32(kind + body) & 0xFFFFFFFF, f"bad CRC on {kind!r}"
        found.append((kind, body))
        at += 12 + length
    assert at == len(data)
    return found


def decode(data: bytes) -> Image:
    parts = chunks(data)
    assert parts[0][0] == b"IHDR"
    assert parts[-1] == (b"IEND", b"")
    assert [kind for kind, _ in parts].count(b"IEND") == 1
    width, height, depth, colour_type, compression, filter_method, interlace = struct.unpack(">IIBBBBB", parts[0][1])
    assert (depth, colour_type, compression, filter_method, interlace) == (8, 2, 0, 0, 0)
    raw = zlib.decompress(b"".join(body for kind, body in parts if kind == b"IDAT"))
    stride = 1 + width * 3
    assert len(raw) == height * stride
    rows = []
    for y in range(height):
        line = raw[y * stride : (y + 1) * stride]
        assert line[0] == 0, "every row uses filter type 0"
        rows.append(list(zip(line[1::3], line[2::3], line[3::3], strict=True)))
    return Image(width, height, rows)


def weeks(*values: int, warn: tuple[int, ...] = ()) -> list[WeekPoint]:
    return [WeekPoint(f"W{i + 1:02d}", value, warn=i in warn) for i, value in enumerate(values)]


TWELVE = weeks(14, 17, 16, 19, 21, 18, 20, 22, 19, 13, 11, 12, warn=(10, 11))


def test_the_png_is_well_formed() -> None:
    data = participation_png(TWELVE, average=18.5)
    assert [kind for kind, _ in chunks(data)] == [b"IHDR", b"IDAT", b"IEND"]
    image = decode(data)
    assert (image.width, image.height) == (720, 300) == png_size(data)


def test_other_sizes_are_honoured() -> None:
    data = participation_png(TWELVE, width=480, height=200)
    image = decode(data)
    assert (image.width, image.height) == (480, 200)
    assert len(image.bars()) == 12


def test_a_taller_value_gives_a_taller_bar() -> None:
    image = decode(participation_png(weeks(5, 10, 20, 15)))
    heights = [height for _, _, _, height in image.bars()]
    assert len(heights) == 4
    assert heights[0] < heights[1] < heights[3] < heights[2]
    assert abs(heights[2] - 2 * heights[1]) <= 2
    assert abs(heights[2] - 4 * heights[0]) <= 3


def test_the_current_week_and_warned_weeks_have_their_own_colours() -> None:
    image = decode(participation_png(weeks(9, 8, 3, 7, warn=(2,))))
    assert [colour for _, _, colour, _ in image.bars()] == [BAR, BAR, WARN, CURRENT]

    image = decode(participation_png(weeks(9, 8, 3, 2, warn=(2, 3))))
    assert [colour for _, _, colour, _ in image.bars()] == [BAR, BAR, WARN, CURRENT_WARN]
    assert len({BAR, CURRENT, WARN, CURRENT_WARN}) == 4


def test_the_average_line_is_drawn_at_its_value() -> None:
    image = decode(participation_png(weeks(4, 8, 8, 8), average=4.0))
    axis = image.axis_row()
    first = image.bars()[0]
    top_of_first = axis - first[3]  # the bar of value 4 reaches exactly as high as the average
    line_rows = image.rows_with(AVERAGE, at_least=image.width // 4)
    assert line_rows, "no dashed line"
    assert all(top_of_first - 2 <= y <= top_of_first + 1 for y in line_rows), (line_rows, top_of_first)

    # half way between the baseline and the top of the tallest bar
    image = decode(participation_png(weeks(2, 10, 6), average=5.0))
    axis = image.axis_row()
    tallest = max(height for _, _, _, height in image.bars())
    line_rows = image.rows_with(AVERAGE, at_least=image.width // 4)
    assert line_rows
    assert all(abs(y - (axis - tallest / 2)) <= 2 for y in line_rows), (line_rows, axis, tallest)


def test_no_average_no_line() -> None:
    image = decode(participation_png(TWELVE))
    assert image.count(AVERAGE) == 0


def test_an_average_above_every_bar_stays_inside_the_chart() -> None:
    image = decode(participation_png(weeks(3, 2, 1), average=30.0))
    line_rows = image.rows_with(AVERAGE, at_least=image.width // 4)
    assert line_rows and min(line_rows) > 0
    assert max(height for _, _, _, height in image.bars()) < image.axis_row() - line_rows[-1]


def test_all_zeros_draw_labels_and_no_bars() -> None:
    image = decode(participation_png(weeks(*[0] * 12), average=0.0))
    assert image.bars() == []
    below_axis = image.rows[image.axis_row() + 2 :]
    assert sum(row.count(TEXT) for row in below_axis) > 0, "week labels are drawn"
    assert sum(row.count(CURRENT) for row in below_axis) > 0, "the current week's label is drawn"


def test_a_single_point() -> None:
    image = decode(participation_png(weeks(7), average=7.0))
    [(x0, x1, colour, height)] = image.bars()
    assert colour == CURRENT
    assert 0 < x0 < x1 < image.width
    assert height > 100


def test_twenty_six_points_fit() -> None:
    points = [WeekPoint(f"{day} Feb", 100 + 37 * i % 900, warn=i % 5 == 0) for i, day in enumerate(range(1, 27))]
    image = decode(participation_png(points, average=400.0))
    bars = image.bars()
    assert len(bars) == 26
    assert all(0 <= x0 < x1 <= image.width for x0, x1, _, _ in bars)
    assert all(earlier[1] < later[0] for earlier, later in zip(bars, bars[1:], strict=False)), "bars do not touch"
    assert image.rows[image.axis_row() - 1][bars[-1][0]] == CURRENT_WARN
    below_axis = image.rows[image.axis_row() + 2 :]
    assert sum(row.count(CURRENT) for row in below_axis) > 0, "the current week is labelled"


def test_no_points_at_all() -> None:
    image = decode(participation_png([]))
    assert image.bars() == []
    assert image.count(TEXT) > 0  # "No data yet"


def test_labels_with_characters_outside_the_font() -> None:
    points = [WeekPoint("17 Fév ✓", 3), WeekPoint("24 Feb – now", 5), WeekPoint("", 4)]
    assert len(decode(participation_png(points)).bars()) == 3
    # accents are dropped rather than drawn as boxes
    assert participation_png([WeekPoint("17 Fév", 3)]) == participation_png([WeekPoint("17 Fev", 3)])
    assert participation_png([WeekPoint("17 F✓v", 3)]) != participation_png([WeekPoint("17 Fev", 3)])


def test_large_values_still_fit() -> None:
    image = decode(participation_png(weeks(*[12_000 + 3_000 * i for i in range(26)]), average=40_000.0))
    assert len(image.bars()) == 26


def test_output_is_deterministic_and_small() -> None:
    first = participation_png(TWELVE, average=18.5)
    again = participation_png([WeekPoint(p.label, p.value, p.warn) for p in TWELVE], average=18.5)
    assert first == again
    assert len(first) < 100_000
    assert participation_png(TWELVE, average=18.0) != first


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        participation_png(weeks(3, -1))
    with pytest.raises(ValueError, match="average"):
        participation_png(weeks(3), average=float("nan"))
    with pytest.raises(ValueError, match="at least"):
        participation_png(weeks(3), width=50, height=20)
    with pytest.raises(ValueError, match="negative"):
        sparkline([1, -2])


def test_a_saved_chart_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "habit-health.png"
    path.write_bytes(participation_png(TWELVE, width=640, height=260, average=18.5))
    assert png_size(path.read_bytes()) == (640, 260)


def test_png_size_refuses_what_is_not_a_png() -> None:
    with pytest.raises(ValueError):
        png_size(b"GIF89a" + bytes(30))
    with pytest.raises(ValueError):
        png_size(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], ""),
        ([0, 0, 0], "▁▁▁"),
        ([0, 1, 2, 3, 4, 5, 6, 7], "▁▂▃▄▅▆▇█"),
        ([5], "█"),
        ([3, 3, 3], "███"),
        ([0, 10], "▁█"),
    ],
)
def test_sparkline(values: list[int], expected: str) -> None:
    assert sparkline(values) == expected


def test_sparkline_maps_the_max_to_the_full_block_and_the_min_to_the_lowest() -> None:
    values = [1, 14, 9, 30, 22, 2]
    line = sparkline(values)
    assert len(line) == len(values)
    assert line[values.index(max(values))] == "█"
    assert line[values.index(min(values))] == "▁"
    # a larger value never gets a lower block (the blocks are U+2581 to U+2588, in order)
    assert all(line[i] <= line[j] for i in range(len(values)) for j in range(len(values)) if values[i] <= values[j])
    rising = sparkline(list(range(0, 50, 5)))
    assert list(rising) == sorted(rising)
    assert rising[0] == "▁" and rising[-1] == "█"
