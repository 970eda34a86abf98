import Alert from "@mui/material/Alert";
import AlertTitle from "@mui/material/AlertTitle";
import Box from "@mui/material/Box";
import Snackbar from "@mui/material/Snackbar";
import { useCallback, useEffect, useState } from "react";
import { useNavigate } from "react-router";

import { onDeepLink, onNavigate, pendingDeepLink } from "../api";
import type { DeepLinkDto } from "../bindings/DeepLinkDto";
import type { NavigateDto } from "../bindings/NavigateDto";
import { useSubscription } from "../hooks";
import { useImport } from "../importing";
import { runJobRoute } from "../links";
import { useDismissNotice } from "../notify";

let pendingAsked = false;

/**
 * Opens what `switchyard://` links ask for, never acting by itself: runs,
 * projects, incidents and deployments are shown, an import opens the dialog for the user to confirm, and
 * an invalid link is only reported.
 */
export function DeepLinks() {
  const navigate = useNavigate();
  const { openImport } = useImport();
  const dismissNotice = useDismissNotice();
  // The last refused link; kept while its message closes so the text does not vanish mid-animation.
  const [invalid, setInvalid] = useState<{ url: string; reason: string; open: boolean } | null>(null);

  const handle = useCallback(
    (link: DeepLinkDto) => {
      // A new link starts afresh: the previous link's error or notice must not sit over what this one opens.
      setInvalid((i) => (i ? { ...i, open: false } : i));
      dismissNotice();
      switch (link.kind) {
        case "run":
          navigate(`/runs/${link.id}`);
          break;
        case "run_job":
          // The run on that job's log, at the line when the link names one (`#L<n>`).
          navigate(runJobRoute(link.id, link.job, link.line));
          break;
        case "project":
          navigate(`/projects/${encodeURIComponent(link.name)}`);
          break;
        case "incident":
          navigate(link.id === null ? "/alerts" : `/alerts/${link.id}`);
          break;
        case "deployment":
          // Only shown: Promote, Abort and Stop are the user's, each after a confirmation.
          navigate(link.id === null ? "/deployments" : `/deployments/${link.id}`);
          break;
        case "import":
          openImport(link.path);
          break;
        case "invalid":
          setInvalid({ url: link.url, reason: link.reason, open: true });
          break;
      }
    },
    [navigate, openImport, dismissNotice],
  );

  useEffect(() => {
    // The shell hands the start-up link out once; ask once per app start.
    if (pendingAsked) return;
    pendingAsked = true;
    pendingDeepLink().then(
      (link) => {
        if (link) handle(link);
      },
      () => {
        // No shell (plain browser) or no link: nothing to open.
      },
    );
  }, [handle]);

  useSubscription(onDeepLink, handle);
  useSubscription(onNavigate, (n: NavigateDto) => {
    if (typeof n.route === "string" && n.route.startsWith("/")) navigate(n.route);
  });

  return (
    <Snackbar open={invalid?.open ?? false} anchorOrigin={{ vertical: "top", horizontal: "center" }}>
      <Alert
        severity="error"
        variant="filled"
        onClose={() => setInvalid((i) => (i ? { ...i, open: false } : i))}
        data-testid="deep-link-error"
        sx={{ maxWidth: 640 }}
      >
        <AlertTitle>This link can't be opened</AlertTitle>
        {invalid?.reason}
        <Box component="div" sx={{ mt: 0.5, opacity: 0.85, wordBreak: "break-all", fontSize: 13 }}>
          {invalid?.url}
        </Box>
      </Alert>
    </Snackbar>
  );
}

/** For tests: lets the next mount ask for the start-up link again. */
export function resetPendingDeepLinkForTests(): void {
  pendingAsked = false;
}
