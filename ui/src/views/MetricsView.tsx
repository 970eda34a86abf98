import AreaChartIcon from "@mui/icons-material/AreaChart";
import DashboardIcon from "@mui/icons-material/Dashboard";
import DownloadIcon from "@mui/icons-material/Download";
import PauseIcon from "@mui/icons-material/Pause";
import PlayArrowIcon from "@mui/icons-material/PlayArrow";
import ShowChartIcon from "@mui/icons-material/ShowChart";
import StorageIcon from "@mui/icons-material/Storage";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import CircularProgress from "@mui/material/CircularProgress";
import FormControl from "@mui/material/FormControl";
import InputLabel from "@mui/material/InputLabel";
import MenuItem from "@mui/material/MenuItem";
import Paper from "@mui/material/Paper";
import Select from "@mui/material/Select";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import TextField from "@mui/material/TextField";
import ToggleButton from "@mui/material/ToggleButton";
import ToggleButtonGroup from "@mui/material/ToggleButtonGroup";
import Typography from "@mui/material/Typography";
import { useEffect, useMemo, useState, type FormEvent, type HTMLAttributes } from "react";

import { exportChart, listSources, liveChart, onSettings, pickChartExportPath, toErrorDto, type ChartRequest } from "../api";
import type { ChartDto } from "../bindings/ChartDto";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { SourceDto } from "../bindings/SourceDto";
import { DashboardPanel } from "../components/Dashboards";
import { ErrorAlert } from "../components/ErrorAlert";
import { Code, PageHeader, PageLoading } from "../components/Page";
import { RangeToggle } from "../components/RangeToggle";
import { CheckSourcesButton, SourceCheckList, SourceForm, SourcesDialog, useSourceChecks } from "../components/Sources";
import { useElementWidth, useLive, useLoader, useSubscription, type Live, type LiveOptions } from "../hooks";
import {
  backoffSecs,
  CHART_HEIGHT,
  chartDataUri,
  exportFileName,
  formatStep,
  loadPrefs,
  MIN_CHART_WIDTH,
  MIN_POLL_SECS,
  pollSecs,
  rangeSecs,
  UNITS,
  updatePrefs,
  withExportExtension,
  type MetricsMode,
  type RangeKey,
  type Unit,
} from "../metrics";
import { useNotify } from "../notify";
import { MONO_FONT } from "../theme";

function EmptyState({ onAdded }: { onAdded: (source: SourceDto) => void }) {
  return (
    <Paper variant="outlined" sx={{ p: 4 }} data-testid="metrics-empty">
      <Typography variant="h6" component="h2" sx={{ mb: 1 }}>
        No Prometheus source yet
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 1.5 }}>
        A source is a Prometheus server, or anything that speaks its HTTP API (Thanos, Mimir, VictoriaMetrics…).
        Switchyard asks it with PromQL, e.g. <Code>rate(http_requests_total[5m])</Code>, and draws the charts itself;
        while a chart is shown it fetches only the points that are new.
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 3 }}>
        Add one by its URL, e.g. <Code>http://localhost:9090</Code>. If it asks for a bearer token, Switchyard keeps the
        token in your OS keyring, never in a file. The default source is the one charts use unless you pick another.
      </Typography>
      <SourceForm first onAdded={onAdded} />
    </Paper>
  );
}

/** A chart drawn, and what it was asked with (its query for the alt text, the export). */
interface Drawn {
  request: ChartRequest;
  chart: ChartDto;
}

type LiveChart = Live<ChartRequest, ChartDto>;

/**
 * Draws `request` and draws it again every step (at least every 5 s) while
 * the window is visible and not `paused`: the shell then fetches only the new
 * points. A source that is down is asked again later and later (the interval
 * doubled each time, up to 60 s); a refused query is not asked again.
 */
const LIVE_CHART: LiveOptions<ChartRequest, ChartDto> = {
  fetch: liveChart,
  next: (chart) => pollSecs(chart.step_secs),
  first: MIN_POLL_SECS,
  backoff: backoffSecs,
  stops: (error) => error.code === "invalid_input" || error.code === "not_found",
};

/** "3 series · step 15s · from prometheus · live". */
function statusText(live: LiveChart, paused: boolean): string {
  const parts: string[] = [];
  const chart = live.answer?.data;
  if (chart) {
    parts.push(`${chart.series.length} series`, `step ${formatStep(chart.step_secs)}`, `from ${chart.source}`);
  }
  if (live.loading) parts.push("loading…");
  else if (live.error?.code === "source_unavailable") parts.push("source unavailable — retrying");
  else if (live.stopped) parts.push("not updating: the query was refused");
  else if (live.error) parts.push("failed — retrying");
  else if (paused) parts.push("paused");
  else if (chart) parts.push("live");
  return parts.join(" · ");
}

/** The chosen source if it is still listed, else the default one, else the first. */
function sourceOf(sources: SourceDto[], chosen: string | null): string | null {
  return (
    sources.find((s) => s.name === chosen)?.name ?? sources.find((s) => s.default)?.name ?? sources[0]?.name ?? null
  );
}

/** Query mode: one live chart of a PromQL query. */
function QueryPanel({ sources }: { sources: SourceDto[] }) {
  const notify = useNotify();
  const [initial] = useState(loadPrefs);
  const [draft, setDraft] = useState(initial.query);
  // The query drawn, and a count of Run presses (Run again draws again at once).
  const [committed, setCommitted] = useState({ query: initial.query, run: 0 });
  const [range, setRange] = useState<RangeKey>(initial.range);
  const [unit, setUnit] = useState<Unit>(initial.unit);
  const [area, setArea] = useState(initial.area);
  const [chosen, setChosen] = useState<string | null>(initial.source);
  const [paused, setPaused] = useState(false);
  const [exportError, setExportError] = useState<ErrorDto | null>(null);
  const [exporting, setExporting] = useState(false);
  const [chartBox, setChartBox] = useState<HTMLDivElement | null>(null);
  const measured = useElementWidth(chartBox);
  const width = measured === null ? null : Math.max(MIN_CHART_WIDTH, measured);
  const source = sourceOf(sources, chosen);

  useEffect(() => {
    updatePrefs({ query: committed.query, range, unit, area, source: chosen });
  }, [committed.query, range, unit, area, chosen]);

  const request = useMemo<ChartRequest | null>(
    () =>
      width === null || source === null
        ? null
        : {
            source,
            query: committed.query,
            range_secs: rangeSecs(range),
            step_secs: null,
            width,
            height: CHART_HEIGHT,
            unit,
            area,
          },
    [width, source, committed.query, range, unit, area],
  );
  const live = useLive(request, committed.run, paused, LIVE_CHART);
  const drawn: Drawn | null = live.answer ? { request: live.answer.request, chart: live.answer.data } : null;
  const unavailable = live.error?.code === "source_unavailable" ? live.error : null;
  const failed = live.error && !unavailable ? live.error : null;

  const runQuery = (e?: FormEvent) => {
    e?.preventDefault();
    const query = draft.trim();
    if (query === "") return;
    setCommitted((c) => ({ query, run: c.run + 1 }));
  };

  const doExport = async () => {
    if (!drawn || exporting) return;
    setExportError(null);
    setExporting(true);
    try {
      const picked = await pickChartExportPath(exportFileName(drawn.request.query));
      if (picked) {
        const written = await exportChart(drawn.request, withExportExtension(picked));
        notify(`Chart saved to ${written}`, "success");
      }
    } catch (error) {
      setExportError(toErrorDto(error));
    }
    setExporting(false);
  };

  return (
    <>
      <Box component="form" onSubmit={runQuery} noValidate autoComplete="off" sx={{ mb: 2 }}>
        <Stack direction="row" gap={1} alignItems="flex-start">
          <TextField
            label="PromQL"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            fullWidth
            size="small"
            placeholder="e.g. sum by (job) (rate(http_requests_total[5m]))"
            slotProps={{
              htmlInput: {
                "data-testid": "metrics-query",
                spellCheck: false,
                autoCapitalize: "off",
                autoCorrect: "off",
                "aria-label": "PromQL query",
                style: { fontFamily: MONO_FONT },
              },
            }}
          />
          <Button
            type="submit"
            variant="contained"
            startIcon={<PlayArrowIcon />}
            disabled={draft.trim() === ""}
            data-testid="metrics-run"
            sx={{ flexShrink: 0, height: 40 }}
          >
            Run
          </Button>
        </Stack>
        {failed ? (
          <Box sx={{ mt: 1 }}>
            <ErrorAlert
              error={failed}
              title={failed.code === "invalid_input" ? "Prometheus refused the query" : "The chart could not be drawn"}
              testId="metrics-error"
            />
          </Box>
        ) : null}
      </Box>

      <Stack direction="row" gap={1.5} alignItems="center" flexWrap="wrap" sx={{ mb: 2 }}>
        <FormControl size="small" sx={{ minWidth: 160 }}>
          <InputLabel id="metrics-source-label">Source</InputLabel>
          <Select
            labelId="metrics-source-label"
            label="Source"
            value={source ?? ""}
            onChange={(e) => setChosen(e.target.value)}
            SelectDisplayProps={{ "data-testid": "metrics-source" } as HTMLAttributes<HTMLDivElement>}
            inputProps={{ "data-testid": "metrics-source-value" }}
          >
            {sources.map((s) => (
              <MenuItem key={s.name} value={s.name} data-testid={`metrics-source-option-${s.name}`}>
                {s.name}
                {s.default ? (
                  <Typography component="span" variant="body2" color="text.secondary" sx={{ ml: 1 }}>
                    (default)
                  </Typography>
                ) : null}
              </MenuItem>
            ))}
          </Select>
        </FormControl>
        <RangeToggle value={range} onChange={setRange} />
        <FormControl size="small" sx={{ minWidth: 150 }}>
          <InputLabel id="metrics-unit-label">Unit</InputLabel>
          <Select
            labelId="metrics-unit-label"
            label="Unit"
            value={unit}
            onChange={(e) => setUnit(e.target.value as Unit)}
            SelectDisplayProps={{ "data-testid": "metrics-unit" } as HTMLAttributes<HTMLDivElement>}
            inputProps={{ "data-testid": "metrics-unit-value" }}
          >
            {UNITS.map((u) => (
              <MenuItem key={u.value} value={u.value} data-testid={`metrics-unit-option-${u.value}`}>
                {u.label}
              </MenuItem>
            ))}
          </Select>
        </FormControl>
        <ToggleButton
          size="small"
          value="area"
          selected={area}
          onChange={() => setArea((a) => !a)}
          aria-label="Filled areas"
          data-testid="metrics-area"
          sx={{ gap: 0.5 }}
        >
          <AreaChartIcon fontSize="small" /> Area
        </ToggleButton>
        <ToggleButton
          size="small"
          value="pause"
          selected={paused}
          onChange={() => setPaused((p) => !p)}
          aria-label="Pause live updates"
          data-testid="metrics-pause"
          sx={{ gap: 0.5 }}
        >
          <PauseIcon fontSize="small" /> {paused ? "Paused" : "Pause"}
        </ToggleButton>
        <Box sx={{ flex: 1 }} />
        <Button
          variant="outlined"
          startIcon={<DownloadIcon />}
          onClick={() => void doExport()}
          disabled={!drawn || exporting}
          data-testid="metrics-export"
        >
          Export
        </Button>
      </Stack>

      {exportError ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={exportError} title="The chart could not be exported" testId="metrics-export-error" />
        </Box>
      ) : null}
      {unavailable ? (
        <Alert severity="warning" sx={{ mb: 2 }} data-testid="metrics-unavailable" data-code={unavailable.code}>
          {unavailable.message}
        </Alert>
      ) : null}

      <Paper variant="outlined" sx={{ mb: 1, overflow: "hidden" }}>
        <Box
          ref={setChartBox}
          sx={{ width: "100%", minHeight: CHART_HEIGHT, display: "flex", alignItems: "center", justifyContent: "center" }}
        >
          {drawn ? (
            <Box
              component="img"
              data-testid="metrics-chart"
              alt={`chart of ${drawn.request.query}`}
              src={chartDataUri(drawn.chart.svg)}
              width={drawn.request.width}
              height={drawn.request.height}
              sx={{ display: "block", maxWidth: "100%", height: "auto", opacity: live.loading ? 0.6 : 1 }}
            />
          ) : live.loading || request === null ? (
            <CircularProgress size={28} aria-label="Drawing the chart" />
          ) : (
            <Typography color="text.secondary">No chart yet.</Typography>
          )}
        </Box>
      </Paper>
      <Typography variant="body2" color="text.secondary" role="status" data-testid="metrics-status" sx={{ mb: 2 }}>
        {statusText(live, paused)}
      </Typography>

      {drawn && drawn.chart.series.length === 0 ? (
        <Typography color="text.secondary" data-testid="metrics-no-data">
          The query matched no series in this range.
        </Typography>
      ) : null}
      {drawn && drawn.chart.series.length > 0 ? (
        <Paper variant="outlined">
          <Table size="small" aria-label="Series">
            <TableHead>
              <TableRow>
                <TableCell>Series</TableCell>
                <TableCell align="right">Latest</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {drawn.chart.series.map((s, i) => (
                <TableRow key={`${i}:${s.name}`} data-testid="metrics-series" data-name={s.name}>
                  <TableCell sx={{ fontFamily: MONO_FONT, wordBreak: "break-all" }}>{s.name}</TableCell>
                  <TableCell align="right" sx={{ fontFamily: MONO_FONT, whiteSpace: "nowrap" }} data-testid="metrics-series-last">
                    {s.last ?? "—"}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Paper>
      ) : null}
    </>
  );
}

/** The mode switch, and the mode chosen (remembered). */
function MetricsPanel({ sources }: { sources: SourceDto[] }) {
  const [mode, setMode] = useState<MetricsMode>(() => loadPrefs().mode);
  useEffect(() => {
    updatePrefs({ mode });
  }, [mode]);
  return (
    <>
      <ToggleButtonGroup
        size="small"
        exclusive
        color="primary"
        value={mode}
        onChange={(_, value: MetricsMode | null) => {
          if (value) setMode(value);
        }}
        aria-label="Mode"
        data-testid="metrics-mode"
        sx={{ mb: 2 }}
      >
        <ToggleButton value="query" data-testid="metrics-mode-query" sx={{ gap: 0.5, px: 1.5 }}>
          <ShowChartIcon fontSize="small" /> Query
        </ToggleButton>
        <ToggleButton value="dashboard" data-testid="metrics-mode-dashboard" sx={{ gap: 0.5, px: 1.5 }}>
          <DashboardIcon fontSize="small" /> Dashboard
        </ToggleButton>
      </ToggleButtonGroup>
      {mode === "query" ? <QueryPanel sources={sources} /> : <DashboardPanel />}
    </>
  );
}

export function MetricsView() {
  const sources = useLoader("sources", listSources);
  const notify = useNotify();
  const checks = useSourceChecks();
  const reload = sources.reload;
  // Sources added or removed elsewhere (the CLI, an edit of config.toml).
  useSubscription(onSettings, () => reload());
  const [dialog, setDialog] = useState({ open: false, key: 0 });
  const list = sources.data ?? [];

  const added = (source: SourceDto) => {
    notify(`Added source ${source.name}`, "success");
    reload();
  };

  const actions =
    list.length > 0 ? (
      <>
        <CheckSourcesButton checks={checks} />
        <Button
          variant="outlined"
          startIcon={<StorageIcon />}
          onClick={() => setDialog((d) => ({ open: true, key: d.key + 1 }))}
          data-testid="sources-manage"
        >
          Sources…
        </Button>
      </>
    ) : undefined;

  return (
    <>
      <PageHeader
        title="Metrics"
        subtitle="Live charts and dashboards of your Prometheus sources, drawn by Switchyard and updated while you watch."
        actions={actions}
      />
      {sources.loading ? <PageLoading /> : null}
      {sources.error ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={sources.error} title="The sources could not be loaded" onRetry={reload} />
        </Box>
      ) : null}
      {checks.checks || checks.error ? (
        <Paper variant="outlined" sx={{ p: 2, mb: 2 }}>
          <SourceCheckList checks={checks} />
        </Paper>
      ) : null}
      {sources.data && list.length === 0 ? <EmptyState onAdded={added} /> : null}
      {list.length > 0 ? <MetricsPanel sources={list} /> : null}
      <SourcesDialog
        key={dialog.key}
        open={dialog.open}
        sources={list}
        onClose={() => setDialog((d) => ({ ...d, open: false }))}
        onChanged={() => {
          checks.clear();
          reload();
        }}
      />
    </>
  );
}
