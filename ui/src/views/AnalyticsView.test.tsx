import { act, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { StatsView } from "../bindings/StatsView";
import { emitEvent, errorDto, mockBackend, type Handlers } from "../test/backend";
import { deployment, dora, emptyDora, emptyStats, project, stats, summary } from "../test/fixtures";
import { currentPath, renderApp } from "../test/render";

const projects = [project(), project({ name: "api", path: "/home/dev/src/api" })];

function setup(handlers: Handlers = {}, view: StatsView = stats()) {
  const backend = mockBackend({
    list_projects: () => projects,
    delivery_stats: ({ project: p, days }) => ({ ...view, project: p, since: view.until - days * 86_400_000 }),
    ...handlers,
  });
  return { backend, ...renderApp("/analytics") };
}

/** The figure `name`'s value. */
function figure(name: string): string | null {
  const card = screen.getAllByTestId("analytics-figure").find((f) => f.dataset.name === name);
  if (!card) throw new Error(`no figure ${name}`);
  return within(card).getByTestId("analytics-figure-value").textContent;
}

/** Lets fake time pass (the timers due in it run, and what their calls answer is applied). */
async function advance(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("Analytics view", () => {
  it("loads the last 30 days of every project", async () => {
    const { backend } = setup();
    await screen.findAllByTestId("analytics-figure");
    expect(backend.argsOf("delivery_stats")).toEqual([{ project: null, days: 30 }]);
    expect(screen.getByText("Analytics", { selector: "h1" })).toBeInTheDocument();
    // The old note that deployments are not recorded is gone: they are.
    expect(screen.queryByTestId("analytics-dora-note")).not.toBeInTheDocument();
    expect(screen.queryByText(/not record yet/)).not.toBeInTheDocument();
    expect(screen.getByTestId("analytics-project")).toHaveTextContent("All projects");
    expect((screen.getByTestId("analytics-project-value") as HTMLInputElement).value).toBe("");
    const window = screen.getByTestId("analytics-window");
    expect(within(window).getByTestId("analytics-window-30")).toHaveAttribute("aria-pressed", "true");
    expect(within(window).getAllByRole("button").map((b) => b.textContent)).toEqual(["7d", "30d", "90d", "365d"]);
    expect(screen.getByTestId("nav-analytics")).toHaveAttribute("aria-current", "page");
  });

  it("shows the figures: runs, success rate, median and p95 duration, median queue time, flaky tests", async () => {
    setup();
    await screen.findAllByTestId("analytics-figure");
    expect(screen.getAllByTestId("analytics-figure").map((f) => f.dataset.name)).toEqual([
      "runs",
      "success_rate",
      "p50_duration",
      "p95_duration",
      "p50_queue",
      "flaky",
    ]);
    expect(figure("runs")).toBe("10");
    expect(figure("success_rate")).toBe("66.7%");
    expect(figure("p50_duration")).toBe("1m 05s");
    expect(figure("p95_duration")).toBe("4m 10s");
    expect(figure("p50_queue")).toBe("850 ms");
    expect(figure("flaky")).toBe("1");
    const runs = screen.getAllByTestId("analytics-figure")[0];
    expect(runs).toHaveTextContent("6 succeeded · 3 failed · 1 cancelled");
    expect(screen.getAllByTestId("analytics-figure")[1]).toHaveTextContent("of 9 ended runs");
  });

  it("shows what is not known as a dash", async () => {
    setup(
      {},
      stats({
        success_rate: null,
        succeeded: 0,
        failed: 0,
        runs: 1,
        cancelled: 0,
        duration: { count: 0, p50_ms: null, p95_ms: null, max_ms: null },
        queue: { count: 0, p50_ms: null, p95_ms: null, max_ms: null },
        days: [{ day: "2025-01-15", runs: 1, succeeded: 0, failed: 0, p50_duration_ms: null, tests: 0 }],
      }),
    );
    await screen.findAllByTestId("analytics-figure");
    expect(figure("success_rate")).toBe("—");
    expect(figure("p50_duration")).toBe("—");
    expect(figure("p95_duration")).toBe("—");
    expect(figure("p50_queue")).toBe("—");
    expect(screen.queryByTestId("analytics-duration-line")).not.toBeInTheDocument();
  });

  it("loads again for another window and another project", async () => {
    const { user, backend } = setup();
    await screen.findAllByTestId("analytics-figure");

    await user.click(screen.getByTestId("analytics-window-90"));
    await waitFor(() => expect(backend.argsOf("delivery_stats")).toHaveLength(2));
    expect(backend.argsOf("delivery_stats")[1]).toEqual({ project: null, days: 90 });
    expect(screen.getByTestId("analytics-window-90")).toHaveAttribute("aria-pressed", "true");
    // Pressing the chosen window again keeps it.
    await user.click(screen.getByTestId("analytics-window-90"));
    expect(screen.getByTestId("analytics-window-90")).toHaveAttribute("aria-pressed", "true");

    await user.click(screen.getByTestId("analytics-project"));
    const listbox = await screen.findByRole("listbox");
    expect(within(listbox).getAllByRole("option").map((o) => o.textContent)).toEqual(["All projects", "api", "shop"]);
    await user.click(within(listbox).getByTestId("analytics-project-option-shop"));
    await waitFor(() => expect(backend.argsOf("delivery_stats")).toHaveLength(3));
    expect(backend.argsOf("delivery_stats")[2]).toEqual({ project: "shop", days: 90 });
    expect((screen.getByTestId("analytics-project-value") as HTMLInputElement).value).toBe("shop");
    // One project: no project column.
    await waitFor(() => expect(screen.getAllByTestId("analytics-slow-step")[0].querySelectorAll("td")).toHaveLength(6));

    await user.click(screen.getByTestId("analytics-window-7"));
    await waitFor(() => expect(backend.argsOf("delivery_stats")).toHaveLength(4));
    expect(backend.argsOf("delivery_stats")[3]).toEqual({ project: "shop", days: 7 });

    await user.click(screen.getByTestId("analytics-project"));
    await user.click(await screen.findByTestId("analytics-project-all"));
    await waitFor(() => expect(backend.argsOf("delivery_stats")).toHaveLength(5));
    expect(backend.argsOf("delivery_stats")[4]).toEqual({ project: null, days: 7 });
    expect(screen.getByTestId("analytics-project")).toHaveTextContent("All projects");
  });

  it("draws a bar per day with runs, and lists the days, newest first", async () => {
    setup();
    const chart = await screen.findByTestId("analytics-days-chart");
    expect(chart.tagName.toLowerCase()).toBe("svg");
    expect(chart).toHaveAttribute("role", "img");
    const [titleId, descId] = (chart.getAttribute("aria-labelledby") ?? "").split(" ");
    expect(document.getElementById(titleId)).toHaveTextContent("Runs per day, last 30 days");
    expect(document.getElementById(descId)).toHaveTextContent("10 runs from 2024-12-16 to 2025-01-15 (UTC days), 3 days with runs.");
    expect(document.getElementById(descId)).toHaveTextContent("The busiest day is 2025-01-13 with 4 runs.");

    const bars = within(chart).getAllByTestId("analytics-day");
    expect(bars.map((b) => [b.dataset.day, b.dataset.succeeded, b.dataset.failed])).toEqual([
      ["2025-01-13", "3", "1"],
      ["2025-01-14", "2", "1"],
      ["2025-01-15", "1", "1"],
    ]);
    // Stacked bottom up: succeeded, failed, then the cancelled one.
    expect([...bars[1].querySelectorAll("rect[data-kind]")].map((r) => r.getAttribute("data-kind"))).toEqual([
      "succeeded",
      "failed",
      "other",
    ]);
    expect(bars[1].querySelector("title")).toHaveTextContent(
      "2025-01-14: 4 runs, 2 succeeded, 1 failed, 1 cancelled or not finished, median duration 1m 30s",
    );
    // The median duration: a line through the two days that have one.
    expect(within(chart).getByTestId("analytics-duration-line").getAttribute("points")?.split(" ")).toHaveLength(2);

    const table = screen.getByTestId("analytics-days-table");
    const rows = within(table).getAllByTestId("analytics-days-row");
    expect(rows.map((r) => r.dataset.day)).toEqual(["2025-01-15", "2025-01-14", "2025-01-13"]);
    expect([...rows[1].querySelectorAll("td")].map((c) => c.textContent)).toEqual(["2025-01-14", "4", "2", "1", "1m 30s", "52"]);
    expect(rows[0]).toHaveTextContent("—");
  });

  it("lists the slowest steps and the flaky tests, with a note when there is none", async () => {
    const { unmount } = setup();
    const steps = await screen.findAllByTestId("analytics-slow-step");
    expect(steps.map((s) => [s.dataset.project, s.dataset.job, s.dataset.step])).toEqual([
      ["shop", "test", "cargo test"],
      ["api", "build", "npm ci"],
    ]);
    expect([...steps[0].querySelectorAll("td")].map((c) => c.textContent)).toEqual([
      "shop",
      "test",
      "cargo test",
      "45 s",
      "2m 00s",
      "2m 10s",
      "9",
    ]);
    expect(within(steps[1]).getByTestId("analytics-slow-step-p50")).toHaveTextContent("12 s");

    const flaky = screen.getAllByTestId("analytics-flaky-test");
    expect(flaky.map((f) => [f.dataset.project, f.dataset.test])).toEqual([["shop", "checkout.CartTest.total_rounds"]]);
    expect([...flaky[0].querySelectorAll("td")].map((c) => c.textContent)).toEqual([
      "shop",
      "checkout.CartTest.total_rounds",
      "2",
      "3",
      "2",
    ]);
    expect(screen.getByTestId("analytics-flaky-tests")).toHaveTextContent("Flaky tests (1)");
    expect(screen.queryByTestId("analytics-no-slow-steps")).not.toBeInTheDocument();
    expect(screen.queryByTestId("analytics-no-flaky-tests")).not.toBeInTheDocument();
    unmount();

    setup({}, stats({ slowest_steps: [], flaky_tests: [] }));
    expect(await screen.findByTestId("analytics-no-slow-steps")).toHaveTextContent("No step has finished in this window.");
    expect(screen.getByTestId("analytics-no-flaky-tests")).toHaveTextContent("No flaky test");
    expect(screen.queryByTestId("analytics-slow-step")).not.toBeInTheDocument();
    expect(screen.queryByTestId("analytics-flaky-test")).not.toBeInTheDocument();
    expect(figure("flaky")).toBe("0");
  });

  it("explains that figures appear once runs are recorded when there is none", async () => {
    const { user, backend } = setup({ delivery_stats: ({ project: p, days }) => emptyStats(p, days) });
    const empty = await screen.findByTestId("analytics-empty");
    expect(empty).toHaveTextContent("No runs in the last 30 days");
    expect(empty).toHaveTextContent("Figures appear once runs are recorded");
    expect(screen.queryByTestId("analytics-figure")).not.toBeInTheDocument();
    expect(screen.queryByTestId("analytics-days-chart")).not.toBeInTheDocument();
    expect(screen.getByTestId("analytics-export")).toBeDisabled();
    // The controls stay: a longer window may have runs.
    await user.click(screen.getByTestId("analytics-window-365"));
    await waitFor(() => expect(backend.argsOf("delivery_stats").at(-1)).toEqual({ project: null, days: 365 }));
    expect(await screen.findByTestId("analytics-empty")).toHaveTextContent("No runs in the last 365 days");
  });

  it("exports the report through the save dialog to the path chosen", async () => {
    const { user, backend } = setup({
      "plugin:dialog|save": () => "/home/dev/reports/switchyard-report.html",
      export_report: () => null,
    });
    await screen.findAllByTestId("analytics-figure");
    await user.click(screen.getByTestId("analytics-window-7"));
    await waitFor(() => expect(backend.argsOf("delivery_stats")).toHaveLength(2));
    await user.click(screen.getByTestId("analytics-export"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Report saved to /home/dev/reports/switchyard-report.html");
    const dialog = backend.argsOf("plugin:dialog|save")[0] as {
      options: { defaultPath: string; filters: { name: string; extensions: string[] }[] };
    };
    expect(dialog.options.defaultPath).toBe("switchyard-report.html");
    expect(dialog.options.filters).toEqual([{ name: "HTML", extensions: ["html"] }]);
    expect(backend.argsOf("export_report")).toEqual([{ project: null, days: 7, path: "/home/dev/reports/switchyard-report.html" }]);
  });

  it("adds .html to a path chosen without it, writes nothing when the dialog is cancelled, and shows a failure", async () => {
    let picked: string | null = null;
    let fail = false;
    const { user, backend } = setup({
      "plugin:dialog|save": () => picked,
      export_report: () => {
        if (fail) throw errorDto("invalid_input", "the report path must be absolute");
        return null;
      },
    });
    await screen.findAllByTestId("analytics-figure");
    await user.click(screen.getByTestId("analytics-export"));
    await waitFor(() => expect(backend.argsOf("plugin:dialog|save")).toHaveLength(1));
    await waitFor(() => expect(screen.getByTestId("analytics-export")).toBeEnabled());
    expect(backend.argsOf("export_report")).toEqual([]);

    picked = "/home/dev/report";
    await user.click(screen.getByTestId("analytics-export"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Report saved to /home/dev/report.html");
    expect(backend.argsOf("export_report")).toEqual([{ project: null, days: 30, path: "/home/dev/report.html" }]);

    fail = true;
    await user.click(screen.getByTestId("analytics-export"));
    const error = await screen.findByTestId("analytics-export-error");
    expect(error).toHaveAttribute("data-code", "invalid_input");
    expect(error).toHaveTextContent("the report path must be absolute");
    // The figures stay.
    expect(screen.getAllByTestId("analytics-figure")).toHaveLength(6);
  });

  it("shows why the figures could not be loaded, and tries again", async () => {
    let fail = true;
    const { user } = setup({
      delivery_stats: ({ project: p, days }) => {
        if (fail) throw errorDto("internal", "the history could not be read");
        return { ...stats(), project: p, since: stats().until - days * 86_400_000 };
      },
    });
    const error = await screen.findByTestId("error-message");
    expect(error).toHaveTextContent("The figures could not be loaded");
    expect(error).toHaveTextContent("the history could not be read");
    fail = false;
    await user.click(within(error).getByRole("button", { name: "Try again" }));
    await screen.findAllByTestId("analytics-figure");
    expect(screen.queryByTestId("error-message")).not.toBeInTheDocument();
  });

  it("loads again after runs change, at most once every 2 s, only for the project shown", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { user, backend } = setup();
    await screen.findAllByTestId("analytics-figure");
    expect(backend.argsOf("delivery_stats")).toHaveLength(1);

    // A burst: one reload, 2 s after the first event.
    await emitEvent("switchyard://runs", summary({ id: 3, status: "running" }));
    await advance(500);
    await emitEvent("switchyard://runs", summary({ id: 3, status: "succeeded" }));
    await emitEvent("switchyard://runs", summary({ id: 4, status: "queued" }));
    await advance(1_400);
    expect(backend.argsOf("delivery_stats")).toHaveLength(1);
    await advance(100);
    await waitFor(() => expect(backend.argsOf("delivery_stats")).toHaveLength(2));
    expect(backend.argsOf("delivery_stats")[1]).toEqual({ project: null, days: 30 });
    await advance(5_000);
    expect(backend.argsOf("delivery_stats")).toHaveLength(2);

    // Then the next event starts another 2 s.
    await emitEvent("switchyard://runs", summary({ id: 5 }));
    await advance(2_000);
    await waitFor(() => expect(backend.argsOf("delivery_stats")).toHaveLength(3));

    // One project shown: another project's runs change nothing.
    await user.click(screen.getByTestId("analytics-project"));
    await user.click(await screen.findByTestId("analytics-project-option-api"));
    await waitFor(() => expect(backend.argsOf("delivery_stats")).toHaveLength(4));
    await emitEvent("switchyard://runs", summary({ id: 6, project: "shop" }));
    await advance(3_000);
    expect(backend.argsOf("delivery_stats")).toHaveLength(4);
    await emitEvent("switchyard://runs", summary({ id: 7, project: "api" }));
    await advance(2_000);
    await waitFor(() => expect(backend.argsOf("delivery_stats")).toHaveLength(5));
    expect(backend.argsOf("delivery_stats")[4]).toEqual({ project: "api", days: 30 });
  });

  describe("Deployments (DORA)", () => {
    const deployments = [
      deployment({ id: 9, environment: "staging" }),
      deployment({ id: 8, environment: "production" }),
      deployment({ id: 7, environment: "canary" }),
      deployment({ id: 6, environment: "staging" }),
    ];

    /** The DORA card `testId`'s value. */
    function doraValue(testId: string): string | null {
      return within(screen.getByTestId(testId)).getByTestId(`${testId}-value`).textContent;
    }

    it("shows the four figures of production over the window, with the counts", async () => {
      const { backend } = setup({
        list_deployments: () => deployments,
        deployment_stats: ({ environment, days }) => ({ ...dora(), environment, since: dora().until - days * 86_400_000 }),
      });
      const section = await screen.findByTestId("analytics-dora");
      expect(within(section).getByText("Deployments (DORA)", { selector: "h2" })).toBeInTheDocument();
      await screen.findByTestId("dora-frequency");
      expect(backend.argsOf("list_deployments")).toEqual([{ app: null, environment: null, limit: 500 }]);
      expect(backend.argsOf("deployment_stats")).toEqual([{ environment: "production", app: null, days: 30 }]);
      expect((screen.getByTestId("dora-environment-value") as HTMLInputElement).value).toBe("production");

      expect(doraValue("dora-frequency")).toBe("0.33 / day");
      expect(screen.getByTestId("dora-frequency")).toHaveTextContent("10 succeeded deployments in 30 days");
      expect(doraValue("dora-lead-time")).toBe("1h 30m");
      expect(screen.getByTestId("dora-lead-time-note")).toHaveTextContent("p95 2h 30m");
      expect(doraValue("dora-failure-rate")).toBe("16.7%");
      expect(screen.getByTestId("dora-failure-rate")).toHaveTextContent("2 failed or rolled back of 12 deployments");
      expect(doraValue("dora-restore")).toBe("25m 00s");
      expect(screen.getByTestId("dora-restore")).toHaveTextContent("2 restores, longest 45m 00s");
      const counts = screen.getByTestId("dora-counts");
      expect(counts).toHaveTextContent("12 deployments to production");
      expect(counts).toHaveTextContent("10 succeeded · 2 failed");
      expect(screen.queryByTestId("dora-empty")).not.toBeInTheDocument();
      // The run figures are not mixed with them.
      expect(screen.getAllByTestId("analytics-figure")).toHaveLength(6);
    });

    it("narrows the figures to one app of the environment, and back to all", async () => {
      const { user, backend } = setup({
        list_deployments: () => [
          deployment({ id: 9, app: "web", environment: "production" }),
          deployment({ id: 8, app: "api", environment: "production" }),
          deployment({ id: 7, app: "batch", environment: "staging" }),
        ],
        deployment_stats: ({ environment, days }) => ({ ...dora(), environment, since: dora().until - days * 86_400_000 }),
      });
      await screen.findByTestId("dora-frequency");
      expect(screen.getByTestId("dora-app")).toHaveTextContent("All apps");
      await user.click(screen.getByTestId("dora-app"));
      const listbox = await screen.findByRole("listbox");
      // Only the apps deployed to the environment shown.
      expect(within(listbox).getAllByRole("option").map((o) => o.textContent)).toEqual(["All apps", "api", "web"]);
      await user.click(within(listbox).getByTestId("dora-app-option-web"));
      await waitFor(() => expect(backend.argsOf("deployment_stats")).toHaveLength(2));
      expect(backend.argsOf("deployment_stats")[1]).toEqual({ environment: "production", app: "web", days: 30 });
      await waitFor(() => expect(screen.getByTestId("dora-counts")).toHaveTextContent("12 deployments of web to production"));

      await user.click(screen.getByTestId("dora-app"));
      await user.click(within(await screen.findByRole("listbox")).getByTestId("dora-app-option-all"));
      await waitFor(() => expect(backend.argsOf("deployment_stats")).toHaveLength(3));
      expect(backend.argsOf("deployment_stats")[2]).toEqual({ environment: "production", app: null, days: 30 });
    });

    it("shows what is not known as a dash", async () => {
      setup({ list_deployments: () => deployments, deployment_stats: ({ environment, days }) => emptyDora(environment, days) });
      await screen.findByTestId("dora-frequency");
      expect(doraValue("dora-frequency")).toBe("0.00 / day");
      expect(doraValue("dora-lead-time")).toBe("—");
      expect(doraValue("dora-failure-rate")).toBe("—");
      expect(doraValue("dora-restore")).toBe("—");
      expect(screen.getByTestId("dora-failure-rate")).toHaveTextContent("no deployment ended");
    });

    it("loads again for another environment, another window and after runs change", async () => {
      const { user, backend } = setup({
        list_deployments: () => deployments.filter((d) => d.environment !== "production"),
        deployment_stats: ({ environment, days }) => ({ ...dora(), environment, since: dora().until - days * 86_400_000 }),
      });
      await screen.findByTestId("dora-frequency");
      // No production: the first by name.
      expect(backend.argsOf("deployment_stats")).toEqual([{ environment: "canary", app: null, days: 30 }]);

      await user.click(screen.getByTestId("dora-environment"));
      const listbox = await screen.findByRole("listbox");
      expect(within(listbox).getAllByRole("option").map((o) => o.textContent)).toEqual(["canary", "staging"]);
      await user.click(within(listbox).getByTestId("dora-environment-option-staging"));
      await waitFor(() => expect(backend.argsOf("deployment_stats")).toHaveLength(2));
      expect(backend.argsOf("deployment_stats")[1]).toEqual({ environment: "staging", app: null, days: 30 });
      expect((screen.getByTestId("dora-environment-value") as HTMLInputElement).value).toBe("staging");
      await waitFor(() => expect(screen.getByTestId("dora-counts")).toHaveTextContent("to staging"));

      await user.click(screen.getByTestId("analytics-window-7"));
      await waitFor(() => expect(backend.argsOf("deployment_stats")).toHaveLength(3));
      expect(backend.argsOf("deployment_stats")[2]).toEqual({ environment: "staging", app: null, days: 7 });

      await emitEvent("switchyard://runs", summary({ id: 3, status: "succeeded" }));
      await waitFor(() => expect(backend.argsOf("deployment_stats")).toHaveLength(4), { timeout: 4_000 });
      expect(backend.argsOf("deployment_stats")[3]).toEqual({ environment: "staging", app: null, days: 7 });
      expect(backend.argsOf("list_deployments")).toHaveLength(2);
    });

    it("says how deployments get recorded when there is none", async () => {
      const { backend } = setup({ list_deployments: () => [] });
      const empty = await screen.findByTestId("dora-empty");
      expect(empty).toHaveTextContent("No deployment is recorded yet");
      expect(empty).toHaveTextContent("switchyard deploy DIR --env ENV --image REF records deployments");
      expect(screen.queryByTestId("dora-environment")).not.toBeInTheDocument();
      expect(screen.queryByTestId("dora-frequency")).not.toBeInTheDocument();
      expect(backend.argsOf("deployment_stats")).toEqual([]);
    });

    it("shows why the deployment figures could not be loaded, and tries again", async () => {
      let fail = true;
      const { user } = setup({
        list_deployments: () => deployments,
        deployment_stats: ({ environment }) => {
          if (fail) throw errorDto("internal", "the deployments could not be read");
          return { ...dora(), environment };
        },
      });
      const error = await screen.findByTestId("dora-error");
      expect(error).toHaveTextContent("The deployment figures could not be loaded");
      expect(error).toHaveTextContent("the deployments could not be read");
      // The run figures are not affected.
      expect(screen.getAllByTestId("analytics-figure")).toHaveLength(6);
      fail = false;
      await user.click(within(error).getByRole("button", { name: "Try again" }));
      await screen.findByTestId("dora-frequency");
      expect(screen.queryByTestId("dora-error")).not.toBeInTheDocument();
    });
  });

  it("is in the navigation, the command palette and behind g y", async () => {
    mockBackend();
    const { user } = renderApp("/");
    await screen.findByText("Overview", { selector: "h1" });
    await user.keyboard("gy");
    expect(currentPath()).toBe("/analytics");
    expect(await screen.findByTestId("analytics-empty")).toBeInTheDocument();
    expect(screen.getByTestId("nav-analytics")).toHaveAttribute("aria-current", "page");
    await user.keyboard("?");
    expect(await screen.findByTestId("shortcuts-dialog")).toHaveTextContent("Go to Analytics");
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("shortcuts-dialog")).not.toBeInTheDocument());

    await user.click(screen.getByTestId("nav-overview"));
    await waitFor(() => expect(currentPath()).toBe("/"));
    await user.keyboard("{Control>}k{/Control}");
    await user.type(await screen.findByTestId("command-palette-input"), "flaky");
    const items = screen.getAllByTestId("command-palette-item");
    expect(items.map((i) => i.dataset.id)).toEqual(["go-analytics"]);
    expect(items[0]).toHaveTextContent("Go to Analytics");
    await user.keyboard("{Enter}");
    await waitFor(() => expect(currentPath()).toBe("/analytics"));
  });
});
