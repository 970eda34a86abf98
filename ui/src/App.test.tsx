import { render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { App } from "./App";
import { mockBackend } from "./test/backend";

describe("App", () => {
  it("routes through the URL hash and tells the shell once that the first view is drawn", async () => {
    const backend = mockBackend();
    window.location.hash = "#/settings";
    const { unmount } = render(<App />);
    expect(await screen.findByTestId("settings-data-dir")).toBeInTheDocument();
    await waitFor(() => expect(backend.argsOf("ui_ready")).toHaveLength(1));
    unmount();
    window.location.hash = "#/";
    render(<App />);
    expect(await screen.findByText("Overview")).toBeInTheDocument();
    await new Promise((r) => setTimeout(r, 50));
    expect(backend.argsOf("ui_ready")).toHaveLength(1);
  });
});
