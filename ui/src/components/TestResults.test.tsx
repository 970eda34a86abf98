import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { ANSI_LIGHT } from "../ansi";
import type { TestResultRecord } from "../bindings/TestResultRecord";
import { mockBackend } from "../test/backend";
import { job } from "../test/fixtures";
import { TestResults } from "./TestResults";

const E = "\u001b";

function failure(partial: Partial<TestResultRecord>): TestResultRecord {
  return {
    report: "reports/pytest.xml",
    suite: "pytest",
    classname: "test_sample",
    name: "test_division_result",
    status: "failed",
    duration_ms: 3,
    message: null,
    details: null,
    ...partial,
  };
}

function renderTests(records: TestResultRecord[]) {
  mockBackend({ test_results: () => records });
  const user = userEvent.setup();
  render(<TestResults jobs={[job({ id: 10, tests: { passed: 0, failed: records.length, skipped: 0 } })]} refreshKey="1" />);
  return { user };
}

/** The colour of the span around `text`, as the browser reports it. */
function colorOf(container: HTMLElement, text: string): string | undefined {
  const span = [...container.querySelectorAll("span")].find((s) => s.textContent === text);
  return span?.style.color;
}

const rgb = (hex: string) =>
  `rgb(${parseInt(hex.slice(1, 3), 16)}, ${parseInt(hex.slice(3, 5), 16)}, ${parseInt(hex.slice(5, 7), 16)})`;

describe("Test results", () => {
  it("renders the colours of pytest --color=yes failures instead of raw #x1B escape codes", async () => {
    // pytest's junitxml writes ESC, which XML 1.0 forbids, as the text "#x1B".
    const { user } = renderTests([
      failure({
        message: "#x1B[91mAssertionError#x1B[0m: integer division gave the wrong quotient",
        details:
          "def test_division_result():\n>       #x1B[94massert#x1B[39;49;00m (#x1B[94m10#x1B[39;49;00m // #x1B[94m4#x1B[39;49;00m) == #x1B[94m3#x1B[39;49;00m\n#x1B[1m#x1B[31mE       AssertionError#x1B[0m",
      }),
    ]);
    const message = await screen.findByTestId("test-message");
    expect(message).toHaveTextContent("AssertionError: integer division gave the wrong quotient");
    expect(message.textContent).not.toContain("#x1B");
    expect(colorOf(message, "AssertionError")).toBe(rgb(ANSI_LIGHT[9]));

    await user.click(screen.getByTestId("test-expand"));
    const details = screen.getByTestId("test-details");
    expect(details.textContent).toBe(
      "def test_division_result():\n>       assert (10 // 4) == 3\nE       AssertionError",
    );
    expect(colorOf(details, "assert")).toBe(rgb(ANSI_LIGHT[12]));
    expect(colorOf(details, "E       AssertionError")).toBe(rgb(ANSI_LIGHT[1]));
    const bold = [...details.querySelectorAll("span")].find((s) => s.textContent === "E       AssertionError");
    expect(bold?.style.fontWeight).toBe("700");
  });

  it("renders real ESC characters and literal &#x1B; entities in failure details as colour, not as codes", async () => {
    const { user } = renderTests([
      failure({
        message: `${E}[31mexpected 1, got 2${E}[0m`,
        details: `first &#x1B;[32mgreen&#x1B;[0m line\nsecond ${E}[33myellow${E}[0m line`,
      }),
    ]);
    const message = await screen.findByTestId("test-message");
    expect(message.textContent).toBe("expected 1, got 2");
    expect(colorOf(message, "expected 1, got 2")).toBe(rgb(ANSI_LIGHT[1]));

    await user.click(screen.getByTestId("test-expand"));
    const details = screen.getByTestId("test-details");
    expect(details.textContent).toBe("first green line\nsecond yellow line");
    expect(colorOf(details, "green")).toBe(rgb(ANSI_LIGHT[2]));
    expect(colorOf(details, "yellow")).toBe(rgb(ANSI_LIGHT[3]));
  });

  it("keeps a #x1B that is not an escape sequence as text", async () => {
    renderTests([failure({ message: "colour #x1B is not a sequence; nor is #x1B[ alone" })]);
    expect(await screen.findByTestId("test-message")).toHaveTextContent("colour #x1B is not a sequence; nor is #x1B[ alone");
  });
});
