import { render, screen } from "@testing-library/react";
import { createTheme } from "@mui/material/styles";
import { describe, expect, it } from "vitest";

import { STATUS_LABEL, StatusChip, StatusIcon, isActive, statusColor, statusTone } from "./status";

describe("status", () => {
  it("shows `waiting` as its own status: labelled, amber, a hand instead of the running spinner", () => {
    expect(STATUS_LABEL.waiting).toBe("Waiting for approval");
    expect(statusTone("waiting")).toBe("attention");
    expect(statusTone("waiting")).not.toBe(statusTone("running"));
    expect(statusTone("waiting")).not.toBe(statusTone("interrupted"));
    for (const mode of ["light", "dark"] as const) {
      const theme = createTheme({ palette: { mode } });
      const amber = statusColor(theme, "waiting");
      expect(amber).not.toBe(statusColor(theme, "running"));
      expect(amber).not.toBe(statusColor(theme, "interrupted"));
    }
    // A waiting gate is not over.
    expect(isActive("waiting")).toBe(true);

    render(
      <>
        <StatusChip status="waiting" testId="chip" />
        <StatusIcon status="waiting" />
        <StatusChip status="running" testId="running-chip" />
      </>,
    );
    const chip = screen.getByTestId("chip");
    expect(chip).toHaveAttribute("data-status", "waiting");
    expect(chip).toHaveTextContent("Waiting for approval");
    expect(chip.querySelector("[data-testid='PanToolOutlinedIcon']")).not.toBeNull();
    expect(chip.querySelector("[role='progressbar']")).toBeNull();
    expect(screen.getByTestId("running-chip").querySelector("[role='progressbar']")).not.toBeNull();
    const icon = screen.getByLabelText("Waiting for approval", { selector: "svg" });
    expect(icon).toHaveAttribute("data-testid", "PanToolOutlinedIcon");
  });
});
