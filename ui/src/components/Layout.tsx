import AltRouteIcon from "@mui/icons-material/AltRoute";
import CloudUploadOutlinedIcon from "@mui/icons-material/CloudUploadOutlined";
import DashboardIcon from "@mui/icons-material/Dashboard";
import DnsOutlinedIcon from "@mui/icons-material/DnsOutlined";
import FolderIcon from "@mui/icons-material/Folder";
import InsightsIcon from "@mui/icons-material/Insights";
import KeyboardIcon from "@mui/icons-material/Keyboard";
import KeyOutlinedIcon from "@mui/icons-material/KeyOutlined";
import NotificationsActiveIcon from "@mui/icons-material/NotificationsActive";
import SettingsIcon from "@mui/icons-material/Settings";
import ShowChartIcon from "@mui/icons-material/ShowChart";
import Box from "@mui/material/Box";
import Chip from "@mui/material/Chip";
import Drawer from "@mui/material/Drawer";
import List from "@mui/material/List";
import ListItemButton from "@mui/material/ListItemButton";
import ListItemIcon from "@mui/material/ListItemIcon";
import ListItemText from "@mui/material/ListItemText";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import type { ReactNode } from "react";
import { Link as RouterLink, useLocation } from "react-router";

import { useAlerts } from "../alertsContext";
import { useShortcutsHelp } from "../shortcuts";

const DRAWER_WIDTH = 216;

/** Whether `pathname` is `prefix` or below it ("/projects" matches "/projects/shop", not "/projectsX"). */
function under(pathname: string, prefix: string): boolean {
  return pathname === prefix || pathname.startsWith(`${prefix}/`);
}

/**
 * The entries and the routes each one is the parent of (see AppRoutes in
 * App.tsx): a run belongs to its project (its breadcrumb reads Projects ›
 * project › Run), so `/runs/<id>` lights up Projects, as does the pipeline
 * editor (`/projects/<name>/pipeline`).
 */
const NAV = [
  { to: "/", label: "Overview", icon: <DashboardIcon />, testId: "nav-overview", match: (p: string) => p === "/" },
  {
    to: "/projects",
    label: "Projects",
    icon: <FolderIcon />,
    testId: "nav-projects",
    match: (p: string) => under(p, "/projects") || under(p, "/runs"),
  },
  {
    to: "/deployments",
    label: "Deployments",
    icon: <CloudUploadOutlinedIcon />,
    testId: "nav-deployments",
    match: (p: string) => under(p, "/deployments"),
  },
  { to: "/metrics", label: "Metrics", icon: <ShowChartIcon />, testId: "nav-metrics", match: (p: string) => under(p, "/metrics") },
  {
    to: "/alerts",
    label: "Alerts",
    icon: <NotificationsActiveIcon />,
    testId: "nav-alerts",
    match: (p: string) => under(p, "/alerts"),
  },
  {
    to: "/analytics",
    label: "Analytics",
    icon: <InsightsIcon />,
    testId: "nav-analytics",
    match: (p: string) => under(p, "/analytics"),
  },
  { to: "/targets", label: "Targets", icon: <DnsOutlinedIcon />, testId: "nav-targets", match: (p: string) => under(p, "/targets") },
  { to: "/secrets", label: "Secrets", icon: <KeyOutlinedIcon />, testId: "nav-secrets", match: (p: string) => under(p, "/secrets") },
  { to: "/settings", label: "Settings", icon: <SettingsIcon />, testId: "nav-settings", match: (p: string) => under(p, "/settings") },
];

export function Layout({ children }: { children: ReactNode }) {
  const { pathname } = useLocation();
  const openHelp = useShortcutsHelp();
  // Incidents that need attention (open, not acknowledged, firing, not silenced): as the tray counts them.
  const firing = useAlerts().data?.firing ?? 0;
  return (
    <Box sx={{ display: "flex", minHeight: "100vh" }}>
      <Drawer
        variant="permanent"
        sx={{
          width: DRAWER_WIDTH,
          flexShrink: 0,
          "& .MuiDrawer-paper": { width: DRAWER_WIDTH, boxSizing: "border-box", bgcolor: "background.paper" },
        }}
      >
        <Stack direction="row" alignItems="center" gap={1} sx={{ px: 2, py: 2 }}>
          <AltRouteIcon color="primary" />
          <Typography variant="h6" component="div" sx={{ fontWeight: 700, letterSpacing: 0.2 }}>
            Switchyard
          </Typography>
        </Stack>
        <Box component="nav" aria-label="Main" sx={{ flex: 1 }}>
          <List sx={{ px: 1 }}>
            {NAV.map((item) => {
              const active = item.match(pathname);
              return (
                <ListItemButton
                  key={item.to}
                  // A plain link: the highlight and aria-current follow `match`, not NavLink's own URL test.
                  component={RouterLink}
                  to={item.to}
                  selected={active}
                  aria-current={active ? "page" : undefined}
                  data-testid={item.testId}
                  sx={{ borderRadius: 1.5, mb: 0.5 }}
                >
                  <ListItemIcon sx={{ minWidth: 36 }}>{item.icon}</ListItemIcon>
                  <ListItemText primary={item.label} />
                  {item.to === "/alerts" && firing > 0 ? (
                    <Chip
                      size="small"
                      color="error"
                      label={firing > 99 ? "99+" : firing}
                      aria-label={`${firing} incident${firing === 1 ? "" : "s"} need${firing === 1 ? "s" : ""} attention`}
                      title={`${firing} incident${firing === 1 ? "" : "s"} need${firing === 1 ? "s" : ""} attention`}
                      data-testid="nav-alerts-badge"
                      data-count={firing}
                      sx={{ height: 20, minWidth: 20, "& .MuiChip-label": { px: 0.75 } }}
                    />
                  ) : null}
                </ListItemButton>
              );
            })}
          </List>
        </Box>
        <List sx={{ px: 1 }}>
          <ListItemButton onClick={openHelp} sx={{ borderRadius: 1.5 }} data-testid="nav-shortcuts">
            <ListItemIcon sx={{ minWidth: 36 }}>
              <KeyboardIcon fontSize="small" />
            </ListItemIcon>
            <ListItemText primary="Shortcuts" secondary="Press ?" />
          </ListItemButton>
        </List>
      </Drawer>
      <Box component="main" sx={{ flex: 1, minWidth: 0, px: { xs: 2, md: 4 }, py: 3 }}>
        {children}
      </Box>
    </Box>
  );
}
