import { memo, useMemo, type CSSProperties, type ReactNode } from "react";

import { colorToCss, hasControls, parseAnsi, type AnsiSpan, type AnsiStyle } from "../ansi";

/** Longest part of one line that is drawn; the rest is summarised. */
export const MAX_LINE_CHARS = 10_000;

export interface AnsiColors {
  palette: readonly string[];
  foreground: string;
  background: string;
  highlight: string;
  highlightText: string;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function cssFor(style: AnsiStyle, colors: AnsiColors): CSSProperties | undefined {
  let fg = style.fg !== undefined ? colorToCss(style.fg, colors.palette) : undefined;
  let bg = style.bg !== undefined ? colorToCss(style.bg, colors.palette) : undefined;
  if (style.inverse) {
    const f = fg ?? colors.foreground;
    fg = bg ?? colors.background;
    bg = f;
  }
  const css: CSSProperties = {};
  if (fg) css.color = fg;
  if (bg) css.backgroundColor = bg;
  if (style.bold) css.fontWeight = 700;
  if (style.dim) css.opacity = 0.7;
  if (style.italic) css.fontStyle = "italic";
  const deco = [style.underline ? "underline" : "", style.strike ? "line-through" : ""].filter(Boolean).join(" ");
  if (deco) css.textDecoration = deco;
  return Object.keys(css).length ? css : undefined;
}

function matchRanges(text: string, query: string): [number, number][] {
  if (!query) return [];
  const ranges: [number, number][] = [];
  const re = new RegExp(escapeRegExp(query), "gi");
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[0].length === 0) break;
    ranges.push([m.index, m.index + m[0].length]);
    if (ranges.length > 1000) break;
  }
  return ranges;
}

export interface AnsiTextProps {
  text: string;
  colors: AnsiColors;
  /** Marks where this text occurs (case-insensitive). */
  highlight?: string;
}

/** A log line with its ANSI colours, drawn as text spans (never as HTML). */
export const AnsiText = memo(function AnsiText({ text, colors, highlight }: AnsiTextProps) {
  const spans = useMemo<AnsiSpan[]>(() => (hasControls(text) ? parseAnsi(text) : [{ text, style: {} }]), [text]);
  const content = useMemo(() => {
    let total = 0;
    const kept: AnsiSpan[] = [];
    let hidden = 0;
    for (const span of spans) {
      if (total >= MAX_LINE_CHARS) {
        hidden += span.text.length;
        continue;
      }
      const room = MAX_LINE_CHARS - total;
      if (span.text.length > room) {
        kept.push({ text: span.text.slice(0, room), style: span.style });
        hidden += span.text.length - room;
        total = MAX_LINE_CHARS;
      } else {
        kept.push(span);
        total += span.text.length;
      }
    }
    const plain = kept.map((s) => s.text).join("");
    const ranges = matchRanges(plain, highlight ?? "");
    const markStyle: CSSProperties = {
      backgroundColor: colors.highlight,
      color: colors.highlightText,
      borderRadius: 2,
    };
    const out: ReactNode[] = [];
    let offset = 0;
    let r = 0;
    kept.forEach((span, si) => {
      const css = cssFor(span.style, colors);
      const start = offset;
      const end = offset + span.text.length;
      offset = end;
      if (ranges.length === 0) {
        out.push(
          css ? (
            <span key={si} style={css}>
              {span.text}
            </span>
          ) : (
            span.text
          ),
        );
        return;
      }
      const parts: ReactNode[] = [];
      let pos = start;
      while (r < ranges.length && ranges[r][0] < end) {
        const [a, b] = ranges[r];
        const from = Math.max(a, pos);
        const to = Math.min(b, end);
        if (from > pos) parts.push(span.text.slice(pos - start, from - start));
        if (to > from)
          parts.push(
            <mark key={`m${from}`} style={markStyle}>
              {span.text.slice(from - start, to - start)}
            </mark>,
          );
        pos = Math.max(pos, to);
        if (b <= end) r++;
        else break;
      }
      if (pos < end) parts.push(span.text.slice(pos - start));
      out.push(
        <span key={si} style={css}>
          {parts}
        </span>,
      );
    });
    if (hidden > 0) {
      out.push(
        <span key="more" style={{ opacity: 0.6, fontStyle: "italic" }}>
          {` … ${hidden.toLocaleString()} more characters (download the log to see them)`}
        </span>,
      );
    }
    return out;
  }, [spans, highlight, colors]);
  return <>{content}</>;
});
