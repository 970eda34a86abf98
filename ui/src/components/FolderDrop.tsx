import CreateNewFolderIcon from "@mui/icons-material/CreateNewFolder";
import Backdrop from "@mui/material/Backdrop";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { useState } from "react";

import { onFolderDrag, type FolderDragEvent } from "../api";
import { useSubscription } from "../hooks";
import { useImport } from "../importing";
import { useNotify } from "../notify";

/** A folder dropped anywhere on the window opens the import dialog for it. */
export function FolderDrop() {
  const [over, setOver] = useState(false);
  const { openImport } = useImport();
  const notify = useNotify();
  useSubscription<FolderDragEvent>(onFolderDrag, (e) => {
    if (e.type === "enter") setOver(true);
    else if (e.type === "leave") setOver(false);
    else if (e.type === "drop") {
      setOver(false);
      if (e.paths.length === 0) return;
      if (e.paths.length > 1) notify("Several items were dropped: importing the first one.", "info");
      openImport(e.paths[0]);
    }
  });
  return (
    <Backdrop open={over} sx={{ zIndex: (t) => t.zIndex.modal + 1, color: "#fff" }} data-testid="drop-overlay">
      <Stack alignItems="center" gap={1}>
        <CreateNewFolderIcon sx={{ fontSize: 56 }} />
        <Typography variant="h5">Drop a folder to import it</Typography>
      </Stack>
    </Backdrop>
  );
}
