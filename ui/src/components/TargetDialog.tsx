import FolderOpenIcon from "@mui/icons-material/FolderOpen";
import RefreshIcon from "@mui/icons-material/Refresh";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import CircularProgress from "@mui/material/CircularProgress";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import FormControlLabel from "@mui/material/FormControlLabel";
import Radio from "@mui/material/Radio";
import RadioGroup from "@mui/material/RadioGroup";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useState, type FormEvent, type KeyboardEvent } from "react";

import { addTarget, kubeContexts, pickKubeconfig, toErrorDto } from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { KubeContextDto } from "../bindings/KubeContextDto";
import type { TargetDto } from "../bindings/TargetDto";
import { useLoader } from "../hooks";
import { ENVIRONMENT_SUGGESTIONS, targetNameFor } from "../targets";
import { MONO_FONT } from "../theme";
import { ErrorAlert } from "./ErrorAlert";

const mono = { fontFamily: MONO_FONT } as const;

/** A text field's value as an optional argument: null when blank. */
function optional(text: string): string | null {
  const t = text.trim();
  return t === "" ? null : t;
}

/** The kubeconfig whose contexts are asked for (null: the default one); `n` asks again for the same file. */
interface ContextsRequest {
  kubeconfig: string | null;
  n: number;
}

export interface TargetDialogProps {
  open: boolean;
  /** The targets listed: their names are not proposed again, their environments are offered. */
  targets: TargetDto[];
  onClose: () => void;
  /** Added: the dialog has closed. */
  onAdded: (target: TargetDto) => void;
}

/**
 * Adds a target: a kubeconfig (the default one unless a path is given), one of
 * its contexts, a name (proposed from the context), and optionally a
 * namespace and an environment label. The default kubeconfig's contexts load
 * as it opens. Mount it anew (a new `key`) for each opening.
 */
export function TargetDialog({ open, targets, onClose, onAdded }: TargetDialogProps) {
  const [path, setPath] = useState("");
  // The default kubeconfig's contexts are asked for at once.
  const [request, setRequest] = useState<ContextsRequest | null>({ kubeconfig: null, n: 0 });
  const [context, setContext] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [nameTouched, setNameTouched] = useState(false);
  const [namespace, setNamespace] = useState("");
  const [environment, setEnvironment] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorDto | null>(null);

  const contexts = useLoader<KubeContextDto[]>(
    open && request ? `kube-contexts:${request.n}:${request.kubeconfig ?? ""}` : null,
    () => kubeContexts(request?.kubeconfig ?? null),
  );
  const chosen = contexts.data?.find((c) => c.name === context) ?? null;
  const taken = targets.map((t) => t.name);
  const suggestions = [...new Set([...ENVIRONMENT_SUGGESTIONS, ...targets.flatMap((t) => (t.environment ? [t.environment] : []))])];
  const canAdd = !busy && chosen !== null && name.trim() !== "";

  const load = (kubeconfig: string | null) => {
    setError(null);
    setContext(null);
    if (!nameTouched) setName("");
    setRequest((r) => ({ kubeconfig, n: (r?.n ?? 0) + 1 }));
  };

  const changePath = (value: string) => {
    setPath(value);
    // The contexts listed are another file's: choose again after loading this one.
    if (request !== null && optional(value) !== request.kubeconfig) {
      setRequest(null);
      setContext(null);
      if (!nameTouched) setName("");
    }
  };

  const browse = async () => {
    try {
      const picked = await pickKubeconfig();
      if (picked === null) return;
      setPath(picked);
      load(picked);
    } catch (e) {
      setError(toErrorDto(e));
    }
  };

  const choose = (c: KubeContextDto) => {
    setContext(c.name);
    if (!nameTouched) setName(targetNameFor(c.name, taken));
  };

  const close = () => {
    if (!busy) onClose();
  };

  const add = async (e?: FormEvent) => {
    e?.preventDefault();
    if (!canAdd || !chosen) return;
    setBusy(true);
    setError(null);
    try {
      const added = await addTarget({
        name: name.trim(),
        context: chosen.name,
        kubeconfig: request?.kubeconfig ?? null,
        namespace: optional(namespace),
        environment: optional(environment),
      });
      setBusy(false);
      onClose();
      onAdded(added);
    } catch (err) {
      setError(toErrorDto(err));
      setBusy(false);
    }
  };

  const pathKey = (e: KeyboardEvent) => {
    // Enter in the path loads its contexts rather than adding.
    if (e.key !== "Enter") return;
    e.preventDefault();
    load(optional(path));
  };

  const shownError = error ?? contexts.error ?? null;
  const from = request?.kubeconfig ?? null;

  return (
    <Dialog
      open={open}
      onClose={close}
      maxWidth="sm"
      fullWidth
      aria-labelledby="target-add-title"
      slotProps={{ paper: { ...({ "data-testid": "target-add-dialog" } as object) } }}
    >
      {/* display: contents keeps the dialog's layout; the form gives Enter = Add. */}
      <Box component="form" onSubmit={add} noValidate autoComplete="off" sx={{ display: "contents" }}>
        <DialogTitle id="target-add-title">Add target</DialogTitle>
        <DialogContent dividers>
          <DialogContentText sx={{ mb: 2 }}>
            A target is a kubeconfig context under a name, with an optional namespace and environment label. Its
            credentials stay where the kubeconfig keeps them; nothing secret is copied into config.toml.
          </DialogContentText>
          <Stack gap={2.5}>
            <Stack direction="row" gap={1} alignItems="flex-start">
              <TextField
                label="Kubeconfig file (optional)"
                value={path}
                onChange={(e) => changePath(e.target.value)}
                onKeyDown={pathKey}
                disabled={busy}
                size="small"
                fullWidth
                placeholder="Default: $KUBECONFIG, else ~/.kube/config"
                helperText="An absolute path; leave it empty for the default kubeconfig."
                slotProps={{
                  inputLabel: { shrink: true },
                  htmlInput: {
                    "data-testid": "target-kubeconfig-input",
                    spellCheck: false,
                    autoCapitalize: "off",
                    autoCorrect: "off",
                    style: mono,
                  },
                }}
              />
              <Button
                onClick={() => void browse()}
                disabled={busy}
                startIcon={<FolderOpenIcon />}
                sx={{ flexShrink: 0, mt: 0.25 }}
                data-testid="target-kubeconfig-browse"
              >
                Browse…
              </Button>
              <Button
                variant="outlined"
                onClick={() => load(optional(path))}
                disabled={busy || contexts.loading}
                startIcon={<RefreshIcon />}
                sx={{ flexShrink: 0, mt: 0.25 }}
                data-testid="target-contexts-load"
              >
                Load contexts
              </Button>
            </Stack>
            <ContextList
              request={request}
              from={from}
              contexts={contexts.data}
              loading={contexts.loading}
              failed={contexts.error !== undefined}
              chosen={context}
              disabled={busy}
              onChoose={choose}
            />
            <TextField
              label="Name"
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                setNameTouched(true);
              }}
              disabled={busy}
              required
              fullWidth
              size="small"
              helperText={
                <>
                  As <code>runner: kubernetes:&lt;name&gt;</code> and a deploy job&apos;s <code>targets</code> name it:
                  letters, digits, -, _ and . (at most 63). Proposed from the context chosen.
                </>
              }
              slotProps={{
                htmlInput: {
                  "data-testid": "target-name-input",
                  spellCheck: false,
                  autoCapitalize: "off",
                  autoCorrect: "off",
                  style: mono,
                },
              }}
            />
            <TextField
              label="Namespace (optional)"
              value={namespace}
              onChange={(e) => setNamespace(e.target.value)}
              disabled={busy}
              fullWidth
              size="small"
              placeholder={chosen ? (chosen.namespace ?? "default") : undefined}
              helperText={
                chosen
                  ? `Empty: the context's namespace (${chosen.namespace ?? "default"}).`
                  : "Empty: the context's namespace, else default."
              }
              slotProps={{
                htmlInput: {
                  "data-testid": "target-namespace-input",
                  spellCheck: false,
                  autoCapitalize: "off",
                  autoCorrect: "off",
                  style: mono,
                },
              }}
            />
            <Box>
              <TextField
                label="Environment (optional)"
                value={environment}
                onChange={(e) => setEnvironment(e.target.value)}
                disabled={busy}
                fullWidth
                size="small"
                helperText="A label, e.g. production: a deploy job to a production target asks for approval by default."
                slotProps={{
                  htmlInput: {
                    "data-testid": "target-environment-input",
                    spellCheck: false,
                    autoCapitalize: "off",
                    autoCorrect: "off",
                  },
                }}
              />
              <Stack direction="row" gap={1} alignItems="center" flexWrap="wrap" sx={{ mt: 1 }}>
                <Typography variant="caption" color="text.secondary">
                  Suggestions:
                </Typography>
                {suggestions.map((s) => (
                  <Chip
                    key={s}
                    size="small"
                    variant={environment.trim() === s ? "filled" : "outlined"}
                    color={environment.trim() === s ? "primary" : "default"}
                    label={s}
                    onClick={() => setEnvironment(s)}
                    disabled={busy}
                    data-testid="target-environment-suggestion"
                    data-value={s}
                  />
                ))}
              </Stack>
            </Box>
          </Stack>
        </DialogContent>
        {shownError ? (
          // Next to the button that failed, outside the scrolled content: always in view.
          <Box sx={{ px: 3, pt: 2, maxHeight: "40vh", overflowY: "auto", flexShrink: 0 }}>
            <ErrorAlert
              error={shownError}
              title={error ? "The target could not be added" : "The contexts could not be loaded"}
              testId="target-error"
              focusOnShow
            />
          </Box>
        ) : null}
        <DialogActions>
          <Button onClick={close} disabled={busy} data-testid="target-add-cancel">
            Cancel
          </Button>
          <Button type="submit" variant="contained" disabled={!canAdd} data-testid="target-add-confirm">
            {busy ? "Adding…" : "Add"}
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}

interface ContextListProps {
  request: ContextsRequest | null;
  /** The kubeconfig they are from (null: the default one). */
  from: string | null;
  contexts: KubeContextDto[] | undefined;
  loading: boolean;
  failed: boolean;
  chosen: string | null;
  disabled: boolean;
  onChoose: (context: KubeContextDto) => void;
}

/** The contexts of the kubeconfig, one to choose: name, cluster, server, the current one and the target made from it. */
function ContextList({ request, from, contexts, loading, failed, chosen, disabled, onChoose }: ContextListProps) {
  const note = (text: string) => (
    <Typography color="text.secondary" variant="body2" data-testid="target-contexts-note">
      {text}
    </Typography>
  );
  if (request === null) return note("Load contexts to list the contexts of this kubeconfig.");
  if (loading) {
    return (
      <Stack direction="row" gap={1} alignItems="center" role="status" data-testid="target-contexts-loading">
        <CircularProgress size={18} />
        <Typography color="text.secondary" variant="body2">
          Reading the kubeconfig…
        </Typography>
      </Stack>
    );
  }
  if (failed || !contexts) return note("No context to choose from: see the error below.");
  if (contexts.length === 0) return note("This kubeconfig has no context.");
  return (
    <Box>
      <Typography variant="subtitle2" component="h3" id="target-contexts-label" sx={{ mb: 0.5 }}>
        Context{" "}
        <Typography component="span" variant="body2" color="text.secondary">
          ({from === null ? "the default kubeconfig" : from})
        </Typography>
      </Typography>
      <RadioGroup
        aria-labelledby="target-contexts-label"
        value={chosen ?? ""}
        onChange={(e) => {
          const c = contexts.find((x) => x.name === e.target.value);
          if (c) onChoose(c);
        }}
        sx={{
          flexWrap: "nowrap",
          maxHeight: 264,
          overflowY: "auto",
          border: 1,
          borderColor: "divider",
          borderRadius: 1,
          px: 1,
          py: 0.5,
        }}
        data-testid="target-contexts"
      >
        {contexts.map((c) => (
          <FormControlLabel
            key={c.name}
            value={c.name}
            disabled={disabled}
            control={<Radio size="small" />}
            disableTypography
            data-testid="target-context-option"
            data-context={c.name}
            data-selected={c.name === chosen ? "true" : "false"}
            sx={{ alignItems: "flex-start", mx: 0, py: 0.5, "& .MuiRadio-root": { mt: -0.5 } }}
            label={
              <Box sx={{ minWidth: 0 }}>
                <Stack direction="row" gap={1} alignItems="center" flexWrap="wrap">
                  <Typography sx={{ ...mono, fontWeight: 600, wordBreak: "break-all" }}>{c.name}</Typography>
                  {c.current ? (
                    <Chip size="small" color="primary" variant="outlined" label="current" data-testid="target-context-current" />
                  ) : null}
                  {c.target !== null ? (
                    <Chip
                      size="small"
                      variant="outlined"
                      label={`target ${c.target}`}
                      title={`Target ${c.target} already uses this context; another target of it may use another namespace`}
                      data-testid="target-context-used"
                    />
                  ) : null}
                </Stack>
                <Typography variant="caption" color="text.secondary" sx={{ display: "block", ...mono, wordBreak: "break-all" }}>
                  {[c.cluster !== "" ? `cluster ${c.cluster}` : null, c.server, c.namespace ? `namespace ${c.namespace}` : null]
                    .filter(Boolean)
                    .join(" · ")}
                </Typography>
              </Box>
            }
          />
        ))}
      </RadioGroup>
    </Box>
  );
}
