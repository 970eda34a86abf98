import { act, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { emitEvent, errorDto, mockBackend } from "../test/backend";
import { settings } from "../test/fixtures";
import { setPrefersDark } from "../test/media";
import { currentPath, renderApp } from "../test/render";

describe("Settings", () => {
  it("shows the data folder read-only with how to move it", async () => {
    mockBackend();
    renderApp("/settings");
    const dir = await screen.findByTestId("settings-data-dir");
    expect(dir).toHaveValue("/home/dev/.local/share/switchyard");
    expect(dir).toHaveAttribute("readonly");
    expect(screen.getByText(/SWITCHYARD_HOME/)).toBeInTheDocument();
  });

  it("saves notification, theme and tray choices with update_settings and applies the theme", async () => {
    const backend = mockBackend({ update_settings: ({ settings: s }) => s });
    const { user } = renderApp("/settings");
    const save = await screen.findByTestId("settings-save");
    expect(save).toBeDisabled();
    await user.click(screen.getByTestId("settings-notify-fixed"));
    await user.click(screen.getByTestId("settings-theme-dark"));
    await user.click(screen.getByTestId("settings-close-to-tray"));
    await user.click(save);
    await waitFor(() => expect(backend.argsOf("update_settings")).toHaveLength(1));
    expect(backend.argsOf("update_settings")[0]).toEqual({
      settings: settings({ notify_on_fixed: false, theme: "dark", close_to_tray: true }),
    });
    expect(await screen.findByText("Settings saved")).toBeInTheDocument();
    await waitFor(() => expect(document.body).toHaveStyle({ backgroundColor: "#0f1218" }));
    expect(screen.getByTestId("settings-save")).toBeDisabled();
  });

  it("applies an edit of config.toml made elsewhere and shows a problem in the file", async () => {
    mockBackend({ get_settings: () => settings({ theme: "light" }) });
    renderApp("/settings");
    expect(await screen.findByTestId("settings-config-file")).toHaveValue("/home/dev/.config/switchyard/config.toml");
    expect(screen.queryByTestId("settings-config-problem")).toBeNull();
    await waitFor(() => expect(document.body).toHaveStyle({ backgroundColor: "#f5f6f8" }));
    await emitEvent(
      "switchyard://settings",
      settings({ theme: "dark", config_problem: "config.toml:3:1: unknown field `thme`" }),
    );
    await waitFor(() => expect(document.body).toHaveStyle({ backgroundColor: "#0f1218" }));
    expect(await screen.findByTestId("settings-config-problem")).toHaveTextContent("config.toml:3:1: unknown field `thme`");
  });

  it("follows the system colour scheme live when the theme is 'system'", async () => {
    mockBackend({ get_settings: () => settings({ theme: "system" }) });
    renderApp("/settings");
    await screen.findByTestId("settings-data-dir");
    expect(document.body).toHaveStyle({ backgroundColor: "#f5f6f8" });
    act(() => setPrefersDark(true));
    await waitFor(() => expect(document.body).toHaveStyle({ backgroundColor: "#0f1218" }));
    act(() => setPrefersDark(false));
    await waitFor(() => expect(document.body).toHaveStyle({ backgroundColor: "#f5f6f8" }));
  });

  it("pauses notifications for an hour and resumes them", async () => {
    const until = Date.now() + 3_600_000;
    const backend = mockBackend({
      pause_notifications: ({ minutes }) => settings({ notifications_paused_until: minutes ? until : null }),
    });
    const { user } = renderApp("/settings");
    await user.click(await screen.findByTestId("settings-pause"));
    expect(await screen.findByTestId("settings-paused")).toHaveTextContent("Paused until");
    await user.click(screen.getByTestId("settings-resume"));
    expect(await screen.findByTestId("settings-pause")).toBeInTheDocument();
    expect(backend.argsOf("pause_notifications")).toEqual([{ minutes: 60 }, { minutes: 0 }]);
  });

  it("shows why saving failed", async () => {
    mockBackend({
      update_settings: () => {
        throw errorDto("internal", "could not write settings.toml: read-only file system");
      },
    });
    const { user } = renderApp("/settings");
    await user.click(await screen.findByTestId("settings-notify-failure"));
    await user.click(screen.getByTestId("settings-save"));
    expect(await screen.findByText(/read-only file system/)).toBeInTheDocument();
  });

  it("previews a chosen theme at once and reverts it when the change is discarded", async () => {
    const backend = mockBackend({ get_settings: () => settings({ theme: "light" }) });
    const { user } = renderApp("/settings");
    await screen.findByTestId("settings-data-dir");
    await waitFor(() => expect(document.body).toHaveStyle({ backgroundColor: "#f5f6f8" }));
    await user.click(screen.getByTestId("settings-theme-dark"));
    // Applied while editing, before any save.
    await waitFor(() => expect(document.body).toHaveStyle({ backgroundColor: "#0f1218" }));
    expect(backend.argsOf("update_settings")).toEqual([]);
    await user.click(screen.getByTestId("settings-reset"));
    await waitFor(() => expect(document.body).toHaveStyle({ backgroundColor: "#f5f6f8" }));
    expect(screen.getByTestId("settings-theme-light")).toBeChecked();
  });

  it("reverts a previewed theme when the user leaves without saving", async () => {
    mockBackend({ get_settings: () => settings({ theme: "light" }) });
    const { user } = renderApp("/settings");
    await user.click(await screen.findByTestId("settings-theme-dark"));
    await waitFor(() => expect(document.body).toHaveStyle({ backgroundColor: "#0f1218" }));
    await user.click(screen.getByTestId("nav-overview"));
    await user.click(within(await screen.findByRole("dialog", { name: "Discard unsaved changes?" })).getByRole("button", { name: "Discard" }));
    await waitFor(() => expect(currentPath()).toBe("/"));
    await waitFor(() => expect(document.body).toHaveStyle({ backgroundColor: "#f5f6f8" }));
  });

  it("keeps Save and Discard in view at the bottom of the window however long the page is", async () => {
    mockBackend();
    const { user } = renderApp("/settings");
    await user.click(await screen.findByTestId("settings-notify-failure"));
    const bar = screen.getByTestId("settings-actions");
    expect(bar).toHaveStyle({ position: "sticky", bottom: "0px" });
    expect(bar).toContainElement(screen.getByTestId("settings-save"));
    expect(bar).toContainElement(screen.getByTestId("settings-reset"));
    expect(screen.getByTestId("settings-save")).toBeEnabled();
    expect(bar).toHaveTextContent("Unsaved changes");
  });

  it("asks before leaving with unsaved changes instead of dropping them silently", async () => {
    const backend = mockBackend();
    const { user } = renderApp("/settings");
    await user.click(await screen.findByTestId("settings-notify-failure"));
    expect(screen.getByTestId("settings-notify-failure")).not.toBeChecked();

    await user.click(screen.getByTestId("nav-projects"));
    const ask = await screen.findByRole("dialog", { name: "Discard unsaved changes?" });
    expect(currentPath()).toBe("/settings");
    await user.click(within(ask).getByRole("button", { name: "Stay" }));
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Discard unsaved changes?" })).toBeNull());
    expect(currentPath()).toBe("/settings");
    // The edit is still there, still unsaved.
    expect(screen.getByTestId("settings-notify-failure")).not.toBeChecked();
    expect(screen.getByTestId("settings-save")).toBeEnabled();

    // A shortcut asks too.
    await user.keyboard("go");
    await user.click(within(await screen.findByRole("dialog", { name: "Discard unsaved changes?" })).getByRole("button", { name: "Stay" }));
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Discard unsaved changes?" })).toBeNull());
    expect(currentPath()).toBe("/settings");

    await user.click(screen.getByTestId("nav-projects"));
    await user.click(within(await screen.findByRole("dialog", { name: "Discard unsaved changes?" })).getByRole("button", { name: "Discard" }));
    await waitFor(() => expect(currentPath()).toBe("/projects"));
    expect(backend.argsOf("update_settings")).toEqual([]);
  });

  it("leaves without asking when nothing changed or the changes were saved", async () => {
    mockBackend({ update_settings: ({ settings: s }) => s });
    const { user } = renderApp("/settings");
    await user.click(await screen.findByTestId("settings-notify-failure"));
    await user.click(screen.getByTestId("settings-save"));
    expect(await screen.findByText("Settings saved")).toBeInTheDocument();
    await user.click(screen.getByTestId("nav-projects"));
    await waitFor(() => expect(currentPath()).toBe("/projects"));
    expect(screen.queryByRole("dialog", { name: "Discard unsaved changes?" })).toBeNull();
  });

  it("saves the local jobs at once with the rest, empty meaning the number of CPUs", async () => {
    const backend = mockBackend({ get_settings: () => settings({ cpus: 12 }), update_settings: ({ settings: s }) => s });
    const { user } = renderApp("/settings");
    const field = await screen.findByTestId("settings-local-concurrency");
    expect(field).toHaveValue("");
    expect(field).toHaveAttribute("placeholder", "the number of CPUs (12)");
    expect(screen.getByTestId("settings-local-concurrency-help")).toHaveTextContent("Empty: the number of CPUs (12)");
    expect(screen.getByTestId("settings-save")).toBeDisabled();

    await user.type(field, "6");
    expect(screen.getByTestId("settings-unsaved")).toBeInTheDocument();
    await user.click(screen.getByTestId("settings-notify-fixed"));
    await user.click(screen.getByTestId("settings-save"));
    await waitFor(() => expect(backend.argsOf("update_settings")).toHaveLength(1));
    expect(backend.argsOf("update_settings")[0]).toEqual({
      settings: settings({ cpus: 12, local_concurrency: 6, notify_on_fixed: false }),
    });
    expect(await screen.findByText("Settings saved")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("settings-local-concurrency")).toHaveValue("6"));
    expect(screen.getByTestId("settings-save")).toBeDisabled();

    // Emptied: back to the number of CPUs (null).
    await user.clear(screen.getByTestId("settings-local-concurrency"));
    await user.click(screen.getByTestId("settings-save"));
    await waitFor(() => expect(backend.argsOf("update_settings")).toHaveLength(2));
    expect(backend.argsOf("update_settings")[1]).toEqual({
      settings: settings({ cpus: 12, local_concurrency: null, notify_on_fixed: false }),
    });
  });

  it("does not save local jobs at once outside 1..1024, and asks before leaving with it", async () => {
    const backend = mockBackend({ get_settings: () => settings({ local_concurrency: 4 }) });
    const { user } = renderApp("/settings");
    const field = await screen.findByTestId("settings-local-concurrency");
    expect(field).toHaveValue("4");
    for (const bad of ["0", "1025", "four"]) {
      await user.clear(field);
      await user.type(field, bad);
      expect(field).toHaveAttribute("aria-invalid", "true");
      expect(screen.getByTestId("settings-local-concurrency-help")).toHaveTextContent(/1 to 1024/);
      expect(screen.getByTestId("settings-save")).toBeDisabled();
      expect(screen.getByTestId("settings-unsaved")).toBeInTheDocument();
    }
    await user.click(screen.getByTestId("nav-overview"));
    await user.click(within(await screen.findByRole("dialog", { name: "Discard unsaved changes?" })).getByRole("button", { name: "Stay" }));
    await user.click(screen.getByTestId("settings-reset"));
    expect(screen.getByTestId("settings-local-concurrency")).toHaveValue("4");
    expect(screen.queryByTestId("settings-unsaved")).toBeNull();
    expect(backend.argsOf("update_settings")).toEqual([]);
  });
});
