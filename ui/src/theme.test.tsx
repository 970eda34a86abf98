import Dialog from "@mui/material/Dialog";
import { ThemeProvider } from "@mui/material/styles";
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { createAppTheme } from "./theme";

function Shown({ open }: { open: boolean }) {
  return (
    <ThemeProvider theme={createAppTheme("light")}>
      <Dialog open={open} transitionDuration={60_000}>
        <span>inside</span>
      </Dialog>
    </ThemeProvider>
  );
}

describe("theme", () => {
  it("lets clicks through a dialog while it closes (its fading layer must never swallow them)", () => {
    const { rerender } = render(<Shown open />);
    const root = () => screen.getByText("inside").closest(".MuiDialog-root") as HTMLElement;
    expect(getComputedStyle(root()).pointerEvents).not.toBe("none");
    // Closing: still on the page (a long fade), but out of the way.
    rerender(<Shown open={false} />);
    expect(root()).not.toBeNull();
    expect(getComputedStyle(root()).pointerEvents).toBe("none");
  });
});
