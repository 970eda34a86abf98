import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { formatDateTime } from "../format";
import { errorDto, fakeSecrets, mockBackend } from "../test/backend";
import { envSecret, iso, project, rotations, secret } from "../test/fixtures";
import { currentPath, renderApp } from "../test/render";

const DAY = 86_400_000;

/** A global API_TOKEN shadowed in shop, a DEPLOY_KEY that the environment overrides, and that variable. */
function sample() {
  const threeDaysAgo = iso(Date.now() - 3 * DAY);
  return [
    secret({ name: "API_TOKEN", updated_at: threeDaysAgo, created_at: iso(Date.now() - 10 * DAY), rotations: rotations(2) }),
    secret({ name: "API_TOKEN", scope: "project", project: "shop", updated_at: threeDaysAgo, created_at: threeDaysAgo }),
    secret({ name: "DEPLOY_KEY", updated_at: threeDaysAgo, created_at: threeDaysAgo }),
    envSecret("DEPLOY_KEY"),
    envSecret("CI_ONLY"),
  ];
}

function setup(initial = sample(), extra: Parameters<typeof mockBackend>[0] = {}) {
  const fake = fakeSecrets(initial);
  const backend = mockBackend({
    list_projects: () => [project({ name: "api", last_run: null }), project({ name: "shop", last_run: null })],
    ...fake.handlers,
    ...extra,
  });
  return { fake, backend, ...renderApp("/secrets") };
}

function row(name: string, scope: string, projectName = "") {
  const found = screen
    .getAllByTestId("secret-row")
    .find(
      (r) =>
        r.getAttribute("data-name") === name &&
        r.getAttribute("data-scope") === scope &&
        r.getAttribute("data-project") === projectName,
    );
  if (!found) throw new Error(`no row ${scope}:${projectName}:${name}`);
  return found;
}

function input(testId: string): HTMLInputElement {
  return screen.getByTestId(testId) as HTMLInputElement;
}

describe("Secrets view", () => {
  it("lists every secret with its scope, when it was set and how often it was rotated", async () => {
    const secrets = sample();
    setup(secrets);
    const rows = await screen.findAllByTestId("secret-row");
    expect(rows.map((r) => [r.dataset.name, r.dataset.scope, r.dataset.project])).toEqual([
      ["API_TOKEN", "global", ""],
      ["API_TOKEN", "project", "shop"],
      ["CI_ONLY", "environment", ""],
      ["DEPLOY_KEY", "global", ""],
      ["DEPLOY_KEY", "environment", ""],
    ]);
    const global = row("API_TOKEN", "global");
    expect(within(global).getByTestId("secret-scope-chip")).toHaveTextContent("Global");
    expect(within(row("API_TOKEN", "project", "shop")).getByTestId("secret-scope-chip")).toHaveTextContent("Project shop");
    expect(within(row("CI_ONLY", "environment")).getByTestId("secret-scope-chip")).toHaveTextContent("Environment");

    const updated = Date.parse(secrets[0].updated_at as string);
    expect(global).toHaveTextContent(formatDateTime(updated));
    expect(global).toHaveTextContent("3 days ago");
    expect(within(global).getByTestId("secret-rotations")).toHaveTextContent("2");
    expect(within(row("CI_ONLY", "environment")).getByTestId("secret-rotations")).toHaveTextContent("—");
  });

  it("says which secret wins: a project's over the global one, the environment over both", async () => {
    setup();
    await screen.findAllByTestId("secret-row");
    const notes = (r: HTMLElement) => within(r).queryAllByTestId("secret-note").map((n) => n.textContent);
    expect(notes(row("API_TOKEN", "global"))).toEqual(["shadowed in project shop"]);
    expect(notes(row("API_TOKEN", "project", "shop"))).toEqual([]);
    expect(notes(row("DEPLOY_KEY", "global"))).toEqual(["the environment variable wins"]);
    expect(notes(row("DEPLOY_KEY", "environment"))).toEqual([]);
    expect(screen.getByTestId("secrets-env-note")).toHaveTextContent("read-only");
  });

  it("offers no rotate or remove for an environment variable", async () => {
    setup();
    await screen.findAllByTestId("secret-row");
    for (const r of [row("CI_ONLY", "environment"), row("DEPLOY_KEY", "environment")]) {
      expect(within(r).queryByTestId("secret-rotate")).not.toBeInTheDocument();
      expect(within(r).queryByTestId("secret-remove")).not.toBeInTheDocument();
      expect(within(r).getByTestId("secret-readonly")).toHaveTextContent("Read-only");
      expect(r).toHaveTextContent("SWITCHYARD_SECRET_");
    }
    expect(within(row("DEPLOY_KEY", "global")).getByTestId("secret-rotate")).toBeInTheDocument();
    expect(within(row("DEPLOY_KEY", "global")).getByTestId("secret-remove")).toBeInTheDocument();
  });

  it("explains secrets when there is none", async () => {
    setup([]);
    const empty = await screen.findByTestId("secrets-empty");
    expect(empty).toHaveTextContent("OS keyring");
    expect(empty).toHaveTextContent("secrets: [API_TOKEN]");
    expect(empty).toHaveTextContent("switchyard.yaml");
    expect(screen.queryByTestId("secret-row")).not.toBeInTheDocument();
  });

  it("adds a secret with exactly its name, project and value, then forgets the value", async () => {
    const { user, backend, fake } = setup([]);
    await screen.findByTestId("secrets-empty");
    await user.click(screen.getByTestId("secret-add"));
    const dialog = await screen.findByTestId("secret-dialog");
    expect(dialog).toHaveTextContent("Add secret");

    await user.type(input("secret-name"), "DB_PASSWORD");
    await user.click(screen.getByTestId("secret-scope"));
    await user.click(await screen.findByTestId("secret-scope-option-shop"));
    expect(input("secret-scope-value").value).toBe("project:shop");

    const value = input("secret-value");
    expect(value).toHaveAttribute("type", "password");
    expect(value).toHaveAttribute("autocomplete", "off");
    await user.type(value, "s3cr3t value");
    await user.click(screen.getByTestId("secret-value-toggle"));
    expect(input("secret-value")).toHaveAttribute("type", "text");
    await user.click(screen.getByTestId("secret-value-toggle"));
    expect(input("secret-value")).toHaveAttribute("type", "password");

    await user.click(screen.getByTestId("secret-save"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Stored DB_PASSWORD");
    expect(backend.argsOf("set_secret")).toEqual([{ name: "DB_PASSWORD", project: "shop", value: "s3cr3t value" }]);
    expect(fake.values).toHaveLength(1);
    await waitFor(() => expect(screen.queryByTestId("secret-dialog")).not.toBeInTheDocument());

    // Listed (reloaded), and the value is nowhere in the page.
    expect(await screen.findByTestId("secret-row")).toHaveAttribute("data-project", "shop");
    expect(document.body).not.toHaveTextContent("s3cr3t");

    // Opened again: empty, nothing remembered.
    await user.click(screen.getByTestId("secret-add"));
    await screen.findByTestId("secret-dialog");
    expect(input("secret-value").value).toBe("");
    expect(input("secret-name").value).toBe("");
    expect(input("secret-scope-value").value).toBe("global");
    expect(screen.getByTestId("secret-save")).toBeDisabled();
  });

  it("checks the name as it is typed: Save stays disabled and the field says why", async () => {
    const { user, backend } = setup([]);
    await screen.findByTestId("secrets-empty");
    await user.click(screen.getByTestId("secret-add"));
    await screen.findByTestId("secret-dialog");
    await user.type(input("secret-value"), "value");

    await user.type(input("secret-name"), "1TOKEN");
    expect(screen.getByTestId("secret-save")).toBeDisabled();
    expect(screen.getByTestId("secret-name-help")).toHaveTextContent("cannot start with a digit");
    expect(input("secret-name")).toHaveAttribute("aria-invalid", "true");

    await user.clear(input("secret-name"));
    await user.type(input("secret-name"), "MY-TOKEN");
    expect(screen.getByTestId("secret-save")).toBeDisabled();
    expect(screen.getByTestId("secret-name-help")).toHaveTextContent("“-” is not allowed");

    await user.clear(input("secret-name"));
    await user.type(input("secret-name"), "MY TOKEN");
    expect(screen.getByTestId("secret-name-help")).toHaveTextContent("A space is not allowed");

    await user.clear(input("secret-name"));
    await user.type(input("secret-name"), "A".repeat(129));
    expect(screen.getByTestId("secret-save")).toBeDisabled();
    expect(screen.getByTestId("secret-name-help")).toHaveTextContent("At most 128 characters");

    await user.clear(input("secret-name"));
    await user.type(input("secret-name"), "_MY_TOKEN2");
    expect(input("secret-name")).toHaveAttribute("aria-invalid", "false");
    expect(screen.getByTestId("secret-save")).toBeEnabled();

    // And an empty value is not accepted either.
    await user.clear(input("secret-value"));
    expect(screen.getByTestId("secret-save")).toBeDisabled();
    expect(backend.argsOf("set_secret")).toEqual([]);
  });

  it("says when a name already exists in that scope (a rotation) or the environment overrides it", async () => {
    const { user } = setup();
    await screen.findAllByTestId("secret-row");
    await user.click(screen.getByTestId("secret-add"));
    await user.type(input("secret-name"), "API_TOKEN");
    expect(screen.getByTestId("secret-exists")).toHaveTextContent("API_TOKEN already exists globally");
    expect(screen.queryByTestId("secret-env-wins")).not.toBeInTheDocument();
    await user.clear(input("secret-name"));
    await user.type(input("secret-name"), "CI_ONLY");
    expect(screen.queryByTestId("secret-exists")).not.toBeInTheDocument();
    expect(screen.getByTestId("secret-env-wins")).toHaveTextContent("SWITCHYARD_SECRET_CI_ONLY");
  });

  it("shows a keyring failure in the dialog, as the shell words it, and stays open", async () => {
    const message =
      "the OS keyring is not available: Switchyard keeps secrets only in the OS keyring (the Secret Service on D-Bus); start one, e.g. `dbus-run-session -- …`";
    const { user, backend } = setup([], {
      set_secret: () => {
        throw errorDto("secret_store", message);
      },
    });
    await screen.findByTestId("secrets-empty");
    await user.click(screen.getByTestId("secret-add"));
    await user.type(input("secret-name"), "API_TOKEN");
    await user.type(input("secret-value"), "abc");
    await user.click(screen.getByTestId("secret-save"));

    const error = await screen.findByTestId("secret-error");
    expect(error).toHaveAttribute("data-code", "secret_store");
    expect(error).toHaveTextContent(message);
    expect(within(screen.getByTestId("secret-dialog")).getByTestId("secret-error")).toBe(error);
    expect(screen.getByTestId("secret-dialog")).toBeInTheDocument();
    expect(input("secret-name").value).toBe("API_TOKEN");
    expect(screen.queryByTestId("notice")).not.toBeInTheDocument();
    expect(backend.argsOf("set_secret")).toHaveLength(1);

    // Cancelled: gone, and opened again it is empty.
    await user.click(screen.getByTestId("secret-cancel"));
    await waitFor(() => expect(screen.queryByTestId("secret-dialog")).not.toBeInTheDocument());
    await user.click(screen.getByTestId("secret-add"));
    await screen.findByTestId("secret-dialog");
    expect(input("secret-value").value).toBe("");
    expect(screen.queryByTestId("secret-error")).not.toBeInTheDocument();
  });

  it("rotates a secret with its name and scope fixed", async () => {
    const { user, backend } = setup();
    await screen.findAllByTestId("secret-row");
    await user.click(within(row("API_TOKEN", "project", "shop")).getByTestId("secret-rotate"));
    const dialog = await screen.findByTestId("secret-dialog");
    expect(within(dialog).getByRole("heading")).toHaveTextContent("Rotate API_TOKEN");
    expect(input("secret-name").value).toBe("API_TOKEN");
    expect(input("secret-name")).toBeDisabled();
    expect(input("secret-scope-value").value).toBe("project:shop");
    expect(screen.getByTestId("secret-scope")).toHaveAttribute("aria-disabled", "true");
    expect(input("secret-value").value).toBe("");
    expect(input("secret-value")).toHaveFocus();

    await user.type(input("secret-value"), "new-value");
    await user.click(screen.getByTestId("secret-save"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Rotated API_TOKEN");
    expect(backend.argsOf("set_secret")).toEqual([{ name: "API_TOKEN", project: "shop", value: "new-value" }]);
    await waitFor(() => expect(within(row("API_TOKEN", "project", "shop")).getByTestId("secret-rotations")).toHaveTextContent("1"));
  });

  it("removes a secret only after asking, naming it and its scope", async () => {
    const { user, backend } = setup();
    await screen.findAllByTestId("secret-row");
    await user.click(within(row("API_TOKEN", "project", "shop")).getByTestId("secret-remove"));
    const dialog = await screen.findByTestId("secret-remove-dialog");
    expect(dialog).toHaveTextContent("Remove API_TOKEN?");
    expect(dialog).toHaveTextContent("secret API_TOKEN of project shop");
    expect(dialog).toHaveTextContent("Runs of shop then get the global API_TOKEN");
    expect(backend.argsOf("remove_secret")).toEqual([]);

    await user.click(screen.getByTestId("secret-remove-cancel"));
    await waitFor(() => expect(screen.queryByTestId("secret-remove-dialog")).not.toBeInTheDocument());
    expect(backend.argsOf("remove_secret")).toEqual([]);

    await user.click(within(row("API_TOKEN", "global")).getByTestId("secret-remove"));
    expect(await screen.findByTestId("secret-remove-dialog")).toHaveTextContent("global secret API_TOKEN");
    expect(backend.argsOf("remove_secret")).toEqual([]);
    await user.click(screen.getByTestId("secret-remove-confirm"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Removed API_TOKEN");
    expect(backend.argsOf("remove_secret")).toEqual([{ name: "API_TOKEN", project: null }]);
    await waitFor(() =>
      expect(screen.getAllByTestId("secret-row").map((r) => `${r.dataset.scope}:${r.dataset.name}`)).not.toContain("global:API_TOKEN"),
    );
    expect(row("API_TOKEN", "project", "shop")).toBeInTheDocument();
  });

  it("is in the navigation and behind g k", async () => {
    mockBackend();
    const { user } = renderApp("/");
    await screen.findByText("Overview", { selector: "h1" });
    await user.keyboard("gk");
    expect(currentPath()).toBe("/secrets");
    expect(await screen.findByTestId("secrets-empty")).toBeInTheDocument();
    expect(screen.getByTestId("nav-secrets")).toHaveAttribute("aria-current", "page");
    await user.keyboard("?");
    expect(await screen.findByTestId("shortcuts-dialog")).toHaveTextContent("Go to Secrets");
  });
});
