// The Metrics view's Dashboard mode: a custom dashboard of config.toml, or an
// app's default one, every panel drawn by the shell and drawn again (whole)
// every 30 s while the window is visible.

import ContentCopyIcon from "@mui/icons-material/ContentCopy";
import DownloadIcon from "@mui/icons-material/Download";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import CircularProgress from "@mui/material/CircularProgress";
import FormControl from "@mui/material/FormControl";
import IconButton from "@mui/material/IconButton";
import InputLabel from "@mui/material/InputLabel";
import MenuItem from "@mui/material/MenuItem";
import Paper from "@mui/material/Paper";
import Select from "@mui/material/Select";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Tooltip from "@mui/material/Tooltip";
import Typography from "@mui/material/Typography";
import { useEffect, useMemo, useState, type FormEvent, type HTMLAttributes } from "react";

import {
  dashboardCharts,
  exportDashboard,
  listDashboards,
  onSettings,
  pickChartExportPath,
  toErrorDto,
  type DashboardRequest,
} from "../api";
import type { DashboardDto } from "../bindings/DashboardDto";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { PanelChartDto } from "../bindings/PanelChartDto";
import { useElementWidth, useLive, useLoader, useSubscription, type Live, type LiveOptions } from "../hooks";
import { formatDateTime } from "../format";
import { copyText } from "../links";
import {
  APP_DASHBOARD,
  backoffSecs,
  chartDataUri,
  DASHBOARD_POLL_SECS,
  dashboardFileName,
  dashboardLayout,
  loadPrefs,
  PANEL_GAP,
  PANEL_HEIGHT,
  rangeSecs,
  updatePrefs,
  withExportExtension,
  type AppDashboard,
  type RangeKey,
} from "../metrics";
import { useNotify } from "../notify";
import { EXAMPLE_BLOCK_SX, MONO_FONT } from "../theme";
import { ErrorAlert } from "./ErrorAlert";
import { RangeToggle } from "./RangeToggle";
import { Code } from "./Page";

/** The empty state's example: a custom dashboard in config.toml. */
export const EXAMPLE_DASHBOARD = `[dashboards.shop]
title = "Shop"
variables = { app = "shop" }       # $app in a query becomes shop

[[dashboards.shop.panels]]
title = "Requests per second"
query = 'sum(rate(http_requests_total{app="$app"}[5m]))'
area = true

[[dashboards.shop.panels]]
title = "Memory"
query = 'sum(container_memory_working_set_bytes{pod=~"$app-.*"})'
unit = "bytes"                     # si | percent | bytes | seconds`;

/**
 * A dashboard is drawn whole every 30 s (the shell fetches every panel's
 * range again: it is not incremental). While its source is down it is asked
 * again after 60 s; a dashboard refused (no such dashboard or target, a query
 * Prometheus refuses) is not asked again until something changes.
 */
const LIVE_DASHBOARD: LiveOptions<DashboardRequest, PanelChartDto[]> = {
  fetch: dashboardCharts,
  next: () => DASHBOARD_POLL_SECS,
  first: DASHBOARD_POLL_SECS,
  backoff: backoffSecs,
  stops: (error) => error.code === "invalid_input" || error.code === "not_found",
};

/** Whether two requests are for the same dashboard (whatever their range and width). */
function sameDashboard(a: DashboardRequest, b: DashboardRequest): boolean {
  return a.name === b.name && a.app === b.app && a.namespace === b.namespace && a.target === b.target;
}

/** The dashboard shown: the one picked if it is still listed (or the app default), else the first, else the app default. */
function pickOf(list: DashboardDto[], picked: string | null): string {
  if (picked === APP_DASHBOARD) return APP_DASHBOARD;
  return list.find((d) => d.name === picked)?.name ?? list[0]?.name ?? APP_DASHBOARD;
}

/** "6 panels · every 30 s", "loading…", "source unavailable — retrying". */
function statusText(live: Live<DashboardRequest, PanelChartDto[]>, panels: PanelChartDto[] | null): string {
  const parts: string[] = [];
  if (panels) parts.push(`${panels.length} panel${panels.length === 1 ? "" : "s"}`);
  if (live.loading) parts.push("loading…");
  else if (live.error?.code === "source_unavailable") parts.push("source unavailable — retrying");
  else if (live.stopped) parts.push("not updating: the dashboard was refused");
  else if (live.error) parts.push("failed — retrying");
  else if (panels) parts.push(`drawn again every ${DASHBOARD_POLL_SECS} s`);
  return parts.join(" · ");
}

function EmptyState() {
  return (
    <Paper variant="outlined" sx={{ p: 3, mb: 2 }} data-testid="dashboard-empty">
      <Typography variant="h6" component="h2" sx={{ mb: 1 }}>
        No custom dashboards yet
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 1.5 }}>
        An app&apos;s default dashboard needs no configuration: choose <strong>App default…</strong>, enter the app and
        its namespace (or a target) and press <strong>Show</strong> for its request rate, 5xx ratio, latency, CPU, memory
        and restarts.
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 1 }}>
        To keep charts of your own together, add a dashboard to <Code>config.toml</Code>; <Code>$app</Code> in a query
        is replaced by the dashboard&apos;s <Code>variables</Code>:
      </Typography>
      <Box
        component="pre"
        data-testid="dashboard-empty-example"
        sx={EXAMPLE_BLOCK_SX}
      >
        {EXAMPLE_DASHBOARD}
      </Box>
      <Typography color="text.secondary">
        It is listed here once the file is saved. Every option is described in <Code>docs/monitoring.md</Code>.
      </Typography>
    </Paper>
  );
}

/** One panel: its title, its chart (an image of the engine's SVG, never markup), its query. */
function PanelCard({ panel, width, dimmed }: { panel: PanelChartDto; width: number; dimmed: boolean }) {
  const notify = useNotify();
  const copy = async () => {
    if (await copyText(panel.query)) notify(`Query of “${panel.title}” copied`, "success");
    else notify("The query could not be copied: select it and copy it by hand.", "warning");
  };
  return (
    <Paper
      variant="outlined"
      data-testid="dashboard-panel"
      data-title={panel.title}
      data-series={panel.series}
      sx={{ overflow: "hidden", minWidth: 0 }}
    >
      <Stack direction="row" alignItems="baseline" gap={1} sx={{ px: 1.5, pt: 1 }}>
        <Typography variant="subtitle2" component="h3" noWrap title={panel.title} sx={{ flex: 1, minWidth: 0 }}>
          {panel.title}
        </Typography>
        {panel.series === 0 ? (
          <Typography variant="body2" color="text.secondary" data-testid="dashboard-panel-no-data">
            No data
          </Typography>
        ) : null}
      </Stack>
      {/* A plain img: its width and height are the chart's (the aspect ratio), scaled to the card. */}
      <img
        data-testid="dashboard-panel-chart"
        alt={`chart of ${panel.title}`}
        src={chartDataUri(panel.svg)}
        width={width}
        height={PANEL_HEIGHT}
        style={{ display: "block", width: "100%", height: "auto", opacity: dimmed ? 0.6 : 1 }}
      />
      <Box component="details" sx={{ px: 1.5, pb: 1 }}>
        <Box
          component="summary"
          data-testid="dashboard-panel-query-toggle"
          sx={{ cursor: "pointer", color: "text.secondary", typography: "body2", width: "fit-content" }}
        >
          query
        </Box>
        <Stack direction="row" alignItems="flex-start" gap={1} sx={{ mt: 0.5 }}>
          <Box
            component="pre"
            data-testid="dashboard-panel-query"
            sx={{
              flex: 1,
              minWidth: 0,
              m: 0,
              p: 1,
              borderRadius: 1,
              bgcolor: "action.hover",
              fontFamily: MONO_FONT,
              fontSize: 12,
              whiteSpace: "pre-wrap",
              wordBreak: "break-all",
            }}
          >
            {panel.query}
          </Box>
          <Tooltip title="Copy the query">
            <IconButton size="small" aria-label="Copy the query" onClick={() => void copy()} data-testid="dashboard-panel-copy">
              <ContentCopyIcon fontSize="small" />
            </IconButton>
          </Tooltip>
        </Stack>
      </Box>
    </Paper>
  );
}

interface AppFields {
  app: string;
  namespace: string;
  target: string;
}

function fieldsOf(app: AppDashboard | null): AppFields {
  return { app: app?.app ?? "", namespace: app?.namespace ?? "", target: app?.target ?? "" };
}

/** Dashboard mode: the picker, the range, the panels in a grid (two a row when there is room), the export. */
export function DashboardPanel() {
  const notify = useNotify();
  const [initial] = useState(loadPrefs);
  const boards = useLoader("dashboards", listDashboards);
  const reload = boards.reload;
  // Dashboards added or changed in config.toml.
  useSubscription(onSettings, () => reload());
  const [range, setRange] = useState<RangeKey>(initial.range);
  const [picked, setPicked] = useState<string | null>(initial.dashboard);
  // The app whose default dashboard is shown (when it is picked), and the form's fields.
  const [shownApp, setShownApp] = useState<AppDashboard | null>(initial.dashboardApp);
  const [fields, setFields] = useState<AppFields>(() => fieldsOf(initial.dashboardApp));
  // Show presses: Show again draws again at once.
  const [run, setRun] = useState(0);
  const [exportError, setExportError] = useState<ErrorDto | null>(null);
  const [exporting, setExporting] = useState(false);
  const [grid, setGrid] = useState<HTMLDivElement | null>(null);
  const measured = useElementWidth(grid);
  const layout = measured === null ? null : dashboardLayout(measured);
  const panelWidth = layout?.panelWidth ?? null;

  const list = boards.data;
  const current = list === undefined ? null : pickOf(list, picked);
  const isApp = current === APP_DASHBOARD;
  const name = current !== null && !isApp ? current : null;
  const app = isApp ? shownApp : null;

  useEffect(() => {
    updatePrefs({ range, dashboard: current ?? picked, dashboardApp: shownApp });
  }, [range, current, picked, shownApp]);

  const request = useMemo<DashboardRequest | null>(() => {
    if (panelWidth === null) return null;
    const range_secs = rangeSecs(range);
    if (name !== null) return { name, app: null, target: null, namespace: null, range_secs, width: panelWidth };
    if (app !== null) {
      return { name: null, app: app.app, target: app.target, namespace: app.namespace, range_secs, width: panelWidth };
    }
    return null;
  }, [panelWidth, name, app, range]);

  const live = useLive(request, run, false, LIVE_DASHBOARD);
  // Another dashboard's panels are not shown while this one loads.
  const panels = live.answer && request && sameDashboard(live.answer.request, request) ? live.answer.data : null;
  const drawnWidth = live.answer?.request.width ?? panelWidth ?? 0;

  const show = (e: FormEvent) => {
    e.preventDefault();
    const appName = fields.app.trim();
    if (appName === "") return;
    setShownApp({ app: appName, namespace: fields.namespace.trim() || null, target: fields.target.trim() || null });
    setRun((r) => r + 1);
  };

  const doExport = async () => {
    if (!request || !panels || exporting) return;
    setExportError(null);
    setExporting(true);
    try {
      const chosen = await pickChartExportPath(dashboardFileName(name, app), "Export dashboard");
      if (chosen) {
        const path = withExportExtension(chosen);
        await exportDashboard(request, path);
        notify(`Dashboard saved to ${path}`, "success");
      }
    } catch (error) {
      setExportError(toErrorDto(error));
    }
    setExporting(false);
  };

  return (
    <>
      <Stack direction="row" gap={1.5} alignItems="center" flexWrap="wrap" sx={{ mb: 2 }}>
        {list !== undefined && current !== null ? (
          <FormControl size="small" sx={{ minWidth: 220 }}>
            <InputLabel id="dashboard-picker-label">Dashboard</InputLabel>
            <Select
              labelId="dashboard-picker-label"
              label="Dashboard"
              value={current}
              onChange={(e) => setPicked(e.target.value)}
              SelectDisplayProps={{ "data-testid": "dashboard-picker" } as HTMLAttributes<HTMLDivElement>}
              inputProps={{ "data-testid": "dashboard-picker-value" }}
            >
              {list.map((d) => (
                <MenuItem key={d.name} value={d.name} data-testid={`dashboard-option-${d.name}`}>
                  {d.title}
                  {d.title !== d.name ? (
                    <Typography component="span" variant="body2" color="text.secondary" sx={{ ml: 1 }}>
                      ({d.name})
                    </Typography>
                  ) : null}
                </MenuItem>
              ))}
              <MenuItem value={APP_DASHBOARD} data-testid="dashboard-app-default">
                App default…
              </MenuItem>
            </Select>
          </FormControl>
        ) : boards.loading ? (
          <CircularProgress size={24} aria-label="Loading the dashboards" />
        ) : null}
        <RangeToggle value={range} onChange={setRange} />
        <Box sx={{ flex: 1 }} />
        <Button
          variant="outlined"
          startIcon={<DownloadIcon />}
          onClick={() => void doExport()}
          disabled={!panels || exporting}
          data-testid="dashboard-export"
        >
          Export
        </Button>
      </Stack>

      {boards.error ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert
            error={boards.error}
            title="The dashboards could not be listed"
            onRetry={reload}
            testId="dashboard-list-error"
          />
        </Box>
      ) : null}

      {isApp ? (
        <Box component="form" onSubmit={show} noValidate autoComplete="off" sx={{ mb: 2 }} data-testid="dashboard-app-form">
          <Stack direction="row" gap={1} alignItems="flex-start" flexWrap="wrap">
            <TextField
              label="App"
              size="small"
              required
              value={fields.app}
              onChange={(e) => setFields((f) => ({ ...f, app: e.target.value }))}
              placeholder="e.g. shop"
              slotProps={{ htmlInput: { "data-testid": "dashboard-app", spellCheck: false, autoCapitalize: "off" } }}
            />
            <TextField
              label="Namespace"
              size="small"
              value={fields.namespace}
              onChange={(e) => setFields((f) => ({ ...f, namespace: e.target.value }))}
              placeholder="default"
              slotProps={{ htmlInput: { "data-testid": "dashboard-namespace", spellCheck: false, autoCapitalize: "off" } }}
            />
            <TextField
              label="Target (optional)"
              size="small"
              value={fields.target}
              onChange={(e) => setFields((f) => ({ ...f, target: e.target.value }))}
              placeholder="e.g. aws-prod"
              slotProps={{ htmlInput: { "data-testid": "dashboard-target", spellCheck: false, autoCapitalize: "off" } }}
            />
            <Button
              type="submit"
              variant="contained"
              disabled={fields.app.trim() === ""}
              data-testid="dashboard-show"
              sx={{ flexShrink: 0, height: 40 }}
            >
              Show
            </Button>
          </Stack>
          <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }}>
            Request rate, 5xx ratio and latency (labels <Code>namespace</Code> and <Code>app</Code>), CPU, memory and
            restarts of its pods (named <Code>app-…</Code>). A target of config.toml sets the namespace and the source.
          </Typography>
        </Box>
      ) : null}

      {exportError ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={exportError} title="The dashboard could not be exported" testId="dashboard-export-error" />
        </Box>
      ) : null}
      {live.error ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert
            error={live.error}
            title={
              live.stopped
                ? "The dashboard could not be drawn"
                : live.error.code === "source_unavailable"
                  ? "The source could not be read; trying again"
                  : "The dashboard could not be drawn; trying again"
            }
            testId="dashboard-error"
          />
        </Box>
      ) : null}

      {panels?.some((p) => p.snapshot_taken_at !== null) ? (
        <Alert severity="warning" sx={{ mb: 2 }} data-testid="dashboard-snapshot">
          The source cannot be read: this is the snapshot taken{" "}
          {formatDateTime(panels.find((p) => p.snapshot_taken_at !== null)?.snapshot_taken_at ?? 0)}, not live data.
        </Alert>
      ) : null}

      {list !== undefined && list.length === 0 && app === null ? <EmptyState /> : null}

      <Box
        ref={setGrid}
        data-testid="dashboard-panels"
        data-columns={layout?.columns ?? 1}
        sx={{
          display: "grid",
          gridTemplateColumns: `repeat(${layout?.columns ?? 1}, minmax(0, 1fr))`,
          gap: `${PANEL_GAP}px`,
          mb: 1,
        }}
      >
        {panels?.map((panel, i) => (
          <PanelCard key={`${i}:${panel.title}`} panel={panel} width={drawnWidth} dimmed={live.loading} />
        ))}
      </Box>
      {request !== null && !panels && live.loading ? (
        <Box sx={{ display: "flex", justifyContent: "center", py: 4 }}>
          <CircularProgress size={28} aria-label="Drawing the dashboard" />
        </Box>
      ) : null}
      {request !== null ? (
        <Typography variant="body2" color="text.secondary" role="status" data-testid="dashboard-status" sx={{ mb: 2 }}>
          {statusText(live, panels)}
        </Typography>
      ) : null}
    </>
  );
}
