import { useTheme } from "@mui/material/styles";
import { Fragment, memo, useMemo, type CSSProperties, type ReactNode } from "react";

import { ANSI_DARK, ANSI_LIGHT, colorToCss, hasControls, parseAnsi, parseAnsiLines, type AnsiSpan, type AnsiStyle } from "../ansi";

/** Longest part of one line that is drawn; the rest is summarised. */
export const MAX_LINE_CHARS = 10_000;

export interface AnsiColors {
  palette: readonly string[];
  foreground: string;
  background: string;
  highlight: string;
  highlightText: string;
}

/** The ANSI colours of the current theme (light or dark), as the log shows them. */
export function useAnsiColors(): AnsiColors {
  const mode = useTheme().palette.mode;
  return useMemo<AnsiColors>(() => {
    const dark = mode === "dark";
    return {
      palette: dark ? ANSI_DARK : ANSI_LIGHT,
      foreground: dark ? "#d6dde6" : "#1f2328",
      background: dark ? "#0b0e13" : "#fbfbfc",
      highlight: dark ? "#8a6d00" : "#ffe58a",
      highlightText: dark ? "#ffffff" : "#1f2328",
    };
  }, [mode]);
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

/**
 * A multi-line text with ANSI colours (a test failure, a stack trace): lines
 * kept, styles carried from line to line, escape sequences (also the "#x1B["
 * text that XML report writers leave) never shown. Drawn as text spans.
 */
export const AnsiLines = memo(function AnsiLines({ text }: { text: string }) {
  const colors = useAnsiColors();
  const lines = useMemo(() => parseAnsiLines(text), [text]);
  return (
    <>
      {lines.map((spans, li) => (
        <Fragment key={li}>
          {li > 0 ? "\n" : null}
          {spans.map((span, si) => {
            const css = cssFor(span.style, colors);
            return css ? (
              <span key={si} style={css}>
                {span.text}
              </span>
            ) : (
              <Fragment key={si}>{span.text}</Fragment>
            );
          })}
        </Fragment>
      ))}
    </>
  );
});
