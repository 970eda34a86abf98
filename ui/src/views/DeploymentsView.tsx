import RefreshIcon from "@mui/icons-material/Refresh";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Link from "@mui/material/Link";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import Typography from "@mui/material/Typography";
import type { MouseEvent } from "react";
import { Link as RouterLink, useNavigate } from "react-router";

import { listDeployments, onRuns } from "../api";
import type { DeploymentRecord } from "../bindings/DeploymentRecord";
import { ErrorAlert } from "../components/ErrorAlert";
import { Code, PageHeader, PageLoading, Section } from "../components/Page";
import { DEPLOY_COMMAND, DEPLOYMENTS_LIMIT, EXAMPLE_DEPLOY_JOB, latestPerAppEnv } from "../deployments";
import { formatDateTime, formatRelative, toMs } from "../format";
import { useLoader, useNow, useSubscription } from "../hooks";
import { DEPLOY_STATUS_LABEL, DeployStatusChip } from "../status";
import { EXAMPLE_BLOCK_SX, MONO_FONT } from "../theme";

function EmptyState() {
  return (
    <Paper variant="outlined" sx={{ p: 4 }} data-testid="deployments-empty">
      <Typography variant="h6" component="h2" sx={{ mb: 1 }}>
        No deployments yet
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 1.5 }}>
        A deploy job ships an app&apos;s Kubernetes manifests to one or more cluster targets, rolling or as a canary, and
        every deployment it makes is listed here with its revision, targets and what happened to each. Give a pipeline a
        deploy job, e.g.:
      </Typography>
      <Box component="pre" sx={EXAMPLE_BLOCK_SX} data-testid="deployments-empty-example">
        {EXAMPLE_DEPLOY_JOB}
      </Box>
      <Typography color="text.secondary" sx={{ mb: 1 }}>
        Then deploy from a terminal:
      </Typography>
      <Box component="pre" sx={EXAMPLE_BLOCK_SX} data-testid="deployments-empty-command">
        {DEPLOY_COMMAND}
      </Box>
      <Typography color="text.secondary">
        Strategies, canary steps, analysis and the RBAC a target needs are described in <Code>docs/deployments.md</Code>.
      </Typography>
    </Paper>
  );
}

/** Each target and its state, as small chips. */
function TargetStates({ deployment }: { deployment: DeploymentRecord }) {
  if (deployment.targets.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        —
      </Typography>
    );
  }
  return (
    <Stack direction="row" gap={0.5} flexWrap="wrap">
      {deployment.targets.map((t) => (
        <DeployStatusChip
          key={t.name}
          status={t.status}
          prefix={t.name}
          testId="deployment-target-state"
          title={`Wave ${t.wave} · ${DEPLOY_STATUS_LABEL[t.status]}${t.reason ? ` · ${t.reason}` : ""}`}
        />
      ))}
    </Stack>
  );
}

function When({ deployment, now }: { deployment: DeploymentRecord; now: number }) {
  const at = toMs(deployment.created_at);
  if (at === null) return <>—</>;
  return (
    <Box title={formatDateTime(at)} data-testid="deployment-when">
      <Typography variant="body2" sx={{ whiteSpace: "nowrap" }}>
        {formatRelative(at, now)}
      </Typography>
      <Typography variant="caption" color="text.secondary" sx={{ whiteSpace: "nowrap" }}>
        {formatDateTime(at)}
      </Typography>
    </Box>
  );
}

/** A row that opens the deployment when clicked (its `#id` link is the keyboard's way). */
function useOpenRow() {
  const navigate = useNavigate();
  return (id: number) => (e: MouseEvent<HTMLElement>) => {
    // A click on a link inside the row follows that link.
    if ((e.target as HTMLElement).closest("a")) return;
    navigate(`/deployments/${id}`);
  };
}

function IdLink({ id }: { id: number }) {
  return (
    <Link
      component={RouterLink}
      to={`/deployments/${id}`}
      underline="hover"
      sx={{ fontWeight: 700, whiteSpace: "nowrap" }}
      data-testid="deployment-link"
    >
      #{id}
    </Link>
  );
}

const ROW_SX = { cursor: "pointer", "&:last-child td": { borderBottom: 0 } } as const;

function LatestTable({ latest, now }: { latest: DeploymentRecord[]; now: number }) {
  const open = useOpenRow();
  return (
    <Box sx={{ overflowX: "auto" }}>
      <Table size="small" aria-label="Latest deployment of each app and environment">
        <TableHead>
          <TableRow>
            <TableCell>App</TableCell>
            <TableCell>Environment</TableCell>
            <TableCell>Version</TableCell>
            <TableCell>Status</TableCell>
            <TableCell>Targets</TableCell>
            <TableCell>When</TableCell>
            <TableCell>Deployment</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {latest.map((d) => (
            <TableRow
              key={d.id}
              hover
              onClick={open(d.id)}
              data-testid="deployment-latest"
              data-id={d.id}
              data-app={d.app}
              data-environment={d.environment}
              data-status={d.status}
              sx={ROW_SX}
            >
              <TableCell sx={{ fontWeight: 600 }}>{d.app}</TableCell>
              <TableCell>{d.environment}</TableCell>
              <TableCell sx={{ fontFamily: MONO_FONT }}>
                {d.version}{" "}
                <Typography component="span" variant="caption" color="text.secondary" sx={{ fontFamily: "inherit" }}>
                  r{d.revision}
                </Typography>
              </TableCell>
              <TableCell>
                <DeployStatusChip status={d.status} testId="deployment-status" />
              </TableCell>
              <TableCell>
                <TargetStates deployment={d} />
              </TableCell>
              <TableCell>
                <When deployment={d} now={now} />
              </TableCell>
              <TableCell>
                <IdLink id={d.id} />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}

function RecentTable({ deployments, now }: { deployments: DeploymentRecord[]; now: number }) {
  const open = useOpenRow();
  return (
    <Box sx={{ overflowX: "auto" }}>
      <Table size="small" aria-label="Recent deployments">
        <TableHead>
          <TableRow>
            <TableCell>#</TableCell>
            <TableCell>App</TableCell>
            <TableCell>Environment</TableCell>
            <TableCell align="right">Revision</TableCell>
            <TableCell>Version</TableCell>
            <TableCell>Strategy</TableCell>
            <TableCell>Status</TableCell>
            <TableCell>Targets</TableCell>
            <TableCell>When</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {deployments.map((d) => (
            <TableRow
              key={d.id}
              hover
              onClick={open(d.id)}
              data-testid="deployment-row"
              data-id={d.id}
              data-app={d.app}
              data-environment={d.environment}
              data-status={d.status}
              sx={ROW_SX}
            >
              <TableCell>
                <IdLink id={d.id} />
              </TableCell>
              <TableCell sx={{ fontWeight: 600 }}>{d.app}</TableCell>
              <TableCell>{d.environment}</TableCell>
              <TableCell align="right">{d.revision}</TableCell>
              <TableCell sx={{ fontFamily: MONO_FONT }}>{d.version}</TableCell>
              <TableCell>{d.strategy}</TableCell>
              <TableCell>
                <DeployStatusChip status={d.status} testId="deployment-status" />
              </TableCell>
              <TableCell>
                <TargetStates deployment={d} />
              </TableCell>
              <TableCell>
                <When deployment={d} now={now} />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}

/**
 * The Deployments view: the latest deployment of each app and environment,
 * then the recent ones, newest first. Read again when a run is created or
 * changes status (deploy jobs are jobs of runs), and on Refresh.
 */
export function DeploymentsView() {
  const list = useLoader("deployments", () => listDeployments(null, null, DEPLOYMENTS_LIMIT));
  useSubscription(onRuns, () => list.reload());
  const deployments = list.data;
  // Only "5 minutes ago" moves.
  const now = useNow(30_000);

  const header = (
    <PageHeader
      title="Deployments"
      subtitle="What deploy jobs shipped to Kubernetes targets: the latest of each app and environment, then every recent deployment."
      actions={
        <Button
          variant="outlined"
          startIcon={<RefreshIcon />}
          onClick={list.reload}
          disabled={list.loading}
          data-testid="deployments-refresh"
        >
          Refresh
        </Button>
      }
    />
  );

  if (list.loading) {
    return (
      <>
        {header}
        <PageLoading />
      </>
    );
  }

  const latest = deployments ? latestPerAppEnv(deployments) : [];
  return (
    <>
      {header}
      {list.error ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={list.error} title="The deployments could not be loaded" onRetry={list.reload} />
        </Box>
      ) : null}
      {deployments !== undefined && deployments.length === 0 ? <EmptyState /> : null}
      {deployments !== undefined && deployments.length > 0 ? (
        <>
          <Section title={`Latest per app and environment (${latest.length})`} testId="deployments-latest">
            <LatestTable latest={latest} now={now} />
          </Section>
          <Section
            title={`Recent deployments (${deployments.length})`}
            testId="deployments-table"
            action={
              deployments.length >= DEPLOYMENTS_LIMIT ? (
                <Typography variant="body2" color="text.secondary">
                  The latest {DEPLOYMENTS_LIMIT}
                </Typography>
              ) : undefined
            }
          >
            <RecentTable deployments={deployments} now={now} />
          </Section>
        </>
      ) : null}
    </>
  );
}
