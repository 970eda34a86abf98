import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableRow from "@mui/material/TableRow";
import Typography from "@mui/material/Typography";

import { MONO_FONT } from "../theme";

/**
 * What a job wrote to `$SWITCHYARD_OUTPUT`, for the jobs that need it
 * (`${{ needs.<job>.outputs.<name> }}`): name and value, values selectable.
 */
export function JobOutputs({ outputs }: { outputs: Record<string, string> }) {
  const names = Object.keys(outputs).sort();
  if (names.length === 0) return null;
  return (
    <>
      <Typography variant="subtitle2" sx={{ mt: 1.5, mb: 0.5 }}>
        Outputs
      </Typography>
      <Table size="small" aria-label="Outputs" data-testid="job-outputs">
        <TableBody>
          {names.map((name) => (
            <TableRow key={name} data-testid="job-output" data-name={name}>
              <TableCell sx={{ fontFamily: MONO_FONT, width: "1%", whiteSpace: "nowrap", verticalAlign: "top" }}>
                {name}
              </TableCell>
              <TableCell
                sx={{
                  fontFamily: MONO_FONT,
                  whiteSpace: "pre-wrap",
                  wordBreak: "break-all",
                  userSelect: "text",
                }}
              >
                {outputs[name]}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </>
  );
}
