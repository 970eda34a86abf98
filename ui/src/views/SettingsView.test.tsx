import { act, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { emitEvent, errorDto, mockBackend } from "../test/backend";
import { settings } from "../test/fixtures";
import { setPrefersDark } from "../test/media";
import { renderApp } from "../test/render";

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
});
