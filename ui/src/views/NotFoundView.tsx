import Button from "@mui/material/Button";
import Typography from "@mui/material/Typography";
import { Link as RouterLink } from "react-router";

import { PageHeader } from "../components/Page";

export function NotFoundView() {
  return (
    <>
      <PageHeader title="Nothing here" />
      <Typography sx={{ mb: 2 }}>This view does not exist.</Typography>
      <Button component={RouterLink} to="/" variant="contained">
        Go to the overview
      </Button>
    </>
  );
}
