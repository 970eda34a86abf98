import { useEffect, useState } from "react";
import { createHashRouter, Route, RouterProvider, Routes } from "react-router";

import { AlertsProvider } from "./alertsContext";
import { uiReadyOnce } from "./api";
import { CommandPalette } from "./components/CommandPalette";
import { DeepLinks } from "./components/DeepLinks";
import { FolderDrop } from "./components/FolderDrop";
import { Layout } from "./components/Layout";
import { ImportProvider } from "./importing";
import { NotifyProvider } from "./notify";
import { SettingsProvider } from "./settings";
import { ShortcutsProvider } from "./shortcuts";
import { AlertsView } from "./views/AlertsView";
import { AnalyticsView } from "./views/AnalyticsView";
import { DeploymentsView } from "./views/DeploymentsView";
import { DeploymentView } from "./views/DeploymentView";
import { MetricsView } from "./views/MetricsView";
import { NotFoundView } from "./views/NotFoundView";
import { OverviewView } from "./views/OverviewView";
import { PipelineEditorView } from "./views/PipelineEditorView";
import { ProjectsView } from "./views/ProjectsView";
import { ProjectView } from "./views/ProjectView";
import { RunView } from "./views/RunView";
import { SecretsView } from "./views/SecretsView";
import { SettingsView } from "./views/SettingsView";
import { TargetsView } from "./views/TargetsView";

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/" element={<OverviewView />} />
      <Route path="/projects" element={<ProjectsView />} />
      <Route path="/projects/:name" element={<ProjectView />} />
      <Route path="/projects/:name/pipeline" element={<PipelineEditorView />} />
      <Route path="/runs/:id" element={<RunView />} />
      <Route path="/deployments" element={<DeploymentsView />} />
      <Route path="/deployments/:id" element={<DeploymentView />} />
      <Route path="/metrics" element={<MetricsView />} />
      <Route path="/alerts" element={<AlertsView />} />
      <Route path="/alerts/:incidentId" element={<AlertsView />} />
      <Route path="/analytics" element={<AnalyticsView />} />
      <Route path="/targets" element={<TargetsView />} />
      <Route path="/secrets" element={<SecretsView />} />
      <Route path="/settings" element={<SettingsView />} />
      <Route path="*" element={<NotFoundView />} />
    </Routes>
  );
}

/** Everything inside the router: providers, layout, views, and the app-wide listeners. */
export function Root() {
  useEffect(() => {
    // After the first view is committed and painted.
    const id = window.requestAnimationFrame(() => uiReadyOnce());
    return () => window.cancelAnimationFrame(id);
  }, []);
  return (
    <SettingsProvider>
      <NotifyProvider>
        <ShortcutsProvider>
          <ImportProvider>
            <AlertsProvider>
              <Layout>
                <AppRoutes />
              </Layout>
            </AlertsProvider>
            <DeepLinks />
            <FolderDrop />
            <CommandPalette />
          </ImportProvider>
        </ShortcutsProvider>
      </NotifyProvider>
    </SettingsProvider>
  );
}

/**
 * The app is served from Tauri's asset protocol: routes live in the hash. A
 * data router (one catch-all route around `Root`, whose `<Routes>` match the
 * rest), so that a view can hold the user back with `useBlocker` (Settings
 * or the pipeline editor with unsaved changes).
 */
export function App() {
  const [router] = useState(() => createHashRouter([{ path: "*", element: <Root /> }]));
  return <RouterProvider router={router} />;
}
