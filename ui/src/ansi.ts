// A small ANSI escape parser for log lines. It understands SGR ("ESC [ ... m"):
// reset, bold, dim, italic, underline, inverse, strike-through, the 8/16
// colours (30-37, 90-97, 40-47, 100-107), 256 colours (38;5;n) and truecolor
// (38;2;r;g;b), also in their colon forms. Every other escape sequence (cursor
// moves, erase, OSC titles and hyperlinks, DCS...) and other control
// characters are dropped, so raw escape codes are never shown. The output is
// plain text spans: rendering them as React text keeps any HTML in the log as
// text.

/** A colour: 0-255 is a palette index (0-15 follow the theme), a string is "#rrggbb". */
export type AnsiColor = number | string;

export interface AnsiStyle {
  fg?: AnsiColor;
  bg?: AnsiColor;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
  strike?: boolean;
}

export interface AnsiSpan {
  text: string;
  style: AnsiStyle;
}

const ESC = "\u001b";
const CSI_8BIT = "\u009b";
const OSC_8BIT = "\u009d";

function sameStyle(a: AnsiStyle, b: AnsiStyle): boolean {
  return (
    a.fg === b.fg &&
    a.bg === b.bg &&
    !!a.bold === !!b.bold &&
    !!a.dim === !!b.dim &&
    !!a.italic === !!b.italic &&
    !!a.underline === !!b.underline &&
    !!a.inverse === !!b.inverse &&
    !!a.strike === !!b.strike
  );
}

function byte(n: number): number | undefined {
  return Number.isInteger(n) && n >= 0 && n <= 255 ? n : undefined;
}

function hex(r: number, g: number, b: number): string {
  return "#" + [r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("");
}

/** Reads an extended colour (after 38/48) from `codes` at `i`; returns the colour and how many codes it used. */
function extendedColor(codes: number[], i: number): { color?: AnsiColor; used: number } {
  const mode = codes[i];
  if (mode === 5) {
    return { color: byte(codes[i + 1]), used: 2 };
  }
  if (mode === 2) {
    const r = byte(codes[i + 1]);
    const g = byte(codes[i + 2]);
    const b = byte(codes[i + 3]);
    return { color: r !== undefined && g !== undefined && b !== undefined ? hex(r, g, b) : undefined, used: 4 };
  }
  return { color: undefined, used: 1 };
}

function parseNumber(s: string): number {
  if (s === "") return 0;
  if (s.length > 6) return Number.NaN;
  return Number(s);
}

/** Applies one SGR parameter string (the part between "ESC[" and "m") to a style. */
export function applySgr(params: string, style: AnsiStyle): AnsiStyle {
  let next: AnsiStyle = { ...style };
  const groups = params === "" ? [""] : params.split(";");
  // Semicolon form: numbers in one list. Colon form ("38:2::r:g:b"): one group.
  const flat: number[] = [];
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g];
    if (group.includes(":")) {
      const sub = group.split(":").map(parseNumber);
      const head = sub[0];
      if ((head === 38 || head === 48 || head === 58) && sub.length > 1) {
        let color: AnsiColor | undefined;
        if (sub[1] === 5) color = byte(sub[2]);
        else if (sub[1] === 2) {
          // 38:2:r:g:b or 38:2:colorspace:r:g:b
          const rgb = sub.length >= 6 ? sub.slice(3, 6) : sub.slice(2, 5);
          const [r, gg, b] = rgb.map(byte);
          if (r !== undefined && gg !== undefined && b !== undefined) color = hex(r, gg, b);
        }
        if (color !== undefined) {
          if (head === 38) next.fg = color;
          else if (head === 48) next.bg = color;
        }
      } else if (head === 4) {
        next.underline = sub[1] !== 0;
      }
      continue;
    }
    flat.push(parseNumber(group));
  }
  for (let i = 0; i < flat.length; i++) {
    const code = flat[i];
    if (!Number.isFinite(code)) continue;
    if (code === 0) next = {};
    else if (code === 1) next.bold = true;
    else if (code === 2) next.dim = true;
    else if (code === 3) next.italic = true;
    else if (code === 4) next.underline = true;
    else if (code === 7) next.inverse = true;
    else if (code === 9) next.strike = true;
    else if (code === 21 || code === 22) {
      next.bold = false;
      next.dim = false;
    } else if (code === 23) next.italic = false;
    else if (code === 24) next.underline = false;
    else if (code === 27) next.inverse = false;
    else if (code === 29) next.strike = false;
    else if (code >= 30 && code <= 37) next.fg = code - 30;
    else if (code === 39) delete next.fg;
    else if (code >= 40 && code <= 47) next.bg = code - 40;
    else if (code === 49) delete next.bg;
    else if (code >= 90 && code <= 97) next.fg = code - 90 + 8;
    else if (code >= 100 && code <= 107) next.bg = code - 100 + 8;
    else if (code === 38 || code === 48 || code === 58) {
      const { color, used } = extendedColor(flat, i + 1);
      if (color !== undefined) {
        if (code === 38) next.fg = color;
        else if (code === 48) next.bg = color;
      }
      i += used;
    }
    // Anything else (blink, fonts, frames...) is ignored.
  }
  for (const k of Object.keys(next) as (keyof AnsiStyle)[]) {
    if (next[k] === false || next[k] === undefined) delete next[k];
  }
  return next;
}

/** Where a string terminator (BEL or ESC \) ends, from `i`; the input's end when there is none. */
function skipToStringTerminator(input: string, i: number): number {
  for (let j = i; j < input.length; j++) {
    const c = input[j];
    if (c === "\u0007" || c === "\u009c") return j + 1;
    if (c === ESC && input[j + 1] === "\\") return j + 2;
  }
  return input.length;
}

/**
 * Splits a log line into styled text spans. `initial` is the style in force at
 * the start of the line. Control characters other than tab are dropped; a
 * carriage return followed by more text starts the line over, as a terminal
 * would (progress bars).
 */
export function parseAnsi(input: string, initial: AnsiStyle = {}): AnsiSpan[] {
  return parseAnsiLine(input, initial).spans;
}

/** parseAnsi, and the style in force at the end of the line (for the next line). */
function parseAnsiLine(input: string, initial: AnsiStyle): { spans: AnsiSpan[]; style: AnsiStyle } {
  let style: AnsiStyle = { ...initial };
  let spans: AnsiSpan[] = [];
  let text = "";

  const flush = () => {
    if (text === "") return;
    const last = spans[spans.length - 1];
    if (last && sameStyle(last.style, style)) last.text += text;
    else spans.push({ text, style });
    text = "";
  };

  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input[i];
    const code = c.charCodeAt(0);
    if (c === ESC || c === CSI_8BIT || c === OSC_8BIT) {
      let kind: string | undefined;
      let start: number;
      if (c === CSI_8BIT) {
        kind = "[";
        start = i + 1;
      } else if (c === OSC_8BIT) {
        kind = "]";
        start = i + 1;
      } else {
        kind = input[i + 1];
        start = i + 2;
      }
      if (kind === "[") {
        // CSI: parameter bytes 0x30-0x3F, intermediate bytes 0x20-0x2F, final byte 0x40-0x7E.
        let j = start;
        while (j < n && input.charCodeAt(j) >= 0x30 && input.charCodeAt(j) <= 0x3f) j++;
        const params = input.slice(start, j);
        while (j < n && input.charCodeAt(j) >= 0x20 && input.charCodeAt(j) <= 0x2f) j++;
        if (j >= n) break; // unterminated: drop it
        const final = input.charCodeAt(j);
        if (final >= 0x40 && final <= 0x7e) {
          if (input[j] === "m" && /^[0-9;:]*$/.test(params)) {
            flush();
            style = applySgr(params, style);
          }
          i = j + 1;
        } else {
          // Malformed: drop the introducer and go on with the rest as text.
          i = j;
        }
        continue;
      }
      if (kind === "]" || kind === "P" || kind === "X" || kind === "^" || kind === "_") {
        // OSC / DCS / SOS / PM / APC: up to the string terminator.
        i = skipToStringTerminator(input, start);
        continue;
      }
      if (kind === undefined) break; // a lone ESC at the end
      const k = kind.charCodeAt(0);
      if (k >= 0x20 && k <= 0x2f) {
        // nF escape: intermediates then one final byte.
        let j = start;
        while (j < n && input.charCodeAt(j) >= 0x20 && input.charCodeAt(j) <= 0x2f) j++;
        i = Math.min(n, j + 1);
        continue;
      }
      // Two-character escape (ESC 7, ESC c, ...).
      i = start;
      continue;
    }
    if (c === "\r") {
      if (i + 1 < n && input[i + 1] !== "\n") {
        // The rest of the line overwrites what came before.
        text = "";
        spans = [];
      }
      i++;
      continue;
    }
    if ((code < 0x20 && c !== "\t") || code === 0x7f || (code >= 0x80 && code <= 0x9f)) {
      i++;
      continue;
    }
    // A run of ordinary characters.
    let j = i + 1;
    while (j < n) {
      const d = input.charCodeAt(j);
      if (d < 0x20 || d === 0x7f || (d >= 0x80 && d <= 0x9f)) {
        if (d === 0x09) {
          j++;
          continue;
        }
        break;
      }
      j++;
    }
    text += input.slice(i, j);
    i = j;
  }
  flush();
  return { spans, style };
}

/**
 * ESC written as text by XML report writers, in front of a CSI sequence:
 * pytest's junitxml writes the ESC that XML 1.0 forbids as the text "#x1B"
 * ("#x1B[91m"); other writers escape it twice, so "&#x1B;" / "&#27;" (or
 * "&amp;#x1B;") is left as text once the XML is read. Only an introducer that
 * a CSI sequence follows is taken for ESC; any other "#x1B" stays text.
 */
const ESCAPED_ESC = /(?:&(?:amp;)?#0*27;?|(?:&(?:amp;)?)?#[xX]0*1[bB];?)(?=\[[0-9;:?]*[A-Za-z])/g;

/** Turns the textual forms of ESC ("#x1B[", "&#x1B;[", "&#27;[") back into ESC. */
export function unescapeAnsi(input: string): string {
  return input.includes("#") ? input.replace(ESCAPED_ESC, ESC) : input;
}

/**
 * Splits a multi-line text (a test failure, a stack trace) into lines of
 * styled spans; a style set on one line carries on to the next, as in a
 * terminal. Textual ESC forms (see unescapeAnsi) count as ESC.
 */
export function parseAnsiLines(input: string): AnsiSpan[][] {
  let style: AnsiStyle = {};
  return unescapeAnsi(input)
    .split(/\r?\n/)
    .map((line) => {
      const parsed = parseAnsiLine(line, style);
      style = parsed.style;
      return parsed.spans;
    });
}

/** The text of a line without any escape sequence. */
export function stripAnsi(input: string): string {
  return parseAnsi(input)
    .map((s) => s.text)
    .join("");
}

/** Whether a line needs parsing at all (fast path for plain lines). */
export function hasControls(input: string): boolean {
  for (let i = 0; i < input.length; i++) {
    const d = input.charCodeAt(i);
    if ((d < 0x20 && d !== 0x09) || d === 0x7f || (d >= 0x80 && d <= 0x9f)) return true;
  }
  return false;
}

// ---- Colours --------------------------------------------------------------

/** The 16 base colours, readable on a dark background. */
export const ANSI_DARK = [
  "#484f58", "#ff7b72", "#3fb950", "#d29922", "#58a6ff", "#bc8cff", "#39c5cf", "#b1bac4",
  "#6e7681", "#ffa198", "#56d364", "#e3b341", "#79c0ff", "#d2a8ff", "#56d4dd", "#f0f6fc",
];

/** The 16 base colours, readable on a light background. */
export const ANSI_LIGHT = [
  "#24292f", "#cf222e", "#116329", "#7d4e00", "#0969da", "#8250df", "#1b7c83", "#6e7781",
  "#57606a", "#a40e26", "#1a7f37", "#633c01", "#218bff", "#a475f9", "#3192aa", "#8c959f",
];

const CUBE = [0, 95, 135, 175, 215, 255];

/** A palette index or "#rrggbb" as a CSS colour. */
export function colorToCss(color: AnsiColor, base: readonly string[]): string {
  if (typeof color === "string") return color;
  if (color < 16) return base[color];
  if (color < 232) {
    const c = color - 16;
    return hex(CUBE[Math.floor(c / 36)], CUBE[Math.floor(c / 6) % 6], CUBE[c % 6]);
  }
  const v = 8 + (color - 232) * 10;
  return hex(v, v, v);
}
