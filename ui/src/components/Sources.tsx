import AddIcon from "@mui/icons-material/Add";
import DeleteOutlineIcon from "@mui/icons-material/DeleteOutline";
import NetworkCheckIcon from "@mui/icons-material/NetworkCheck";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Checkbox from "@mui/material/Checkbox";
import Chip from "@mui/material/Chip";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogTitle from "@mui/material/DialogTitle";
import Divider from "@mui/material/Divider";
import FormControlLabel from "@mui/material/FormControlLabel";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableRow from "@mui/material/TableRow";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useCallback, useRef, useState, type FormEvent } from "react";

import { addSource, checkSources, removeSource, toErrorDto } from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { SourceCheckDto } from "../bindings/SourceCheckDto";
import type { SourceDto } from "../bindings/SourceDto";
import { formatLatency, sourceUrlProblem } from "../metrics";
import { useNotify } from "../notify";
import { MONO_FONT } from "../theme";
import { ErrorAlert } from "./ErrorAlert";

const mono = { fontFamily: MONO_FONT } as const;

export interface SourceFormProps {
  /** No source yet: the new one is the default (the box starts checked). */
  first: boolean;
  /** Added: the form is empty again and has forgotten the token. */
  onAdded: (source: SourceDto) => void;
  autoFocus?: boolean;
}

/**
 * Adds a Prometheus source: a name, its URL, an optional bearer token (sent
 * to the shell once, kept only in the OS keyring) and whether it is the default.
 */
export function SourceForm({ first, onAdded, autoFocus = false }: SourceFormProps) {
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [token, setToken] = useState("");
  const [isDefault, setIsDefault] = useState(first);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorDto | null>(null);

  const urlProblem = sourceUrlProblem(url);
  const urlError = url.trim() !== "" && urlProblem !== null;
  const canAdd = !busy && name.trim() !== "" && urlProblem === null;

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    if (!canAdd) return;
    setBusy(true);
    setError(null);
    try {
      const added = await addSource(name.trim(), url.trim(), isDefault, token === "" ? null : token);
      setToken("");
      setName("");
      setUrl("");
      setIsDefault(false);
      setBusy(false);
      onAdded(added);
    } catch (err) {
      setError(toErrorDto(err));
      setBusy(false);
    }
  };

  return (
    <Box component="form" onSubmit={submit} noValidate autoComplete="off" data-testid="source-form">
      <Stack gap={2}>
        <Stack direction={{ xs: "column", sm: "row" }} gap={2}>
          <TextField
            label="Name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            disabled={busy}
            required
            size="small"
            autoFocus={autoFocus}
            helperText="How the view lists it, e.g. local or prod."
            sx={{ flex: 1 }}
            slotProps={{ htmlInput: { "data-testid": "source-name", spellCheck: false, autoCapitalize: "off", style: mono } }}
          />
          <TextField
            label="URL"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            disabled={busy}
            required
            size="small"
            placeholder="http://localhost:9090"
            error={urlError}
            helperText={urlError ? urlProblem : "The Prometheus server (or anything that speaks its HTTP API)."}
            sx={{ flex: 2 }}
            slotProps={{
              htmlInput: { "data-testid": "source-url", spellCheck: false, autoCapitalize: "off", inputMode: "url", style: mono },
            }}
          />
        </Stack>
        <TextField
          label="Bearer token (optional)"
          type="password"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          disabled={busy}
          size="small"
          autoComplete="off"
          helperText="Only if the server asks for one. Kept in your OS keyring, never in a file."
          slotProps={{ htmlInput: { "data-testid": "source-token", spellCheck: false, autoComplete: "off", style: mono } }}
        />
        <Stack direction="row" alignItems="center" justifyContent="space-between" gap={2} flexWrap="wrap">
          <FormControlLabel
            control={
              <Checkbox
                checked={isDefault}
                onChange={(e) => setIsDefault(e.target.checked)}
                disabled={busy}
                slotProps={{ input: { ...({ "data-testid": "source-default" } as object) } }}
              />
            }
            label="Default source (charts use it unless another is picked)"
          />
          <Button type="submit" variant="contained" startIcon={<AddIcon />} disabled={!canAdd} data-testid="source-add">
            {busy ? "Adding…" : "Add source"}
          </Button>
        </Stack>
        {error ? <ErrorAlert error={error} title="The source could not be added" testId="source-error" focusOnShow /> : null}
      </Stack>
    </Box>
  );
}

export interface SourceChecks {
  checks: SourceCheckDto[] | null;
  busy: boolean;
  error: ErrorDto | null;
  check: () => void;
  clear: () => void;
}

/** Checks every source on demand (`check_sources`); one check at a time. */
export function useSourceChecks(): SourceChecks {
  const [checks, setChecks] = useState<SourceCheckDto[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorDto | null>(null);
  const running = useRef(false);
  const check = useCallback(() => {
    if (running.current) return;
    running.current = true;
    setBusy(true);
    setError(null);
    checkSources()
      .then(
        (c) => setChecks(c),
        (e: unknown) => setError(toErrorDto(e)),
      )
      .finally(() => {
        running.current = false;
        setBusy(false);
      });
  }, []);
  const clear = useCallback(() => {
    setChecks(null);
    setError(null);
  }, []);
  return { checks, busy, error, check, clear };
}

export function CheckSourcesButton({ checks, size = "medium" }: { checks: SourceChecks; size?: "small" | "medium" }) {
  return (
    <Button
      variant="outlined"
      size={size}
      startIcon={<NetworkCheckIcon />}
      onClick={checks.check}
      disabled={checks.busy}
      data-testid="sources-check"
    >
      {checks.busy ? "Checking…" : "Check sources"}
    </Button>
  );
}

/** Each source's answer: ✓ its version and latency, or ✗ what is wrong. */
export function SourceCheckList({ checks }: { checks: SourceChecks }) {
  if (checks.error) return <ErrorAlert error={checks.error} title="The sources could not be checked" testId="sources-check-error" />;
  if (!checks.checks) return null;
  if (checks.checks.length === 0) {
    return (
      <Typography color="text.secondary" data-testid="source-checks">
        There is no source to check.
      </Typography>
    );
  }
  return (
    <Box component="ul" sx={{ m: 0, p: 0, listStyle: "none" }} aria-label="Source checks" data-testid="source-checks">
      {checks.checks.map((c) => (
        <Box
          component="li"
          key={c.name}
          data-testid="source-check"
          data-name={c.name}
          data-ok={c.ok ? "true" : "false"}
          sx={{ display: "flex", gap: 1, py: 0.25, alignItems: "baseline" }}
        >
          <Box component="span" sx={{ color: c.ok ? "success.main" : "error.main", fontWeight: 700 }} aria-hidden>
            {c.ok ? "✓" : "✗"}
          </Box>
          <Box component="span" sx={{ ...mono, fontWeight: 600 }}>
            {c.name}
          </Box>
          <Box component="span" sx={{ color: "text.secondary", minWidth: 0, wordBreak: "break-word" }}>
            {c.ok
              ? [c.version ? `version ${c.version}` : "answers", c.latency_ms !== null ? formatLatency(c.latency_ms) : null]
                  .filter(Boolean)
                  .join(" · ")
              : c.problems.length > 0
                ? c.problems.join(" ")
                : "does not answer as Prometheus does"}
          </Box>
        </Box>
      ))}
    </Box>
  );
}

export interface SourcesDialogProps {
  open: boolean;
  sources: SourceDto[];
  onClose: () => void;
  /** A source was added or removed: the list is to be loaded again. */
  onChanged: () => void;
}

/** The sources: listed, checked, removed, and one more added. */
export function SourcesDialog({ open, sources, onClose, onChanged }: SourcesDialogProps) {
  const notify = useNotify();
  const checks = useSourceChecks();
  const [removing, setRemoving] = useState<string | null>(null);
  const [error, setError] = useState<ErrorDto | null>(null);
  // A new form after each addition: empty, the token forgotten.
  const [formKey, setFormKey] = useState(0);

  const remove = async (name: string) => {
    if (removing !== null) return;
    setRemoving(name);
    setError(null);
    try {
      const removed = await removeSource(name);
      notify(removed ? `Removed source ${name}` : `Source ${name} was already gone`, removed ? "success" : "info");
      checks.clear();
    } catch (e) {
      setError(toErrorDto(e));
    }
    setRemoving(null);
    onChanged();
  };

  const added = (source: SourceDto) => {
    notify(`Added source ${source.name}`, "success");
    setFormKey((k) => k + 1);
    checks.clear();
    onChanged();
  };

  return (
    <Dialog
      open={open}
      onClose={onClose}
      maxWidth="md"
      fullWidth
      aria-labelledby="sources-dialog-title"
      slotProps={{ paper: { ...({ "data-testid": "sources-dialog" } as object) } }}
    >
      <DialogTitle id="sources-dialog-title">Prometheus sources</DialogTitle>
      <DialogContent dividers>
        {sources.length > 0 ? (
          <Table size="small" aria-label="Sources" sx={{ mb: 2 }}>
            <TableBody>
              {sources.map((s) => (
                <TableRow key={s.name} data-testid="source-row" data-name={s.name}>
                  <TableCell sx={{ ...mono, fontWeight: 600 }}>{s.name}</TableCell>
                  <TableCell sx={{ ...mono, wordBreak: "break-all" }}>{s.url}</TableCell>
                  <TableCell sx={{ whiteSpace: "nowrap" }}>
                    {s.default ? <Chip size="small" color="primary" variant="outlined" label="Default" sx={{ mr: 1 }} /> : null}
                    {s.auth !== "none" ? (
                      <Chip size="small" variant="outlined" label={s.auth === "bearer" ? "Token" : "Password"} />
                    ) : null}
                  </TableCell>
                  <TableCell align="right">
                    <Button
                      size="small"
                      color="error"
                      startIcon={<DeleteOutlineIcon />}
                      onClick={() => void remove(s.name)}
                      disabled={removing !== null}
                      aria-label={`Remove source ${s.name}`}
                      data-testid="source-remove"
                    >
                      {removing === s.name ? "Removing…" : "Remove"}
                    </Button>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        ) : (
          <Typography color="text.secondary" sx={{ mb: 2 }}>
            No source yet.
          </Typography>
        )}
        {error ? (
          <Box sx={{ mb: 2 }}>
            <ErrorAlert error={error} title="The source could not be removed" testId="source-remove-error" />
          </Box>
        ) : null}
        {sources.length > 0 ? (
          <Stack gap={1} sx={{ mb: 2 }}>
            <Box>
              <CheckSourcesButton checks={checks} size="small" />
            </Box>
            <SourceCheckList checks={checks} />
          </Stack>
        ) : null}
        <Divider sx={{ mb: 2 }} />
        <Typography variant="subtitle1" component="h3" sx={{ mb: 1.5 }}>
          Add a source
        </Typography>
        <SourceForm key={formKey} first={sources.length === 0} onAdded={added} />
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} data-testid="sources-close">
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}
