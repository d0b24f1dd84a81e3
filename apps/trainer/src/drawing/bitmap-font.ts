/**
 * A 5x7 bitmap font for the text in our PNGs (axis ticks, labels, titles), so pictures need no
 * font files or canvas library. Upper case only: lower-case text is drawn in capitals. Each glyph
 * is 7 rows of 5 bits (the high bit leftmost), written as 14 hex digits.
 */
const GLYPHS: Readonly<Record<string, string>> = {
  '0': '0e11131519110e', '1': '040c040404040e', '2': '0e11010204081f', '3': '1f02040201110e',
  '4': '02060a121f0202', '5': '1f101e0101110e', '6': '0608101e11110e', '7': '1f010204080808',
  '8': '0e11110e11110e', '9': '0e11110f01020c',
  A: '0e1111111f1111', B: '1e11111e11111e', C: '0e11101010110e', D: '1c12111111121c',
  E: '1f10101e10101f', F: '1f10101e101010', G: '0e11101711110f', H: '1111111f111111',
  I: '0e04040404040e', J: '0702020202120c', K: '11121418141211', L: '1010101010101f',
  M: '111b1515111111', N: '11111915131111', O: '0e11111111110e', P: '1e11111e101010',
  Q: '0e11111115120d', R: '1e11111e141211', S: '0f10100e01011e', T: '1f040404040404',
  U: '1111111111110e', V: '11111111110a04', W: '1111111515150a', X: '11110a040a1111',
  Y: '1111110a040404', Z: '1f01020408101f',
  ' ': '00000000000000', '.': '00000000000c0c', ',': '000000000c0408', '-': '0000001f000000',
  '+': '0004041f040400', ':': '000c0c000c0c00', '/': '00010204081000', '(': '02040808080402',
  ')': '08040202020408', '=': '00001f001f0000', '%': '18190204081303', '_': '0000000000001f',
  '^': '040a1100000000', '?': '0e110102040004',
};

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** Horizontal advance per character: the glyph and one blank column. */
export const ADVANCE = GLYPH_WIDTH + 1;

/** The glyph's rows as bit masks; characters the font lacks are drawn as '?'. */
export function glyphRows(ch: string): readonly number[] {
  const hex = GLYPHS[ch.toUpperCase()] ?? GLYPHS['?'];
  return Array.from({ length: GLYPH_HEIGHT }, (_, r) => parseInt(hex.slice(2 * r, 2 * r + 2), 16));
}

/** Width in pixels of `text` at `scale`, without the trailing blank column. */
export const textWidth = (text: string, scale = 1) => Math.max(0, text.length * ADVANCE - 1) * scale;

/** Calls `dot(x, y)` for every lit pixel of `text` with its top-left corner at (x, y). */
export function rasterize(text: string, x: number, y: number, dot: (x: number, y: number) => void, scale = 1): void {
  [...text].forEach((ch, i) => {
    const rows = glyphRows(ch);
    const left = x + i * ADVANCE * scale;
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      for (let c = 0; c < GLYPH_WIDTH; c++) {
        if (!(rows[r] & (1 << (GLYPH_WIDTH - 1 - c)))) continue;
        for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) dot(left + c * scale + dx, y + r * scale + dy);
      }
    }
  });
}
