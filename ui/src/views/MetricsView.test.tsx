import { act, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { ChartDto } from "../bindings/ChartDto";
import type { ChartRequestDto } from "../bindings/ChartRequestDto";
import type { DashboardDto } from "../bindings/DashboardDto";
import type { DashboardRequestDto } from "../bindings/DashboardRequestDto";
import type { PanelChartDto } from "../bindings/PanelChartDto";
import type { SourceDto } from "../bindings/SourceDto";
import { PREFS_KEY } from "../metrics";
import { errorDto, mockBackend, type Backend, type Handlers } from "../test/backend";
import { currentPath, renderApp } from "../test/render";

// Characters that must be encoded in a data: URI (#, %, quotes, <>), and a label from outside.
const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="360"><path stroke="#1f77b4" d="M0 0L10 10"/><text>up{job="api"} 100%</text></svg>';

const SERIES = [
  { name: 'up{instance="localhost:9090", job="prometheus"}', points: 240, last: "1" },
  { name: 'up{instance="api:8080", job="api"}', points: 240, last: "0" },
];

function source(partial: Partial<SourceDto> = {}): SourceDto {
  return { name: "prom", url: "http://localhost:9090", default: true, auth: "none", ...partial };
}

function chart(partial: Partial<ChartDto> = {}): ChartDto {
  return { svg: SVG, source: "prom", step_secs: 15, series: SERIES, fetched_points: 480, ...partial };
}

function setup(handlers: Handlers = {}, sources: SourceDto[] = [source()]) {
  const backend = mockBackend({ list_sources: () => sources, live_chart: () => chart(), ...handlers });
  return { backend, ...renderApp("/metrics") };
}

function requests(backend: Backend): ChartRequestDto[] {
  return backend.argsOf("live_chart").map((a) => a.request as ChartRequestDto);
}

function input(testId: string): HTMLInputElement {
  return screen.getByTestId(testId) as HTMLInputElement;
}

/** Puts `text` into a field at once (typing it key by key is slow). */
async function fill(user: ReturnType<typeof renderApp>["user"], field: HTMLElement, text: string) {
  await user.clear(field);
  await user.click(field);
  await user.paste(text);
}

/** Lets fake time pass (the timers due in it run, and what their calls answer is applied). */
async function advance(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

const PARSE_ERROR = 'bad_data: invalid parameter "query": 1:12: parse error: unclosed left parenthesis';

beforeEach(() => {
  window.localStorage.clear();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("Metrics view", () => {
  it("explains sources when there is none and adds one with exactly what was typed", async () => {
    const sources: SourceDto[] = [];
    const { user, backend } = setup(
      {
        add_source: ({ name, url, default: isDefault, token }) => {
          const added = source({ name, url, default: isDefault, auth: token === null ? "none" : "bearer" });
          sources.push(added);
          return added;
        },
      },
      sources,
    );
    const empty = await screen.findByTestId("metrics-empty");
    expect(empty).toHaveTextContent("No Prometheus source yet");
    expect(empty).toHaveTextContent("http://localhost:9090");
    expect(empty).toHaveTextContent("OS keyring");
    expect(screen.queryByTestId("metrics-query")).not.toBeInTheDocument();
    expect(screen.getByTestId("source-add")).toBeDisabled();

    await fill(user, input("source-name"), "local");
    await fill(user, input("source-url"), "localhost:9090");
    expect(screen.getByTestId("source-add")).toBeDisabled();
    expect(screen.getByTestId("source-form")).toHaveTextContent("Use an http:// or https:// URL.");
    await fill(user, input("source-url"), "http://localhost:9090");
    expect(input("source-token")).toHaveAttribute("type", "password");
    await fill(user, input("source-token"), "s3cr3t");
    // The first source is the default.
    expect(input("source-default")).toBeChecked();
    await user.click(screen.getByTestId("source-add"));

    expect(await screen.findByTestId("notice")).toHaveTextContent("Added source local");
    expect(backend.argsOf("add_source")).toEqual([{ name: "local", url: "http://localhost:9090", default: true, token: "s3cr3t" }]);
    // Listed again, the chart of the default query from the new source.
    await screen.findByTestId("metrics-chart");
    expect(screen.queryByTestId("metrics-empty")).not.toBeInTheDocument();
    expect(input("metrics-source-value").value).toBe("local");
    expect(requests(backend)[0]).toMatchObject({ source: "local", query: "up" });
    expect(document.body).not.toHaveTextContent("s3cr3t");
  });

  it("draws the default query over the last hour as an image of the engine's SVG, with its series", async () => {
    const { backend } = setup();
    const img = await screen.findByTestId("metrics-chart");
    expect(requests(backend)).toEqual([
      { source: "prom", query: "up", range_secs: 3600, step_secs: null, width: 1000, height: 360, unit: "si", area: false },
    ]);
    expect(img.tagName).toBe("IMG");
    expect(img).toHaveAttribute("alt", "chart of up");
    expect(img).toHaveAttribute("src", `data:image/svg+xml;charset=utf-8,${encodeURIComponent(SVG)}`);
    expect(img.getAttribute("src")).not.toContain("#");
    // Never as markup.
    expect(document.querySelector("svg text")).toBeNull();

    expect(input("metrics-query").value).toBe("up");
    expect(input("metrics-source-value").value).toBe("prom");
    const range = screen.getByTestId("metrics-range");
    expect(within(range).getByTestId("metrics-range-1h")).toHaveAttribute("aria-pressed", "true");
    const rows = screen.getAllByTestId("metrics-series");
    expect(rows.map((r) => r.getAttribute("data-name"))).toEqual(SERIES.map((s) => s.name));
    expect(rows.map((r) => within(r).getByTestId("metrics-series-last").textContent)).toEqual(["1", "0"]);
    expect(screen.getByTestId("metrics-status")).toHaveTextContent("2 series · step 15s · from prom · live");
  });

  it("runs a query with Run or Enter, redraws when the range, unit or area change, and remembers them", async () => {
    const { user, backend, unmount } = setup();
    await screen.findByTestId("metrics-chart");

    await fill(user, input("metrics-query"), "process_resident_memory_bytes{job}");
    await user.keyboard("{Enter}");
    await waitFor(() => expect(requests(backend)).toHaveLength(2));
    expect(requests(backend)[1]).toMatchObject({ query: "process_resident_memory_bytes{job}", range_secs: 3600 });

    await user.click(screen.getByTestId("metrics-range-6h"));
    await waitFor(() => expect(requests(backend)).toHaveLength(3));
    expect(requests(backend)[2].range_secs).toBe(6 * 3600);

    await user.click(screen.getByTestId("metrics-unit"));
    await user.click(await screen.findByTestId("metrics-unit-option-bytes"));
    await waitFor(() => expect(requests(backend)).toHaveLength(4));
    expect(requests(backend)[3].unit).toBe("bytes");

    await user.click(screen.getByTestId("metrics-area"));
    await waitFor(() => expect(requests(backend)).toHaveLength(5));
    expect(requests(backend)[4].area).toBe(true);

    // Run again with the same query: drawn again at once.
    await user.click(screen.getByTestId("metrics-run"));
    await waitFor(() => expect(requests(backend)).toHaveLength(6));
    expect(requests(backend)[5]).toEqual(requests(backend)[4]);

    expect(JSON.parse(window.localStorage.getItem(PREFS_KEY) ?? "{}")).toMatchObject({
      query: "process_resident_memory_bytes{job}",
      range: "6h",
      unit: "bytes",
      area: true,
    });
    unmount();

    const again = setup();
    await screen.findByTestId("metrics-chart");
    expect(input("metrics-query").value).toBe("process_resident_memory_bytes{job}");
    expect(requests(again.backend)[0]).toMatchObject({
      query: "process_resident_memory_bytes{job}",
      range_secs: 6 * 3600,
      unit: "bytes",
      area: true,
    });
  });

  it("shows Prometheus' message for a query it refuses under the field, and keeps the last chart", async () => {
    const { user, backend } = setup({
      live_chart: ({ request }) => {
        if (request.query !== "up") throw errorDto("invalid_input", PARSE_ERROR);
        return chart();
      },
    });
    await screen.findByTestId("metrics-chart");
    await fill(user, input("metrics-query"), "rate(up[5m]");
    await user.keyboard("{Enter}");

    const error = await screen.findByTestId("metrics-error");
    expect(error).toHaveAttribute("data-code", "invalid_input");
    expect(error).toHaveTextContent(PARSE_ERROR);
    expect(screen.getByTestId("metrics-chart")).toHaveAttribute("alt", "chart of up");
    expect(screen.getAllByTestId("metrics-series")).toHaveLength(2);
    expect(screen.getByTestId("metrics-status")).toHaveTextContent("the query was refused");
    expect(requests(backend).map((r) => r.query)).toEqual(["up", "rate(up[5m]"]);

    // Fixed: the error goes.
    await fill(user, input("metrics-query"), "up");
    await user.click(screen.getByTestId("metrics-run"));
    await waitFor(() => expect(screen.queryByTestId("metrics-error")).not.toBeInTheDocument());
    expect(screen.getByTestId("metrics-status")).toHaveTextContent("live");
  });

  it("draws again every step while shown, not while paused or hidden", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { backend, user } = setup();
    await screen.findByTestId("metrics-chart");
    expect(requests(backend)).toHaveLength(1);

    await advance(10_000);
    expect(requests(backend)).toHaveLength(1);
    await advance(5_000);
    expect(requests(backend)).toHaveLength(2);
    expect(requests(backend)[1]).toEqual(requests(backend)[0]);

    // Paused: nothing; resumed: at once.
    await user.click(screen.getByTestId("metrics-pause"));
    expect(screen.getByTestId("metrics-status")).toHaveTextContent("paused");
    await advance(45_000);
    expect(requests(backend)).toHaveLength(2);
    await user.click(screen.getByTestId("metrics-pause"));
    await waitFor(() => expect(requests(backend)).toHaveLength(3));

    // Hidden: nothing; visible again: at once.
    const hidden = vi.spyOn(document, "hidden", "get").mockReturnValue(true);
    await advance(45_000);
    expect(requests(backend)).toHaveLength(3);
    hidden.mockReturnValue(false);
    await act(async () => {
      document.dispatchEvent(new Event("visibilitychange"));
    });
    await waitFor(() => expect(requests(backend)).toHaveLength(4));
    hidden.mockRestore();
  });

  it("says when the source is unavailable, keeps the chart and retries later and later", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const down = "Prometheus at http://localhost:9090 did not answer within 10 s: is it running?";
    let up = true;
    const { backend } = setup({
      live_chart: () => {
        if (!up) throw errorDto("source_unavailable", down);
        return chart();
      },
    });
    await screen.findByTestId("metrics-chart");
    up = false;
    await advance(15_000);
    expect(requests(backend)).toHaveLength(2);
    const warning = await screen.findByTestId("metrics-unavailable");
    expect(warning).toHaveTextContent(down);
    expect(screen.getByTestId("metrics-status")).toHaveTextContent("source unavailable — retrying");
    expect(screen.getByTestId("metrics-chart")).toBeInTheDocument();
    expect(screen.queryByTestId("metrics-error")).not.toBeInTheDocument();

    // 30 s (twice the step), then 60 s, then never more than 60 s.
    await advance(25_000);
    expect(requests(backend)).toHaveLength(2);
    await advance(5_000);
    expect(requests(backend)).toHaveLength(3);
    await advance(55_000);
    expect(requests(backend)).toHaveLength(3);
    await advance(5_000);
    expect(requests(backend)).toHaveLength(4);

    up = true;
    await advance(60_000);
    expect(requests(backend)).toHaveLength(5);
    await waitFor(() => expect(screen.queryByTestId("metrics-unavailable")).not.toBeInTheDocument());
    expect(screen.getByTestId("metrics-status")).toHaveTextContent("2 series · step 15s · from prom · live");
  });

  it("exports the chart through the save dialog and names the file written", async () => {
    const { user, backend } = setup({
      "plugin:dialog|save": () => "/home/dev/up.png",
      export_chart: ({ path }) => path,
    });
    await screen.findByTestId("metrics-chart");
    await user.click(screen.getByTestId("metrics-export"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Chart saved to /home/dev/up.png");
    const dialog = backend.argsOf("plugin:dialog|save")[0] as { options: { defaultPath: string; filters: { extensions: string[] }[] } };
    expect(dialog.options.defaultPath).toBe("up.png");
    expect(dialog.options.filters.map((f) => f.extensions[0])).toEqual(["png", "svg", "csv", "json"]);
    expect(backend.argsOf("export_chart")).toEqual([{ request: requests(backend)[0], path: "/home/dev/up.png" }]);
  });

  it("checks the sources, and adds and removes one in the Sources dialog", async () => {
    const sources = [source(), source({ name: "old", url: "http://old:9090", default: false })];
    const { user, backend } = setup(
      {
        check_sources: () => [
          { name: "prom", ok: true, version: "2.53.0", latency_ms: 12, problems: [] },
          { name: "old", ok: false, version: null, latency_ms: null, problems: ["connection refused: is it running?"] },
        ],
        add_source: ({ name, url, default: isDefault }) => {
          const added = source({ name, url, default: isDefault });
          sources.push(added);
          return added;
        },
        remove_source: ({ name }) => {
          const i = sources.findIndex((s) => s.name === name);
          if (i >= 0) sources.splice(i, 1);
          return i >= 0;
        },
      },
      sources,
    );
    await screen.findByTestId("metrics-chart");
    await user.click(screen.getByTestId("sources-check"));
    const checks = await screen.findAllByTestId("source-check");
    expect(checks.map((c) => [c.dataset.name, c.dataset.ok])).toEqual([
      ["prom", "true"],
      ["old", "false"],
    ]);
    expect(checks[0]).toHaveTextContent("✓promversion 2.53.0 · 12 ms");
    expect(checks[1]).toHaveTextContent("✗oldconnection refused: is it running?");

    await user.click(screen.getByTestId("sources-manage"));
    const dialog = await screen.findByTestId("sources-dialog");
    expect(within(dialog).getAllByTestId("source-row").map((r) => r.dataset.name)).toEqual(["prom", "old"]);
    expect(within(dialog).getByTestId("source-default")).not.toBeChecked();
    await fill(user, within(dialog).getByTestId("source-name"), "prod");
    await fill(user, within(dialog).getByTestId("source-url"), "https://prom.example.com");
    await user.click(within(dialog).getByTestId("source-add"));
    await waitFor(() => expect(within(dialog).getAllByTestId("source-row")).toHaveLength(3));
    expect(backend.argsOf("add_source")).toEqual([{ name: "prod", url: "https://prom.example.com", default: false, token: null }]);
    expect((within(dialog).getByTestId("source-name") as HTMLInputElement).value).toBe("");

    const old = within(dialog)
      .getAllByTestId("source-row")
      .find((r) => r.dataset.name === "old") as HTMLElement;
    await user.click(within(old).getByTestId("source-remove"));
    await waitFor(() => expect(within(dialog).getAllByTestId("source-row").map((r) => r.dataset.name)).toEqual(["prom", "prod"]));
    expect(backend.argsOf("remove_source")).toEqual([{ name: "old" }]);

    await user.click(screen.getByTestId("sources-close"));
    await waitFor(() => expect(screen.queryByTestId("sources-dialog")).not.toBeInTheDocument());
    await user.click(screen.getByTestId("metrics-source"));
    const listbox = await screen.findByRole("listbox");
    expect(within(listbox).getAllByRole("option").map((o) => o.getAttribute("data-value"))).toEqual(["prom", "prod"]);
    await user.click(within(listbox).getByTestId("metrics-source-option-prod"));
    await waitFor(() => expect(requests(backend).at(-1)?.source).toBe("prod"));
  });

  it("is in the navigation and behind g m", async () => {
    mockBackend();
    const { user } = renderApp("/");
    await screen.findByText("Overview", { selector: "h1" });
    await user.keyboard("gm");
    expect(currentPath()).toBe("/metrics");
    expect(await screen.findByTestId("metrics-empty")).toBeInTheDocument();
    expect(screen.getByTestId("nav-metrics")).toHaveAttribute("aria-current", "page");
    await user.keyboard("?");
    expect(await screen.findByTestId("shortcuts-dialog")).toHaveTextContent("Go to Metrics");
  });
});

// ---- Dashboard mode -----------------------------------------------------------

const DASHBOARDS: DashboardDto[] = [
  { name: "shop", title: "Shop", panels: ["Requests per second", "Memory"] },
  { name: "infra", title: "infra", panels: ["Nodes up"] },
];

const REQUESTS_QUERY = 'sum(rate(http_requests_total{app="shop"}[5m]))';

function panel(partial: Partial<PanelChartDto> = {}): PanelChartDto {
  return { title: "Requests per second", query: REQUESTS_QUERY, svg: SVG, series: 2, snapshot_taken_at: null, ...partial };
}

const PANELS: PanelChartDto[] = [
  panel(),
  panel({ title: "Memory", query: 'sum(container_memory_working_set_bytes{pod=~"shop-.*"})', series: 0 }),
];

function dashboardRequests(backend: Backend): DashboardRequestDto[] {
  return backend.argsOf("dashboard_charts").map((a) => a.request as DashboardRequestDto);
}

function setupDashboards(handlers: Handlers = {}, dashboards: DashboardDto[] = DASHBOARDS) {
  return setup({ list_dashboards: () => dashboards, dashboard_charts: () => PANELS, ...handlers });
}

/** Opens the Metrics view and switches it to Dashboard mode. */
async function toDashboards(user: ReturnType<typeof renderApp>["user"]) {
  await user.click(await screen.findByTestId("metrics-mode-dashboard"));
}

describe("Metrics view, dashboards", () => {
  it("says when a dashboard is its last snapshot because the source cannot be read", async () => {
    const taken = Date.UTC(2026, 10, 29, 9, 30);
    const { user } = setupDashboards({
      dashboard_charts: () => PANELS.map((p) => ({ ...p, snapshot_taken_at: taken })),
    });
    await screen.findByTestId("metrics-chart");
    await toDashboards(user);
    const warning = await screen.findByTestId("dashboard-snapshot");
    expect(warning).toHaveTextContent("snapshot taken");
    expect(warning).toHaveTextContent("not live data");
    expect(screen.getAllByTestId("dashboard-panel")).toHaveLength(2);
  });

  it("lists the dashboards, draws the one chosen as images with their queries, and remembers the mode", async () => {
    const { user, backend, unmount } = setupDashboards();
    await screen.findByTestId("metrics-chart");
    const mode = screen.getByTestId("metrics-mode");
    expect(within(mode).getByTestId("metrics-mode-query")).toHaveAttribute("aria-pressed", "true");
    expect(backend.commands()).not.toContain("list_dashboards");

    await toDashboards(user);
    expect(screen.getByTestId("metrics-mode-dashboard")).toHaveAttribute("aria-pressed", "true");
    expect(screen.queryByTestId("metrics-query")).not.toBeInTheDocument();
    // The first dashboard at once.
    await waitFor(() => expect(dashboardRequests(backend)).toHaveLength(1));
    expect(dashboardRequests(backend)[0]).toEqual({
      name: "shop",
      app: null,
      target: null,
      namespace: null,
      range_secs: 3600,
      width: 998,
    });
    expect(input("dashboard-picker-value").value).toBe("shop");
    await user.click(screen.getByTestId("dashboard-picker"));
    const listbox = await screen.findByRole("listbox");
    expect(within(listbox).getAllByRole("option").map((o) => o.getAttribute("data-value"))).toEqual(["shop", "infra", ":app"]);
    expect(within(listbox).getByTestId("dashboard-option-shop")).toHaveTextContent("Shop(shop)");
    expect(within(listbox).getByTestId("dashboard-app-default")).toHaveTextContent("App default…");
    await user.click(within(listbox).getByTestId("dashboard-option-infra"));
    await waitFor(() => expect(dashboardRequests(backend)).toHaveLength(2));
    expect(dashboardRequests(backend)[1]).toEqual({
      name: "infra",
      app: null,
      target: null,
      namespace: null,
      range_secs: 3600,
      width: 998,
    });

    const cards = await screen.findAllByTestId("dashboard-panel");
    expect(cards.map((c) => c.getAttribute("data-title"))).toEqual(["Requests per second", "Memory"]);
    expect(screen.getByTestId("dashboard-panels")).toHaveAttribute("data-columns", "1");
    const img = within(cards[0]).getByTestId("dashboard-panel-chart");
    expect(img.tagName).toBe("IMG");
    expect(img).toHaveAttribute("src", `data:image/svg+xml;charset=utf-8,${encodeURIComponent(SVG)}`);
    expect(img).toHaveAttribute("alt", "chart of Requests per second");
    expect(img).toHaveAttribute("width", "998");
    // Never as markup.
    expect(document.querySelector("svg text")).toBeNull();
    // "No data" only where there is no series.
    expect(within(cards[0]).queryByTestId("dashboard-panel-no-data")).not.toBeInTheDocument();
    expect(within(cards[1]).getByTestId("dashboard-panel-no-data")).toHaveTextContent("No data");
    expect(within(cards[1]).getByTestId("dashboard-panel-chart")).toHaveAttribute("src", expect.stringMatching(/^data:image\/svg\+xml;/));
    expect(screen.getByTestId("dashboard-status")).toHaveTextContent("2 panels · drawn again every 30 s");

    // The query, behind a disclosure, and copied.
    const toggle = within(cards[0]).getByTestId("dashboard-panel-query-toggle");
    expect(toggle.closest("details")).not.toHaveAttribute("open");
    await user.click(toggle);
    expect(toggle.closest("details")).toHaveAttribute("open");
    expect(within(cards[0]).getByTestId("dashboard-panel-query")).toHaveTextContent(REQUESTS_QUERY);
    await user.click(within(cards[0]).getByTestId("dashboard-panel-copy"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Query of “Requests per second” copied");
    await expect(navigator.clipboard.readText()).resolves.toBe(REQUESTS_QUERY);

    expect(JSON.parse(window.localStorage.getItem(PREFS_KEY) ?? "{}")).toMatchObject({ mode: "dashboard", dashboard: "infra" });
    const liveCalls = requests(backend).length;
    unmount();

    // Opened again: in Dashboard mode, on the same dashboard, without a live chart.
    const again = setupDashboards();
    await screen.findAllByTestId("dashboard-panel");
    expect(dashboardRequests(again.backend)[0]).toMatchObject({ name: "infra" });
    expect(requests(again.backend)).toEqual([]);
    expect(liveCalls).toBe(1);

    // Back to Query: the live chart, as it was.
    await again.user.click(screen.getByTestId("metrics-mode-query"));
    await screen.findByTestId("metrics-chart");
    expect(screen.queryByTestId("dashboard-picker")).not.toBeInTheDocument();
    expect(requests(again.backend)[0]).toMatchObject({ query: "up", range_secs: 3600 });
    expect(JSON.parse(window.localStorage.getItem(PREFS_KEY) ?? "{}")).toMatchObject({ mode: "query", dashboard: "infra" });
  });

  it("explains custom dashboards when there is none, and draws an app's default one from what was typed", async () => {
    const { user, backend } = setupDashboards({}, []);
    await toDashboards(user);
    const empty = await screen.findByTestId("dashboard-empty");
    const example = within(empty).getByTestId("dashboard-empty-example").textContent ?? "";
    expect(example).toContain("[dashboards.shop]");
    expect(example).toContain("[[dashboards.shop.panels]]");
    expect(example).toContain('variables = { app = "shop" }');
    expect(example).toContain("$app");
    expect(example).toContain('unit = "bytes"');
    expect(example).toContain("area = true");
    expect(empty).toHaveTextContent("App default…");
    expect(empty).toHaveTextContent("needs no configuration");

    // The app default is all there is: its form, nothing drawn yet.
    expect(input("dashboard-picker-value").value).toBe(":app");
    expect(screen.getByTestId("dashboard-show")).toBeDisabled();
    expect(screen.getByTestId("dashboard-export")).toBeDisabled();
    expect(backend.commands()).not.toContain("dashboard_charts");

    await fill(user, input("dashboard-app"), "shop");
    await fill(user, input("dashboard-namespace"), " prod ");
    await user.click(screen.getByTestId("dashboard-show"));
    await waitFor(() => expect(dashboardRequests(backend)).toHaveLength(1));
    expect(dashboardRequests(backend)[0]).toEqual({
      name: null,
      app: "shop",
      target: null,
      namespace: "prod",
      range_secs: 3600,
      width: 998,
    });
    await screen.findAllByTestId("dashboard-panel");
    expect(screen.queryByTestId("dashboard-empty")).not.toBeInTheDocument();

    // A target (its namespace wins in the shell); Enter shows it.
    await fill(user, input("dashboard-target"), "aws-prod");
    await user.keyboard("{Enter}");
    await waitFor(() => expect(dashboardRequests(backend)).toHaveLength(2));
    expect(dashboardRequests(backend)[1]).toMatchObject({ app: "shop", namespace: "prod", target: "aws-prod" });

    // The range toggle applies.
    await user.click(screen.getByTestId("metrics-range-6h"));
    await waitFor(() => expect(dashboardRequests(backend)).toHaveLength(3));
    expect(dashboardRequests(backend)[2]).toMatchObject({ app: "shop", range_secs: 6 * 3600 });
    expect(JSON.parse(window.localStorage.getItem(PREFS_KEY) ?? "{}")).toMatchObject({
      range: "6h",
      dashboard: ":app",
      dashboardApp: { app: "shop", namespace: "prod", target: "aws-prod" },
    });
  });

  it("shows panels two a row on a wide window, each asked as wide as its column", async () => {
    const wide = vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(1200);
    try {
      const { user, backend } = setupDashboards();
      await toDashboards(user);
      await screen.findAllByTestId("dashboard-panel");
      expect(screen.getByTestId("dashboard-panels")).toHaveAttribute("data-columns", "2");
      expect(dashboardRequests(backend)[0].width).toBe(590);
    } finally {
      wide.mockRestore();
    }
  });

  it("draws the whole dashboard again every 30 s while shown, not while hidden", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { user, backend } = setupDashboards();
    await toDashboards(user);
    await screen.findAllByTestId("dashboard-panel");
    expect(dashboardRequests(backend)).toHaveLength(1);

    await advance(29_000);
    expect(dashboardRequests(backend)).toHaveLength(1);
    await advance(1_000);
    expect(dashboardRequests(backend)).toHaveLength(2);
    expect(dashboardRequests(backend)[1]).toEqual(dashboardRequests(backend)[0]);

    const hidden = vi.spyOn(document, "hidden", "get").mockReturnValue(true);
    await advance(90_000);
    expect(dashboardRequests(backend)).toHaveLength(2);
    hidden.mockReturnValue(false);
    await act(async () => {
      document.dispatchEvent(new Event("visibilitychange"));
    });
    await waitFor(() => expect(dashboardRequests(backend)).toHaveLength(3));
    hidden.mockRestore();
    await advance(30_000);
    expect(dashboardRequests(backend)).toHaveLength(4);
  });

  it("shows why a dashboard cannot be drawn: retries a source that is down after 60 s, not a refused one", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const down = "Prometheus at http://localhost:9090 did not answer within 10 s: is it running?";
    let up = true;
    const { user, backend } = setupDashboards({
      dashboard_charts: ({ request }) => {
        if (request.name === "infra") throw errorDto("invalid_input", "no dashboard named `infra` in config.toml");
        if (!up) throw errorDto("source_unavailable", down);
        return PANELS;
      },
    });
    await toDashboards(user);
    await screen.findAllByTestId("dashboard-panel");

    up = false;
    await advance(30_000);
    expect(dashboardRequests(backend)).toHaveLength(2);
    const error = await screen.findByTestId("dashboard-error");
    expect(error).toHaveAttribute("data-code", "source_unavailable");
    expect(error).toHaveTextContent(down);
    // What was drawn stays.
    expect(screen.getAllByTestId("dashboard-panel")).toHaveLength(2);
    expect(screen.getByTestId("dashboard-status")).toHaveTextContent("source unavailable — retrying");
    await advance(59_000);
    expect(dashboardRequests(backend)).toHaveLength(2);
    await advance(1_000);
    expect(dashboardRequests(backend)).toHaveLength(3);
    up = true;
    await advance(60_000);
    expect(dashboardRequests(backend)).toHaveLength(4);
    await waitFor(() => expect(screen.queryByTestId("dashboard-error")).not.toBeInTheDocument());

    // Refused: said, another dashboard's panels are not shown, and it is not asked again.
    await user.click(screen.getByTestId("dashboard-picker"));
    await user.click(await screen.findByTestId("dashboard-option-infra"));
    const refused = await screen.findByTestId("dashboard-error");
    expect(refused).toHaveAttribute("data-code", "invalid_input");
    expect(refused).toHaveTextContent("no dashboard named `infra` in config.toml");
    expect(screen.queryByTestId("dashboard-panel")).not.toBeInTheDocument();
    expect(screen.getByTestId("dashboard-export")).toBeDisabled();
    const calls = dashboardRequests(backend).length;
    await advance(120_000);
    expect(dashboardRequests(backend)).toHaveLength(calls);
    expect(screen.getByTestId("dashboard-status")).toHaveTextContent("not updating");
  });

  it("exports the whole dashboard through the save dialog and names the file written", async () => {
    const { user, backend } = setupDashboards({
      "plugin:dialog|save": () => "/home/dev/shop",
      export_dashboard: () => "png",
    });
    await toDashboards(user);
    await screen.findAllByTestId("dashboard-panel");
    await user.click(screen.getByTestId("dashboard-export"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Dashboard saved to /home/dev/shop.png");
    const dialog = backend.argsOf("plugin:dialog|save")[0] as {
      options: { title: string; defaultPath: string; filters: { extensions: string[] }[] };
    };
    expect(dialog.options.title).toBe("Export dashboard");
    expect(dialog.options.defaultPath).toBe("shop.png");
    expect(dialog.options.filters.map((f) => f.extensions[0])).toEqual(["png", "svg", "csv", "json"]);
    expect(backend.argsOf("export_dashboard")).toEqual([{ request: dashboardRequests(backend)[0], path: "/home/dev/shop.png" }]);
  });

  it("shows why the export failed", async () => {
    const { user } = setupDashboards({
      "plugin:dialog|save": () => "/root/shop.svg",
      export_dashboard: () => {
        throw errorDto("internal", "cannot write /root/shop.svg: permission denied");
      },
    });
    await toDashboards(user);
    await screen.findAllByTestId("dashboard-panel");
    await user.click(screen.getByTestId("dashboard-export"));
    const error = await screen.findByTestId("dashboard-export-error");
    expect(error).toHaveAttribute("data-code", "internal");
    expect(error).toHaveTextContent("permission denied");
  });
});
