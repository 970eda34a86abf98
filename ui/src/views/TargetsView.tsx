import AddIcon from "@mui/icons-material/Add";
import BlockIcon from "@mui/icons-material/Block";
import CheckCircleOutlineIcon from "@mui/icons-material/CheckCircleOutline";
import CheckIcon from "@mui/icons-material/Check";
import DeleteOutlineIcon from "@mui/icons-material/DeleteOutline";
import ErrorOutlineIcon from "@mui/icons-material/ErrorOutline";
import NetworkCheckIcon from "@mui/icons-material/NetworkCheck";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import CircularProgress from "@mui/material/CircularProgress";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import Typography from "@mui/material/Typography";
import { Fragment, useCallback, useState } from "react";

import { checkTargets, listTargets, onSettings, removeTarget, toErrorDto } from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { TargetCheckDto } from "../bindings/TargetCheckDto";
import type { TargetDto } from "../bindings/TargetDto";
import { ConfirmRemoveDialog } from "../components/ConfirmRemoveDialog";
import { ErrorAlert } from "../components/ErrorAlert";
import { Code, PageHeader, PageLoading } from "../components/Page";
import { TargetDialog } from "../components/TargetDialog";
import { formatDateTime, formatRelative, toMs } from "../format";
import { useLoader, useNow, useSubscription } from "../hooks";
import { useNotify } from "../notify";
import { checkStateOf, problemsLabel, verbsByResource, type CheckState } from "../targets";
import { MONO_FONT, visuallyHidden } from "../theme";

const mono = { fontFamily: MONO_FONT } as const;

/** How many columns a target's row has (its check's row spans them all). */
const COLUMNS = 6;

/** A target's last check, kept by name across reloads of the list. */
interface Checked {
  check: TargetCheckDto;
  /** When the answer came (Unix ms). */
  at: number;
}

/**
 * Checks targets on demand: all (`check_targets []`) or one. Several may run
 * at once (one row's check while all are checked); a target is "checking"
 * while any check that covers it runs.
 */
function useTargetChecks() {
  const [results, setResults] = useState<Record<string, Checked>>({});
  const [running, setRunning] = useState<Record<string, number>>({});
  const [error, setError] = useState<ErrorDto | null>(null);

  /** Checks `names`; `all`: asks for every target (`names` being those listed, to show them checking). */
  const check = useCallback((names: string[], all: boolean) => {
    const count = (by: number) =>
      setRunning((r) => {
        const next = { ...r };
        for (const n of names) {
          next[n] = (next[n] ?? 0) + by;
          if (next[n] <= 0) delete next[n];
        }
        return next;
      });
    count(1);
    setError(null);
    checkTargets(all ? [] : names)
      .then(
        (checks) => {
          const at = Date.now();
          setResults((r) => {
            const next = { ...r };
            for (const c of checks) next[c.name] = { check: c, at };
            return next;
          });
        },
        (e: unknown) => setError(toErrorDto(e)),
      )
      .finally(() => count(-1));
  }, []);

  const forget = useCallback((name: string) => {
    setResults((r) => {
      const next = { ...r };
      delete next[name];
      return next;
    });
  }, []);

  return { results, running, error, check, forget };
}

function StatusBadge({ state, checked }: { state: CheckState; checked: Checked | undefined }) {
  const common = { size: "small" as const, "data-testid": "target-status", "data-state": state };
  if (state === "checking") {
    return <Chip {...common} variant="outlined" icon={<CircularProgress size={14} />} label="Checking…" />;
  }
  if (!checked) return <Chip {...common} variant="outlined" label="Not checked yet" />;
  const { check } = checked;
  if (check.ok) {
    return (
      <Chip
        {...common}
        color="success"
        variant="outlined"
        icon={<CheckCircleOutlineIcon />}
        label={check.server_version ? `OK · ${check.server_version}` : "OK"}
      />
    );
  }
  return <Chip {...common} color="error" variant="outlined" icon={<ErrorOutlineIcon />} label={problemsLabel(check)} />;
}

/** What a check found: the problems (each says what to do), the credential's expiry and the verbs allowed. */
function CheckResult({ checked, now, checking }: { checked: Checked; now: number; checking: boolean }) {
  const { check, at } = checked;
  const expires = toMs(check.expires_at);
  const groups = verbsByResource(check.allowed);
  const denied = check.allowed.filter(([, ok]) => !ok).length;
  return (
    <Box data-testid="target-check-result" sx={{ opacity: checking ? 0.6 : 1, py: 0.5 }}>
      {check.problems.length > 0 ? (
        <Box component="ul" sx={{ m: 0, mb: 1, pl: 2.5 }} aria-label={`Problems of target ${check.name}`}>
          {check.problems.map((p, i) => (
            <Typography component="li" variant="body2" key={i} color="error" sx={{ wordBreak: "break-word" }} data-testid="target-problem">
              {p}
            </Typography>
          ))}
        </Box>
      ) : null}
      <Stack direction="row" gap={2} flexWrap="wrap" sx={{ mb: groups.length > 0 ? 0.75 : 0 }}>
        <Typography variant="caption" color="text.secondary">
          Checked {formatRelative(at, now)}
        </Typography>
        {check.server_version ? (
          <Typography variant="caption" color="text.secondary">
            API server {check.server_version}
          </Typography>
        ) : null}
        {expires !== null ? (
          <Typography
            variant="caption"
            color={expires <= now ? "error" : "text.secondary"}
            title={formatDateTime(expires)}
            data-testid="target-expires"
          >
            {expires <= now ? "Credential expired" : "Credential expires"} {formatDateTime(expires)} ({formatRelative(expires, now)})
          </Typography>
        ) : null}
        {check.allowed.length > 0 ? (
          <Typography variant="caption" color={denied > 0 ? "error" : "text.secondary"} data-testid="target-verbs-summary">
            {denied > 0 ? `${denied} of ${check.allowed.length} verbs not allowed` : `All ${check.allowed.length} verbs allowed`}
          </Typography>
        ) : null}
      </Stack>
      {groups.length > 0 ? (
        <Box component="ul" sx={{ m: 0, p: 0, listStyle: "none" }} aria-label={`Verbs of target ${check.name}`}>
          {groups.map((g) => (
            <Stack component="li" key={g.resource} direction="row" gap={0.5} alignItems="center" flexWrap="wrap" sx={{ py: 0.25 }}>
              <Typography variant="caption" sx={{ ...mono, minWidth: 88, fontWeight: 600 }}>
                {g.resource}
              </Typography>
              {g.verbs.map((v) => (
                <Chip
                  key={v.key}
                  size="small"
                  variant={v.allowed ? "outlined" : "filled"}
                  color={v.allowed ? "success" : "error"}
                  icon={v.allowed ? <CheckIcon /> : <BlockIcon />}
                  label={v.verb}
                  aria-label={`${v.key}: ${v.allowed ? "allowed" : "not allowed"}`}
                  title={`${v.key}: ${v.allowed ? "allowed" : "not allowed"}`}
                  data-testid="target-verb"
                  data-verb={v.key}
                  data-allowed={v.allowed ? "true" : "false"}
                  sx={{ height: 22, ...mono, textDecoration: v.allowed ? "none" : "line-through" }}
                />
              ))}
            </Stack>
          ))}
        </Box>
      ) : null}
    </Box>
  );
}

function EmptyState({ onAdd }: { onAdd: () => void }) {
  return (
    <Paper variant="outlined" sx={{ p: 4 }} data-testid="targets-empty">
      <Typography variant="h6" component="h2" sx={{ mb: 1 }}>
        No targets yet
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 1.5 }}>
        A target is a named cluster: a kubeconfig context (its cluster and the identity it logs in with: a token, a
        certificate or an exec plugin such as <Code>aws eks get-token</Code>), a namespace and an environment label.
        The credentials stay where the kubeconfig keeps them; nothing secret is copied into config.toml.
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 2 }}>
        A job with <Code>runner: kubernetes:&lt;name&gt;</Code> runs in a pod on the target of that name, and a deploy
        job lists where it deploys in <Code>targets</Code>. <em>Check</em> then tells whether the credentials work, the
        API server answers and the runner may do what it needs in the namespace.
      </Typography>
      <Button variant="contained" startIcon={<AddIcon />} onClick={onAdd} data-testid="targets-empty-add">
        Add target
      </Button>
    </Paper>
  );
}

/** A target to remove, asked about first (kept while the dialog fades out). */
interface Removing {
  open: boolean;
  target: TargetDto;
  busy: boolean;
  error: ErrorDto | null;
}

export function TargetsView() {
  const targets = useLoader("targets", listTargets);
  const notify = useNotify();
  const now = useNow(30_000);
  const checks = useTargetChecks();
  const reload = targets.reload;
  // Targets added or removed elsewhere (`switchyard targets add`, an edit of config.toml).
  useSubscription(onSettings, () => reload());

  // A new key for each opening: the dialog starts empty every time.
  const [dialog, setDialog] = useState({ open: false, key: 0 });
  const [removing, setRemoving] = useState<Removing | null>(null);

  const list = targets.data ?? [];
  const anyChecking = Object.keys(checks.running).length > 0;

  const openAdd = () => setDialog((d) => ({ open: true, key: d.key + 1 }));
  const closeAdd = () => setDialog((d) => ({ ...d, open: false }));

  const added = (target: TargetDto) => {
    notify(`Added target ${target.name}`, "success");
    checks.forget(target.name);
    reload();
  };

  const askRemove = (target: TargetDto) => setRemoving({ open: true, target, busy: false, error: null });
  const closeRemove = () => setRemoving((r) => (r && !r.busy ? { ...r, open: false } : r));

  const confirmRemove = async () => {
    if (!removing || removing.busy) return;
    const { target } = removing;
    setRemoving({ open: true, target, busy: true, error: null });
    try {
      const removed = await removeTarget(target.name);
      setRemoving({ open: false, target, busy: false, error: null });
      checks.forget(target.name);
      notify(removed ? `Removed target ${target.name}` : `Target ${target.name} was already gone`, removed ? "success" : "info");
    } catch (e) {
      setRemoving({ open: true, target, busy: false, error: toErrorDto(e) });
    }
    reload();
  };

  const actions = (
    <>
      {list.length > 0 ? (
        <Button
          variant="outlined"
          startIcon={anyChecking ? <CircularProgress size={16} /> : <NetworkCheckIcon />}
          onClick={() => checks.check(list.map((t) => t.name), true)}
          disabled={anyChecking}
          data-testid="target-check-all"
        >
          {anyChecking ? "Checking…" : "Check all"}
        </Button>
      ) : null}
      <Button variant="contained" startIcon={<AddIcon />} onClick={openAdd} data-testid="target-add">
        Add target
      </Button>
    </>
  );

  // When the target removed falls back to a kubeconfig context of its name.
  const fallsBack = removing !== null && removing.target.kubeconfig === null && removing.target.context === removing.target.name;

  return (
    <Box data-testid="targets-view">
      <PageHeader
        title="Targets"
        subtitle={
          <>
            Named clusters: <Code>runner: kubernetes:&lt;name&gt;</Code> runs a job there, and a deploy job&apos;s{" "}
            <Code>targets</Code> name where it deploys. Credentials stay in the kubeconfig.
          </>
        }
        actions={actions}
      />
      <Box>
        {targets.loading ? <PageLoading /> : null}
        {targets.error ? (
          <Box sx={{ mb: 2 }}>
            <ErrorAlert error={targets.error} title="The targets could not be loaded" onRetry={reload} />
          </Box>
        ) : null}
        {checks.error ? (
          <Box sx={{ mb: 2 }}>
            <ErrorAlert error={checks.error} title="The targets could not be checked" testId="target-check-error" />
          </Box>
        ) : null}
        {targets.data && list.length === 0 ? <EmptyState onAdd={openAdd} /> : null}
        {list.length > 0 ? (
          <Paper variant="outlined">
            <Table aria-label="Targets">
              <TableHead>
                <TableRow>
                  <TableCell>Name</TableCell>
                  <TableCell>Context</TableCell>
                  <TableCell>Namespace</TableCell>
                  <TableCell>Environment</TableCell>
                  <TableCell>Status</TableCell>
                  <TableCell align="right">
                    <Box component="span" sx={visuallyHidden}>
                      Actions
                    </Box>
                  </TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {list.map((t) => {
                  const checked = checks.results[t.name];
                  const checking = (checks.running[t.name] ?? 0) > 0;
                  const state = checkStateOf(checked?.check, checking);
                  const divider = checked ? { borderBottom: 0 } : undefined;
                  return (
                    <Fragment key={t.name}>
                      <TableRow data-testid="target-row" data-name={t.name} data-state={state}>
                        <TableCell sx={{ maxWidth: 320, ...divider }}>
                          <Typography sx={{ ...mono, fontWeight: 600, wordBreak: "break-all" }}>{t.name}</Typography>
                          {t.kubeconfig !== null ? (
                            <Typography
                              variant="caption"
                              color="text.secondary"
                              sx={{ display: "block", wordBreak: "break-all" }}
                              data-testid="target-kubeconfig"
                            >
                              from <Code>{t.kubeconfig}</Code>
                            </Typography>
                          ) : null}
                        </TableCell>
                        <TableCell sx={{ ...mono, wordBreak: "break-all", maxWidth: 320, ...divider }} data-testid="target-context">
                          {t.context}
                        </TableCell>
                        <TableCell sx={divider} data-testid="target-namespace">
                          {t.namespace !== null ? (
                            <Box component="span" sx={mono}>
                              {t.namespace}
                            </Box>
                          ) : (
                            <Typography variant="body2" color="text.secondary" component="span" title="The context's namespace, else default">
                              context&apos;s
                            </Typography>
                          )}
                        </TableCell>
                        <TableCell sx={divider}>
                          {t.environment !== null ? (
                            <Chip
                              size="small"
                              variant="outlined"
                              color={t.environment === "production" || t.environment === "prod" ? "warning" : "default"}
                              label={t.environment}
                              data-testid="target-environment"
                            />
                          ) : (
                            <Typography variant="body2" color="text.secondary" component="span">
                              —
                            </Typography>
                          )}
                        </TableCell>
                        <TableCell sx={divider}>
                          <StatusBadge state={state} checked={checked} />
                        </TableCell>
                        <TableCell align="right" sx={{ whiteSpace: "nowrap", ...divider }}>
                          <Stack direction="row" gap={1} justifyContent="flex-end">
                            <Button
                              size="small"
                              startIcon={<NetworkCheckIcon />}
                              onClick={() => checks.check([t.name], false)}
                              disabled={checking}
                              aria-label={`Check target ${t.name}`}
                              data-testid="target-check"
                            >
                              Check
                            </Button>
                            <Button
                              size="small"
                              color="error"
                              startIcon={<DeleteOutlineIcon />}
                              onClick={() => askRemove(t)}
                              aria-label={`Remove target ${t.name}`}
                              data-testid="target-remove"
                            >
                              Remove
                            </Button>
                          </Stack>
                        </TableCell>
                      </TableRow>
                      {checked ? (
                        <TableRow data-testid="target-check-row" data-name={t.name}>
                          <TableCell colSpan={COLUMNS} sx={{ pt: 0 }}>
                            <CheckResult checked={checked} now={now} checking={checking} />
                          </TableCell>
                        </TableRow>
                      ) : null}
                    </Fragment>
                  );
                })}
              </TableBody>
            </Table>
          </Paper>
        ) : null}
      </Box>
      <TargetDialog key={dialog.key} open={dialog.open} targets={list} onClose={closeAdd} onAdded={added} />
      {removing ? (
        <ConfirmRemoveDialog
          open={removing.open}
          testId="target-remove"
          title={`Remove target ${removing.target.name}?`}
          text={
            <>
              This removes target {removing.target.name} from config.toml.{" "}
              {fallsBack
                ? `Runs and deployments that name it then use the kubeconfig context ${removing.target.context} with its defaults (its namespace, no environment label).`
                : "Runs and deployments that name it will fail until it is added again."}{" "}
              Nothing in the cluster is touched, nor the kubeconfig.
            </>
          }
          what="The target"
          busy={removing.busy}
          error={removing.error}
          onCancel={closeRemove}
          onConfirm={confirmRemove}
        />
      ) : null}
    </Box>
  );
}
