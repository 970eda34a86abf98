import { decomposeColor, getContrastRatio } from "@mui/material/styles";
import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { PlanJobView } from "../bindings/PlanJobView";
import { mockBackend } from "../test/backend";
import { detail, job, planJob, run } from "../test/fixtures";
import { setPrefersDark } from "../test/media";
import { renderApp } from "../test/render";
import { createAppTheme } from "../theme";

/** The graph's width in a 1280 px window: 1280 - drawer 216 - page padding 2 × 32 - section border and padding. */
const WIDTH_AT_1280 = 982;

afterEach(() => {
  vi.restoreAllMocks();
});

function planOf(plan: PlanJobView[]) {
  return {
    project_detail: () => detail({ pipeline: { state: "valid", diagnostics: [], plan } }),
    list_runs: () => ({ runs: [], next_before: null }),
  };
}

/** A chain a → b → c … of `n` stages. */
function chain(n: number): PlanJobView[] {
  return Array.from({ length: n }, (_, i) =>
    planJob({ name: `stage-${i + 1}-job`, needs: i ? [`stage-${i}-job`] : [], stage: i + 1 }),
  );
}

function box(el: Element) {
  const s = getComputedStyle(el);
  const left = parseFloat(s.left);
  const top = parseFloat(s.top);
  const width = parseFloat(s.width);
  const height = parseFloat(s.height);
  return { left, top, width, height, right: left + width };
}

/** Start and end point of an edge's path ("M x1 y1 C … x2 y2"). */
function ends(edge: Element): { x1: number; y1: number; x2: number; y2: number } {
  const nums = (edge.getAttribute("d") ?? "").match(/-?\d+(\.\d+)?/g)?.map(Number) ?? [];
  return { x1: nums[0], y1: nums[1], x2: nums[nums.length - 2], y2: nums[nums.length - 1] };
}

/** An SVG colour drawn over `background` (alpha blended), as rgb(). */
function over(color: string, background: string): string {
  const c = decomposeColor(color);
  const b = decomposeColor(background);
  const a = c.values.length > 3 ? Number(c.values[3]) : 1;
  const mix = [0, 1, 2].map((i) => Math.round(Number(c.values[i]) * a + Number(b.values[i]) * (1 - a)));
  return `rgb(${mix.join(", ")})`;
}

function node(graph: HTMLElement, name: string): HTMLElement {
  return within(graph)
    .getAllByTestId(/^(plan-job|job-node)$/)
    .find((n) => n.getAttribute("data-job") === name) as HTMLElement;
}

describe("Job graph", () => {
  it("fits five columns into a 1280 px window instead of clipping the fifth", async () => {
    vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(WIDTH_AT_1280);
    mockBackend(planOf(chain(5)));
    renderApp("/projects/shop");
    const graph = await screen.findByTestId("pipeline-graph");
    const boxes = within(graph).getAllByTestId("plan-job").map(box);
    expect(boxes).toHaveLength(5);
    for (const b of boxes) expect(b.right).toBeLessThanOrEqual(WIDTH_AT_1280);
    // Still readable and apart: room for a name and for the arrows between columns.
    for (const b of boxes) expect(b.width).toBeGreaterThanOrEqual(140);
    for (let i = 1; i < boxes.length; i++) expect(boxes[i].left - boxes[i - 1].right).toBeGreaterThanOrEqual(24);
    expect(within(graph).queryByTestId("graph-scroll-hint")).not.toBeInTheDocument();
  });

  it("scrolls sideways and says so when the columns cannot fit", async () => {
    vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(WIDTH_AT_1280);
    mockBackend(planOf(chain(9)));
    renderApp("/projects/shop");
    const graph = await screen.findByTestId("pipeline-graph");
    expect(within(graph).getByTestId("graph-scroll-hint")).toHaveTextContent("Scroll sideways to see all 9 columns");
    const scroller = within(graph).getByTestId("graph-scroll");
    expect(getComputedStyle(scroller).overflowX).toBe("auto");
    const last = box(node(graph, "stage-9-job"));
    expect(last.right).toBeGreaterThan(WIDTH_AT_1280);
  });

  it.each(["light", "dark"] as const)("draws edges with enough contrast to see them (%s theme)", async (mode) => {
    setPrefersDark(mode === "dark");
    const paper = createAppTheme(mode).palette.background.paper;
    mockBackend({
      get_run: () =>
        run({
          id: 12,
          status: "running",
          jobs: [
            job({ id: 1, name: "build" }),
            job({ id: 2, name: "test", status: "running", needs: ["build"] }),
            job({ id: 3, name: "deploy", status: "queued", needs: ["test"] }),
          ],
        }),
      read_log: () => ({ lines: [], total: 0 }),
    });
    renderApp("/runs/12");
    const graph = await screen.findByTestId("job-graph");
    const edges = within(graph).getAllByTestId("graph-edge");
    expect(edges).toHaveLength(2);
    for (const e of edges) {
      const stroke = e.getAttribute("stroke") as string;
      // WCAG 1.4.11: at least 3:1 for graphical objects.
      expect(getContrastRatio(over(stroke, paper), paper)).toBeGreaterThanOrEqual(3);
    }
  });

  it("ends every edge in an arrowhead pointing at the job that needs the other", async () => {
    mockBackend(
      planOf([
        planJob({ name: "build" }),
        planJob({ name: "test", needs: ["build"], stage: 2 }),
        planJob({ name: "lint", needs: ["build"], stage: 2 }),
      ]),
    );
    renderApp("/projects/shop");
    const graph = await screen.findByTestId("pipeline-graph");
    const edges = within(graph).getAllByTestId("graph-edge");
    expect(edges).toHaveLength(2);
    for (const e of edges) {
      const id = /^url\(#(.+)\)$/.exec(e.getAttribute("marker-end") ?? "")?.[1];
      expect(id).toBeTruthy();
      const marker = graph.querySelector(`marker[id="${id}"]`);
      expect(marker).not.toBeNull();
      expect(marker?.getAttribute("orient")).toBe("auto");
      // Drawn in the edge's colour.
      expect(marker?.querySelector("path")?.getAttribute("fill")).toBe(e.getAttribute("stroke"));
      // The path (so its end marker) ends on the left side of the dependent job, and starts at the job it needs.
      const { x1, y1, x2, y2 } = ends(e);
      const to = box(node(graph, e.getAttribute("data-to") as string));
      const from = box(node(graph, e.getAttribute("data-from") as string));
      expect(Math.abs(x2 - to.left)).toBeLessThanOrEqual(1);
      expect(y2).toBeGreaterThan(to.top);
      expect(y2).toBeLessThan(to.top + to.height);
      expect(Math.abs(x1 - from.right)).toBeLessThanOrEqual(1);
      expect(y1).toBeGreaterThan(from.top);
      expect(y1).toBeLessThan(from.top + from.height);
    }
  });

  it("orders each column by the position of its needs so edges do not cross, keeping plan order on ties", async () => {
    // In plan order `x` (needs b) would sit above `y` and `z` (need a): their edges would cross.
    const plan = [
      planJob({ name: "a" }),
      planJob({ name: "b" }),
      planJob({ name: "x", needs: ["b"], stage: 2 }),
      planJob({ name: "y", needs: ["a"], stage: 2 }),
      planJob({ name: "z", needs: ["a"], stage: 2 }),
      planJob({ name: "end-b", needs: ["x"], stage: 3 }),
      planJob({ name: "end-a", needs: ["y", "z"], stage: 3 }),
    ];
    mockBackend(planOf(plan));
    renderApp("/projects/shop");
    const graph = await screen.findByTestId("pipeline-graph");
    const column = (names: string[]) =>
      names
        .map((n) => ({ n, top: box(node(graph, n)).top }))
        .sort((p, q) => p.top - q.top)
        .map((p) => p.n);
    expect(column(["a", "b"])).toEqual(["a", "b"]);
    expect(column(["x", "y", "z"])).toEqual(["y", "z", "x"]);
    expect(column(["end-b", "end-a"])).toEqual(["end-a", "end-b"]);

    const edges = within(graph).getAllByTestId("graph-edge").map(ends);
    expect(edges).toHaveLength(6);
    const crossings: string[] = [];
    for (let i = 0; i < edges.length; i++)
      for (let j = i + 1; j < edges.length; j++) {
        const p = edges[i];
        const q = edges[j];
        if (p.x1 === q.x1 && p.x2 === q.x2 && (p.y1 - q.y1) * (p.y2 - q.y2) < 0) crossings.push(`${i}×${j}`);
      }
    expect(crossings).toEqual([]);
  });
});
