import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import FormControlLabel from "@mui/material/FormControlLabel";
import FormLabel from "@mui/material/FormLabel";
import GlobalStyles from "@mui/material/GlobalStyles";
import Paper from "@mui/material/Paper";
import Radio from "@mui/material/Radio";
import RadioGroup from "@mui/material/RadioGroup";
import Stack from "@mui/material/Stack";
import Switch from "@mui/material/Switch";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useEffect, useState, type ReactNode } from "react";
import { useBlocker } from "react-router";

import { pauseNotifications, toErrorDto, updateSettings } from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { SettingsDto } from "../bindings/SettingsDto";
import type { ThemeDto } from "../bindings/ThemeDto";
import { ErrorAlert } from "../components/ErrorAlert";
import { PageHeader, PageLoading } from "../components/Page";
import { formatDateTime } from "../format";
import { useNow } from "../hooks";
import { jobLimitText, parseJobLimit } from "../limits";
import { useNotify } from "../notify";
import { useSettings } from "../settings";
import { MONO_FONT } from "../theme";

function Group({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Paper variant="outlined" sx={{ p: 2.5, mb: 3 }} component="section">
      <Typography variant="h6" component="h2" sx={{ mb: 1.5 }}>
        {title}
      </Typography>
      {children}
    </Paper>
  );
}

function testIdInput(id: string) {
  return { input: { ...({ "data-testid": id } as object) } };
}

function SettingsForm({ saved }: { saved: SettingsDto }) {
  const { applySaved, previewTheme } = useSettings();
  const notify = useNotify();
  const [draft, setDraft] = useState<SettingsDto>(saved);
  // Typed as text (it may be invalid while typed); saved as `local_concurrency`.
  const [concurrencyText, setConcurrencyText] = useState(() => jobLimitText(saved.local_concurrency));
  const concurrency = parseJobLimit(concurrencyText);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorDto | null>(null);
  const now = useNow(30_000);
  const dirty =
    draft.theme !== saved.theme ||
    draft.notify_on_failure !== saved.notify_on_failure ||
    draft.notify_on_fixed !== saved.notify_on_fixed ||
    draft.close_to_tray !== saved.close_to_tray ||
    !concurrency.ok ||
    concurrency.value !== saved.local_concurrency;
  const paused = saved.notifications_paused_until !== null && saved.notifications_paused_until > now;

  // The theme being chosen shows at once; the saved one is back when the
  // change is undone or the page is left without saving.
  useEffect(() => {
    previewTheme(draft.theme === saved.theme ? null : draft.theme);
  }, [draft.theme, saved.theme, previewTheme]);
  useEffect(() => () => previewTheme(null), [previewTheme]);

  // Leaving the page (a link, a shortcut, a deep link) with unsaved changes asks first.
  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname,
  );

  const save = async () => {
    if (!concurrency.ok) return;
    setBusy(true);
    setError(null);
    try {
      // Pausing has its own command; keep whatever the shell has for it.
      const result = await updateSettings({
        ...draft,
        local_concurrency: concurrency.value,
        notifications_paused_until: saved.notifications_paused_until,
      });
      applySaved(result);
      setDraft(result);
      setConcurrencyText(jobLimitText(result.local_concurrency));
      notify("Settings saved", "success");
    } catch (e) {
      setError(toErrorDto(e));
    } finally {
      setBusy(false);
    }
  };

  const pause = async (minutes: number) => {
    setError(null);
    try {
      const result = await pauseNotifications(minutes);
      applySaved(result);
      setDraft((d) => ({ ...d, notifications_paused_until: result.notifications_paused_until }));
      notify(minutes ? "Notifications paused for 1 hour" : "Notifications resumed", "info");
    } catch (e) {
      setError(toErrorDto(e));
    }
  };

  return (
    <Box sx={{ maxWidth: 760 }}>
      {saved.config_problem && (
        <Alert severity="warning" sx={{ mb: 3 }} data-testid="settings-config-problem">
          The configuration file has a problem, so the last valid settings stay in force until it is fixed:{" "}
          <Box component="span" sx={{ fontFamily: MONO_FONT }}>
            {saved.config_problem}
          </Box>
        </Alert>
      )}
      <Group title="Data">
        <TextField
          label="Data folder"
          value={saved.data_dir}
          fullWidth
          size="small"
          helperText="Projects' history, logs and artifacts are kept here. To move it, start Switchyard with the SWITCHYARD_HOME environment variable set to another folder."
          slotProps={{
            input: { readOnly: true },
            htmlInput: { "data-testid": "settings-data-dir", style: { fontFamily: MONO_FONT } },
          }}
        />
        <TextField
          label="Configuration file"
          value={saved.config_file}
          fullWidth
          size="small"
          sx={{ mt: 2 }}
          helperText="These settings, targets and runner limits are kept here; edit it by hand if you like, changes apply within a second."
          slotProps={{
            input: { readOnly: true },
            htmlInput: { "data-testid": "settings-config-file", style: { fontFamily: MONO_FONT } },
          }}
        />
      </Group>
      <Group title="Notifications">
        <Stack>
          <FormControlLabel
            control={
              <Switch
                checked={draft.notify_on_failure}
                onChange={(e) => setDraft({ ...draft, notify_on_failure: e.target.checked })}
                slotProps={testIdInput("settings-notify-failure")}
              />
            }
            label="When a run fails"
          />
          <FormControlLabel
            control={
              <Switch
                checked={draft.notify_on_fixed}
                onChange={(e) => setDraft({ ...draft, notify_on_fixed: e.target.checked })}
                slotProps={testIdInput("settings-notify-fixed")}
              />
            }
            label="When a failing branch is fixed"
          />
        </Stack>
        <Stack direction="row" alignItems="center" gap={2} sx={{ mt: 1.5 }} flexWrap="wrap">
          {paused ? (
            <>
              <Alert severity="info" sx={{ py: 0 }} data-testid="settings-paused">
                Paused until {formatDateTime(saved.notifications_paused_until as number)}
              </Alert>
              <Button variant="outlined" onClick={() => pause(0)} data-testid="settings-resume">
                Resume now
              </Button>
            </>
          ) : (
            <Button variant="outlined" onClick={() => pause(60)} data-testid="settings-pause">
              Pause for 1 hour
            </Button>
          )}
        </Stack>
      </Group>
      <Group title="Appearance">
        <FormLabel id="theme-label">Theme</FormLabel>
        <RadioGroup
          row
          aria-labelledby="theme-label"
          value={draft.theme}
          onChange={(e) => setDraft({ ...draft, theme: e.target.value as ThemeDto })}
          data-testid="settings-theme"
        >
          <FormControlLabel value="system" control={<Radio slotProps={testIdInput("settings-theme-system")} />} label="Same as the system" />
          <FormControlLabel value="light" control={<Radio slotProps={testIdInput("settings-theme-light")} />} label="Light" />
          <FormControlLabel value="dark" control={<Radio slotProps={testIdInput("settings-theme-dark")} />} label="Dark" />
        </RadioGroup>
      </Group>
      <Group title="Runners">
        <TextField
          id="settings-local-concurrency"
          label="Local jobs at once"
          value={concurrencyText}
          onChange={(e) => setConcurrencyText(e.target.value)}
          placeholder={`the number of CPUs (${saved.cpus})`}
          error={!concurrency.ok}
          size="small"
          sx={{ width: 320, maxWidth: "100%" }}
          helperText={
            concurrency.ok
              ? `Most jobs on this machine at once, over all runs (runners.local.concurrency in the configuration file). Empty: the number of CPUs (${saved.cpus}). A run's own "Jobs at once" can only be lower.`
              : concurrency.error
          }
          slotProps={{
            htmlInput: {
              inputMode: "numeric",
              autoComplete: "off",
              ...({ "data-testid": "settings-local-concurrency" } as object),
            },
            formHelperText: { ...({ "data-testid": "settings-local-concurrency-help" } as object) },
          }}
        />
      </Group>
      <Group title="Window">
        <FormControlLabel
          control={
            <Switch
              checked={draft.close_to_tray}
              onChange={(e) => setDraft({ ...draft, close_to_tray: e.target.checked })}
              slotProps={testIdInput("settings-close-to-tray")}
            />
          }
          label="Closing the window keeps Switchyard running in the tray"
        />
      </Group>
      {/* Always in view at the bottom of the window, however long the page;
          the page scrolls what it brings into view above the bar, never under it. */}
      <GlobalStyles styles={{ html: { scrollPaddingBottom: 96 } }} />
      <Box
        data-testid="settings-actions"
        sx={{
          position: "sticky",
          bottom: 0,
          zIndex: (t) => t.zIndex.appBar,
          bgcolor: "background.default",
          borderTop: 1,
          borderColor: "divider",
          py: 1.5,
        }}
      >
        {error ? (
          <Box sx={{ mb: 1.5 }}>
            <ErrorAlert error={error} title="The settings could not be saved" />
          </Box>
        ) : null}
        <Stack direction="row" gap={1} alignItems="center">
          <Button variant="contained" onClick={save} disabled={!dirty || busy || !concurrency.ok} data-testid="settings-save">
            {busy ? "Saving…" : "Save"}
          </Button>
          <Button
            onClick={() => {
              setDraft(saved);
              setConcurrencyText(jobLimitText(saved.local_concurrency));
            }}
            disabled={!dirty || busy}
            data-testid="settings-reset"
          >
            Discard changes
          </Button>
          {dirty ? (
            <Typography variant="body2" color="text.secondary" sx={{ ml: 1 }} data-testid="settings-unsaved">
              Unsaved changes
            </Typography>
          ) : null}
        </Stack>
      </Box>
      <Dialog
        open={blocker.state === "blocked"}
        onClose={() => blocker.reset?.()}
        aria-labelledby="settings-leave-title"
        maxWidth="xs"
        fullWidth
      >
        <DialogTitle id="settings-leave-title">Discard unsaved changes?</DialogTitle>
        <DialogContent>
          <DialogContentText>Your changes to the settings are not saved. Leaving this page discards them.</DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => blocker.reset?.()} autoFocus data-testid="settings-leave-stay">
            Stay
          </Button>
          <Button color="error" onClick={() => blocker.proceed?.()} data-testid="settings-leave-discard">
            Discard
          </Button>
        </DialogActions>
      </Dialog>
    </Box>
  );
}

export function SettingsView() {
  const { settings, error, reload } = useSettings();
  return (
    <>
      <PageHeader title="Settings" />
      {settings ? (
        // A change made elsewhere (config.toml edited by hand) starts the form afresh.
        <SettingsForm key={JSON.stringify(settings)} saved={settings} />
      ) : error ? (
        <ErrorAlert error={error} title="The settings could not be loaded" onRetry={reload} />
      ) : (
        <PageLoading />
      )}
    </>
  );
}
