import AddIcon from "@mui/icons-material/Add";
import DeleteOutlineIcon from "@mui/icons-material/DeleteOutline";
import LockOutlinedIcon from "@mui/icons-material/LockOutlined";
import AutorenewIcon from "@mui/icons-material/Autorenew";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import Typography from "@mui/material/Typography";
import { useMemo, useState } from "react";

import { listProjects, listSecrets, onProjects, removeSecret, toErrorDto } from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { SecretView } from "../bindings/SecretView";
import { ConfirmRemoveDialog } from "../components/ConfirmRemoveDialog";
import { ErrorAlert } from "../components/ErrorAlert";
import { Code, PageHeader, PageLoading } from "../components/Page";
import { SecretDialog, type SecretTarget } from "../components/SecretDialog";
import { formatDateTime, formatRelative, toMs } from "../format";
import { useLoader, useNow, useSubscription } from "../hooks";
import { useNotify } from "../notify";
import { describeSecret, rotationsOf, SECRET_ENV_PREFIX, scopeOf, secretNotes, sortSecrets } from "../secrets";
import { MONO_FONT, visuallyHidden } from "../theme";

function ScopeChip({ secret }: { secret: SecretView }) {
  const scope = scopeOf(secret);
  if (scope === "environment") {
    return <Chip size="small" color="warning" variant="outlined" label="Environment" data-testid="secret-scope-chip" />;
  }
  if (scope === "project") {
    return (
      <Chip size="small" color="primary" variant="outlined" label={`Project ${secret.project ?? ""}`} data-testid="secret-scope-chip" />
    );
  }
  return <Chip size="small" variant="outlined" label="Global" data-testid="secret-scope-chip" />;
}

function LastSet({ secret, now }: { secret: SecretView; now: number }) {
  const updated = toMs(secret.updated_at);
  if (scopeOf(secret) === "environment" || updated === null) {
    return (
      <Typography variant="body2" color="text.secondary">
        —
      </Typography>
    );
  }
  const created = toMs(secret.created_at);
  return (
    <Box title={created !== null && created !== updated ? `First set ${formatDateTime(created)}` : undefined}>
      <Typography variant="body2" data-testid="secret-updated">
        {formatDateTime(updated)}
      </Typography>
      <Typography variant="caption" color="text.secondary">
        {formatRelative(updated, now)}
      </Typography>
    </Box>
  );
}

function EmptyState() {
  return (
    <Paper variant="outlined" sx={{ p: 4 }} data-testid="secrets-empty">
      <Typography variant="h6" component="h2" sx={{ mb: 1 }}>
        No secrets yet
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 1.5 }}>
        A secret is a value a pipeline needs but that must not be in the repository: a token, a password, a key.
        Switchyard stores its value only in your OS keyring, never in a file, a log or its history, and never shows it
        again; it keeps the name and when it was set.
      </Typography>
      <Typography color="text.secondary">
        A job asks for the secrets it needs in <Code>switchyard.yaml</Code>, e.g. <Code>secrets: [API_TOKEN]</Code>, and
        its steps get each one as an environment variable of that name. A global secret serves every project; a
        project&apos;s secret of the same name wins for that project.
      </Typography>
    </Paper>
  );
}

/** A secret to remove, asked about first (kept while the dialog fades out). */
interface Removing {
  open: boolean;
  secret: SecretView;
  busy: boolean;
  error: ErrorDto | null;
}

export function SecretsView() {
  const secrets = useLoader("secrets", listSecrets);
  const projects = useLoader("projects", listProjects);
  const notify = useNotify();
  const now = useNow(30_000);
  const reload = secrets.reload;
  const reloadProjects = projects.reload;
  useSubscription(onProjects, () => reloadProjects());

  // A new key for each opening: the dialog starts empty every time.
  const [dialog, setDialog] = useState<{ open: boolean; target: SecretTarget; key: number }>({
    open: false,
    target: { kind: "add" },
    key: 0,
  });
  const [removing, setRemoving] = useState<Removing | null>(null);

  const list = useMemo(() => sortSecrets(secrets.data ?? []), [secrets.data]);
  const hasEnvironment = list.some((s) => scopeOf(s) === "environment");
  const projectNames = useMemo(() => projects.data?.map((p) => p.name), [projects.data]);

  const openDialog = (target: SecretTarget) => setDialog((d) => ({ open: true, target, key: d.key + 1 }));
  const closeDialog = () => setDialog((d) => ({ ...d, open: false }));

  const saved = (secret: SecretView) => {
    notify(`${rotationsOf(secret) > 0 ? "Rotated" : "Stored"} ${secret.name}`, "success");
    reload();
  };

  const askRemove = (secret: SecretView) => setRemoving({ open: true, secret, busy: false, error: null });
  const closeRemove = () => setRemoving((r) => (r && !r.busy ? { ...r, open: false } : r));

  const confirmRemove = async () => {
    if (!removing || removing.busy) return;
    const { secret } = removing;
    setRemoving({ open: true, secret, busy: true, error: null });
    try {
      const removed = await removeSecret(secret.name, secret.project);
      setRemoving({ open: false, secret, busy: false, error: null });
      notify(removed ? `Removed ${secret.name}` : `${secret.name} was already gone`, removed ? "success" : "info");
    } catch (e) {
      setRemoving({ open: true, secret, busy: false, error: toErrorDto(e) });
    }
    reload();
  };

  const addButton = (
    <Button variant="contained" startIcon={<AddIcon />} onClick={() => openDialog({ kind: "add" })} data-testid="secret-add">
      Add secret
    </Button>
  );

  const removingShadows =
    removing !== null &&
    scopeOf(removing.secret) === "project" &&
    list.some((s) => scopeOf(s) === "global" && s.name === removing.secret.name);

  return (
    <>
      <PageHeader
        title="Secrets"
        subtitle={
          <>
            Values live only in your OS keyring and are never shown again. A job asks for one with{" "}
            <Code>secrets: [NAME]</Code> in <Code>switchyard.yaml</Code>.
          </>
        }
        actions={addButton}
      />
      {secrets.loading ? <PageLoading /> : null}
      {secrets.error ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={secrets.error} title="The secrets could not be loaded" onRetry={reload} />
        </Box>
      ) : null}
      {secrets.data && list.length === 0 ? <EmptyState /> : null}
      {hasEnvironment ? (
        <Alert severity="info" sx={{ mb: 2 }} data-testid="secrets-env-note">
          <strong>Environment</strong> secrets are <Code>{SECRET_ENV_PREFIX}&lt;NAME&gt;</Code> variables of
          Switchyard&apos;s process. They are read-only here (change or unset the variable and restart Switchyard), and
          they win over stored secrets of the same name.
        </Alert>
      ) : null}
      {list.length > 0 ? (
        <Paper variant="outlined">
          <Table aria-label="Secrets">
            <TableHead>
              <TableRow>
                <TableCell>Name</TableCell>
                <TableCell>Scope</TableCell>
                <TableCell>Last set</TableCell>
                <TableCell align="right">Rotations</TableCell>
                <TableCell align="right">
                  <Box component="span" sx={visuallyHidden}>
                    Actions
                  </Box>
                </TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {list.map((s) => {
                const scope = scopeOf(s);
                const notes = secretNotes(s, list);
                return (
                  <TableRow
                    key={`${scope}:${s.project ?? ""}:${s.name}`}
                    data-testid="secret-row"
                    data-name={s.name}
                    data-scope={scope}
                    data-project={s.project ?? ""}
                  >
                    <TableCell sx={{ maxWidth: 360 }}>
                      <Typography sx={{ fontFamily: MONO_FONT, fontWeight: 600, wordBreak: "break-all" }}>{s.name}</Typography>
                      {scope === "environment" ? (
                        <Typography variant="caption" color="text.secondary" sx={{ display: "block", wordBreak: "break-all" }}>
                          from <Code>{`${SECRET_ENV_PREFIX}${s.name}`}</Code>
                        </Typography>
                      ) : null}
                      {notes.map((n) => (
                        <Typography
                          key={n.kind}
                          variant="caption"
                          color="warning.main"
                          sx={{ display: "block" }}
                          data-testid="secret-note"
                          data-note={n.kind}
                        >
                          {n.text}
                        </Typography>
                      ))}
                    </TableCell>
                    <TableCell>
                      <ScopeChip secret={s} />
                    </TableCell>
                    <TableCell>
                      <LastSet secret={s} now={now} />
                    </TableCell>
                    <TableCell align="right" data-testid="secret-rotations">
                      {scope === "environment" ? "—" : rotationsOf(s)}
                    </TableCell>
                    <TableCell align="right" sx={{ whiteSpace: "nowrap" }}>
                      {scope === "environment" ? (
                        <Stack
                          direction="row"
                          gap={0.5}
                          alignItems="center"
                          justifyContent="flex-end"
                          title="Set in Switchyard's environment: it cannot be changed or removed from the app"
                          data-testid="secret-readonly"
                        >
                          <LockOutlinedIcon fontSize="small" color="disabled" />
                          <Typography variant="body2" color="text.secondary">
                            Read-only
                          </Typography>
                        </Stack>
                      ) : (
                        <Stack direction="row" gap={1} justifyContent="flex-end">
                          <Button
                            size="small"
                            startIcon={<AutorenewIcon />}
                            onClick={() => openDialog({ kind: "rotate", secret: s })}
                            aria-label={`Rotate ${describeSecret(s.name, s.project)}`}
                            data-testid="secret-rotate"
                          >
                            Rotate
                          </Button>
                          <Button
                            size="small"
                            color="error"
                            startIcon={<DeleteOutlineIcon />}
                            onClick={() => askRemove(s)}
                            aria-label={`Remove ${describeSecret(s.name, s.project)}`}
                            data-testid="secret-remove"
                          >
                            Remove
                          </Button>
                        </Stack>
                      )}
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </Paper>
      ) : null}
      <SecretDialog
        key={dialog.key}
        open={dialog.open}
        target={dialog.target}
        projects={projectNames}
        projectsFailed={projects.error !== undefined}
        secrets={list}
        onClose={closeDialog}
        onSaved={saved}
      />
      {removing ? (
        <ConfirmRemoveDialog
          open={removing.open}
          testId="secret-remove"
          title={`Remove ${removing.secret.name}?`}
          text={
            <>
              This removes the {describeSecret(removing.secret.name, removing.secret.project)} from the OS keyring.{" "}
              {removingShadows
                ? `Runs of ${removing.secret.project} then get the global ${removing.secret.name}.`
                : "Runs whose jobs ask for it will not start until it is set again."}{" "}
              Revoke the credential where it was issued too: runs may have used it before.
            </>
          }
          what="The secret"
          busy={removing.busy}
          error={removing.error}
          onCancel={closeRemove}
          onConfirm={confirmRemove}
        />
      ) : null}
    </>
  );
}

