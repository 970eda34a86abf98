import Box from "@mui/material/Box";
import ButtonBase from "@mui/material/ButtonBase";
import { alpha, useTheme } from "@mui/material/styles";
import Typography from "@mui/material/Typography";
import { useMemo } from "react";

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
}

export interface LaidOutJob extends GraphJob {
  column: number;
  row: number;
  x: number;
  y: number;
  deps: string[];
}

const NODE_W = 210;
const COL_GAP = 56;
const ROW_GAP = 12;
const PAD = 8;

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

/** Places jobs in columns by stage (given, or the longest chain of needs) and rows in plan order. */
export function layoutGraph(jobs: GraphJob[], nodeHeight: number): { nodes: LaidOutJob[]; width: number; height: number } {
  const deps = resolveNeeds(jobs);
  const stage = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (key: string): number => {
    const known = stage.get(key);
    if (known !== undefined) return known;
    if (visiting.has(key)) return 1;
    visiting.add(key);
    const job = jobs.find((j) => j.key === key);
    let s = job?.stage ?? 0;
    if (!s) {
      s = 1;
      for (const d of deps.get(key) ?? []) s = Math.max(s, depth(d) + 1);
    }
    visiting.delete(key);
    stage.set(key, s);
    return s;
  };
  const stages = [...new Set(jobs.map((j) => depth(j.key)))].sort((a, b) => a - b);
  const columnOf = new Map(stages.map((s, i) => [s, i]));
  const rows = new Array(stages.length).fill(0) as number[];
  const nodes = jobs.map((j) => {
    const column = columnOf.get(depth(j.key)) ?? 0;
    const row = rows[column]++;
    return {
      ...j,
      column,
      row,
      x: PAD + column * (NODE_W + COL_GAP),
      y: PAD + row * (nodeHeight + ROW_GAP),
      deps: deps.get(j.key) ?? [],
    };
  });
  const maxRows = Math.max(1, ...rows);
  return {
    nodes,
    width: PAD * 2 + stages.length * NODE_W + Math.max(0, stages.length - 1) * COL_GAP,
    height: PAD * 2 + maxRows * nodeHeight + (maxRows - 1) * ROW_GAP,
  };
}

export interface JobGraphProps {
  jobs: GraphJob[];
  selectedKey?: string;
  onSelect?: (key: string) => void;
  nodeTestId: string;
  label: string;
  testId?: string;
}

/** Jobs as boxes in columns by stage with edges for `needs`, coloured by status. */
export function JobGraph({ jobs, selectedKey, onSelect, nodeTestId, label, testId }: JobGraphProps) {
  const theme = useTheme();
  const nodeHeight = 54;
  const { nodes, width, height } = useMemo(() => layoutGraph(jobs, nodeHeight), [jobs]);
  const byKey = useMemo(() => new Map(nodes.map((n) => [n.key, n])), [nodes]);

  return (
    <Box sx={{ overflowX: "auto", p: 1 }} role="group" aria-label={label} data-testid={testId}>
      <Box sx={{ position: "relative", width, height, minWidth: width }}>
        <svg width={width} height={height} style={{ position: "absolute", inset: 0 }} aria-hidden="true">
          {nodes.flatMap((n) =>
            n.deps.map((d) => {
              const from = byKey.get(d);
              if (!from) return null;
              const x1 = from.x + NODE_W;
              const y1 = from.y + nodeHeight / 2;
              const x2 = n.x;
              const y2 = n.y + nodeHeight / 2;
              const dx = Math.max(24, (x2 - x1) / 2);
              const done = from.status === "succeeded";
              return (
                <path
                  key={`${d}->${n.key}`}
                  data-testid="graph-edge"
                  data-from={from.name}
                  data-to={n.name}
                  d={`M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 - dx} ${y2}, ${x2} ${y2}`}
                  fill="none"
                  stroke={done ? alpha(theme.palette.success.main, 0.6) : theme.palette.divider}
                  strokeWidth={2}
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
                </Typography>
              </Box>
            </>
          );
          const sx = {
            position: "absolute" as const,
            left: n.x,
            top: n.y,
            width: NODE_W,
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
          const aria = `${n.name}${n.status ? `: ${STATUS_LABEL[n.status]}` : gate ? ": approval" : ""}`;
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
  );
}
