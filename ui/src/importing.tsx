import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { useNavigate } from "react-router";

import type { ProjectView } from "./bindings/ProjectView";
import { ImportDialog } from "./components/ImportDialog";
import { useNotify } from "./notify";

interface ImportContextValue {
  /** Opens the import dialog, inspecting `path` right away when given. */
  openImport: (path?: string) => void;
  /** Grows whenever a project was imported (lists reload on it). */
  projectsVersion: number;
  /** Tells the lists that a project was added elsewhere (the demo). */
  projectAdded: () => void;
}

const ImportContext = createContext<ImportContextValue | null>(null);

export function useImport(): ImportContextValue {
  const ctx = useContext(ImportContext);
  if (!ctx) throw new Error("useImport outside ImportProvider");
  return ctx;
}

export function ImportProvider({ children }: { children: ReactNode }) {
  const navigate = useNavigate();
  const notify = useNotify();
  // `mounted`: false once an import is done. The dialog is then taken away
  // at once rather than faded out: the new project's page replaces the one
  // beneath it, and a fade-out over a changing page was seen to leave its
  // invisible layer over the window, swallowing clicks.
  const [dialog, setDialog] = useState<{ session: number; path: string | null; open: boolean; mounted: boolean }>({
    session: 0,
    path: null,
    open: false,
    mounted: false,
  });
  const [projectsVersion, setProjectsVersion] = useState(0);

  const openImport = useCallback((path?: string) => {
    setDialog((d) => ({ session: d.session + 1, path: path ?? null, open: true, mounted: true }));
  }, []);
  const projectAdded = useCallback(() => setProjectsVersion((v) => v + 1), []);
  const close = useCallback(() => setDialog((d) => ({ ...d, open: false })), []);
  const done = useCallback(() => setDialog((d) => ({ ...d, open: false, mounted: false })), []);

  const onImported = useCallback(
    (project: ProjectView) => {
      done();
      setProjectsVersion((v) => v + 1);
      notify(`Imported ${project.name}.`, "success");
      navigate(`/projects/${encodeURIComponent(project.name)}`);
    },
    [done, navigate, notify],
  );

  const onOpenExisting = useCallback(
    (name: string) => {
      done();
      navigate(`/projects/${encodeURIComponent(name)}`);
    },
    [done, navigate],
  );

  const value = useMemo(() => ({ openImport, projectsVersion, projectAdded }), [openImport, projectsVersion, projectAdded]);

  return (
    <ImportContext.Provider value={value}>
      {children}
      {dialog.mounted ? (
        <ImportDialog
          key={dialog.session}
          open={dialog.open}
          initialPath={dialog.path}
          onClose={close}
          onImported={onImported}
          onOpenExisting={onOpenExisting}
        />
      ) : null}
    </ImportContext.Provider>
  );
}
