import SwapHorizIcon from "@mui/icons-material/SwapHoriz";
import Box from "@mui/material/Box";
import ButtonBase from "@mui/material/ButtonBase";
import { alpha, useTheme } from "@mui/material/styles";
import Typography from "@mui/material/Typography";
import { useId, useLayoutEffect, useMemo, useRef, useState, type RefObject } from "react";

import type { JobKindView } from "../bindings/JobKindView";
import { GateIcon, STATUS_LABEL, StatusIcon, attentionColor, statusColor, type Status } from "../status";

export interface GraphJob {
  /** Unique key (job id or name). */
  key: string;
  name: string;
  /** Names of the jobs it needs (plain or matrix base names). */
  needs: string[];
  /** 1-based column; computed from `needs` when absent. */
  stage?: number;
  status?: Status;
  /** `approval`: a gate, drawn with a hand while it has no status (a plan's job). */
  kind?: JobKindView;
  /** A second line (duration, runner). */
  detail?: string;
  /** A queued job that waits for a slot: a short note on the second line, the full reason as its title. */
  waiting?: { label: string; reason: string };
}

export interface LaidOutJob extends GraphJob {
  column: number;
  row: number;
  x: number;
  y: number;
  deps: string[];
}

/** Node width when there is room, and the narrowest it gets to fit the window before scrolling. */
const NODE_W = 210;
const MIN_NODE_W = 150;
/** Gap between columns (room for the edges and their arrowheads), and the narrowest it gets. */
const COL_GAP = 56;
const MIN_COL_GAP = 36;
const ROW_GAP = 12;
/** Margin around the drawing. */
const PAD = 16;
const NODE_H = 54;
const ARROW = 8;

/** Resolves `needs` to job keys: exact names, or all matrix instances "name (…)". */
export function resolveNeeds(jobs: GraphJob[]): Map<string, string[]> {
  const byName = new Map<string, string>();
  for (const j of jobs) byName.set(j.name, j.key);
  const out = new Map<string, string[]>();
  for (const j of jobs) {
    const deps: string[] = [];
    for (const need of j.needs) {
      const exact = byName.get(need);
      if (exact !== undefined) deps.push(exact);
      else for (const k of jobs) if (k.name.startsWith(need + " (")) deps.push(k.key);
    }
    out.set(j.key, deps);
  }
  return out;
}

/** Node width and column gap that fit `columns` columns into `available` pixels, down to the minimums. */
export function fitColumns(columns: number, available: number | null): { nodeWidth: number; colGap: number } {
  const needed = (w: number, gap: number) => PAD * 2 + columns * w + Math.max(0, columns - 1) * gap;
  if (available === null || columns <= 0 || needed(NODE_W, COL_GAP) <= available) return { nodeWidth: NODE_W, colGap: COL_GAP };
  const colGap = Math.max(MIN_COL_GAP, Math.min(COL_GAP, Math.floor(COL_GAP * (available / needed(NODE_W, COL_GAP)))));
  const nodeWidth = Math.floor((available - PAD * 2 - Math.max(0, columns - 1) * colGap) / columns);
  return { nodeWidth: Math.max(MIN_NODE_W, Math.min(NODE_W, nodeWidth)), colGap };
}

interface Edge {
  from: string;
  to: string;
}

/**
 * Crossings of straight edges between node positions (column, row): what the
 * drawn curves roughly follow. Edges that share a node never count.
 */
function countCrossings(edges: Edge[], col: Map<string, number>, row: Map<string, number>): number {
  const orient = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number) =>
    Math.sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax));
  let n = 0;
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i];
    const [ax, ay, bx, by] = [col.get(e.from) ?? 0, row.get(e.from) ?? 0, col.get(e.to) ?? 0, row.get(e.to) ?? 0];
    for (let j = i + 1; j < edges.length; j++) {
      const f = edges[j];
      if (f.from === e.from || f.from === e.to || f.to === e.from || f.to === e.to) continue;
      const [cx, cy, dx, dy] = [col.get(f.from) ?? 0, row.get(f.from) ?? 0, col.get(f.to) ?? 0, row.get(f.to) ?? 0];
      // Only edges whose column spans overlap can cross.
      if (Math.max(ax, bx) <= Math.min(cx, dx) || Math.max(cx, dx) <= Math.min(ax, bx)) continue;
      const o1 = orient(ax, ay, bx, by, cx, cy);
      const o2 = orient(ax, ay, bx, by, dx, dy);
      const o3 = orient(cx, cy, dx, dy, ax, ay);
      const o4 = orient(cx, cy, dx, dy, bx, by);
      if (o1 * o2 < 0 && o3 * o4 < 0) n++;
    }
  }
  return n;
}

/** Above this many edges the crossing count is skipped (it is quadratic): one barycenter pass is kept as is. */
const MAX_COUNTED_EDGES = 1500;

/**
 * Orders the jobs within each column to reduce edge crossings: sweeps that
 * sort a column by the mean row of its needs (left to right), then of its
 * dependents (right to left), keeping the order with the fewest crossings
 * (plan order unless a sweep does better). Ties keep the previous order, so
 * the same jobs always draw the same way.
 */
function orderColumns(columns: string[][], edges: Edge[], col: Map<string, number>): string[][] {
  const rowsOf = (cols: string[][]) => {
    const m = new Map<string, number>();
    for (const c of cols) c.forEach((k, i) => m.set(k, i));
    return m;
  };
  const needsOf = new Map<string, string[]>();
  const usersOf = new Map<string, string[]>();
  for (const e of edges) {
    needsOf.set(e.to, [...(needsOf.get(e.to) ?? []), e.from]);
    usersOf.set(e.from, [...(usersOf.get(e.from) ?? []), e.to]);
  }
  const sortBy = (column: string[], row: Map<string, number>, links: Map<string, string[]>, before: (c: number) => boolean) => {
    const keyed = column.map((k, i) => {
      const others = (links.get(k) ?? []).filter((o) => before(col.get(o) ?? 0));
      const bary = others.length ? others.reduce((s, o) => s + (row.get(o) ?? 0), 0) / others.length : i;
      return { k, i, bary };
    });
    keyed.sort((a, b) => a.bary - b.bary || a.i - b.i);
    return keyed.map((x) => x.k);
  };

  let best = columns;
  const counted = edges.length <= MAX_COUNTED_EDGES;
  let bestCrossings = counted ? countCrossings(edges, col, rowsOf(best)) : Infinity;
  let current = columns.map((c) => c.slice());
  for (let sweep = 0; sweep < 4 && bestCrossings > 0; sweep++) {
    const down = sweep % 2 === 0;
    const order = current.map((_, i) => i);
    if (!down) order.reverse();
    for (const c of order) {
      const row = rowsOf(current);
      current[c] = down
        ? sortBy(current[c], row, needsOf, (o) => o < c)
        : sortBy(current[c], row, usersOf, (o) => o > c);
    }
    if (!counted) return current;
    const crossings = countCrossings(edges, col, rowsOf(current));
    if (crossings < bestCrossings) {
      best = current.map((c) => c.slice());
      bestCrossings = crossings;
    }
    current = current.map((c) => c.slice());
  }
  return best;
}

export interface LayoutOptions {
  nodeHeight?: number;
  nodeWidth?: number;
  colGap?: number;
}

/** Columns of a graph: by stage (given, or the longest chain of needs). */
function stagesOf(jobs: GraphJob[], deps: Map<string, string[]>): (key: string) => number {
  const stage = new Map<string, number>();
  const visiting = new Set<string>();
  const byKey = new Map(jobs.map((j) => [j.key, j]));
  const depth = (key: string): number => {
    const known = stage.get(key);
    if (known !== undefined) return known;
    if (visiting.has(key)) return 1;
    visiting.add(key);
    let s = byKey.get(key)?.stage ?? 0;
    if (!s) {
      s = 1;
      for (const d of deps.get(key) ?? []) s = Math.max(s, depth(d) + 1);
    }
    visiting.delete(key);
    stage.set(key, s);
    return s;
  };
  return depth;
}

/** How many columns `jobs` take. */
export function columnCount(jobs: GraphJob[]): number {
  const depth = stagesOf(jobs, resolveNeeds(jobs));
  return new Set(jobs.map((j) => depth(j.key))).size;
}

/**
 * Places jobs in columns by stage (given, or the longest chain of needs),
 * ordered within each column to reduce edge crossings.
 */
export function layoutGraph(
  jobs: GraphJob[],
  { nodeHeight = NODE_H, nodeWidth = NODE_W, colGap = COL_GAP }: LayoutOptions = {},
): { nodes: LaidOutJob[]; width: number; height: number; columns: number } {
  const deps = resolveNeeds(jobs);
  const depth = stagesOf(jobs, deps);
  const stages = [...new Set(jobs.map((j) => depth(j.key)))].sort((a, b) => a - b);
  const columnOf = new Map(stages.map((s, i) => [s, i]));
  const col = new Map(jobs.map((j) => [j.key, columnOf.get(depth(j.key)) ?? 0]));
  const columns: string[][] = stages.map(() => []);
  for (const j of jobs) columns[col.get(j.key) ?? 0].push(j.key);
  const edges: Edge[] = jobs.flatMap((j) => (deps.get(j.key) ?? []).filter((d) => col.has(d)).map((d) => ({ from: d, to: j.key })));
  const ordered = orderColumns(columns, edges, col);
  const rowOf = new Map<string, number>();
  for (const c of ordered) c.forEach((k, i) => rowOf.set(k, i));

  const nodes = jobs.map((j) => {
    const column = col.get(j.key) ?? 0;
    const row = rowOf.get(j.key) ?? 0;
    return {
      ...j,
      column,
      row,
      x: PAD + column * (nodeWidth + colGap),
      y: PAD + row * (nodeHeight + ROW_GAP),
      deps: deps.get(j.key) ?? [],
    };
  });
  const maxRows = Math.max(1, ...ordered.map((c) => c.length));
  return {
    nodes,
    columns: stages.length,
    width: PAD * 2 + stages.length * nodeWidth + Math.max(0, stages.length - 1) * colGap,
    height: PAD * 2 + maxRows * nodeHeight + (maxRows - 1) * ROW_GAP,
  };
}

/** The width the graph may use: its scroll area's, followed as the window is resized. */
function useAvailableWidth(ref: RefObject<HTMLElement | null>): number | null {
  const [width, setWidth] = useState<number | null>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      const w = el.clientWidth;
      setWidth(w > 0 ? w : null);
    };
    measure();
    if (typeof ResizeObserver !== "undefined") {
      const observer = new ResizeObserver(measure);
      observer.observe(el);
      return () => observer.disconnect();
    }
    window.addEventListener("resize", measure);
    return () => window.removeEventListener("resize", measure);
  }, [ref]);
  return width;
}

export interface JobGraphProps {
  jobs: GraphJob[];
  selectedKey?: string;
  onSelect?: (key: string) => void;
  nodeTestId: string;
  label: string;
  testId?: string;
}

/**
 * Jobs as boxes in columns by stage with arrows for `needs` (from a job to
 * the one that needs it), coloured by status. Narrows to fit the window; a
 * graph that still does not fit scrolls sideways and says so.
 */
export function JobGraph({ jobs, selectedKey, onSelect, nodeTestId, label, testId }: JobGraphProps) {
  const theme = useTheme();
  const nodeHeight = NODE_H;
  const scrollRef = useRef<HTMLDivElement>(null);
  const available = useAvailableWidth(scrollRef);
  const columns = useMemo(() => columnCount(jobs), [jobs]);
  const { nodeWidth, colGap } = fitColumns(columns, available);
  const { nodes, width, height } = useMemo(
    () => layoutGraph(jobs, { nodeHeight, nodeWidth, colGap }),
    [jobs, nodeHeight, nodeWidth, colGap],
  );
  const byKey = useMemo(() => new Map(nodes.map((n) => [n.key, n])), [nodes]);
  const overflows = available !== null && width > available;
  const markerId = `graph-arrow-${useId().replace(/[^A-Za-z0-9_-]/g, "")}`;
  // Edges stand out from the page (WCAG 1.4.11, 3:1): done ones in green, the rest in the secondary text colour.
  const edgeColor = { done: theme.palette.success.main, pending: theme.palette.text.secondary };

  return (
    <Box role="group" aria-label={label} data-testid={testId}>
      <Box ref={scrollRef} sx={{ overflowX: "auto" }} data-testid="graph-scroll">
        <Box sx={{ position: "relative", width, height, minWidth: width }}>
          <svg width={width} height={height} style={{ position: "absolute", inset: 0 }} aria-hidden="true">
            <defs>
              {(["done", "pending"] as const).map((kind) => (
                <marker
                  key={kind}
                  id={`${markerId}-${kind}`}
                  viewBox="0 0 10 10"
                  refX={10}
                  refY={5}
                  markerWidth={ARROW}
                  markerHeight={ARROW}
                  markerUnits="userSpaceOnUse"
                  orient="auto"
                >
                  <path d="M 0 0 L 10 5 L 0 10 z" fill={edgeColor[kind]} />
                </marker>
              ))}
            </defs>
            {nodes.flatMap((n) =>
              n.deps.map((d) => {
                const from = byKey.get(d);
                if (!from) return null;
                const x1 = from.x + nodeWidth;
                const y1 = from.y + nodeHeight / 2;
                const x2 = n.x;
                const y2 = n.y + nodeHeight / 2;
                const dx = Math.max(24, (x2 - x1) / 2);
                const kind = from.status === "succeeded" ? "done" : "pending";
                return (
                  <path
                    key={`${d}->${n.key}`}
                    data-testid="graph-edge"
                    data-from={from.name}
                    data-to={n.name}
                    d={`M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 - dx} ${y2}, ${x2} ${y2}`}
                    fill="none"
                    stroke={edgeColor[kind]}
                    strokeWidth={2}
                    markerEnd={`url(#${markerId}-${kind})`}
                  />
                );
              }),
            )}
          </svg>
          {nodes.map((n) => {
            const gate = n.kind === "approval";
            const color = n.status
              ? statusColor(theme, n.status)
              : gate
                ? attentionColor(theme)
                : theme.palette.primary.main;
            const selected = n.key === selectedKey;
            const content = (
              <>
                {n.status ? <StatusIcon status={n.status} /> : gate ? <GateIcon /> : null}
                <Box sx={{ minWidth: 0, flex: 1, textAlign: "left" }}>
                  <Typography variant="body2" noWrap sx={{ fontWeight: 600 }} title={n.name}>
                    {n.name}
                  </Typography>
                  <Typography variant="caption" color="text.secondary" noWrap component="div">
                    {[n.status ? STATUS_LABEL[n.status] : null, n.detail].filter(Boolean).join(" · ")}
                    {n.waiting ? (
                      <>
                        {" · "}
                        <span data-testid="job-node-waiting" title={n.waiting.reason}>
                          {n.waiting.label}
                        </span>
                      </>
                    ) : null}
                  </Typography>
                </Box>
              </>
            );
            const sx = {
              position: "absolute" as const,
              left: n.x,
              top: n.y,
              width: nodeWidth,
              height: nodeHeight,
              display: "flex",
              alignItems: "center",
              gap: 1,
              px: 1.25,
              borderRadius: 1.5,
              border: 1,
              borderColor: selected ? color : "divider",
              borderLeft: `4px solid ${color}`,
              bgcolor: selected ? alpha(color, 0.12) : "background.paper",
              boxShadow: selected ? `0 0 0 1px ${color}` : "none",
              justifyContent: "flex-start",
            };
            const aria = `${n.name}${n.status ? `: ${STATUS_LABEL[n.status]}` : gate ? ": approval" : ""}${n.waiting ? `, ${n.waiting.label}` : ""}`;
            return onSelect ? (
              <ButtonBase
                key={n.key}
                sx={sx}
                onClick={() => onSelect(n.key)}
                data-testid={nodeTestId}
                data-status={n.status}
                data-job={n.name}
                data-kind={n.kind}
                aria-label={aria}
                aria-pressed={selected}
                focusRipple
              >
                {content}
              </ButtonBase>
            ) : (
              <Box
                key={n.key}
                sx={sx}
                data-testid={nodeTestId}
                data-status={n.status}
                data-job={n.name}
                data-kind={n.kind}
                aria-label={aria}
                role="img"
              >
                {content}
              </Box>
            );
          })}
        </Box>
      </Box>
      {overflows ? (
        <Typography
          variant="caption"
          color="text.secondary"
          component="div"
          sx={{ display: "flex", alignItems: "center", gap: 0.5, px: 2, pt: 0.5 }}
          data-testid="graph-scroll-hint"
        >
          <SwapHorizIcon fontSize="small" aria-hidden="true" />
          Scroll sideways to see all {columns} columns
        </Typography>
      ) : null}
    </Box>
  );
}
