import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { ANSI_DARK, applySgr, colorToCss, parseAnsi, stripAnsi } from "./ansi";
import { AnsiText, type AnsiColors } from "./components/AnsiText";

const E = "\u001b";
const colors: AnsiColors = {
  palette: ANSI_DARK,
  foreground: "#dddddd",
  background: "#000000",
  highlight: "#ffff00",
  highlightText: "#000000",
};

describe("parseAnsi", () => {
  it("leaves plain text alone", () => {
    expect(parseAnsi("hello world")).toEqual([{ text: "hello world", style: {} }]);
    expect(parseAnsi("")).toEqual([]);
  });

  it("reads the 8 and bright colours, backgrounds, bold and reset", () => {
    expect(parseAnsi(`${E}[31mred${E}[0m plain ${E}[1;92mbold bright green${E}[m ${E}[44mon blue`)).toEqual([
      { text: "red", style: { fg: 1 } },
      { text: " plain ", style: {} },
      { text: "bold bright green", style: { bold: true, fg: 10 } },
      { text: " ", style: {} },
      { text: "on blue", style: { bg: 4 } },
    ]);
    expect(parseAnsi(`${E}[97;100mx`)).toEqual([{ text: "x", style: { fg: 15, bg: 8 } }]);
  });

  it("reads 256 colours and truecolor, in ; and : forms", () => {
    expect(parseAnsi(`${E}[38;5;208mA${E}[48;5;17mB`)).toEqual([
      { text: "A", style: { fg: 208 } },
      { text: "B", style: { fg: 208, bg: 17 } },
    ]);
    expect(parseAnsi(`${E}[38;2;255;128;0mC`)).toEqual([{ text: "C", style: { fg: "#ff8000" } }]);
    expect(parseAnsi(`${E}[38:2::1:2:3mD`)).toEqual([{ text: "D", style: { fg: "#010203" } }]);
    expect(parseAnsi(`${E}[38:5:9mE`)).toEqual([{ text: "E", style: { fg: 9 } }]);
    expect(colorToCss(208, ANSI_DARK)).toBe("#ff8700");
    expect(colorToCss(244, ANSI_DARK)).toBe("#808080");
    expect(colorToCss(1, ANSI_DARK)).toBe(ANSI_DARK[1]);
  });

  it("turns attributes off one by one", () => {
    let s = applySgr("1;3;4;7;9;31", {});
    expect(s).toEqual({ bold: true, italic: true, underline: true, inverse: true, strike: true, fg: 1 });
    s = applySgr("22;23;24;27;29;39", s);
    expect(s).toEqual({});
  });

  it("ignores out-of-range and malformed colour codes", () => {
    expect(parseAnsi(`${E}[38;5;999mA`)).toEqual([{ text: "A", style: {} }]);
    expect(parseAnsi(`${E}[38;2;300;0;0mB`)).toEqual([{ text: "B", style: {} }]);
    expect(parseAnsi(`${E}[38;5mC`)).toEqual([{ text: "C", style: {} }]);
    expect(parseAnsi(`${E}[99999999999999999999mD`)).toEqual([{ text: "D", style: {} }]);
  });

  it("drops every other escape sequence and control character", () => {
    const line =
      `${E}[2K${E}[1G${E}]0;window title${"\u0007"}${E}]8;;https://example.invalid${E}\\link${E}]8;;${E}\\` +
      `${E}[?25l${E}(B${E}7${E}Pdcs data${E}\\ok${"\u0008"}\u0000!${"\u009b"}31mred`;
    expect(stripAnsi(line)).toBe("linkok!red");
    expect(parseAnsi(line).at(-1)).toEqual({ text: "red", style: { fg: 1 } });
  });

  it("drops unterminated and lone escapes instead of printing them", () => {
    expect(stripAnsi(`abc${E}[31`)).toBe("abc");
    expect(stripAnsi(`abc${E}`)).toBe("abc");
    expect(stripAnsi(`abc${E}]0;title never ends`)).toBe("abc");
    for (const s of parseAnsi(`${E}[1;31mx${E}[${E}[0m`)) {
      expect(s.text).not.toContain(E);
      expect(s.text).not.toMatch(/\[\d/);
    }
  });

  it("lets a carriage return overwrite the line like a terminal", () => {
    expect(stripAnsi("10%\r50%\r100% done")).toBe("100% done");
    expect(stripAnsi("windows line\r")).toBe("windows line");
  });
});

describe("AnsiText", () => {
  it("renders colours as styled spans and never shows raw escape codes", () => {
    const { container } = render(<AnsiText text={`${E}[1;31mFAILED${E}[0m ${E}[38;2;0;128;255mblue`} colors={colors} />);
    const spans = container.querySelectorAll("span");
    expect(container.textContent).toBe("FAILED blue");
    expect(container.textContent).not.toContain("\u001b");
    const failed = [...spans].find((s) => s.textContent === "FAILED") as HTMLElement;
    expect(failed.style.color).toBe("rgb(255, 123, 114)");
    expect(failed.style.fontWeight).toBe("700");
    const blue = [...spans].find((s) => s.textContent === "blue") as HTMLElement;
    expect(blue.style.color).toBe("rgb(0, 128, 255)");
  });

  it("shows HTML in a log as text", () => {
    const evil = `<img src=x onerror="alert(1)"><script>alert(2)</script>${E}[31m<b>bold?</b>`;
    const { container } = render(<AnsiText text={evil} colors={colors} />);
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("script")).toBeNull();
    expect(container.querySelector("b")).toBeNull();
    expect(container.textContent).toBe(`<img src=x onerror="alert(1)"><script>alert(2)</script><b>bold?</b>`);
  });

  it("does not let styles escape through colour values", () => {
    const { container } = render(<AnsiText text={`${E}[38;2;1;2;3;url(x)mA`} colors={colors} />);
    expect(container.innerHTML).not.toContain("url(");
  });

  it("marks search matches across colour changes", () => {
    const { container } = render(
      <AnsiText text={`err${E}[31mor: ERROR${E}[0m again`} colors={colors} highlight="error" />,
    );
    const marks = [...container.querySelectorAll("mark")].map((m) => m.textContent);
    expect(marks).toEqual(["err", "or", "ERROR"]);
    expect(container.textContent).toBe("error: ERROR again");
  });

  it("cuts very long lines", () => {
    const { container } = render(<AnsiText text={"x".repeat(50_000)} colors={colors} />);
    expect(container.textContent?.length).toBeLessThan(10_200);
    expect(container.textContent).toContain("40,000 more characters");
  });
});
